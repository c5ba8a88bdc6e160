import TensorCore

extension Variable {
    /// 2×2 max pooling, stride 2: `[N, C, H, W]` → `[N, C, ⌊H/2⌋, ⌊W/2⌋]`,
    /// `y[n, c, i, j] = max_{a,b ∈ {0,1}} x[n, c, 2i+a, 2j+b]` (a trailing odd row/column is
    /// dropped, as PyTorch). Backward routes each gradient to the arg-max (the first maximum in
    /// row-major order on ties).
    public func maxPooled2x2() -> Variable {
        let x = value
        precondition(x.rank == 4, "maxPool2x2: input must be NCHW, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (h / 2, w / 2)
        let outCount = n * c * oh * ow
        var argmax = [Int32](repeating: 0, count: outCount)
        let y = Tensor(shape: [n, c, oh, ow]) { out in
            x.withUnsafeBufferPointer { xp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    let (src, dst, arg) = (xp.baseAddress!, out.baseAddress!, ap.baseAddress!)
                    Parallel.forEachChunk(count: n * c, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, h * w))) { planes in
                        for p in planes {
                            for i in 0..<oh {
                                for j in 0..<ow {
                                    var best = p * h * w + 2 * i * w + 2 * j
                                    for (a, b) in [(0, 1), (1, 0), (1, 1)] {
                                        let idx = p * h * w + (2 * i + a) * w + 2 * j + b
                                        if src[idx] > src[best] { best = idx }
                                    }
                                    let o = (p * oh + i) * ow + j
                                    dst[o] = src[best]
                                    arg[o] = Int32(best - p * h * w)
                                }
                            }
                        }
                    }
                }
            }
        }
        let shape = x.shape
        return Variable.record(y, inputs: [self]) { g, _ in
            var dx = Tensor.zeros(shape)
            dx.withUnsafeMutableBufferPointer { dp in
                g.withUnsafeBufferPointer { gp in
                    for o in 0..<outCount {
                        let p = o / (oh * ow)
                        dp[p * h * w + Int(argmax[o])] += gp[o]
                    }
                }
            }
            return [dx]
        }
    }
}

/// 2×2 max pooling with stride 2 (no parameters): `[N, C, H, W]` → `[N, C, ⌊H/2⌋, ⌊W/2⌋]`.
public struct MaxPool2d: Layer {
    /// Creates the layer.
    public init() {}
    /// None.
    public var parameters: [Parameter] { [] }
    /// See ``Variable/maxPooled2x2()``.
    public func callAsFunction(_ input: Variable) -> Variable { input.maxPooled2x2() }
}
