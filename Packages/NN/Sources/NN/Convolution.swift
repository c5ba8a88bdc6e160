import TensorCore

/// Convolution kernels for training: forward (TensorCore's banded im2col + sgemm), backward
/// (weight gradient via im2col + sgemm, input gradient via sgemm + col2im, bias gradient via
/// sums), and the transposed convolution, which is the adjoint of a strided convolution.
///
/// All passes work per image in bands of output rows whose column workspace fits
/// `Convolution.defaultWorkspaceBytes` (2 MiB per thread), so memory stays bounded for large
/// images. Naive twins: `Reference.conv2dBackward` and `Reference.convTranspose2d` (NN's
/// extension of TensorCore's `Reference`).
public enum ConvolutionKernels {
    static func geometry(input: [Int], weight: [Int], stride: Int, padding: Int) -> Conv2DGeometry {
        Conv2DGeometry(channels: input[1], height: input[2], width: input[3],
                       kernelHeight: weight[2], kernelWidth: weight[3], stride: stride, padding: padding)
    }

    /// Gradients of `y = conv2d(x, w, b)` (stride `s`, zero padding `p`), given `dy = ∂L/∂y`
    /// `[N, Cout, outH, outW]`. With `X_n = im2col(x_n)` `[K, outH·outW]` and `W` `[Cout, K]`:
    /// `∂L/∂W = Σ_n dY_n · X_nᵀ`, `∂L/∂x_n = col2im(Wᵀ · dY_n)`, `∂L/∂b = Σ_{n,oy,ox} dy`.
    /// Only the requested gradients are computed (nil otherwise). `workspaceBytes` bounds the
    /// column workspace as in TensorCore's `conv2d` (default `Convolution.defaultWorkspaceBytes`;
    /// at least one output row per band).
    public static func conv2dBackward(
        input x: Tensor, weight w: Tensor, outputGradient dy: Tensor, stride: Int, padding: Int,
        needInput: Bool, needWeight: Bool, needBias: Bool, workspaceBytes: Int? = nil
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let g = geometry(input: x.shape, weight: w.shape, stride: stride, padding: padding)
        let (batch, cout) = (x.shape[0], w.shape[0])
        let (outH, outW, k) = (g.outputHeight, g.outputWidth, g.columnRows)
        precondition(dy.shape == [batch, cout, outH, outW], "conv2dBackward: gradient shape \(dy.shape), expected \([batch, cout, outH, outW])")
        let plane = outH * outW, imageSize = g.channels * g.height * g.width
        let rowsPerBand = Convolution.rowsPerBand(geometry: g, workspaceBytes: workspaceBytes ?? Convolution.defaultWorkspaceBytes)
        let workspace = UnsafeMutablePointer<Float>.allocate(
            capacity: max(1, Convolution.workspaceCount(geometry: g, rowsPerBand: rowsPerBand)))
        defer { workspace.deallocate() }
        var dx = [Float](repeating: 0, count: needInput ? x.count : 0)
        var dw = [Float](repeating: 0, count: needWeight ? w.count : 0)
        let bands = (outH + rowsPerBand - 1) / rowsPerBand
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                dy.withUnsafeBufferPointer { dyp in
                    dx.withUnsafeMutableBufferPointer { dxp in
                        dw.withUnsafeMutableBufferPointer { dwp in
                            for n in 0..<batch {
                                for band in 0..<bands {
                                    let top = outH * band / bands
                                    let rows = top..<(outH * (band + 1) / bands)
                                    let cols = rows.count * outW
                                    let dyBand = dyp.baseAddress! + n * cout * plane + top * outW
                                    if needWeight {
                                        Im2Col.im2col(image: xp.baseAddress! + n * imageSize, geometry: g, rows: rows,
                                                      columns: workspace, ldColumns: cols)
                                        BLAS.sgemm(transposeB: true, m: cout, n: k, k: cols, a: dyBand, lda: plane,
                                                   b: workspace, ldb: cols, beta: 1, c: dwp.baseAddress!, ldc: k)
                                    }
                                    if needInput {
                                        BLAS.sgemm(transposeA: true, m: k, n: cols, k: cout, a: wp.baseAddress!, lda: k,
                                                   b: dyBand, ldb: plane, beta: 0, c: workspace, ldc: cols)
                                        Im2Col.col2im(columns: workspace, geometry: g, rows: rows,
                                                      image: dxp.baseAddress! + n * imageSize, ldColumns: cols)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (needInput ? Tensor(shape: x.shape, scalars: dx) : nil,
                needWeight ? Tensor(shape: w.shape, scalars: dw) : nil,
                needBias ? dy.sum(axes: [0, 2, 3]) : nil)
    }

    /// Output shape of a transposed convolution: `x` `[N, Cin, H, W]`, `w` `[Cin, Cout, kH, kW]` →
    /// `[N, Cout, (H−1)·s − 2p + kH + op, (W−1)·s − 2p + kW + op]`.
    public static func convTranspose2dShape(input: [Int], weight: [Int], stride: Int, padding: Int, outputPadding: Int) -> [Int] {
        precondition(input.count == 4 && weight.count == 4 && input[1] == weight[0],
                     "convTranspose2d: input \(input) and weight \(weight) (expected [Cin, Cout, kH, kW]) do not match")
        precondition(outputPadding >= 0 && outputPadding < stride, "convTranspose2d: output padding \(outputPadding) must be in 0..<stride \(stride)")
        return [input[0], weight[1], (input[2] - 1) * stride - 2 * padding + weight[2] + outputPadding,
                (input[3] - 1) * stride - 2 * padding + weight[3] + outputPadding]
    }

    /// The geometry of the strided convolution whose adjoint the transposed convolution is:
    /// it maps the `[Cout, outH, outW]` output back to `[Cin, H, W]` input extents.
    static func transposeGeometry(outputShape o: [Int], weight: [Int], stride: Int, padding: Int) -> Conv2DGeometry {
        Conv2DGeometry(channels: o[1], height: o[2], width: o[3], kernelHeight: weight[2], kernelWidth: weight[3],
                       stride: stride, padding: padding)
    }

    /// Transposed convolution (PyTorch `ConvTranspose2d`): `x` `[N, Cin, H, W]`, `w`
    /// `[Cin, Cout, kH, kW]`, optional `b` `[Cout]` →
    /// `y[n, co, iy·s − p + ky, ix·s − p + kx] += Σ_ci x[n, ci, iy, ix] · w[ci, co, ky, kx]`, plus `b[co]`.
    /// It is the adjoint (input gradient) of the stride-`s` convolution with the same weight:
    /// per image `y_n = col2im(Wᵀ · X_n)` with `W` `[Cin, Cout·kH·kW]`, in bands of input rows.
    public static func convTranspose2d(
        _ x: Tensor, weight w: Tensor, bias: Tensor?, stride: Int, padding: Int, outputPadding: Int, workspaceBytes: Int? = nil
    ) -> Tensor {
        let outShape = convTranspose2dShape(input: x.shape, weight: w.shape, stride: stride, padding: padding, outputPadding: outputPadding)
        let g = transposeGeometry(outputShape: outShape, weight: w.shape, stride: stride, padding: padding)
        precondition(g.outputHeight == x.shape[2] && g.outputWidth == x.shape[3], "convTranspose2d: inconsistent geometry \(g)")
        let (batch, cin, k) = (x.shape[0], x.shape[1], g.columnRows)
        let inPlane = x.shape[2] * x.shape[3], outImage = outShape[1] * outShape[2] * outShape[3]
        let outW = g.outputWidth
        let rowsPerBand = Convolution.rowsPerBand(geometry: g, workspaceBytes: workspaceBytes ?? Convolution.defaultWorkspaceBytes)
        let workspace = UnsafeMutablePointer<Float>.allocate(
            capacity: max(1, Convolution.workspaceCount(geometry: g, rowsPerBand: rowsPerBand)))
        defer { workspace.deallocate() }
        var y = Tensor.zeros(outShape)
        let bands = (g.outputHeight + rowsPerBand - 1) / rowsPerBand
        y.withUnsafeMutableBufferPointer { yp in
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    for n in 0..<batch {
                        for band in 0..<bands {
                            let top = g.outputHeight * band / bands
                            let rows = top..<(g.outputHeight * (band + 1) / bands)
                            let cols = rows.count * outW
                            BLAS.sgemm(transposeA: true, m: k, n: cols, k: cin, a: wp.baseAddress!, lda: k,
                                       b: xp.baseAddress! + n * cin * inPlane + top * outW, ldb: inPlane,
                                       beta: 0, c: workspace, ldc: cols)
                            Im2Col.col2im(columns: workspace, geometry: g, rows: rows,
                                          image: yp.baseAddress! + n * outImage, ldColumns: cols)
                        }
                    }
                }
            }
        }
        if let bias { y += bias.reshaped([1, outShape[1], 1, 1]) }
        return y
    }

    /// Gradients of ``convTranspose2d(_:weight:bias:stride:padding:outputPadding:)`` given
    /// `dy` `[N, Cout, outH, outW]`: with `D_n = im2col(dy_n)` `[Cout·kH·kW, H·W]`,
    /// `∂L/∂x_n = W · D_n` (a strided convolution of `dy`), `∂L/∂W = Σ_n X_n · D_nᵀ`,
    /// `∂L/∂b = Σ_{n,y,x} dy`.
    public static func convTranspose2dBackward(
        input x: Tensor, weight w: Tensor, outputGradient dy: Tensor, stride: Int, padding: Int,
        needInput: Bool, needWeight: Bool, needBias: Bool, workspaceBytes: Int? = nil
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let g = transposeGeometry(outputShape: dy.shape, weight: w.shape, stride: stride, padding: padding)
        let (batch, cin, k) = (x.shape[0], x.shape[1], g.columnRows)
        let inPlane = x.shape[2] * x.shape[3], outImage = dy.shape[1] * dy.shape[2] * dy.shape[3]
        let outW = g.outputWidth
        let rowsPerBand = Convolution.rowsPerBand(geometry: g, workspaceBytes: workspaceBytes ?? Convolution.defaultWorkspaceBytes)
        let workspace = UnsafeMutablePointer<Float>.allocate(
            capacity: max(1, Convolution.workspaceCount(geometry: g, rowsPerBand: rowsPerBand)))
        defer { workspace.deallocate() }
        var dx = [Float](repeating: 0, count: needInput ? x.count : 0)
        var dw = [Float](repeating: 0, count: needWeight ? w.count : 0)
        let bands = (g.outputHeight + rowsPerBand - 1) / rowsPerBand
        if needInput || needWeight {
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    dy.withUnsafeBufferPointer { dyp in
                        dx.withUnsafeMutableBufferPointer { dxp in
                            dw.withUnsafeMutableBufferPointer { dwp in
                                for n in 0..<batch {
                                    for band in 0..<bands {
                                        let top = g.outputHeight * band / bands
                                        let rows = top..<(g.outputHeight * (band + 1) / bands)
                                        let cols = rows.count * outW
                                        Im2Col.im2col(image: dyp.baseAddress! + n * outImage, geometry: g, rows: rows,
                                                      columns: workspace, ldColumns: cols)
                                        let offset = n * cin * inPlane + top * outW
                                        if needInput {
                                            BLAS.sgemm(m: cin, n: cols, k: k, a: wp.baseAddress!, lda: k, b: workspace, ldb: cols,
                                                       beta: 0, c: dxp.baseAddress! + offset, ldc: inPlane)
                                        }
                                        if needWeight {
                                            BLAS.sgemm(transposeB: true, m: cin, n: k, k: cols, a: xp.baseAddress! + offset, lda: inPlane,
                                                       b: workspace, ldb: cols, beta: 1, c: dwp.baseAddress!, ldc: k)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (needInput ? Tensor(shape: x.shape, scalars: dx) : nil,
                needWeight ? Tensor(shape: w.shape, scalars: dw) : nil,
                needBias ? dy.sum(axes: [0, 2, 3]) : nil)
    }
}

extension Variable {
    /// 2-D convolution (cross-correlation): `x` `[N, Cin, H, W]`, `weight` `[Cout, Cin, kH, kW]`,
    /// optional `bias` `[Cout]` → `[N, Cout, outH, outW]`,
    /// `y[n, co, oy, ox] = b[co] + Σ w[co, ci, ky, kx] · x̃[n, ci, oy·s − p + ky, ox·s − p + kx]`,
    /// `outH = (H + 2p − kH)/s + 1`, where `x̃` is `x` padded by `p` with zeros or by reflection
    /// (`paddingMode`).
    ///
    /// `algorithm` (default ``ConvolutionAlgorithm/automatic``, chosen by geometry):
    /// * Winograd (3×3, stride 1): TensorCore's `Tensor.winogradConv2d` reads the padding (zeros or
    ///   reflection) in its band gather, so no padded copy is made; backward:
    ///   ``WinogradConvolution/backward(input:weight:outputGradient:padding:border:variant:needInput:needWeight:needBias:)``.
    /// * direct (stride 1, ≤ 4 output channels): ``DirectConvolution``, padding read in place too.
    /// * im2col: reflection is a separate ``reflectionPadded(_:)`` op followed by an unpadded
    ///   convolution; forward TensorCore's banded im2col + sgemm, backward
    ///   ``ConvolutionKernels/conv2dBackward(input:weight:outputGradient:stride:padding:needInput:needWeight:needBias:workspaceBytes:)``.
    public static func conv2d(
        _ x: Variable, weight: Variable, bias: Variable? = nil, stride: Int = 1, padding: Int = 0,
        paddingMode: Padding = .zero, algorithm: ConvolutionAlgorithm = .automatic
    ) -> Variable {
        let (xv, wv) = (x.value, weight.value)
        let shapesMatch = xv.rank == 4 && wv.rank == 4 && xv.shape[1] == wv.shape[1]
            && (bias == nil || bias!.shape == [wv.shape[0]])
        var chosen = shapesMatch
            ? algorithm.resolved(inputChannels: wv.shape[1], outputChannels: wv.shape[0], kernel: wv.shape[2],
                                 stride: stride, padding: padding)
            : .im2col
        if !shapesMatch || padding < 0 || wv.shape[2] != wv.shape[3] || xv.shape[2] + 2 * padding < wv.shape[2] || xv.shape[3] + 2 * padding < wv.shape[3]
            || (paddingMode == .reflect && (padding >= xv.shape[2] || padding >= xv.shape[3])) {
            chosen = .im2col  // let the im2col path report shape errors with its messages
        }
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        let border: BorderMode = paddingMode == .reflect ? .reflect : .zero
        switch chosen {
        case .winograd(let variant):
            let y = Tensor.winogradConv2d(xv, weight: wv, bias: bias?.value, padding: padding, border: border, variant: variant)
            return record(y, inputs: inputs) { g, needs in
                let r = WinogradConvolution.backward(
                    input: xv, weight: wv, outputGradient: g, padding: padding, border: border, variant: variant,
                    needInput: needs[0], needWeight: needs[1], needBias: needs.count > 2 && needs[2])
                return needs.count > 2 ? [r.input, r.weight, r.bias] : [r.input, r.weight]
            }
        case .direct:
            let y = DirectConvolution.forward(xv, weight: wv, bias: bias?.value, padding: padding, border: border)
            return record(y, inputs: inputs) { g, needs in
                let r = DirectConvolution.backward(
                    input: xv, weight: wv, outputGradient: g, padding: padding, border: border,
                    needInput: needs[0], needWeight: needs[1], needBias: needs.count > 2 && needs[2])
                return needs.count > 2 ? [r.input, r.weight, r.bias] : [r.input, r.weight]
            }
        case .im2col, .automatic:
            if paddingMode == .reflect && padding > 0 {
                return conv2d(x.reflectionPadded(padding), weight: weight, bias: bias, stride: stride, padding: 0,
                              algorithm: .im2col)
            }
            let y = Tensor.conv2d(xv, weight: wv, bias: bias?.value, stride: stride, padding: padding)
            return record(y, inputs: inputs) { g, needs in
                let r = ConvolutionKernels.conv2dBackward(
                    input: xv, weight: wv, outputGradient: g, stride: stride, padding: padding,
                    needInput: needs[0], needWeight: needs[1], needBias: needs.count > 2 && needs[2])
                return needs.count > 2 ? [r.input, r.weight, r.bias] : [r.input, r.weight]
            }
        }
    }

    /// Transposed convolution: `x` `[N, Cin, H, W]`, `weight` `[Cin, Cout, kH, kW]` (PyTorch's
    /// layout), optional `bias` `[Cout]` → `[N, Cout, (H−1)s − 2p + kH + op, (W−1)s − 2p + kW + op]`;
    /// see ``ConvolutionKernels/convTranspose2d(_:weight:bias:stride:padding:outputPadding:)``.
    /// CycleGAN's upsampling uses `k = 3, s = 2, p = 1, op = 1` (doubles H and W).
    public static func convTranspose2d(
        _ x: Variable, weight: Variable, bias: Variable? = nil, stride: Int = 2, padding: Int = 1, outputPadding: Int = 1
    ) -> Variable {
        let (xv, wv) = (x.value, weight.value)
        let y = ConvolutionKernels.convTranspose2d(xv, weight: wv, bias: bias?.value, stride: stride, padding: padding, outputPadding: outputPadding)
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return record(y, inputs: inputs) { g, needs in
            let r = ConvolutionKernels.convTranspose2dBackward(
                input: xv, weight: wv, outputGradient: g, stride: stride, padding: padding,
                needInput: needs[0], needWeight: needs[1], needBias: needs.count > 2 && needs[2])
            return needs.count > 2 ? [r.input, r.weight, r.bias] : [r.input, r.weight]
        }
    }
}

/// A 2-D convolution layer: `[N, Cin, H, W]` → `[N, Cout, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1]`.
/// Parameters: `weight` `[Cout, Cin, k, k]`, then `bias` `[Cout]` (if any).
public struct Conv2d: Layer {
    /// `[Cout, Cin, k, k]`.
    public var weight: Parameter
    /// `[Cout]`, or nil.
    public var bias: Parameter?
    /// Stride s (both axes).
    public var stride: Int
    /// Padding p (both axes).
    public var padding: Int
    /// Zero or reflection padding.
    public var paddingMode: Padding
    /// The convolution algorithm (default: chosen by geometry).
    public var algorithm: ConvolutionAlgorithm = .automatic

    /// Creates a layer with weights from `initializer` (its next stream) and zero bias, named
    /// `"\(name).weight"`, `"\(name).bias"`.
    public init(
        name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
        padding: Int = 0, paddingMode: Padding = .zero, bias: Bool = true, initializer: inout WeightInitializer
    ) {
        let shape = [outputChannels, inputChannels, kernelSize, kernelSize]
        weight = Parameter(name: name + ".weight",
                           value: initializer.next(shape, fanIn: inputChannels * kernelSize * kernelSize))
        self.bias = bias ? Parameter(name: name + ".bias", value: Tensor.zeros([outputChannels])) : nil
        self.stride = stride
        self.padding = padding
        self.paddingMode = paddingMode
    }

    /// `[weight, bias]` (bias omitted when absent).
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// The convolution (see ``Variable/conv2d(_:weight:bias:stride:padding:paddingMode:algorithm:)``).
    public func callAsFunction(_ input: Variable) -> Variable {
        Variable.conv2d(input, weight: Variable.lift(weight, alongside: input),
                        bias: bias.map { Variable.lift($0, alongside: input) },
                        stride: stride, padding: padding, paddingMode: paddingMode, algorithm: algorithm)
    }
}

/// A transposed convolution layer: `[N, Cin, H, W]` → `[N, Cout, (H−1)s − 2p + k + op, …]`
/// (CycleGAN: k 3, s 2, p 1, op 1 → `[N, Cout, 2H, 2W]`). Parameters: `weight`
/// `[Cin, Cout, k, k]`, then `bias` `[Cout]`.
public struct ConvTranspose2d: Layer {
    /// `[Cin, Cout, k, k]` (PyTorch layout).
    public var weight: Parameter
    /// `[Cout]`, or nil.
    public var bias: Parameter?
    /// Stride s.
    public var stride: Int
    /// Padding p (removed from each side of the full output).
    public var padding: Int
    /// Extra rows/columns at the bottom/right, `0 ≤ op < s`.
    public var outputPadding: Int

    /// Creates a layer with weights from `initializer` and zero bias. The fan-in used for
    /// Kaiming initialisation is `Cout·k·k`, as PyTorch computes it for a `[Cin, Cout, k, k]` weight.
    public init(
        name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int = 3, stride: Int = 2,
        padding: Int = 1, outputPadding: Int = 1, bias: Bool = true, initializer: inout WeightInitializer
    ) {
        weight = Parameter(name: name + ".weight",
                           value: initializer.next([inputChannels, outputChannels, kernelSize, kernelSize],
                                                   fanIn: outputChannels * kernelSize * kernelSize))
        self.bias = bias ? Parameter(name: name + ".bias", value: Tensor.zeros([outputChannels])) : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// `[weight, bias]` (bias omitted when absent).
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// The transposed convolution.
    public func callAsFunction(_ input: Variable) -> Variable {
        Variable.convTranspose2d(input, weight: Variable.lift(weight, alongside: input),
                                 bias: bias.map { Variable.lift($0, alongside: input) },
                                 stride: stride, padding: padding, outputPadding: outputPadding)
    }
}

/// Resize-convolution (Odena et al. 2016, "Deconvolution and checkerboard artifacts"): nearest
/// ×2 upsampling then a stride-1 convolution, `[N, Cin, H, W]` → `[N, Cout, 2H, 2W]` for
/// `padding = (k−1)/2`. A checkerboard-free alternative to ``ConvTranspose2d``.
/// Parameters: those of ``conv``.
public struct ResizeConv2d: Layer {
    /// The convolution applied after upsampling (stride 1).
    public var conv: Conv2d
    /// Creates the layer (`padding = kernelSize / 2`).
    public init(
        name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int = 3,
        paddingMode: Padding = .reflect, bias: Bool = true, initializer: inout WeightInitializer
    ) {
        conv = Conv2d(name: name, inputChannels: inputChannels, outputChannels: outputChannels,
                      kernelSize: kernelSize, stride: 1, padding: kernelSize / 2, paddingMode: paddingMode,
                      bias: bias, initializer: &initializer)
    }
    /// The convolution's parameters.
    public var parameters: [Parameter] { conv.parameters }
    /// `conv(upsample₂,nearest(x))`.
    public func callAsFunction(_ input: Variable) -> Variable {
        conv(input.upsampled(.nearest))
    }
}
