/// Naive twins of the fast kernels: plain nested loops over multi-indices, single-threaded,
/// written to be obviously correct rather than fast. They define what the fast kernels must
/// compute, and the test suite checks that both agree (TensorCoreTests, "Reference agreement";
/// tolerances are stated there). Do not use them in training code: they are 10–1000× slower.
///
/// Sums accumulate in Float64 in index order, so they are also the accuracy yardstick.
public enum Reference {
    /// Converts a flat row-major offset into a multi-index for `shape`.
    public static func multiIndex(of offset: Int, in shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count)
        var rest = offset
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    /// Naive broadcasting binary op: for every output multi-index, each operand is read at
    /// the multi-index aligned on trailing axes with broadcast axes (extent 1) set to 0.
    /// Same result as ``Tensor/elementwise(_:_:_:)``, exactly (no rounding differs).
    public static func elementwise(_ op: BinaryOperation, _ a: Tensor, _ b: Tensor) -> Tensor {
        let outShape: [Int]
        do {
            outShape = try Tensor.broadcastShape(a.shape, b.shape, operation: op.name)
        } catch {
            preconditionFailure("\(error)")
        }
        func read(_ t: Tensor, _ index: [Int]) -> Float {
            let skip = index.count - t.rank
            var source: [Int] = []
            for axis in 0..<t.rank {
                source.append(t.shape[axis] == 1 ? 0 : index[axis + skip])
            }
            return t.scalars[t.offset(of: source)]
        }
        let count = Tensor.elementCount(of: outShape)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let index = multiIndex(of: i, in: outShape)
            values[i] = op.apply(read(a, index), read(b, index))
        }
        return Tensor(shape: outShape, scalars: values)
    }

    /// Naive unary map: `op.apply` on every element in order.
    public static func map(_ op: UnaryOperation, _ x: Tensor) -> Tensor {
        Tensor(shape: x.shape, scalars: x.scalars.map { op.apply($0) })
    }

    /// Naive sum over `axes` (Float64 accumulation in input order); result shape as
    /// ``Tensor/sum(axes:keepDims:)``.
    public static func sum(_ x: Tensor, axes: [Int], keepDims: Bool = false) -> Tensor {
        let normalized = try! Tensor.reducedShape(x.shape, axes: axes, keepDims: true).axes
        let outShape = try! Tensor.reducedShape(x.shape, axes: axes, keepDims: keepDims).shape
        return Tensor(shape: outShape, scalars: sum64(x, normalized).map { Float($0) })
    }

    /// Naive mean over `axes`: the Float64 sum divided by `Π shape[axes]`.
    public static func mean(_ x: Tensor, axes: [Int], keepDims: Bool = false) -> Tensor {
        let normalized = try! Tensor.reducedShape(x.shape, axes: axes, keepDims: true).axes
        let n = Double(normalized.reduce(1) { $0 * x.shape[$1] })
        let s = sum64(x, normalized)
        let outShape = try! Tensor.reducedShape(x.shape, axes: axes, keepDims: keepDims).shape
        return Tensor(shape: outShape, scalars: s.map { Float($0 / n) })
    }

    /// Naive population variance over `axes`: `(1/n) Σ (x − mean)²`, in Float64.
    public static func variance(_ x: Tensor, axes: [Int], keepDims: Bool = false) -> Tensor {
        let (keptShape, normalized) = try! Tensor.reducedShape(x.shape, axes: axes, keepDims: true)
        let n = Double(normalized.reduce(1) { $0 * x.shape[$1] })
        let means = sum64(x, normalized).map { $0 / n }
        var acc = [Double](repeating: 0, count: means.count)
        for i in 0..<x.count {
            var index = multiIndex(of: i, in: x.shape)
            for a in normalized { index[a] = 0 }
            var o = 0
            for axis in 0..<index.count { o = o * keptShape[axis] + index[axis] }
            let d = Double(x.scalars[i]) - means[o]
            acc[o] += d * d
        }
        let outShape = try! Tensor.reducedShape(x.shape, axes: axes, keepDims: keepDims).shape
        return Tensor(shape: outShape, scalars: acc.map { Float($0 / n) })
    }

    private static func sum64(_ x: Tensor, _ normalized: [Int]) -> [Double] {
        let keptShape = try! Tensor.reducedShape(x.shape, axes: normalized, keepDims: true).shape
        var acc = [Double](repeating: 0, count: Tensor.elementCount(of: keptShape))
        for i in 0..<x.count {
            var index = multiIndex(of: i, in: x.shape)
            for a in normalized { index[a] = 0 }
            var o = 0
            for axis in 0..<index.count { o = o * keptShape[axis] + index[axis] }
            acc[o] += Double(x.scalars[i])
        }
        return acc
    }

    /// Naive matrix product `op(a) · op(b)`: the triple loop `out[i, j] = Σ_p op(a)[i, p] · op(b)[p, j]`
    /// with Float64 accumulation.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false)
        -> Tensor
    {
        let outShape = try! Tensor.matmulShape(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
        let m = outShape[0], n = outShape[1], k = transposeA ? a.shape[0] : a.shape[1]
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p, i] : a[i, p]
                    let y = transposeB ? b[j, p] : b[p, j]
                    s += Double(x) * Double(y)
                }
                out[i * n + j] = Float(s)
            }
        }
        return Tensor(shape: outShape, scalars: out)
    }

    /// Naive im2col of one image `[C, H, W]`: `cols[(c·kH+ky)·kW+kx, oy·outW+ox] =
    /// x[c, oy·sY − pY + ky·dY, ox·sX − pX + kx·dX]`, 0 outside the image.
    public static func im2col(_ image: Tensor, geometry g: Conv2DGeometry) -> Tensor {
        try! g.validate()
        let outH = g.outputHeight, outW = g.outputWidth
        var cols = Tensor.zeros([g.columnRows, outH * outW])
        for c in 0..<g.channels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            let iy = oy * g.strideY - g.paddingY + ky * g.dilationY
                            let ix = ox * g.strideX - g.paddingX + kx * g.dilationX
                            if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                                cols[row, oy * outW + ox] = image.scalars[(c * g.height + iy) * g.width + ix]
                            }
                        }
                    }
                }
            }
        }
        return cols
    }

    /// Naive col2im: starting from zeros `[C, H, W]`, adds every in-image column entry back to
    /// the pixel im2col read it from (the adjoint of ``im2col(_:geometry:)``).
    public static func col2im(_ columns: Tensor, geometry g: Conv2DGeometry) -> Tensor {
        try! g.validate()
        let outH = g.outputHeight, outW = g.outputWidth
        var image = Tensor.zeros([g.channels, g.height, g.width])
        for c in 0..<g.channels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            let iy = oy * g.strideY - g.paddingY + ky * g.dilationY
                            let ix = ox * g.strideX - g.paddingX + kx * g.dilationX
                            if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                                image[c, iy, ix] += columns[row, oy * outW + ox]
                            }
                        }
                    }
                }
            }
        }
        return image
    }

    /// Naive direct convolution (seven nested loops, Float64 accumulation):
    /// `y[n, co, oy, ox] = b[co] + Σ_{ci,ky,kx} w[co, ci, ky, kx] · x[n, ci, oy·s − p + ky·d, ox·s − p + kx·d]`.
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1
    ) -> Tensor {
        let outShape = try! Convolution.outputShape(
            input: input.shape, weight: weight.shape, bias: bias?.shape, stride: stride,
            padding: padding, dilation: dilation)
        let (batch, cout, outH, outW) = (outShape[0], outShape[1], outShape[2], outShape[3])
        let (cin, h, w) = (input.shape[1], input.shape[2], input.shape[3])
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        var out = [Float](repeating: 0, count: Tensor.elementCount(of: outShape))
        for n in 0..<batch {
            for co in 0..<cout {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var s = Double(bias?.scalars[co] ?? 0)
                        for ci in 0..<cin {
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let iy = oy * stride - padding + ky * dilation
                                    let ix = ox * stride - padding + kx * dilation
                                    if iy >= 0 && iy < h && ix >= 0 && ix < w {
                                        s += Double(weight[co, ci, ky, kx]) * Double(input[n, ci, iy, ix])
                                    }
                                }
                            }
                        }
                        out[((n * cout + co) * outH + oy) * outW + ox] = Float(s)
                    }
                }
            }
        }
        return Tensor(shape: outShape, scalars: out)
    }

    /// Sequential random tensor: draws blocks one after another from a ``PhiloxGenerator``
    /// and keeps the first `count` values — the single-threaded definition that
    /// ``Tensor/random(_:distribution:seed:stream:)`` must reproduce bit for bit.
    public static func random(
        _ shape: [Int], distribution: RandomDistribution, seed: UInt64, stream: UInt64 = 0
    ) -> Tensor {
        var generator = PhiloxGenerator(seed: seed, stream: stream)
        let n = Tensor.elementCount(of: shape)
        var values: [Float] = []
        values.reserveCapacity(n + 3)
        while values.count < n {
            let v = distribution.values(generator.nextBlock())
            values.append(contentsOf: [v.x, v.y, v.z, v.w])
        }
        return Tensor(shape: shape, scalars: Array(values.prefix(n)))
    }

    /// Naive reflection padding: `y[.., i, j] = x[.., r(i − p), r(j − p)]`, `r(k) = |k|` mirrored at `n − 1`.
    public static func reflectionPad(_ x: Tensor, padding p: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        func r(_ k: Int, _ m: Int) -> Int { k < 0 ? -k : (k >= m ? 2 * (m - 1) - k : k) }
        var out = Tensor.zeros([n, c, h + 2 * p, w + 2 * p])
        for a in 0..<n { for b in 0..<c { for i in 0..<(h + 2 * p) { for j in 0..<(w + 2 * p) {
            out[a, b, i, j] = x[a, b, r(i - p, h), r(j - p, w)]
        } } } }
        return out
    }
}
