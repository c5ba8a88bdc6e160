import TensorCore

/// Naive, single-threaded twins of NN's fast kernels (direct loops, Float64 accumulation),
/// for tests. They extend TensorCore's ``Reference``.
extension Reference {
    /// Direct-loop gradients of `y = conv2d(x, w, b)` (stride s, zero padding p) given `dy`:
    /// `∂x[n,ci,iy,ix] = Σ dy[n,co,oy,ox]·w[co,ci,ky,kx]` over taps with `iy = oy·s − p + ky`,
    /// `∂w[co,ci,ky,kx] = Σ_{n,oy,ox} dy[n,co,oy,ox]·x[n,ci,iy,ix]`, `∂b[co] = Σ dy[n,co,·,·]`.
    public static func conv2dBackward(
        input x: Tensor, weight w: Tensor, outputGradient dy: Tensor, stride s: Int, padding p: Int
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let (batch, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let (oh, ow) = (dy.shape[2], dy.shape[3])
        var dx = [Double](repeating: 0, count: x.count)
        var dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: cout)
        for n in 0..<batch {
            for co in 0..<cout {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let g = Double(dy[n, co, oy, ox])
                        db[co] += g
                        for ci in 0..<cin {
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let iy = oy * s - p + ky, ix = ox * s - p + kx
                                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                    dx[((n * cin + ci) * h + iy) * wd + ix] += g * Double(w[co, ci, ky, kx])
                                    dw[((co * cin + ci) * kh + ky) * kw + kx] += g * Double(x[n, ci, iy, ix])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: x.shape, scalars: dx.map { Float($0) }),
                Tensor(shape: w.shape, scalars: dw.map { Float($0) }),
                Tensor(shape: [cout], scalars: db.map { Float($0) }))
    }

    /// Naive scatter definition of the transposed convolution: `x` `[N, Cin, H, W]`, `w`
    /// `[Cin, Cout, kH, kW]` → `y[n, co, iy·s − p + ky, ix·s − p + kx] += x[n, ci, iy, ix]·w[ci, co, ky, kx]`
    /// (targets outside the output dropped), plus `b[co]`; output extents `(H−1)s − 2p + kH + op`.
    public static func convTranspose2d(
        _ x: Tensor, weight w: Tensor, bias: Tensor?, stride s: Int, padding p: Int, outputPadding op: Int
    ) -> Tensor {
        let (batch, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let (oh, ow) = ((h - 1) * s - 2 * p + kh + op, (wd - 1) * s - 2 * p + kw + op)
        var y = [Double](repeating: 0, count: batch * cout * oh * ow)
        for n in 0..<batch {
            for ci in 0..<cin {
                for iy in 0..<h {
                    for ix in 0..<wd {
                        let v = Double(x[n, ci, iy, ix])
                        for co in 0..<cout {
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let oy = iy * s - p + ky, ox = ix * s - p + kx
                                    guard oy >= 0, oy < oh, ox >= 0, ox < ow else { continue }
                                    y[((n * cout + co) * oh + oy) * ow + ox] += v * Double(w[ci, co, ky, kx])
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            for n in 0..<batch { for co in 0..<cout { for i in 0..<(oh * ow) { y[(n * cout + co) * oh * ow + i] += Double(bias[co]) } } }
        }
        return Tensor(shape: [batch, cout, oh, ow], scalars: y.map { Float($0) })
    }

    /// Naive bilinear ×2 upsampling with align_corners=false, written from PyTorch's definition:
    /// source coordinate `s = max(0, (o + 0.5)·(1/2) − 0.5)`, neighbours `⌊s⌋` and `min(⌊s⌋+1, n−1)`.
    public static func upsampleBilinear2x(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out = Tensor.zeros([n, c, 2 * h, 2 * w])
        func taps(_ o: Int, _ m: Int) -> (Int, Int, Double) {
            let s = max(0, (Double(o) + 0.5) * 0.5 - 0.5)
            let i0 = Int(s.rounded(.down))
            return (i0, min(i0 + 1, m - 1), s - Double(i0))
        }
        for a in 0..<n { for b in 0..<c { for i in 0..<(2 * h) { for j in 0..<(2 * w) {
            let (y0, y1, ly) = taps(i, h), (x0, x1, lx) = taps(j, w)
            let v = (1 - ly) * ((1 - lx) * Double(x[a, b, y0, x0]) + lx * Double(x[a, b, y0, x1]))
                + ly * ((1 - lx) * Double(x[a, b, y1, x0]) + lx * Double(x[a, b, y1, x1]))
            out[a, b, i, j] = Float(v)
        } } } }
        return out
    }
}
