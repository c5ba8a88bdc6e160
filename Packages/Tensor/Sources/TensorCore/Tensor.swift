/// A dense, row-major (C-order) tensor of `Float` (IEEE-754 binary32) values.
///
/// `Tensor` is a value type: `shape` is an array of extents and `scalars` holds the
/// `shape.reduce(1, *)` elements contiguously, the last axis varying fastest. Storage is a
/// Swift `Array`, so copies are cheap and copy-on-write; a mutation of a shared tensor copies
/// its elements once.
///
/// Images and feature maps use **NCHW** layout: shape `[N, C, H, W]` (batch, channel, row,
/// column), so element `(n, c, y, x)` lives at offset `((n·C + c)·H + y)·W + x` and each
/// channel plane is contiguous. A single image without batch axis is CHW `[C, H, W]`.
///
/// A tensor of rank 0 (`shape == []`) holds exactly one scalar. Extents of 0 are allowed
/// (the tensor is then empty).
///
/// ```swift
/// var x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// x[1, 2] = 7                  // row 1, column 2
/// let y = x.reshaped([3, -1])  // [3, 2], same scalars
/// ```
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each axis, outermost first (e.g. `[N, C, H, W]` for a batch of images).
    public private(set) var shape: [Int]

    /// The elements in row-major order; `scalars.count == Tensor.elementCount(of: shape)`.
    public private(set) var scalars: [Float]

    /// Creates a tensor from a shape and its row-major elements.
    /// - Precondition: every extent ≥ 0 and `scalars.count == shape.reduce(1, *)`.
    public init(shape: [Int], scalars: [Float]) {
        let n = Tensor.checkedElementCount(of: shape, operation: "Tensor.init")
        precondition(
            scalars.count == n,
            "Tensor.init: shape \(shape) needs \(n) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape with every element equal to `value`.
    /// - Precondition: every extent ≥ 0.
    public init(shape: [Int], repeating value: Float) {
        let n = Tensor.checkedElementCount(of: shape, operation: "Tensor.init")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: n)
    }

    /// Creates a rank-0 tensor (shape `[]`) holding `value`.
    public init(_ value: Float) {
        self.shape = []
        self.scalars = [value]
    }

    /// Creates a tensor whose elements are written by `initializer`, which receives the
    /// uninitialised buffer of `shape.reduce(1, *)` elements and must write every one of them.
    /// This is the allocation path used by the kernels (no zero-fill).
    /// - Precondition: every extent ≥ 0.
    public init(
        shape: [Int], unsafeUninitializedScalars initializer: (UnsafeMutableBufferPointer<Float>) -> Void
    ) {
        let n = Tensor.checkedElementCount(of: shape, operation: "Tensor.init")
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            initializer(UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
            initialized = n
        }
    }

    /// A tensor of zeros: `Tensor(shape: shape, repeating: 0)`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones: `Tensor(shape: shape, repeating: 1)`.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// The number of axes, `shape.count`.
    public var rank: Int { shape.count }

    /// The number of elements, `shape.reduce(1, *)` (1 for a rank-0 tensor).
    public var count: Int { scalars.count }

    /// Row-major strides in elements: `strides[i] = shape[i+1] · … · shape[rank-1]`.
    public var strides: [Int] { Tensor.contiguousStrides(of: shape) }

    /// The only element of a tensor with one element (any rank).
    /// - Precondition: `count == 1`.
    public var scalar: Float {
        precondition(count == 1, "scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return scalars[0]
    }

    /// The row-major offset of a multi-index: `Σ indices[i] · strides[i]`.
    /// - Precondition: `indices.count == rank` and `0 ≤ indices[i] < shape[i]`.
    public func offset(of indices: [Int]) -> Int {
        precondition(
            indices.count == shape.count,
            "subscript: \(indices.count) indices for a tensor of rank \(shape.count) (shape \(shape))")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            precondition(
                index >= 0 && index < shape[axis],
                "subscript: index \(index) out of range 0..<\(shape[axis]) on axis \(axis) of shape \(shape)")
            offset = offset * shape[axis] + index
        }
        return offset
    }

    /// The element at a multi-index, e.g. `image[n, c, y, x]` for NCHW.
    /// - Precondition: one index per axis, each within its extent.
    public subscript(indices: Int...) -> Float {
        get { scalars[offset(of: indices)] }
        set { scalars[offset(of: indices)] = newValue }
    }

    /// The same elements under a new shape with the same element count. One extent may be
    /// `-1`; it is inferred. Example: `[2, 3, 4].reshaped([6, -1])` has shape `[6, 4]`.
    /// - Precondition: the element counts agree (at most one `-1`).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element)
            precondition(
                known.allSatisfy { $0 > 0 } && newShape.filter({ $0 == -1 }).count == 1,
                "reshaped: cannot infer -1 in \(newShape)")
            let product = known.reduce(1, *)
            precondition(
                count % product == 0,
                "reshaped: cannot reshape \(shape) (\(count) elements) to \(newShape)")
            resolved[inferred] = count / product
        }
        let n = Tensor.checkedElementCount(of: resolved, operation: "reshaped")
        precondition(
            n == count,
            "reshaped: cannot reshape \(shape) (\(count) elements) to \(newShape) (\(n) elements)")
        var result = self
        result.shape = resolved
        return result
    }

    /// Calls `body` with a pointer to the contiguous row-major elements.
    public func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the contiguous row-major elements (copying them
    /// first if the storage is shared). The shape cannot change.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// A short description: the shape and up to the first 8 elements.
    public var description: String {
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), scalars: [\(head)\(count > 8 ? ", …" : "")])"
    }

    /// The largest absolute element-wise difference `max |a_i − b_i|` (0 for empty tensors).
    /// - Precondition: equal shapes.
    public func maxAbsoluteDifference(_ other: Tensor) -> Float {
        precondition(
            shape == other.shape,
            "maxAbsoluteDifference: shapes \(shape) and \(other.shape) differ")
        var m: Float = 0
        for i in 0..<count {
            let d = Swift.abs(scalars[i] - other.scalars[i])
            if d > m || d.isNaN { m = d.isNaN ? .infinity : d }
        }
        return m
    }

    /// Whether `|a_i − b_i| ≤ absoluteTolerance + relativeTolerance · |b_i|` for every element
    /// (NumPy `allclose` semantics, `other` being the reference) and the shapes are equal.
    public func isApproximatelyEqual(
        to other: Tensor, absoluteTolerance: Float = 1e-5, relativeTolerance: Float = 1e-4
    ) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let a = scalars[i], b = other.scalars[i]
            if !(Swift.abs(a - b) <= absoluteTolerance + relativeTolerance * Swift.abs(b)) {
                return false
            }
        }
        return true
    }
}

// MARK: - Shape helpers

/// A shape mismatch found by one of the pure shape helpers (``Tensor/broadcastShape(_:_:operation:)``,
/// ``Tensor/reducedShape(_:axes:keepDims:operation:)``, ``Tensor/matmulShape(_:_:transposeA:transposeB:)``,
/// ``Conv2DGeometry/validate()``…). The kernels call the helper and stop with
/// `preconditionFailure(error.message)`; tests call the helper directly.
public struct ShapeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The human-readable message, beginning with the operation's name, e.g.
    /// `"add: shapes [2, 3] and [4, 3] are not broadcast-compatible"`.
    public var message: String

    /// Creates an error with the given message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

extension Tensor {
    /// `shape.reduce(1, *)`: the number of elements of a tensor of that shape (1 for `[]`).
    public static func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of a contiguous tensor: `strides[i] = shape[(i+1)...].reduce(1, *)`.
    public static func contiguousStrides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = s
            s *= shape[axis]
        }
        return strides
    }

    /// Element count after checking that every extent is ≥ 0.
    static func checkedElementCount(of shape: [Int], operation: String) -> Int {
        precondition(shape.allSatisfy { $0 >= 0 }, "\(operation): negative extent in shape \(shape)")
        return elementCount(of: shape)
    }

    /// The NumPy broadcast shape of two shapes.
    ///
    /// Shapes are aligned on their trailing axes; the shorter one is padded with leading 1s.
    /// Two aligned extents are compatible when equal or when one of them is 1; the result
    /// takes the larger (e.g. `[1, C, 1, 1]` and `[N, C, H, W]` → `[N, C, H, W]`;
    /// `[C]` and `[N, C]` → `[N, C]`; `[]` (a scalar) and any shape → that shape).
    ///
    /// - Parameter operation: the name used in the error message.
    /// - Throws: ``ShapeError`` with message
    ///   `"<operation>: shapes [2, 3] and [4, 3] are not broadcast-compatible"`.
    public static func broadcastShape(_ a: [Int], _ b: [Int], operation: String = "broadcast") throws
        -> [Int]
    {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let ea = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let eb = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if ea == eb || eb == 1 {
                result[i] = ea
            } else if ea == 1 {
                result[i] = eb
            } else {
                throw ShapeError("\(operation): shapes \(a) and \(b) are not broadcast-compatible")
            }
        }
        return result
    }

    /// The shape that results from reducing `shape` over `axes`.
    ///
    /// Negative axes count from the end (`-1` is the last axis). With `keepDims` the reduced
    /// axes stay with extent 1 (so the result broadcasts against the input); without, they are
    /// removed. Example: `[N, C, H, W]` over `[2, 3]` → `[N, C, 1, 1]` (keepDims) or `[N, C]`.
    ///
    /// - Returns: the result shape and the normalised, sorted, unique axes.
    /// - Throws: ``ShapeError`` when an axis is out of range or repeated, e.g.
    ///   `"sum: axis 4 out of range for shape [2, 3]"`.
    public static func reducedShape(
        _ shape: [Int], axes: [Int], keepDims: Bool, operation: String = "reduce"
    ) throws -> (shape: [Int], axes: [Int]) {
        var normalized: [Int] = []
        for axis in axes {
            let a = axis < 0 ? axis + shape.count : axis
            guard a >= 0 && a < shape.count else {
                throw ShapeError("\(operation): axis \(axis) out of range for shape \(shape)")
            }
            guard !normalized.contains(a) else {
                throw ShapeError("\(operation): axis \(axis) repeated in \(axes)")
            }
            normalized.append(a)
        }
        normalized.sort()
        var result: [Int] = []
        for (axis, extent) in shape.enumerated() {
            if normalized.contains(axis) {
                if keepDims { result.append(1) }
            } else {
                result.append(extent)
            }
        }
        return (result, normalized)
    }
}
