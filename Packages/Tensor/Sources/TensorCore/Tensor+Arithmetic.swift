#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A binary element-wise operation `out = f(a, b)`, applied with NumPy broadcasting by
/// ``Tensor/elementwise(_:_:_:)`` (and the operators `+ - * /`).
public enum BinaryOperation: Sendable, CaseIterable {
    /// `a + b`
    case add
    /// `a − b`
    case subtract
    /// `a × b`
    case multiply
    /// `a ÷ b` (IEEE: `x/0 = ±inf`, `0/0 = NaN`)
    case divide
    /// `max(a, b)` (`b` when `a < b`, else `a`)
    case maximum
    /// `min(a, b)` (`b` when `b < a`, else `a`)
    case minimum

    /// The operation's name as used in error messages ("add", "subtract", …).
    public var name: String {
        switch self {
        case .add: "add"
        case .subtract: "subtract"
        case .multiply: "multiply"
        case .divide: "divide"
        case .maximum: "maximum"
        case .minimum: "minimum"
        }
    }

    /// Applies the operation to two scalars: the definition both the fast kernel and
    /// ``Reference/elementwise(_:_:_:)`` follow.
    @inlinable
    public func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: a + b
        case .subtract: a - b
        case .multiply: a * b
        case .divide: a / b
        case .maximum: a < b ? b : a
        case .minimum: b < a ? b : a
        }
    }
}

/// A unary element-wise map `out = f(x)`, applied by ``Tensor/map(_:)``.
public enum UnaryOperation: Sendable, CaseIterable {
    /// `−x`
    case negate
    /// `|x|`
    case abs
    /// `x²`
    case square
    /// `√x` (NaN for x < 0)
    case sqrt
    /// `eˣ`
    case exp
    /// `ln x` (−inf at 0, NaN for x < 0)
    case log
    /// `tanh x`
    case tanh
    /// `1 / (1 + e^(−x))`
    case sigmoid
    /// `max(x, 0)`
    case relu

    /// Applies the map to one scalar: the definition both the fast kernel and
    /// ``Reference/map(_:_:)`` follow.
    @inlinable
    public func apply(_ x: Float) -> Float {
        switch self {
        case .negate: -x
        case .abs: Swift.abs(x)
        case .square: x * x
        case .sqrt: x.squareRoot()
        case .exp: expf(x)
        case .log: logf(x)
        case .tanh: tanhf(x)
        case .sigmoid: 1 / (1 + expf(-x))
        case .relu: x < 0 ? 0 : x
        }
    }
}

// MARK: - Broadcasting plan

/// How an output of shape `outShape` reads its two broadcast operands: the output is viewed as
/// `outer × inner` where `inner` is the longest run along which both operands advance with
/// stride 1 or 0 (broadcast), and `outerShape`/`outerStrides*` locate each run's start.
@usableFromInline
struct BroadcastPlan {
    var outShape: [Int]
    var outerShape: [Int]
    var outerStridesA: [Int]
    var outerStridesB: [Int]
    var inner: Int
    var innerStrideA: Int
    var innerStrideB: Int

    init(_ a: [Int], _ b: [Int], outShape: [Int]) {
        self.outShape = outShape
        let rank = outShape.count
        // Per-axis strides of a and b in output coordinates (0 where broadcast).
        func strides(_ s: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: rank - s.count) + s
            var st = Tensor.contiguousStrides(of: padded)
            for i in 0..<rank where padded[i] == 1 { st[i] = 0 }
            return st
        }
        let sa = strides(a), sb = strides(b)
        // Drop axes of extent 1, then merge neighbours that are contiguous for both operands.
        var dims: [(n: Int, a: Int, b: Int)] = []
        for i in 0..<rank where outShape[i] != 1 {
            if let last = dims.last, last.a == sa[i] * outShape[i], last.b == sb[i] * outShape[i] {
                dims[dims.count - 1] = (last.n * outShape[i], sa[i], sb[i])
            } else {
                dims.append((outShape[i], sa[i], sb[i]))
            }
        }
        if let last = dims.popLast() {
            inner = last.n
            innerStrideA = last.a
            innerStrideB = last.b
        } else {
            inner = 1
            innerStrideA = 0
            innerStrideB = 0
        }
        outerShape = dims.map(\.n)
        outerStridesA = dims.map(\.a)
        outerStridesB = dims.map(\.b)
    }

    /// Offsets in a and b of the start of outer run `o`.
    @inline(__always)
    func offsets(ofRun o: Int) -> (Int, Int) {
        var rest = o, offA = 0, offB = 0
        var axis = outerShape.count - 1
        while axis >= 0 {
            let n = outerShape[axis]
            let i = rest % n
            rest /= n
            offA += i * outerStridesA[axis]
            offB += i * outerStridesB[axis]
            axis -= 1
        }
        return (offA, offB)
    }
}

/// One contiguous run: `out[k] = f(a[k·sa], b[k·sb])` for k in 0..<n, sa, sb ∈ {0, 1}.
/// Inlined with a literal closure so each case becomes a vectorized loop.
@inline(__always)
func binaryRun(
    _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int,
    _ out: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Float, Float) -> Float
) {
    if sa == 1 && sb == 1 {
        for k in 0..<n { out[k] = f(a[k], b[k]) }
    } else if sa == 1 {
        let s = b[0]
        for k in 0..<n { out[k] = f(a[k], s) }
    } else if sb == 1 {
        let s = a[0]
        for k in 0..<n { out[k] = f(s, b[k]) }
    } else {
        let v = f(a[0], b[0])
        for k in 0..<n { out[k] = v }
    }
}

@inline(__always)
func binaryRun(
    _ op: BinaryOperation, _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>,
    _ sb: Int, _ out: UnsafeMutablePointer<Float>, _ n: Int
) {
    switch op {
    case .add: binaryRun(a, sa, b, sb, out, n) { $0 + $1 }
    case .subtract: binaryRun(a, sa, b, sb, out, n) { $0 - $1 }
    case .multiply: binaryRun(a, sa, b, sb, out, n) { $0 * $1 }
    case .divide: binaryRun(a, sa, b, sb, out, n) { $0 / $1 }
    case .maximum: binaryRun(a, sa, b, sb, out, n) { $0 < $1 ? $1 : $0 }
    case .minimum: binaryRun(a, sa, b, sb, out, n) { $1 < $0 ? $1 : $0 }
    }
}

/// Runs a broadcast binary op into `out` (which may alias `a` when `a` has the output's shape).
func broadcastKernel(
    _ op: BinaryOperation, plan: BroadcastPlan, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    out: UnsafeMutablePointer<Float>, count: Int
) {
    let inner = plan.inner
    let sa = plan.innerStrideA, sb = plan.innerStrideB
    Parallel.forEachChunk(count: count) { range in
        var position = range.lowerBound
        var run = position / inner
        var start = position - run * inner
        while position < range.upperBound {
            let (offA, offB) = plan.offsets(ofRun: run)
            let n = Swift.min(inner - start, range.upperBound - position)
            binaryRun(op, a + offA + start * sa, sa, b + offB + start * sb, sb, out + position, n)
            position += n
            run += 1
            start = 0
        }
    }
}

// MARK: - Element-wise API

extension Tensor {
    /// `f(a, b)` element-wise with NumPy broadcasting: the result has shape
    /// ``broadcastShape(_:_:operation:)``(a.shape, b.shape) and
    /// `out[i] = f(a[i'], b[i''])` where `i'`, `i''` are `i` with broadcast axes set to 0.
    /// Typical uses: same shape; a scalar (`[]` or `[1]`); a per-channel `[1, C, 1, 1]` against
    /// `[N, C, H, W]`; a row `[C]` against `[N, C]`.
    ///
    /// Vectorized and split over ``Parallel/threadCount`` threads for large outputs.
    /// - Precondition: the shapes are broadcast-compatible; the message reads
    ///   `"add: shapes [2, 3] and [4, 3] are not broadcast-compatible"`.
    public static func elementwise(_ op: BinaryOperation, _ a: Tensor, _ b: Tensor) -> Tensor {
        let outShape: [Int]
        do {
            outShape = try broadcastShape(a.shape, b.shape, operation: op.name)
        } catch let error as ShapeError {
            preconditionFailure(error.message)
        } catch {
            preconditionFailure("\(error)")
        }
        let plan = BroadcastPlan(a.shape, b.shape, outShape: outShape)
        return Tensor(shape: outShape) { out in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    guard let oa = pa.baseAddress, let ob = pb.baseAddress, let oo = out.baseAddress
                    else { return }
                    broadcastKernel(op, plan: plan, a: oa, b: ob, out: oo, count: out.count)
                }
            }
        }
    }

    /// In place: `self = f(self, other)` with `other` broadcast to `self.shape`.
    /// - Precondition: `broadcastShape(self.shape, other.shape) == self.shape`.
    public mutating func formElementwise(_ op: BinaryOperation, _ other: Tensor) {
        let outShape: [Int]
        do {
            outShape = try Tensor.broadcastShape(shape, other.shape, operation: op.name)
        } catch let error as ShapeError {
            preconditionFailure(error.message)
        } catch {
            preconditionFailure("\(error)")
        }
        precondition(
            outShape == shape,
            "\(op.name): in-place result shape \(outShape) differs from the left operand's \(shape)")
        let plan = BroadcastPlan(shape, other.shape, outShape: outShape)
        let n = count
        withUnsafeMutableBufferPointer { out in
            other.withUnsafeBufferPointer { pb in
                guard let oo = out.baseAddress, let ob = pb.baseAddress else { return }
                broadcastKernel(op, plan: plan, a: UnsafePointer(oo), b: ob, out: oo, count: n)
            }
        }
    }

    /// `f(x)` for every element; same shape. Vectorized where the map allows (negate, abs,
    /// square, sqrt, relu); the transcendental maps call libm per element. Parallel for large
    /// tensors.
    public func map(_ op: UnaryOperation) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { input in
                guard let pi = input.baseAddress, let po = out.baseAddress else { return }
                Parallel.forEachChunk(count: out.count) { r in
                    unaryRun(op, pi + r.lowerBound, po + r.lowerBound, r.count)
                }
            }
        }
    }

    /// `f(x)` for every element with an arbitrary closure (not vectorized; parallel for large
    /// tensors, so `transform` must be thread-safe).
    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { input in
                guard let pi = input.baseAddress, let po = out.baseAddress else { return }
                Parallel.forEachChunk(count: out.count) { r in
                    for i in r { po[i] = transform(pi[i]) }
                }
            }
        }
    }

    /// `eˣ` element-wise.
    public func exp() -> Tensor { map(.exp) }
    /// `ln x` element-wise.
    public func log() -> Tensor { map(.log) }
    /// `√x` element-wise.
    public func sqrt() -> Tensor { map(.sqrt) }
    /// `|x|` element-wise.
    public func abs() -> Tensor { map(.abs) }
    /// `x²` element-wise.
    public func squared() -> Tensor { map(.square) }
    /// `tanh x` element-wise.
    public func tanh() -> Tensor { map(.tanh) }
    /// `1 / (1 + e^(−x))` element-wise.
    public func sigmoid() -> Tensor { map(.sigmoid) }
    /// `max(x, 0)` element-wise.
    public func relu() -> Tensor { map(.relu) }

    /// `max(x, s)` element-wise (e.g. `x.max(0)` is ReLU, `x.max(1e-12)` guards a division).
    public func max(_ s: Float) -> Tensor { Tensor.elementwise(.maximum, self, Tensor(s)) }
    /// `min(x, s)` element-wise.
    public func min(_ s: Float) -> Tensor { Tensor.elementwise(.minimum, self, Tensor(s)) }
    /// `min(max(x, low), high)` element-wise.
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        self.max(range.lowerBound).min(range.upperBound)
    }

    /// Element-wise maximum with broadcasting.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { elementwise(.maximum, a, b) }
    /// Element-wise minimum with broadcasting.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { elementwise(.minimum, a, b) }

    /// `a + b` with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor { elementwise(.add, a, b) }
    /// `a − b` with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor { elementwise(.subtract, a, b) }
    /// `a × b` (element-wise, Hadamard) with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor { elementwise(.multiply, a, b) }
    /// `a ÷ b` with broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor { elementwise(.divide, a, b) }

    /// `a + s` for every element.
    public static func + (a: Tensor, s: Float) -> Tensor { elementwise(.add, a, Tensor(s)) }
    /// `a − s` for every element.
    public static func - (a: Tensor, s: Float) -> Tensor { elementwise(.subtract, a, Tensor(s)) }
    /// `a × s` for every element.
    public static func * (a: Tensor, s: Float) -> Tensor { elementwise(.multiply, a, Tensor(s)) }
    /// `a ÷ s` for every element.
    public static func / (a: Tensor, s: Float) -> Tensor { elementwise(.divide, a, Tensor(s)) }
    /// `s + b` for every element.
    public static func + (s: Float, b: Tensor) -> Tensor { elementwise(.add, Tensor(s), b) }
    /// `s − b` for every element.
    public static func - (s: Float, b: Tensor) -> Tensor { elementwise(.subtract, Tensor(s), b) }
    /// `s × b` for every element.
    public static func * (s: Float, b: Tensor) -> Tensor { elementwise(.multiply, Tensor(s), b) }
    /// `s ÷ b` for every element.
    public static func / (s: Float, b: Tensor) -> Tensor { elementwise(.divide, Tensor(s), b) }

    /// `−x` for every element.
    public static prefix func - (x: Tensor) -> Tensor { x.map(.negate) }

    /// In-place `a += b`, `b` broadcast to `a.shape`.
    public static func += (a: inout Tensor, b: Tensor) { a.formElementwise(.add, b) }
    /// In-place `a −= b`, `b` broadcast to `a.shape`.
    public static func -= (a: inout Tensor, b: Tensor) { a.formElementwise(.subtract, b) }
    /// In-place `a ×= b`, `b` broadcast to `a.shape`.
    public static func *= (a: inout Tensor, b: Tensor) { a.formElementwise(.multiply, b) }
    /// In-place `a ÷= b`, `b` broadcast to `a.shape`.
    public static func /= (a: inout Tensor, b: Tensor) { a.formElementwise(.divide, b) }
    /// In-place `a += s`.
    public static func += (a: inout Tensor, s: Float) { a.formElementwise(.add, Tensor(s)) }
    /// In-place `a −= s`.
    public static func -= (a: inout Tensor, s: Float) { a.formElementwise(.subtract, Tensor(s)) }
    /// In-place `a ×= s`.
    public static func *= (a: inout Tensor, s: Float) { a.formElementwise(.multiply, Tensor(s)) }
    /// In-place `a ÷= s`.
    public static func /= (a: inout Tensor, s: Float) { a.formElementwise(.divide, Tensor(s)) }
}

@inline(__always)
func unaryRun(_ op: UnaryOperation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    switch op {
    case .negate: for i in 0..<n { y[i] = -x[i] }
    case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
    case .square: for i in 0..<n { y[i] = x[i] * x[i] }
    case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
    case .relu: for i in 0..<n { y[i] = x[i] < 0 ? 0 : x[i] }
    case .exp: for i in 0..<n { y[i] = expf(x[i]) }
    case .log: for i in 0..<n { y[i] = logf(x[i]) }
    case .tanh: for i in 0..<n { y[i] = tanhf(x[i]) }
    case .sigmoid: for i in 0..<n { y[i] = 1 / (1 + expf(-x[i])) }
    }
}
