import TensorCore

/// ×2 upsampling modes.
public enum Upsampling: Sendable, Equatable {
    /// Each pixel repeated 2×2: `y[.., i, j] = x[.., ⌊i/2⌋, ⌊j/2⌋]`.
    case nearest
    /// Bilinear with PyTorch's `align_corners=False` semantics: output index `o` samples source
    /// coordinate `s = max(0, (o + 0.5)/2 − 0.5)`, between `i₀ = ⌊s⌋` and `i₁ = min(i₀ + 1, n − 1)`
    /// with weights `1 − λ`, `λ = s − i₀` (separably in y and x); edges are clamped.
    case bilinear
}

/// ×2 upsampling kernels on NCHW tensors (forward and adjoint).
public enum UpsamplingKernels {
    /// Per output index along an axis of input extent `n`: `(i₀, i₁, λ)` for bilinear ×2.
    static func bilinearTaps(_ n: Int) -> [(Int, Int, Float)] {
        (0..<(2 * n)).map { o in
            let s = max(0, (Float(o) + 0.5) * 0.5 - 0.5)
            let i0 = min(Int(s), n - 1)
            return (i0, min(i0 + 1, n - 1), s - Float(i0))
        }
    }

    /// `x` `[N, C, H, W]` → `[N, C, 2H, 2W]` in `mode`.
    public static func forward(_ x: Tensor, mode: Upsampling) -> Tensor {
        precondition(x.rank == 4, "upsample: input must be NCHW, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (2 * h, 2 * w)
        let ty = bilinearTaps(h), tx = bilinearTaps(w)
        return Tensor(shape: [n, c, oh, ow]) { out in
            x.withUnsafeBufferPointer { xp in
                let (src, dst) = (xp.baseAddress!, out.baseAddress!)
                Parallel.forEachChunk(count: n * c, minimumChunk: max(1, Parallel.defaultMinimumChunk / (oh * ow))) { planes in
                    for p in planes {
                        let sp = src + p * h * w, dp = dst + p * oh * ow
                        for i in 0..<oh {
                            let row = dp + i * ow
                            switch mode {
                            case .nearest:
                                let s = sp + (i / 2) * w
                                for j in 0..<ow { row[j] = s[j / 2] }
                            case .bilinear:
                                let (y0, y1, ly) = ty[i]
                                let r0 = sp + y0 * w, r1 = sp + y1 * w
                                for j in 0..<ow {
                                    let (x0, x1, lx) = tx[j]
                                    let top = (1 - lx) * r0[x0] + lx * r0[x1]
                                    let bottom = (1 - lx) * r1[x0] + lx * r1[x1]
                                    row[j] = (1 - ly) * top + ly * bottom
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of ``forward(_:mode:)``: `g` `[N, C, 2H, 2W]` → `[N, C, H, W]`, each output
    /// gradient distributed back with the forward's weights.
    public static func backward(_ g: Tensor, mode: Upsampling) -> Tensor {
        let (n, c, oh, ow) = (g.shape[0], g.shape[1], g.shape[2], g.shape[3])
        let (h, w) = (oh / 2, ow / 2)
        let ty = bilinearTaps(h), tx = bilinearTaps(w)
        var dx = Tensor.zeros([n, c, h, w])
        dx.withUnsafeMutableBufferPointer { dp in
            g.withUnsafeBufferPointer { gp in
                let (dst, src) = (dp.baseAddress!, gp.baseAddress!)
                Parallel.forEachChunk(count: n * c, minimumChunk: max(1, Parallel.defaultMinimumChunk / (oh * ow))) { planes in
                    for p in planes {
                        let sp = src + p * oh * ow, d = dst + p * h * w
                        for i in 0..<oh {
                            let row = sp + i * ow
                            switch mode {
                            case .nearest:
                                let r = d + (i / 2) * w
                                for j in 0..<ow { r[j / 2] += row[j] }
                            case .bilinear:
                                let (y0, y1, ly) = ty[i]
                                let r0 = d + y0 * w, r1 = d + y1 * w
                                for j in 0..<ow {
                                    let (x0, x1, lx) = tx[j]
                                    let v = row[j]
                                    r0[x0] += (1 - ly) * (1 - lx) * v
                                    r0[x1] += (1 - ly) * lx * v
                                    r1[x0] += ly * (1 - lx) * v
                                    r1[x1] += ly * lx * v
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}

extension Variable {
    /// ×2 upsampling: `[N, C, H, W]` → `[N, C, 2H, 2W]` (see ``Upsampling``).
    public func upsampled(_ mode: Upsampling) -> Variable {
        Variable.record(UpsamplingKernels.forward(value, mode: mode), inputs: [self]) { g, _ in
            [UpsamplingKernels.backward(g, mode: mode)]
        }
    }
}

/// ×2 upsampling layer (no parameters): `[N, C, H, W]` → `[N, C, 2H, 2W]`.
public struct Upsample: Layer {
    /// Nearest or bilinear (align_corners=false).
    public var mode: Upsampling
    /// Creates the layer.
    public init(_ mode: Upsampling) { self.mode = mode }
    /// None.
    public var parameters: [Parameter] { [] }
    /// See ``Variable/upsampled(_:)``.
    public func callAsFunction(_ input: Variable) -> Variable { input.upsampled(mode) }
}
