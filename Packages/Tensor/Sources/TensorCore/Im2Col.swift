/// The geometry of a 2-D convolution on one CHW image: input extents, kernel, stride, zero
/// padding and dilation, per axis (y = rows, x = columns).
///
/// Output extent per axis (PyTorch / cuDNN convention, floor division):
/// `outH = (H + 2·padY − dilY·(kH − 1) − 1) / strideY + 1`, likewise `outW`.
/// Output pixel `(oy, ox)` with kernel tap `(ky, kx)` reads input pixel
/// `iy = oy·strideY − padY + ky·dilY`, `ix = ox·strideX − padX + kx·dilX`
/// (zero when outside the image).
public struct Conv2DGeometry: Sendable, Hashable, CustomStringConvertible {
    /// Input channels C.
    public var channels: Int
    /// Input height H.
    public var height: Int
    /// Input width W.
    public var width: Int
    /// Kernel height kH.
    public var kernelHeight: Int
    /// Kernel width kW.
    public var kernelWidth: Int
    /// Vertical stride (≥ 1).
    public var strideY: Int
    /// Horizontal stride (≥ 1).
    public var strideX: Int
    /// Zero rows added above and below (≥ 0).
    public var paddingY: Int
    /// Zero columns added left and right (≥ 0).
    public var paddingX: Int
    /// Vertical dilation: distance between kernel taps (≥ 1; 1 = dense kernel).
    public var dilationY: Int
    /// Horizontal dilation (≥ 1).
    public var dilationX: Int

    /// Creates a geometry with per-axis stride, padding and dilation.
    /// Use ``validate()`` (or let the kernels check) before use.
    public init(
        channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
        strideY: Int, strideX: Int, paddingY: Int, paddingX: Int, dilationY: Int, dilationX: Int
    ) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideY = strideY
        self.strideX = strideX
        self.paddingY = paddingY
        self.paddingX = paddingX
        self.dilationY = dilationY
        self.dilationX = dilationX
    }

    /// Creates a geometry with the same stride, padding and dilation on both axes.
    public init(
        channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
        stride: Int = 1, padding: Int = 0, dilation: Int = 1
    ) {
        self.init(
            channels: channels, height: height, width: width,
            kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            strideY: stride, strideX: stride, paddingY: padding, paddingX: padding,
            dilationY: dilation, dilationX: dilation)
    }

    /// `outH = (H + 2·padY − dilY·(kH − 1) − 1) / strideY + 1` (may be ≤ 0 for an invalid geometry).
    public var outputHeight: Int {
        let span = height + 2 * paddingY - dilationY * (kernelHeight - 1) - 1
        return span < 0 ? 0 : span / strideY + 1
    }

    /// `outW = (W + 2·padX − dilX·(kW − 1) − 1) / strideX + 1` (may be ≤ 0 for an invalid geometry).
    public var outputWidth: Int {
        let span = width + 2 * paddingX - dilationX * (kernelWidth - 1) - 1
        return span < 0 ? 0 : span / strideX + 1
    }

    /// Rows of the column matrix: `K = C·kH·kW`; row `(c·kH + ky)·kW + kx` holds tap `(ky, kx)`
    /// of channel `c`.
    public var columnRows: Int { channels * kernelHeight * kernelWidth }

    /// Columns of the full column matrix: `outH·outW` (one per output pixel, row-major).
    public var columnCount: Int { outputHeight * outputWidth }

    /// A compact description, e.g. `"C=64 64x64 k=3x3 s=1x1 p=1x1 d=1x1"`.
    public var description: String {
        "C=\(channels) \(height)x\(width) k=\(kernelHeight)x\(kernelWidth) s=\(strideY)x\(strideX) p=\(paddingY)x\(paddingX) d=\(dilationY)x\(dilationX)"
    }

    /// Checks that the geometry is usable: positive extents, kernel, stride and dilation,
    /// non-negative padding, and a non-empty output.
    /// - Throws: ``ShapeError``, e.g.
    ///   `"conv2d: kernel 7x7 (dilation 1x1) does not fit input 4x4 with padding 1x1"`.
    public func validate() throws {
        guard channels > 0, height > 0, width > 0 else {
            throw ShapeError("conv2d: input extents must be positive, got C=\(channels) H=\(height) W=\(width)")
        }
        guard kernelHeight > 0, kernelWidth > 0 else {
            throw ShapeError("conv2d: kernel extents must be positive, got \(kernelHeight)x\(kernelWidth)")
        }
        guard strideY > 0, strideX > 0 else {
            throw ShapeError("conv2d: stride must be ≥ 1, got \(strideY)x\(strideX)")
        }
        guard dilationY > 0, dilationX > 0 else {
            throw ShapeError("conv2d: dilation must be ≥ 1, got \(dilationY)x\(dilationX)")
        }
        guard paddingY >= 0, paddingX >= 0 else {
            throw ShapeError("conv2d: padding must be ≥ 0, got \(paddingY)x\(paddingX)")
        }
        guard height + 2 * paddingY - dilationY * (kernelHeight - 1) - 1 >= 0,
            width + 2 * paddingX - dilationX * (kernelWidth - 1) - 1 >= 0
        else {
            throw ShapeError(
                "conv2d: kernel \(kernelHeight)x\(kernelWidth) (dilation \(dilationY)x\(dilationX)) does not fit input \(height)x\(width) with padding \(paddingY)x\(paddingX)"
            )
        }
    }

    func checked() -> Conv2DGeometry {
        do {
            try validate()
        } catch let error as ShapeError {
            preconditionFailure(error.message)
        } catch {
            preconditionFailure("\(error)")
        }
        return self
    }

    /// For kernel column offset `kx`, the output columns `ox` whose input column
    /// `ox·strideX − padX + kx·dilX` lies inside `0..<W`: a half-open range within `0..<outW`.
    @inline(__always)
    func validOutputColumns(kx: Int) -> Range<Int> {
        let shift = kx * dilationX - paddingX  // ix = ox·s + shift
        // lo = ceil(−shift / s) clamped at 0; hi = ceil((W − shift) / s) clamped at outW.
        let lo = shift >= 0 ? 0 : (-shift + strideX - 1) / strideX
        let hiNumerator = width - shift
        let hi = hiNumerator <= 0 ? 0 : (hiNumerator + strideX - 1) / strideX
        let outW = outputWidth
        let l = Swift.min(lo, outW), h = Swift.min(Swift.max(hi, l), outW)
        return l..<h
    }
}

/// im2col / col2im: the lowering of a 2-D convolution to a matrix product.
///
/// For one CHW image, `im2col` builds the column matrix `cols` of shape
/// `[C·kH·kW, outH·outW]` (row-major): `cols[(c·kH + ky)·kW + kx, oy·outW + ox] =
/// x[c, oy·sY − pY + ky·dY, ox·sX − pX + kx·dX]` (0 outside the image). Then the
/// convolution output is `weight[Cout, C·kH·kW] · cols` (see ``Convolution``).
///
/// Both functions work on a range of **output rows** `oy ∈ rows`, so a caller can lower the
/// image a band at a time and keep the column buffer bounded (`C·kH·kW × rows.count·outW`);
/// the full matrix is `rows = 0..<outH`. They are parallel over column rows (im2col) or
/// channels (col2im), which write disjoint memory.
public enum Im2Col {
    /// Writes the columns of output rows `rows` into `columns`, a row-major
    /// `[C·kH·kW, rows.count·outW]` matrix with leading dimension `ldColumns`
    /// (≥ `rows.count·outW`; pass `rows.count·outW` for a packed band). Every element of the
    /// band is written (zeros for padding), none outside it.
    ///
    /// - Parameters:
    ///   - image: `C·H·W` floats, CHW.
    ///   - geometry: a valid geometry (checked).
    ///   - rows: output rows to lower, within `0..<outH`.
    ///   - columns: destination, `C·kH·kW` rows of `ldColumns` floats.
    public static func im2col(
        image: UnsafePointer<Float>, geometry: Conv2DGeometry, rows: Range<Int>,
        columns: UnsafeMutablePointer<Float>, ldColumns: Int? = nil
    ) {
        let g = geometry.checked()
        let outW = g.outputWidth
        precondition(
            rows.lowerBound >= 0 && rows.upperBound <= g.outputHeight,
            "im2col: output rows \(rows) outside 0..<\(g.outputHeight)")
        let bandWidth = rows.count * outW
        let ld = ldColumns ?? bandWidth
        precondition(ld >= bandWidth, "im2col: ldColumns \(ld) < band width \(bandWidth)")
        let k = g.columnRows
        if bandWidth == 0 || k == 0 { return }
        let minimumRows = Swift.max(1, Parallel.defaultMinimumChunk / bandWidth)
        Parallel.forEachChunk(count: k, minimumChunk: minimumRows) { columnRows in
            for row in columnRows {
                im2colRow(image, g, row, rows, columns + row * ld)
            }
        }
    }

    /// One row of the column matrix (channel c, tap (ky, kx)) for output rows `rows`.
    @inline(__always)
    static func im2colRow(
        _ image: UnsafePointer<Float>, _ g: Conv2DGeometry, _ row: Int, _ rows: Range<Int>,
        _ dst: UnsafeMutablePointer<Float>
    ) {
        let kx = row % g.kernelWidth
        let ky = (row / g.kernelWidth) % g.kernelHeight
        let c = row / (g.kernelWidth * g.kernelHeight)
        let outW = g.outputWidth
        let valid = g.validOutputColumns(kx: kx)
        let xShift = kx * g.dilationX - g.paddingX
        let sx = g.strideX
        let plane = image + c * g.height * g.width
        var out = dst
        for oy in rows {
            let iy = oy * g.strideY - g.paddingY + ky * g.dilationY
            if iy < 0 || iy >= g.height {
                out.update(repeating: 0, count: outW)
            } else {
                let src = plane + iy * g.width + xShift
                for ox in 0..<valid.lowerBound { out[ox] = 0 }
                if sx == 1 {
                    (out + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                } else if sx == 2 {
                    gatherEven(src, out, valid)
                } else {
                    for ox in valid { out[ox] = src[sx * ox] }
                }
                for ox in valid.upperBound..<outW { out[ox] = 0 }
            }
            out += outW
        }
    }

    /// `out[ox] = src[2·ox]` for `ox` in `range`: stride-2 gather, 8 outputs per step from one
    /// 16-float load (`evenHalf` is a single shuffle). The vector loop stops while
    /// `2·ox + 15` is still a valid input index, so it never reads past the row's last
    /// needed element.
    @inline(__always)
    static func gatherEven(_ src: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        var ox = range.lowerBound
        let raw = UnsafeRawPointer(src)
        let rawOut = UnsafeMutableRawPointer(out)
        while ox + 8 < range.upperBound {
            let v = raw.loadUnaligned(fromByteOffset: 8 * ox, as: SIMD16<Float>.self)
            rawOut.storeBytes(of: v.evenHalf, toByteOffset: 4 * ox, as: SIMD8<Float>.self)
            ox += 8
        }
        while ox < range.upperBound {
            out[ox] = src[2 * ox]
            ox += 1
        }
    }

    /// The adjoint of ``im2col(image:geometry:rows:columns:ldColumns:)``: **adds** each column
    /// entry back onto the input pixel it was read from, `x[c, iy, ix] += cols[(c·kH+ky)·kW+kx,
    /// oy·outW+ox]` (entries that fell in the padding are dropped). `image` is not cleared
    /// first, so bands and batch images can be accumulated. Satisfies
    /// `⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩` for a zeroed `x` in `col2im`.
    ///
    /// - Parameters:
    ///   - columns: `[C·kH·kW, rows.count·outW]` band, leading dimension `ldColumns`.
    ///   - geometry: a valid geometry (checked).
    ///   - rows: the output rows the band covers.
    ///   - image: `C·H·W` floats, CHW, accumulated into.
    public static func col2im(
        columns: UnsafePointer<Float>, geometry: Conv2DGeometry, rows: Range<Int>,
        image: UnsafeMutablePointer<Float>, ldColumns: Int? = nil
    ) {
        let g = geometry.checked()
        let outW = g.outputWidth
        precondition(
            rows.lowerBound >= 0 && rows.upperBound <= g.outputHeight,
            "col2im: output rows \(rows) outside 0..<\(g.outputHeight)")
        let bandWidth = rows.count * outW
        let ld = ldColumns ?? bandWidth
        precondition(ld >= bandWidth, "col2im: ldColumns \(ld) < band width \(bandWidth)")
        if bandWidth == 0 { return }
        let taps = g.kernelHeight * g.kernelWidth
        let minimumChannels = Swift.max(1, Parallel.defaultMinimumChunk / Swift.max(1, bandWidth * taps))
        // Channels write disjoint planes, so they can run in parallel.
        Parallel.forEachChunk(count: g.channels, minimumChunk: minimumChannels) { channels in
            for c in channels {
                let plane = image + c * g.height * g.width
                for tap in 0..<taps {
                    let row = c * taps + tap
                    let kx = tap % g.kernelWidth, ky = tap / g.kernelWidth
                    let valid = g.validOutputColumns(kx: kx)
                    let xShift = kx * g.dilationX - g.paddingX
                    let sx = g.strideX
                    var src = columns + row * ld
                    for oy in rows {
                        let iy = oy * g.strideY - g.paddingY + ky * g.dilationY
                        if iy >= 0 && iy < g.height {
                            let dst = plane + iy * g.width + xShift
                            if sx == 1 {
                                for ox in valid { dst[ox] += src[ox] }
                            } else {
                                for ox in valid { dst[sx * ox] += src[ox] }
                            }
                        }
                        src += outW
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// im2col of one image: `image` `[C, H, W]` (or `[1, C, H, W]`) → `[C·kH·kW, outH·outW]`.
    /// - Precondition: the image shape matches `geometry` and the geometry is valid.
    public static func im2col(_ image: Tensor, geometry: Conv2DGeometry) -> Tensor {
        let expected = [geometry.channels, geometry.height, geometry.width]
        precondition(
            image.shape == expected || image.shape == [1] + expected,
            "im2col: image shape \(image.shape) does not match geometry \(expected)")
        let g = geometry.checked()
        return Tensor(shape: [g.columnRows, g.columnCount]) { out in
            image.withUnsafeBufferPointer { x in
                guard let o = out.baseAddress else { return }
                Im2Col.im2col(image: x.baseAddress!, geometry: g, rows: 0..<g.outputHeight, columns: o)
            }
        }
    }

    /// col2im of a full column matrix: `[C·kH·kW, outH·outW]` → `[C, H, W]`, starting from
    /// zeros (the adjoint of ``im2col(_:geometry:)``).
    /// - Precondition: the column shape matches `geometry` and the geometry is valid.
    public static func col2im(_ columns: Tensor, geometry: Conv2DGeometry) -> Tensor {
        let g = geometry.checked()
        precondition(
            columns.shape == [g.columnRows, g.columnCount],
            "col2im: columns shape \(columns.shape) does not match geometry [\(g.columnRows), \(g.columnCount)]")
        var image = Tensor.zeros([g.channels, g.height, g.width])
        image.withUnsafeMutableBufferPointer { x in
            columns.withUnsafeBufferPointer { c in
                Im2Col.col2im(columns: c.baseAddress!, geometry: g, rows: 0..<g.outputHeight, image: x.baseAddress!)
            }
        }
        return image
    }
}
