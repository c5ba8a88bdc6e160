/// 2-D convolution (cross-correlation, as in PyTorch) forward pass through im2col + sgemm,
/// tiled by output rows so the column buffer stays bounded.
///
/// For one image `x` `[Cin, H, W]` and weights `w` `[Cout, Cin, kH, kW]`:
/// `y[co, oy, ox] = b[co] + Σ_{ci,ky,kx} w[co, ci, ky, kx] · x[ci, oy·sY − pY + ky·dY, ox·sX − pX + kx·dX]`
/// (zero outside the image). Viewing `w` as the matrix `W` `[Cout, K]` with `K = Cin·kH·kW`,
/// this is `Y = W · im2col(x)`, `Y` `[Cout, outH·outW]`.
///
/// The output rows are processed in bands of at most `R` rows: `im2col` lowers the band into
/// a `[K, rows·outW]` workspace (parallel over its K rows), `sgemm` writes
/// `Y[:, band] = W · cols` straight into the output (leading dimension `outH·outW`), and the
/// bias is added while the band is still in cache. `R` is the largest row count whose
/// workspace fits the budget (at least one row); the `⌈outH / R⌉` bands are then balanced
/// (their heights differ by at most one) so no GEMM is left with a sliver. Memory stays
/// bounded for 1024² images while each GEMM keeps `N = rows·outW` wide enough for OpenBLAS.
///
/// FLOP count used by sn-bench: `2 · Cout · Cin · kH · kW · outH · outW` per image.
public enum Convolution {
    /// Workspace budget per thread: 2 MiB, the L2 size of one core of the development machine
    /// (AMD EPYC, Zen 4). Measured on the CycleGAN generator's shapes (docs/benchmarks.md):
    /// with 1 thread 2 MiB bands are best or within 1 % of the best budget; with 2 threads
    /// OpenBLAS splits each band's GEMM between the cores and 4 MiB (2 MiB each) is best or
    /// close to it.
    public static let workspaceBytesPerThread = 2 << 20

    /// The default column-workspace budget: ``workspaceBytesPerThread`` × ``Parallel/threadCount``.
    public static var defaultWorkspaceBytes: Int { workspaceBytesPerThread * Parallel.threadCount }

    /// Output rows per band for a workspace of `workspaceBytes`:
    /// `max(1, min(outH, workspaceBytes / (4 · K · outW)))`.
    public static func rowsPerBand(geometry: Conv2DGeometry, workspaceBytes: Int) -> Int {
        let perRow = Swift.max(1, geometry.columnRows * geometry.outputWidth * MemoryLayout<Float>.stride)
        return Swift.max(1, Swift.min(geometry.outputHeight, workspaceBytes / perRow))
    }

    /// Floats a workspace must hold for bands of `rowsPerBand` rows: `K · rowsPerBand · outW`.
    public static func workspaceCount(geometry: Conv2DGeometry, rowsPerBand: Int) -> Int {
        geometry.columnRows * rowsPerBand * geometry.outputWidth
    }

    /// The output shape `[N, Cout, outH, outW]` of ``Tensor/conv2d(_:weight:bias:stride:padding:dilation:workspaceBytes:)``.
    /// - Throws: ``ShapeError`` when the input is not rank 4, the weight not rank 4 or its
    ///   input channels differ (`"conv2d: input has 3 channels but weight [8, 4, 3, 3] expects 4"`),
    ///   the bias is not `[Cout]`, or the geometry is invalid (``Conv2DGeometry/validate()``).
    public static func outputShape(
        input: [Int], weight: [Int], bias: [Int]? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1
    ) throws -> [Int] {
        guard input.count == 4 else {
            throw ShapeError("conv2d: input must be NCHW (rank 4), got \(input)")
        }
        guard weight.count == 4 else {
            throw ShapeError("conv2d: weight must be [Cout, Cin, kH, kW] (rank 4), got \(weight)")
        }
        guard input[1] == weight[1] else {
            throw ShapeError("conv2d: input has \(input[1]) channels but weight \(weight) expects \(weight[1])")
        }
        if let bias, bias != [weight[0]] {
            throw ShapeError("conv2d: bias must be [\(weight[0])], got \(bias)")
        }
        let g = Conv2DGeometry(
            channels: input[1], height: input[2], width: input[3], kernelHeight: weight[2],
            kernelWidth: weight[3], stride: stride, padding: padding, dilation: dilation)
        try g.validate()
        return [input[0], weight[0], g.outputHeight, g.outputWidth]
    }

    /// Forward convolution of one CHW image on raw buffers (the allocation-free core of
    /// ``Tensor/conv2d(_:weight:bias:stride:padding:dilation:workspaceBytes:)``).
    ///
    /// - Parameters:
    ///   - image: `Cin·H·W` floats (CHW).
    ///   - geometry: the image/kernel geometry (validated).
    ///   - weight: `[Cout, Cin·kH·kW]` row-major (the natural layout of `[Cout, Cin, kH, kW]`).
    ///   - outputChannels: Cout.
    ///   - bias: `Cout` floats, or nil.
    ///   - output: `Cout·outH·outW` floats (CHW), overwritten.
    ///   - workspace: at least `workspaceCount(geometry:rowsPerBand:)` floats.
    ///   - rowsPerBand: the most output rows lowered per band (≥ 1); the `⌈outH / rowsPerBand⌉`
    ///     bands are balanced.
    public static func forward(
        image: UnsafePointer<Float>, geometry: Conv2DGeometry,
        weight: UnsafePointer<Float>, outputChannels: Int, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>,
        workspace: UnsafeMutablePointer<Float>, rowsPerBand: Int
    ) {
        let g = geometry.checked()
        precondition(rowsPerBand >= 1, "conv2d: rowsPerBand must be ≥ 1")
        let outH = g.outputHeight, outW = g.outputWidth, k = g.columnRows
        let planeSize = outH * outW
        let bands = (outH + rowsPerBand - 1) / rowsPerBand
        for band in 0..<bands {
            let top = outH * band / bands
            let rows = top..<(outH * (band + 1) / bands)
            let n = rows.count * outW
            Im2Col.im2col(image: image, geometry: g, rows: rows, columns: workspace, ldColumns: n)
            let c = output + top * outW
            BLAS.sgemm(
                m: outputChannels, n: n, k: k, a: weight, lda: k, b: workspace, ldb: n,
                beta: 0, c: c, ldc: planeSize)
            if let bias {
                Parallel.forEachChunk(
                    count: outputChannels,
                    minimumChunk: Swift.max(1, Parallel.defaultMinimumChunk / n)
                ) { channels in
                    for co in channels {
                        let row = c + co * planeSize
                        let b = bias[co]
                        for i in 0..<n { row[i] += b }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// 2-D convolution (cross-correlation) of an NCHW batch: `input` `[N, Cin, H, W]`,
    /// `weight` `[Cout, Cin, kH, kW]`, optional `bias` `[Cout]` → `[N, Cout, outH, outW]` with
    /// `outH = (H + 2p − d·(kH − 1) − 1) / s + 1` (likewise outW) and
    /// `y[n, co, oy, ox] = b[co] + Σ w[co, ci, ky, kx] · x[n, ci, oy·s − p + ky·d, ox·s − p + kx·d]`.
    ///
    /// Implemented as im2col + `cblas_sgemm`, tiled by output rows (see ``Convolution``);
    /// the column workspace is at most `max(workspaceBytes, 4·K·outW)` bytes, `workspaceBytes`
    /// defaulting to ``Convolution/defaultWorkspaceBytes`` (2 MiB per thread).
    /// ``Reference/conv2d(_:weight:bias:stride:padding:dilation:)`` is the direct-loop twin.
    /// - Precondition: shapes as in ``Convolution/outputShape(input:weight:bias:stride:padding:dilation:)``.
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        workspaceBytes: Int? = nil
    ) -> Tensor {
        let outShape: [Int]
        do {
            outShape = try Convolution.outputShape(
                input: input.shape, weight: weight.shape, bias: bias?.shape,
                stride: stride, padding: padding, dilation: dilation)
        } catch let error as ShapeError {
            preconditionFailure(error.message)
        } catch {
            preconditionFailure("\(error)")
        }
        let g = Conv2DGeometry(
            channels: input.shape[1], height: input.shape[2], width: input.shape[3],
            kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            stride: stride, padding: padding, dilation: dilation)
        let batch = outShape[0], cout = outShape[1]
        let imageSize = g.channels * g.height * g.width
        let outSize = cout * g.outputHeight * g.outputWidth
        let rows = Convolution.rowsPerBand(
            geometry: g, workspaceBytes: workspaceBytes ?? Convolution.defaultWorkspaceBytes)
        // Uninitialised: im2col writes every element of each band before sgemm reads it.
        let workspace = UnsafeMutablePointer<Float>.allocate(
            capacity: Swift.max(1, Convolution.workspaceCount(geometry: g, rowsPerBand: rows)))
        defer { workspace.deallocate() }
        return Tensor(shape: outShape) { out in
            guard let y = out.baseAddress else { return }
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    func run(_ b: UnsafePointer<Float>?) {
                        for n in 0..<batch {
                            Convolution.forward(
                                image: x.baseAddress! + n * imageSize, geometry: g,
                                weight: w.baseAddress!, outputChannels: cout, bias: b,
                                output: y + n * outSize, workspace: workspace, rowsPerBand: rows)
                        }
                    }
                    if let bias {
                        bias.withUnsafeBufferPointer { run($0.baseAddress!) }
                    } else {
                        run(nil)
                    }
                }
            }
        }
    }
}
