import TensorCore

/// The algorithm ``Variable/conv2d(_:weight:bias:stride:padding:paddingMode:algorithm:)`` uses.
///
/// ``automatic`` picks by geometry (``resolved(inputChannels:outputChannels:kernel:stride:padding:)``):
/// * 3×3, stride 1, padding ≤ 2, at least 8 input and output channels → Winograd `F(4×4,3×3)`
///   (forward, input gradient and weight gradient);
/// * stride 1, at most 4 output channels, kernel ≥ 2 → the direct kernel
///   (``DirectConvolution``), e.g. the generator's 7×7 64 → 1 output layer, where im2col + sgemm
///   would be a one-row GEMM (≈ 2 GFLOP/s);
/// * otherwise im2col + sgemm.
///
/// The other cases force one algorithm (tests compare them); a forced algorithm that does not
/// apply to the geometry falls back to im2col.
public enum ConvolutionAlgorithm: Sendable, Hashable {
    /// Choose by geometry.
    case automatic
    /// Banded im2col + sgemm (TensorCore's `Tensor.conv2d`, NN's `conv2dBackward`).
    case im2col
    /// Winograd for 3×3 stride-1 convolutions (TensorCore's `Winograd`).
    case winograd(WinogradVariant)
    /// Direct loops for few output channels, stride 1 (``DirectConvolution``).
    case direct

    /// The concrete algorithm for a geometry (never ``automatic``).
    public func resolved(inputChannels cin: Int, outputChannels cout: Int, kernel: Int, stride: Int, padding: Int) -> ConvolutionAlgorithm {
        let winogradFits = kernel == 3 && stride == 1 && padding <= 2
        let directFits = stride == 1 && kernel >= 1 && padding <= kernel - 1
        switch self {
        case .automatic:
            if winogradFits && cin >= 8 && cout >= 8 { return .winograd(.f4x4) }
            if directFits && cout <= 4 && kernel >= 2 { return .direct }
            return .im2col
        case .winograd: return winogradFits ? self : .im2col
        case .direct: return directFits ? .direct : .im2col
        case .im2col: return .im2col
        }
    }
}

/// Direct convolution for stride 1 and few output channels (the generator's 7×7 64 → 1 output
/// layer, the PatchGAN's 4×4 512 → 1 head), forward and backward, on NCHW tensors.
///
/// Forward, per image, in blocks of `R` output rows (parallel over blocks):
/// `y[co, oy, ox] = b[co] + Σ_{ci,ky,kx} w[co, ci, ky, kx] · x̃[ci, oy + ky, ox + kx]` where `x̃`
/// is the input padded by `p` (zeros or reflection). Each padded input row is built once per
/// block in a scratch row (so padding costs no image copy) and swept by `SIMD16` loops over
/// `ox` with the `kW` taps of one kernel row: reads are cache-resident, memory traffic is one
/// pass over the input per block. Naive twin: `Reference.conv2d` (with `Reference.reflectionPad`).
///
/// Backward: the input gradient is the same kernel on `dy` with the flipped, transposed weight
/// (`w'[ci, co, ky, kx] = w[co, ci, k−1−ky, k−1−kx]`, padding `k − 1 − p`); for reflection the
/// gradient of the padded input is computed (padding `k − 1`) and folded back by
/// ``ReflectionPadding/backward(_:padding:)``. The weight gradient is a direct sum of row dot
/// products `∂w[co, ci, ky, kx] = Σ_{oy,ox} dy[co, oy, ox] · x̃[ci, oy + ky, ox + kx]`, parallel
/// over input channels. Naive twin: `Reference.conv2dBackward`.
public enum DirectConvolution {
    typealias V16 = SIMD16<Float>

    /// Forward (stride 1, dilation 1): `x` `[N, Cin, H, W]`, `w` `[Cout, Cin, kH, kW]`, `b` `[Cout]`
    /// → `[N, Cout, H + 2p − kH + 1, W + 2p − kW + 1]`.
    public static func forward(_ x: Tensor, weight w: Tensor, bias: Tensor?, padding p: Int, border: BorderMode) -> Tensor {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        precondition(w.shape[1] == cin, "directConv2d: input has \(cin) channels but weight \(w.shape) expects \(w.shape[1])")
        precondition(border == .zero || (p < h && p < wd), "directConv2d: reflection padding \(p) must be < H=\(h) and < W=\(wd)")
        let outH = h + 2 * p - kh + 1, outW = wd + 2 * p - kw + 1
        precondition(outH >= 1 && outW >= 1, "directConv2d: kernel \(kh)x\(kw) does not fit \(h)x\(wd) with padding \(p)")
        let outWPad = ((outW + 15) / 16) * 16
        let rowWidth = outWPad + kw + 16
        let blockRows = Swift.max(1, Swift.min(16, 16384 / Swift.max(1, cout * outWPad)))
        let blocks = (outH + blockRows - 1) / blockRows
        return Tensor(shape: [n, cout, outH, outW]) { out in
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    let biasValues = bias?.scalars
                    for image in 0..<n {
                        let src = xp.baseAddress! + image * cin * h * wd
                        let dst = out.baseAddress! + image * cout * outH * outW
                        Parallel.forEachChunk(count: blocks, minimumChunk: 1) { range in
                            let rows = UnsafeMutablePointer<Float>.allocate(capacity: (blockRows + kh - 1) * rowWidth)
                            let acc = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * cout * outWPad)
                            defer { rows.deallocate(); acc.deallocate() }
                            for block in range {
                                let oy0 = block * blockRows, oy1 = Swift.min(outH, oy0 + blockRows)
                                let r = oy1 - oy0
                                for i in 0..<(r * cout) {
                                    (acc + i * outWPad).update(repeating: biasValues?[i % cout] ?? 0, count: outWPad)
                                }
                                for ci in 0..<cin {
                                    let plane = src + ci * h * wd
                                    var present = [Bool](repeating: false, count: r + kh - 1)
                                    for ir in 0..<(r + kh - 1) {
                                        present[ir] = Winograd.fillPaddedRow(plane, height: h, width: wd, row: oy0 + ir - p, padding: p, border: border,
                                                                                     into: rows + ir * rowWidth, count: rowWidth)
                                    }
                                    for ry in 0..<r {
                                        for ky in 0..<kh where present[ry + ky] {
                                            let row = rows + (ry + ky) * rowWidth
                                            for co in 0..<cout {
                                                let taps = wp.baseAddress! + ((co * cin + ci) * kh + ky) * kw
                                                accumulate(acc + (ry * cout + co) * outWPad, row, taps, kw, outWPad)
                                            }
                                        }
                                    }
                                }
                                for ry in 0..<r {
                                    for co in 0..<cout {
                                        (dst + (co * outH + oy0 + ry) * outW).update(from: acc + (ry * cout + co) * outWPad, count: outW)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `acc[ox] += Σ_kx taps[kx] · row[ox + kx]` for `ox < width` (a multiple of 16).
    @inline(__always)
    static func accumulate(_ acc: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, _ taps: UnsafePointer<Float>, _ k: Int, _ width: Int) {
        let rawRow = UnsafeRawPointer(row)
        let rawAcc = UnsafeMutableRawPointer(acc)
        var ox = 0
        while ox < width {
            var s = rawAcc.load(fromByteOffset: 4 * ox, as: V16.self)
            for kx in 0..<k {
                s += taps[kx] * rawRow.loadUnaligned(fromByteOffset: 4 * (ox + kx), as: V16.self)
            }
            rawAcc.storeBytes(of: s, toByteOffset: 4 * ox, as: V16.self)
            ox += 16
        }
    }

    /// The flipped, transposed weight `w'[ci, co, ky, kx] = w[co, ci, kH−1−ky, kW−1−kx]`
    /// (`[Cin, Cout, kH, kW]`): the kernel of the input-gradient convolution.
    public static func flippedTransposed(_ w: Tensor) -> Tensor {
        let (cout, cin, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        return Tensor(shape: [cin, cout, kh, kw]) { out in
            w.withUnsafeBufferPointer { src in
                for co in 0..<cout {
                    for ci in 0..<cin {
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                out[((ci * cout + co) * kh + ky) * kw + kx] = src[((co * cin + ci) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)]
                            }
                        }
                    }
                }
            }
        }
    }

    /// Weight gradient `∂w[co, ci, ky, kx] = Σ_{n,oy,ox} dy[n, co, oy, ox] · x̃[n, ci, oy + ky, ox + kx]`
    /// (stride 1), `x̃` the input padded by `p` per `border`; `[Cout, Cin, kH, kW]`.
    public static func weightGradient(input x: Tensor, outputGradient dy: Tensor, kernelHeight kh: Int, kernelWidth kw: Int,
                                      padding p: Int, border: BorderMode) -> Tensor {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, outH, outW) = (dy.shape[1], dy.shape[2], dy.shape[3])
        let outWPad = ((outW + 15) / 16) * 16
        let rowWidth = outWPad + kw + 16
        var dw = [Float](repeating: 0, count: cout * cin * kh * kw)
        // dy rows zero-padded to a multiple of 16 so the SIMD dot products need no tail.
        let dyPadded = UnsafeMutablePointer<Float>.allocate(capacity: n * cout * outH * outWPad)
        defer { dyPadded.deallocate() }
        dy.withUnsafeBufferPointer { g in
            for r in 0..<(n * cout * outH) {
                (dyPadded + r * outWPad).update(from: g.baseAddress! + r * outW, count: outW)
                (dyPadded + r * outWPad + outW).update(repeating: 0, count: outWPad - outW)
            }
        }
        x.withUnsafeBufferPointer { xp in
            dw.withUnsafeMutableBufferPointer { dwp in
                let dwBase = dwp.baseAddress!
                Parallel.forEachChunk(count: cin, minimumChunk: 1) { channels in
                    let row = UnsafeMutablePointer<Float>.allocate(capacity: rowWidth)
                    var sums = [Double](repeating: 0, count: cout * kh * kw)
                    defer { row.deallocate() }
                    for ci in channels {
                        for i in 0..<sums.count { sums[i] = 0 }
                        for image in 0..<n {
                            let plane = xp.baseAddress! + (image * cin + ci) * h * wd
                            for ir in 0..<(outH + kh - 1) {
                                guard Winograd.fillPaddedRow(plane, height: h, width: wd, row: ir - p, padding: p, border: border,
                                                             into: row, count: rowWidth) else { continue }
                                for ky in 0..<kh {
                                    let oy = ir - ky
                                    guard oy >= 0 && oy < outH else { continue }
                                    for co in 0..<cout {
                                        let g = dyPadded + ((image * cout + co) * outH + oy) * outWPad
                                        for kx in 0..<kw {
                                            sums[(co * kh + ky) * kw + kx] += Double(dot(g, row + kx, outWPad))
                                        }
                                    }
                                }
                            }
                        }
                        for co in 0..<cout {
                            for t in 0..<(kh * kw) { dwBase[(co * cin + ci) * kh * kw + t] = Float(sums[co * kh * kw + t]) }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [cout, cin, kh, kw], scalars: dw)
    }

    /// `Σ_{i<width} a[i]·b[i]` with `SIMD16` partial sums (`width` a multiple of 16).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ width: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s = V16()
        var i = 0
        while i < width {
            s += ra.loadUnaligned(fromByteOffset: 4 * i, as: V16.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: V16.self)
            i += 16
        }
        return s.sum()
    }

    /// Gradients of ``forward(_:weight:bias:padding:border:)`` given `dy`; only the requested ones.
    public static func backward(
        input x: Tensor, weight w: Tensor, outputGradient dy: Tensor, padding p: Int, border: BorderMode,
        needInput: Bool, needWeight: Bool, needBias: Bool
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let (kh, kw) = (w.shape[2], w.shape[3])
        var dx: Tensor? = nil
        if needInput {
            precondition(kh == kw, "directConv2d backward: square kernels only, got \(kh)x\(kw)")
            let wt = flippedTransposed(w)
            switch border {
            case .zero:
                dx = forward(dy, weight: wt, bias: nil, padding: kh - 1 - p, border: .zero)
            case .reflect:
                dx = ReflectionPadding.backward(forward(dy, weight: wt, bias: nil, padding: kh - 1, border: .zero), padding: p)
            }
        }
        let dw = needWeight ? weightGradient(input: x, outputGradient: dy, kernelHeight: kh, kernelWidth: kw, padding: p, border: border) : nil
        return (dx, dw, needBias ? dy.sum(axes: [0, 2, 3]) : nil)
    }
}

/// Winograd convolution with its gradients (3×3, stride 1).
public enum WinogradConvolution {
    /// Gradients of `Tensor.winogradConv2d(x, weight: w, padding: p, border:)` given `dy`:
    /// input gradient by Winograd on `dy` with the flipped, transposed weight (padding `2 − p`;
    /// for reflection padding `2` on the padded grid, then folded back); weight gradient by
    /// Winograd too (`Tensor.winogradConv2dWeightGradient`: `Gᵀ [Σ_t (A dY_t Aᵀ) ⊙ (Bᵀ d_t B)] G`,
    /// the padding read in place); bias gradient by sums. The im2col path
    /// (``ConvolutionKernels/conv2dBackward(input:weight:outputGradient:stride:padding:needInput:needWeight:needBias:workspaceBytes:)``)
    /// is the twin the tests compare with.
    public static func backward(
        input x: Tensor, weight w: Tensor, outputGradient dy: Tensor, padding p: Int, border: BorderMode,
        variant: WinogradVariant, needInput: Bool, needWeight: Bool, needBias: Bool
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        var dx: Tensor? = nil
        if needInput {
            switch border {
            case .zero:
                dx = Tensor.winogradConv2d(dy, weight: w, padding: 2 - p, border: .zero, variant: variant, adjoint: true)
            case .reflect:
                dx = ReflectionPadding.backward(
                    Tensor.winogradConv2d(dy, weight: w, padding: 2, border: .zero, variant: variant, adjoint: true), padding: p)
            }
        }
        let dw = needWeight
            ? Tensor.winogradConv2dWeightGradient(x, outputGradient: dy, padding: p, border: border, variant: variant)
            : nil
        let db = needBias ? dy.sum(axes: [0, 2, 3]) : nil
        return (dx, dw, db)
    }
}
