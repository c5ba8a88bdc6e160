/// Reductions: sum, mean and (population) variance over chosen axes or over all elements.
///
/// Accumulation: contiguous runs are summed in blocks of ``reductionBlock`` elements with 16
/// Float32 SIMD lanes; block results are added in Float64, in block order. Strided runs
/// accumulate in Float64. The block boundaries do not depend on the thread count, so results
/// are bit-identical with 1 or 2 threads.
extension Tensor {
    /// Elements per block of a contiguous reduction (16 Ki): bounds the Float32 part of the
    /// accumulation and fixes the thread-count-independent partition.
    public static let reductionBlock = 16 * 1024

    /// Σ over all elements (accumulated as described above; 0 for an empty tensor).
    public func sum() -> Float { Float(sumAsDouble()) }

    /// Σ over all elements divided by the element count (NaN for an empty tensor).
    public func mean() -> Float { Float(sumAsDouble() / Double(count)) }

    /// Population variance over all elements: `(1/n) Σ (xᵢ − x̄)²` (divides by n, not n − 1),
    /// computed in two passes (mean first) for accuracy.
    public func variance() -> Float {
        let n = count
        let mu = sumAsDouble() / Double(n)
        return withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return .nan }
            return Float(blockedSum(base, n, centeredSquaresAround: Float(mu)) / Double(n))
        }
    }

    /// Σ over `axes`. Result shape: ``reducedShape(_:axes:keepDims:operation:)`` — the reduced
    /// axes removed, or kept with extent 1 when `keepDims` (so the result broadcasts against
    /// `self`). Negative axes count from the end. Reducing over no axes returns a copy.
    /// Example: `x` `[N, C, H, W]`, `x.sum(axes: [0, 2, 3], keepDims: true)` → `[1, C, 1, 1]`.
    /// - Precondition: axes in range and distinct (`"sum: axis 4 out of range for shape [2, 3]"`).
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let (outShape, normalized) = Tensor.checkedReducedShape(shape, axes, keepDims, "sum")
        return reduceSum(normalized).reshaped(outShape)
    }

    /// Mean over `axes`: ``sum(axes:keepDims:)`` divided by the number of reduced elements
    /// `Π shape[axes]`. Same result shape as the sum.
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let (outShape, normalized) = Tensor.checkedReducedShape(shape, axes, keepDims, "mean")
        let n = normalized.reduce(1) { $0 * shape[$1] }
        var s = reduceSum(normalized)
        s *= 1 / Float(n)
        return s.reshaped(outShape)
    }

    /// Population variance over `axes`: `(1/n) Σ (x − mean)²` with `n = Π shape[axes]`
    /// (divides by n, not n − 1 — the normalisation used by batch and instance normalisation).
    /// Two passes: the mean (keepDims), then the mean of the squared deviations.
    /// Same result shape as the sum.
    public func variance(axes: [Int], keepDims: Bool = false) -> Tensor {
        let (outShape, normalized) = Tensor.checkedReducedShape(shape, axes, keepDims, "variance")
        let mu = mean(axes: normalized, keepDims: true)
        let deviation = (self - mu).squared()
        return deviation.mean(axes: normalized, keepDims: keepDims).reshaped(outShape)
    }

    static func checkedReducedShape(
        _ shape: [Int], _ axes: [Int], _ keepDims: Bool, _ operation: String
    ) -> ([Int], [Int]) {
        do {
            return try reducedShape(shape, axes: axes, keepDims: keepDims, operation: operation)
        } catch let error as ShapeError {
            preconditionFailure(error.message)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// Σ over the sorted, unique `axes`, keeping them with extent 1. Consecutive axes are reduced
    /// together; groups are processed from the innermost outwards.
    func reduceSum(_ axes: [Int]) -> Tensor {
        var groups: [(first: Int, last: Int)] = []
        for a in axes {
            if let g = groups.last, g.last + 1 == a {
                groups[groups.count - 1].last = a
            } else {
                groups.append((a, a))
            }
        }
        var current = self
        for g in groups.reversed() {
            current = current.reduceSum(axesFrom: g.first, through: g.last)
        }
        return current
    }

    /// Σ over the contiguous axis block `first...last` (kept with extent 1): the tensor is
    /// viewed as `[outer, reduced, inner]`.
    func reduceSum(axesFrom first: Int, through last: Int) -> Tensor {
        let outer = shape[..<first].reduce(1, *)
        let reduced = shape[first...last].reduce(1, *)
        let inner = shape[(last + 1)...].reduce(1, *)
        var outShape = shape
        for a in first...last { outShape[a] = 1 }
        return Tensor(shape: outShape) { out in
            withUnsafeBufferPointer { input in
                guard let x = input.baseAddress, let y = out.baseAddress else { return }
                if reduced == 0 {
                    for i in 0..<out.count { y[i] = 0 }
                } else if inner == 1 {
                    // Each output is a contiguous run of `reduced` elements.
                    if outer >= Parallel.threadCount && outer * reduced >= Parallel.defaultMinimumChunk {
                        Parallel.forEachChunk(count: outer, minimumChunk: 1) { rows in
                            for o in rows { y[o] = Float(blockedSum(x + o * reduced, reduced)) }
                        }
                    } else {
                        for o in 0..<outer { y[o] = Float(x.advanced(by: o * reduced).parallelSum(reduced)) }
                    }
                } else {
                    // Strided: out[o, i] = Σ_r x[o, r, i]; split over (o, i-chunk) pairs.
                    let columnChunk = Swift.max(256, Parallel.defaultMinimumChunk / Swift.max(1, reduced))
                    let chunksPerRow = (inner + columnChunk - 1) / columnChunk
                    Parallel.forEachChunk(
                        count: outer * chunksPerRow,
                        minimumChunk: Swift.max(1, Parallel.defaultMinimumChunk / Swift.max(1, reduced * Swift.min(inner, columnChunk)))
                    ) { items in
                        var acc = [Double](repeating: 0, count: Swift.min(inner, columnChunk))
                        acc.withUnsafeMutableBufferPointer { accp in
                            let a = accp.baseAddress!
                            for item in items {
                                let o = item / chunksPerRow
                                let lo = (item % chunksPerRow) * columnChunk
                                let n = Swift.min(columnChunk, inner - lo)
                                for i in 0..<n { a[i] = 0 }
                                let base = x + o * reduced * inner + lo
                                for r in 0..<reduced {
                                    let row = base + r * inner
                                    for i in 0..<n { a[i] += Double(row[i]) }
                                }
                                let dst = y + o * inner + lo
                                for i in 0..<n { dst[i] = Float(a[i]) }
                            }
                        }
                    }
                }
            }
        }
    }

    func sumAsDouble() -> Double {
        withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return 0 }
            return base.parallelSum(p.count)
        }
    }
}

extension UnsafePointer where Pointee == Float {
    /// Σ of `n` contiguous elements, blocked (thread-count-independent) and parallel.
    func parallelSum(_ n: Int) -> Double {
        let blocks = Parallel.blockCount(count: n, blockSize: Tensor.reductionBlock)
        if blocks <= 1 { return blockedSum(self, n) }
        var partial = [Double](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { pp in
            let out = pp.baseAddress!
            Parallel.forEachBlock(count: n, blockSize: Tensor.reductionBlock) { b, r in
                out[b] = Double(simdSum(self + r.lowerBound, r.count))
            }
        }
        return partial.reduce(0, +)
    }
}

/// Σ of n contiguous floats: Float32 SIMD within blocks of `Tensor.reductionBlock`, Float64
/// across blocks (sequential; the same partition `parallelSum` uses).
func blockedSum(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < n {
        let m = Swift.min(Tensor.reductionBlock, n - start)
        total += Double(simdSum(x + start, m))
        start += m
    }
    return total
}

/// Σ (xᵢ − c)² of n contiguous floats, same blocking as `blockedSum`, parallel over blocks.
func blockedSum(_ x: UnsafePointer<Float>, _ n: Int, centeredSquaresAround c: Float) -> Double {
    let blocks = Parallel.blockCount(count: n, blockSize: Tensor.reductionBlock)
    var partial = [Double](repeating: 0, count: blocks)
    partial.withUnsafeMutableBufferPointer { pp in
        let out = pp.baseAddress!
        Parallel.forEachBlock(count: n, blockSize: Tensor.reductionBlock) { b, r in
            out[b] = Double(simdSumOfSquares(x + r.lowerBound, r.count, around: c))
        }
    }
    return partial.reduce(0, +)
}

/// Σ of n floats with 16 independent lanes (vectorizes; lane sums added at the end).
@inline(__always)
func simdSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    let vectors = n / 16
    let raw = UnsafeRawPointer(x)
    for v in 0..<vectors {
        acc += raw.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self)
    }
    var s = acc.sum()
    for i in (vectors * 16)..<n { s += x[i] }
    return s
}

/// Σ (xᵢ − c)² of n floats with 16 independent lanes.
@inline(__always)
func simdSumOfSquares(_ x: UnsafePointer<Float>, _ n: Int, around c: Float) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    let cv = SIMD16<Float>(repeating: c)
    let vectors = n / 16
    let raw = UnsafeRawPointer(x)
    for v in 0..<vectors {
        let d = raw.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self) - cv
        acc += d * d
    }
    var s = acc.sum()
    for i in (vectors * 16)..<n {
        let d = x[i] - c
        s += d * d
    }
    return s
}
