/// Which Winograd minimal-filtering algorithm a 3×3 stride-1 convolution uses
/// (Lavin & Gray 2016, "Fast algorithms for convolutional neural networks").
///
/// `F(m×m, 3×3)` computes an `m×m` output tile from an `α×α` input tile, `α = m + 2`, with
/// `α²` multiplies per (tile, input channel, output channel) instead of `9·m²`:
/// 2.25× fewer for `F(2×2,3×3)` (α = 4), 4× fewer for `F(4×4,3×3)` (α = 6).
public enum WinogradVariant: Sendable, Hashable, CaseIterable {
    /// `F(2×2, 3×3)`: 16 transform-domain GEMMs; error within a few ulps of the direct sum.
    case f2x2
    /// `F(4×4, 3×3)`: 36 transform-domain GEMMs; the interpolation points 0, ±1, ±2, ∞ cost
    /// about two more bits of Float32 accuracy (measured errors in docs/nn.md).
    case f4x4

    /// The output tile size `m` (2 or 4).
    public var outputTile: Int { self == .f2x2 ? 2 : 4 }
    /// The input tile size `α = m + 2` (4 or 6).
    public var inputTile: Int { outputTile + 2 }
}

/// How a convolution reads pixels outside the image (the padding).
public enum BorderMode: Sendable, Hashable {
    /// Zeros outside the image.
    case zero
    /// Mirror without repeating the edge pixel (PyTorch `ReflectionPad2d`): index `−i ↦ i`,
    /// `n−1+i ↦ n−1−i`. Requires `padding < H` and `padding < W`.
    case reflect
}

/// Winograd convolution for 3×3 kernels with stride 1 and dilation 1, on raw buffers.
///
/// For one CHW image, padding `p` (zeros or reflection), `outH = H + 2p − 2`, likewise `outW`:
/// `y[co, oy, ox] = b[co] + Σ_{ci,ky,kx} w[co, ci, ky, kx] · x̃[ci, oy + ky, ox + kx]` with `x̃` the
/// padded image — the same result as ``Tensor/conv2d(_:weight:bias:stride:padding:dilation:workspaceBytes:)``
/// (zero border) up to rounding; the naive twin is ``Reference/conv2d(_:weight:bias:stride:padding:dilation:)``.
///
/// Algorithm (`m` = output tile, `α = m + 2`): the output is cut into `m×m` tiles; tile `t` reads
/// the `α×α` input patch `d` at `(m·ty, m·tx)` of `x̃`.
/// 1. weights: `U[ξ, co, ci] = (G g Gᵀ)[ξ]` for each 3×3 kernel `g = w[co, ci]` (``transformWeights``);
/// 2. input: `V[ξ, ci, t] = (Bᵀ d B)[ξ]`, 16 tiles at a time in `SIMD16` lanes;
/// 3. `α²` GEMMs through `sgemm`: `M[ξ] = U[ξ] · V[ξ]`, `[Cout, Cin] · [Cin, T]`;
/// 4. output: `y_tile = Aᵀ M[·, co, t] A` (+ bias), written to the `m×m` tile (clipped at the edge).
///
/// The tiles are processed in bands of tile rows whose transform-domain matrices `V` and `M`
/// fit the workspace budget (default ``defaultWorkspaceBytes``), so memory is bounded at any
/// image size. The input is copied band by band into a padded scratch (where zero or reflection
/// padding is applied), so no padded copy of the image is made.
public enum Winograd {
    /// Budget for the transform-domain matrices `V` and `M` of one band: 24 MiB.
    public static let defaultWorkspaceBytes = 24 << 20

    /// Budget for the transform-domain weight gradient `dU` of one chunk of output channels in
    /// `Tensor.winogradConv2dWeightGradient`: 4 MiB (256 → 256 channels at F(4×4): 3 chunks;
    /// the whole dU would be 9.4 MB).
    public static let weightGradientChunkBytes = 4 << 20

    /// Floats of a transformed weight: `α² · Cout · Cin`.
    public static func transformedWeightCount(outputChannels: Int, inputChannels: Int, variant: WinogradVariant) -> Int {
        variant.inputTile * variant.inputTile * outputChannels * inputChannels
    }

    /// `U[ξ, co, ci] = (G g Gᵀ)[ξ]` for every 3×3 kernel `g = weight[co, ci]`, `ξ = i·α + j`; with
    /// `flipped`, of the kernel rotated by 180° (`g[2 − ky, 2 − kx]`), which is what the input
    /// gradient needs (then used with `transposedWeight: true` in ``forward``: no flipped,
    /// transposed copy of the weight is made).
    ///
    /// 16 kernels at a time in `SIMD16` lanes: `t = G g` (α × 3) then `U = t Gᵀ` (α × α) with G's
    /// rows factored (``filterTransform(_:_:_:_:_:)``: 5 multiplies per column for F(4×4)), stored
    /// as α² vectors along the channel pairs; parallel over groups of kernels. Slow twin:
    /// ``transformWeightsByGEMM(_:outputChannels:inputChannels:variant:flipped:into:)``.
    /// - Parameters:
    ///   - weight: `[Cout, Cin, 3, 3]` row-major.
    ///   - transformed: `α² · Cout · Cin` floats, overwritten.
    public static func transformWeights(
        _ weight: UnsafePointer<Float>, outputChannels cout: Int, inputChannels cin: Int,
        variant: WinogradVariant, flipped: Bool = false, into transformed: UnsafeMutablePointer<Float>
    ) {
        let alpha = variant.inputTile, a2 = alpha * alpha
        let pairs = cout * cin
        let groups = (pairs + 15) / 16
        Parallel.forEachChunk(count: groups, minimumChunk: 64) { range in
            let taps = UnsafeMutablePointer<V16>.allocate(capacity: 9)
            let t = UnsafeMutablePointer<V16>.allocate(capacity: alpha * 3)
            let u = UnsafeMutablePointer<V16>.allocate(capacity: a2)
            defer { taps.deallocate(); t.deallocate(); u.deallocate() }
            // Transposed through memory (scalar stores, then vector loads): lane inserts are slow.
            let lanesOfTaps = UnsafeMutableRawPointer(taps).assumingMemoryBound(to: Float.self)
            for group in range {
                let p0 = group * 16, lanes = Swift.min(16, pairs - p0)
                let src = weight + p0 * 9
                if lanes < 16 { lanesOfTaps.update(repeating: 0, count: 9 * 16) }
                for q in 0..<lanes {
                    for k in 0..<9 { lanesOfTaps[k * 16 + q] = src[q * 9 + (flipped ? 8 - k : k)] }
                }
                // t[i, kx] = Σ_ky G[i, ky]·g[ky, kx]: column kx of g is taps[kx], taps[3 + kx], taps[6 + kx].
                for kx in 0..<3 { filterTransform(variant, taps + kx, 3, t + kx, 3) }
                // U[i, j] = Σ_kx t[i, kx]·G[j, kx].
                for i in 0..<alpha { filterTransform(variant, t + i * 3, 1, u + i * alpha, 1) }
                if lanes == 16 {
                    for xi in 0..<a2 {
                        UnsafeMutableRawPointer(transformed + xi * pairs + p0).storeBytes(of: u[xi], as: V16.self)
                    }
                } else {
                    for xi in 0..<a2 {
                        for q in 0..<lanes { transformed[xi * pairs + p0 + q] = u[xi][q] }
                    }
                }
            }
        }
    }

    /// `G · (g[0], g[s], g[2s])`: 3 values in, α out (`out[0], out[os], …`), G's rows factored:
    /// F(2×2): `g0, ½(g0 + g2) ± ½g1, g2`; F(4×4): `g0/4, −(g0 + g2)/6 ∓ g1/6,
    /// g0/24 + g2/6 ± g1/12, g2`.
    @inline(__always)
    static func filterTransform(
        _ v: WinogradVariant, _ g: UnsafePointer<V16>, _ s: Int, _ out: UnsafeMutablePointer<V16>, _ os: Int
    ) {
        let g0 = g[0], g1 = g[s], g2 = g[2 * s]
        switch v {
        case .f2x2:
            let h = 0.5 * (g0 + g2), d = 0.5 * g1
            out[0] = g0
            out[os] = h + d
            out[2 * os] = h - d
            out[3 * os] = g2
        case .f4x4:
            let a = -(g0 + g2) * (1 / 6 as Float), b = g1 * (1 / 6 as Float)
            let c = g0 * (1 / 24 as Float) + g2 * (1 / 6 as Float), d = g1 * (1 / 12 as Float)
            out[0] = g0 * 0.25
            out[os] = a - b
            out[2 * os] = a + b
            out[3 * os] = c + d
            out[4 * os] = c - d
            out[5 * os] = g2
        }
    }

    /// The slow twin of ``transformWeights(_:outputChannels:inputChannels:variant:flipped:into:)``:
    /// the same transform as one sgemm with `G ⊗ G` (computed in Float64, rounded once). It was the
    /// implementation until the GEMM's `K = 9` proved memory-bound (0.9 ms for 256 × 256 channels,
    /// a fifth of the convolution it serves); the tests check that both agree.
    public static func transformWeightsByGEMM(
        _ weight: UnsafePointer<Float>, outputChannels cout: Int, inputChannels cin: Int,
        variant: WinogradVariant, flipped: Bool = false, into transformed: UnsafeMutablePointer<Float>
    ) {
        let alpha = variant.inputTile
        let pairs = cout * cin
        // U (α² × pairs) = K (α² × 9) · gᵀ (9 × pairs) with K = G ⊗ G, K[(i, j), (ky, kx)] =
        // G[i, ky]·G[j, kx]: one sgemm over the weight's natural [pairs, 9] layout.
        var k = kroneckerFilter(variant)
        if flipped {
            // Tap t of the rotated kernel is tap 8 − t of the original: reverse each row of K.
            for row in 0..<(alpha * alpha) { k[(row * 9)..<(row * 9 + 9)].reverse() }
        }
        k.withUnsafeBufferPointer { kp in
            BLAS.sgemm(transposeB: true, m: alpha * alpha, n: pairs, k: 9, a: kp.baseAddress!, lda: 9,
                       b: weight, ldb: 9, beta: 0, c: transformed, ldc: Swift.max(1, pairs))
        }
    }

    /// The filter-transform matrix G (α × 3), row-major, for `variant`.
    public static func filterMatrix(_ variant: WinogradVariant) -> [Double] {
        switch variant {
        case .f2x2:
            return [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1]
        case .f4x4:
            return [1.0 / 4, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
                    1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1]
        }
    }

    /// `G ⊗ G` (α² × 9), computed in Float64 and rounded once.
    static func kroneckerFilter(_ variant: WinogradVariant) -> [Float] {
        let g = filterMatrix(variant), alpha = variant.inputTile
        var k = [Float](repeating: 0, count: alpha * alpha * 9)
        for i in 0..<alpha {
            for j in 0..<alpha {
                for ky in 0..<3 {
                    for kx in 0..<3 { k[(i * alpha + j) * 9 + ky * 3 + kx] = Float(g[i * 3 + ky] * g[j * 3 + kx]) }
                }
            }
        }
        return k
    }

    typealias V16 = SIMD16<Float>

    /// In place `Bᵀ · (p[0], p[s], …, p[(α−1)s])`.
    @inline(__always)
    static func inputTransform(_ v: WinogradVariant, _ p: UnsafeMutablePointer<V16>, _ s: Int) {
        switch v {
        case .f2x2:
            let d0 = p[0], d1 = p[s], d2 = p[2 * s], d3 = p[3 * s]
            p[0] = d0 - d2
            p[s] = d1 + d2
            p[2 * s] = d2 - d1
            p[3 * s] = d1 - d3
        case .f4x4:
            let d0 = p[0], d1 = p[s], d2 = p[2 * s], d3 = p[3 * s], d4 = p[4 * s], d5 = p[5 * s]
            let t0 = d4 - 4 * d2, t1 = d3 - 4 * d1       // r1 = t0 + t1, r2 = t0 − t1
            let t2 = d4 - d2, t3 = 2 * (d3 - d1)         // r3 = t2 + t3, r4 = t2 − t3
            p[0] = 4 * d0 - 5 * d2 + d4
            p[s] = t0 + t1
            p[2 * s] = t0 - t1
            p[3 * s] = t2 + t3
            p[4 * s] = t2 - t3
            p[5 * s] = 4 * d1 - 5 * d3 + d5
        }
    }

    /// `Aᵀ · (p[0], p[s], …)`: α values in, m values out (written to `p[0], p[s], …`).
    @inline(__always)
    static func outputTransform(_ v: WinogradVariant, _ p: UnsafeMutablePointer<V16>, _ s: Int) {
        switch v {
        case .f2x2:
            let m0 = p[0], m1 = p[s], m2 = p[2 * s], m3 = p[3 * s]
            p[0] = m0 + m1 + m2
            p[s] = m1 - m2 - m3
        case .f4x4:
            let m0 = p[0], m1 = p[s], m2 = p[2 * s], m3 = p[3 * s], m4 = p[4 * s], m5 = p[5 * s]
            let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
            p[0] = m0 + a + c
            p[s] = b + 2 * d
            p[2 * s] = a + 4 * c
            p[3 * s] = b + 8 * d + m5
        }
    }

    /// `out[j][q] = row[m·q + j]` for `j < α`, `q < 16` (reads `row[0 ..< 16m + α]`), by
    /// even/odd shuffles of contiguous 16-float loads.
    @inline(__always)
    static func stridedLoad(_ v: WinogradVariant, _ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<V16>) {
        let raw = UnsafeRawPointer(row)
        @inline(__always) func load(_ i: Int) -> V16 { raw.loadUnaligned(fromByteOffset: 4 * i, as: V16.self) }
        switch v {
        case .f2x2:
            // Stride 2: lanes from 32 floats at offset 0 (j = 0, 1) and 2 (j = 2, 3).
            for shift in [0, 2] {
                let a0 = load(shift), a1 = load(shift + 16)
                out[shift] = V16(lowHalf: a0.evenHalf, highHalf: a1.evenHalf)
                out[shift + 1] = V16(lowHalf: a0.oddHalf, highHalf: a1.oddHalf)
            }
        case .f4x4:
            // Stride 4: from 64 floats at offset 0 (j = 0…3) and 4 (j = 4, 5).
            func four(_ shift: Int) -> (V16, V16, V16, V16) {
                let a0 = load(shift), a1 = load(shift + 16), a2 = load(shift + 32), a3 = load(shift + 48)
                let e01 = V16(lowHalf: a0.evenHalf, highHalf: a1.evenHalf), o01 = V16(lowHalf: a0.oddHalf, highHalf: a1.oddHalf)
                let e23 = V16(lowHalf: a2.evenHalf, highHalf: a3.evenHalf), o23 = V16(lowHalf: a2.oddHalf, highHalf: a3.oddHalf)
                return (V16(lowHalf: e01.evenHalf, highHalf: e23.evenHalf), V16(lowHalf: o01.evenHalf, highHalf: o23.evenHalf),
                        V16(lowHalf: e01.oddHalf, highHalf: e23.oddHalf), V16(lowHalf: o01.oddHalf, highHalf: o23.oddHalf))
            }
            let (v0, v1, v2, v3) = four(0)
            out[0] = v0; out[1] = v1; out[2] = v2; out[3] = v3
            let (v4, v5, _, _) = four(4)
            out[4] = v4; out[5] = v5
        }
    }

    /// Loads the `patch × patch` corner (α×α for the input, m×m for the output gradient) of the
    /// patches of tiles `g ..< g + 16` of a band into `d[i·α + j]`, lane `q` for tile `g + q`:
    /// ``gatherGroup`` when all 16 are tiles of rows at least 4 tiles wide, otherwise lane by lane,
    /// with lanes past the band's `tiles` zero (they add nothing to the weight gradient's GEMMs,
    /// and the forward discards them).
    @inline(__always)
    static func loadGroup(
        _ variant: WinogradVariant, _ scratch: UnsafePointer<Float>, width: Int, group g: Int, tiles: Int, tilesX: Int,
        patch: Int, into d: UnsafeMutablePointer<V16>, blend: UnsafeMutablePointer<V16>, offsets: UnsafeMutablePointer<Int>
    ) {
        if g + 16 <= tiles && tilesX >= 4 {
            gatherGroup(variant, scratch, width: width, group: g, tilesX: tilesX, rows: patch, into: d, blend: blend)
            return
        }
        let m = variant.outputTile, alpha = variant.inputTile
        let lanes = Swift.min(16, tiles - g)
        for q in 0..<lanes {
            let t = g + q
            offsets[q] = (t / tilesX) * m * width + (t % tilesX) * m
        }
        for i in 0..<patch {
            for j in 0..<patch {
                var v = V16()
                let base = scratch + i * width + j
                for q in 0..<lanes { v[q] = base[offsets[q]] }
                d[i * alpha + j] = v
            }
        }
    }

    /// Gathers 16 consecutive tiles `g ..< g + 16` of a band (row-major over `tilesX` tiles per
    /// tile row) for rows `i < rows` of their patches: lane `q` of `d[i·α + j]` is
    /// `scratch[(m·ty + i)·width + m·tx + j]` for tile `g + q = ty·tilesX + tx`, `j < α`.
    /// Tiles of one tile row are one strided load per patch row (even/odd shuffles of contiguous
    /// 16-float loads, ``stridedLoad(_:_:_:)``). When the 16 tiles span several tile rows (narrow images: at 128² training crops the
    /// residual convolutions have 8 tiles per row), each row is one strided load per patch row,
    /// blended into the lanes it owns; the loads of a later row start before that row (at a
    /// negative column), which stays inside `scratch` since each row holds more than `16m` floats.
    /// - Precondition: `g + 16 ≤` the band's tiles; `width ≥ tilesX·m + 15m + α − 2` (a strided
    ///   load reads `16m + α − 2` floats from a tile's start).
    @inline(__always)
    static func gatherGroup(
        _ variant: WinogradVariant, _ scratch: UnsafePointer<Float>, width: Int, group g: Int, tilesX: Int, rows: Int,
        into d: UnsafeMutablePointer<V16>, blend: UnsafeMutablePointer<V16>
    ) {
        let m = variant.outputTile, alpha = variant.inputTile
        let firstRow = g / tilesX, lastRow = (g + 15) / tilesX
        typealias Bits = SIMD16<UInt32>
        for ty in firstRow...lastRow {
            // Tile g + q is at column m·(g + q − ty·tilesX) of tile row ty.
            let base = scratch + ty * m * width + (g - ty * tilesX) * m
            if ty == firstRow {
                for i in 0..<rows { stridedLoad(variant, base + i * width, d + i * alpha) }
            } else {
                // Lanes q ≥ ty·tilesX − g take this row's values (bitwise select: no arithmetic,
                // so infinities and NaNs pass unchanged).
                let first = ty * tilesX - g
                var mask = Bits()
                for q in first..<16 { mask[q] = 0xFFFF_FFFF }
                let keep = ~mask
                for i in 0..<rows {
                    stridedLoad(variant, base + i * width, blend)
                    for j in 0..<alpha {
                        let a = unsafeBitCast(d[i * alpha + j], to: Bits.self), b = unsafeBitCast(blend[j], to: Bits.self)
                        d[i * alpha + j] = unsafeBitCast((a & keep) | (b & mask), to: V16.self)
                    }
                }
            }
        }
    }

    /// Source index of padded coordinate `i` (image extent `n`, padding offset already
    /// removed), or −1 when it reads zero.
    @inline(__always)
    static func sourceIndex(_ i: Int, _ n: Int, _ p: Int, _ border: BorderMode) -> Int {
        if i >= 0 && i < n { return i }
        guard border == .reflect, i >= -p, i < n + p else { return -1 }
        return i < 0 ? -i : 2 * (n - 1) - i
    }

    /// Builds row `iy` of a plane padded by `p` (zeros or reflection) into `row[0 ..< width]`:
    /// `row[c] = x̃[iy, c]` with source column `c − p` (`sourceIndex`), zeros from padded column
    /// `W + 2p` on (that slack is never an image pixel). Returns false, leaving `row` unwritten,
    /// when the whole row is padding. Used by the Winograd band gathers and NN's direct
    /// convolution, so every kernel that reads padding in place reads it the same way.
    @inline(__always)
    public static func fillPaddedRow(
        _ plane: UnsafePointer<Float>, height h: Int, width w: Int, row iy: Int, padding p: Int, border: BorderMode,
        into row: UnsafeMutablePointer<Float>, count width: Int
    ) -> Bool {
        let sy = sourceIndex(iy, h, p, border)
        if sy < 0 { return false }
        let s = plane + sy * w
        let left = Swift.min(p, width)
        for c in 0..<left { let ix = sourceIndex(c - p, w, p, border); row[c] = ix < 0 ? 0 : s[ix] }
        let inner = Swift.min(w, width - left)
        if inner > 0 { (row + left).update(from: s, count: inner) }
        let right = Swift.min(width, left + inner + p)
        if left + inner < right {
            for c in (left + inner)..<right { let ix = sourceIndex(c - p, w, p, border); row[c] = ix < 0 ? 0 : s[ix] }
        }
        if right < width { (row + right).update(repeating: 0, count: width - right) }
        return true
    }

    /// Rows `rows` of the padded plane (``fillPaddedRow(_:height:width:row:padding:border:into:count:)``)
    /// one after another into `scratch`, `width` floats each; rows that are all padding are zeros.
    static func fillPaddedRows(
        _ plane: UnsafePointer<Float>, height h: Int, width w: Int, rows: Range<Int>, padding p: Int, border: BorderMode,
        into scratch: UnsafeMutablePointer<Float>, width: Int
    ) {
        for (r, iy) in rows.enumerated() {
            let row = scratch + r * width
            if !fillPaddedRow(plane, height: h, width: w, row: iy, padding: p, border: border, into: row, count: width) {
                row.update(repeating: 0, count: width)
            }
        }
    }

    /// How ``forward`` and ``weightGradient`` cut one image's output into bands of tile rows:
    /// the output extent, the tile grid, the balanced band count and the largest band's lane count.
    struct BandPlan {
        let a2: Int, cin: Int, cout: Int
        let outH: Int, outW: Int, tilesX: Int, tilesY: Int, bands: Int, maxTiles: Int

        /// - Precondition: `H + 2p ≥ 3`, `W + 2p ≥ 3`; for reflection `p < H`, `p < W`.
        init(channels cin: Int, height h: Int, width w: Int, padding p: Int, border: BorderMode, outputChannels cout: Int,
             variant: WinogradVariant, workspaceBytes: Int) {
            precondition(h + 2 * p >= 3 && w + 2 * p >= 3, "winograd: 3x3 kernel does not fit \(h)x\(w) with padding \(p)")
            precondition(border == .zero || (p < h && p < w), "winograd: reflection padding \(p) must be < H=\(h) and < W=\(w)")
            let m = variant.outputTile
            (a2, self.cin, self.cout) = (variant.inputTile * variant.inputTile, cin, cout)
            (outH, outW) = (h + 2 * p - 2, w + 2 * p - 2)
            (tilesX, tilesY) = ((outW + m - 1) / m, (outH + m - 1) / m)
            let rowsPerBand = tileRowsPerBand(inputChannels: cin, outputChannels: cout, outputWidth: outW,
                                              outputHeight: outH, variant: variant, workspaceBytes: workspaceBytes)
            bands = (tilesY + rowsPerBand - 1) / rowsPerBand
            maxTiles = (((tilesY + bands - 1) / bands * tilesX + 15) / 16) * 16
        }

        /// The tile rows of band `band` (balanced).
        func tileRows(_ band: Int) -> Range<Int> { (tilesY * band / bands)..<(tilesY * (band + 1) / bands) }

        /// The band's tile count rounded up to whole groups of 16 lanes (the transform matrices' row length).
        func paddedTiles(_ rows: Range<Int>) -> Int { ((rows.count * tilesX + 15) / 16) * 16 }

        /// `V` `[α², Cin, maxTiles]` and `M` `[α², Cout, maxTiles]` for the largest band.
        func allocateBuffers() -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
            (UnsafeMutablePointer<Float>.allocate(capacity: a2 * cin * maxTiles),
             UnsafeMutablePointer<Float>.allocate(capacity: a2 * cout * maxTiles))
        }
    }

    /// Tile rows per band for a budget: the most whose `V` and `M` fit, at least 1, then
    /// balanced by the caller.
    public static func tileRowsPerBand(
        inputChannels cin: Int, outputChannels cout: Int, outputWidth outW: Int, outputHeight outH: Int,
        variant: WinogradVariant, workspaceBytes: Int
    ) -> Int {
        let m = variant.outputTile, alpha = variant.inputTile
        let tilesX = (outW + m - 1) / m, tilesY = (outH + m - 1) / m
        let perRow = (cin + cout) * alpha * alpha * (tilesX + 16) * MemoryLayout<Float>.stride
        return Swift.max(1, Swift.min(tilesY, workspaceBytes / Swift.max(1, perRow)))
    }

    /// Forward convolution of one CHW image (see the type's documentation).
    ///
    /// - Parameters:
    ///   - image: `Cin·H·W` floats.
    ///   - padding: `p ≥ 0` (each side), read as zeros or reflected per `border`.
    ///   - transformedWeight: from ``transformWeights(_:outputChannels:inputChannels:variant:flipped:into:)``,
    ///     laid out `[α², Cout, Cin]`, or `[α², Cin, Cout]` when `transposedWeight` (the transform
    ///     of a `[Cin, Cout, 3, 3]` weight: the input-gradient case).
    ///   - bias: `Cout` floats or nil.
    ///   - output: `Cout·outH·outW` floats, overwritten.
    ///   - workspaceBytes: budget for one band's `V` and `M`.
    /// - Precondition: `H + 2p ≥ 3`, `W + 2p ≥ 3`; for reflection `p < H`, `p < W`.
    public static func forward(
        image: UnsafePointer<Float>, channels cin: Int, height h: Int, width w: Int,
        padding p: Int, border: BorderMode,
        transformedWeight u: UnsafePointer<Float>, outputChannels cout: Int, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, variant: WinogradVariant, transposedWeight: Bool = false,
        workspaceBytes: Int = defaultWorkspaceBytes
    ) {
        let plan = BandPlan(channels: cin, height: h, width: w, padding: p, border: border, outputChannels: cout,
                            variant: variant, workspaceBytes: workspaceBytes)
        let (m, alpha, a2) = (variant.outputTile, variant.inputTile, plan.a2)
        let (outH, outW, tilesX, bands) = (plan.outH, plan.outW, plan.tilesX, plan.bands)
        let (vBuffer, mBuffer) = plan.allocateBuffers()
        defer { vBuffer.deallocate(); mBuffer.deallocate() }
        let outPlane = outH * outW

        for band in 0..<bands {
            let rows = plan.tileRows(band)
            let ty0 = rows.lowerBound, tiles = rows.count * tilesX
            let ldT = plan.paddedTiles(rows)
            // 1. Input transform, parallel over input channels.
            transformInputBand(image: image, channels: cin, height: h, width: w, padding: p, border: border,
                               tileRows: rows, tilesX: tilesX, variant: variant, into: vBuffer, ldT: ldT)
            let minChannels = Swift.max(1, 4096 / Swift.max(1, ldT))
            // 2. α² GEMMs: M[ξ] (Cout × T) = U[ξ] (Cout × Cin) · V[ξ] (Cin × T), side by side on the
            //    cores with one-thread sgemms (BLAS.concurrentCalls; measured faster than splitting each).
            func gemm(_ xi: Int) {
                BLAS.sgemm(transposeA: transposedWeight, m: cout, n: ldT, k: cin, a: u + xi * cout * cin,
                           lda: transposedWeight ? cout : cin,
                           b: vBuffer + xi * cin * ldT, ldb: ldT, beta: 0,
                           c: mBuffer + xi * cout * ldT, ldc: ldT)
            }
            BLAS.concurrentCalls(count: a2, gemm)
            // 3. Output transform, parallel over output channels.
            Parallel.forEachChunk(count: cout, minimumChunk: minChannels) { channels in
                let d = UnsafeMutablePointer<V16>.allocate(capacity: a2)
                defer { d.deallocate() }
                for co in channels {
                    let b = bias?[co] ?? 0
                    let out = output + co * outPlane
                    let mChannel = mBuffer + co * ldT
                    for g in stride(from: 0, to: tiles, by: 16) {
                        for xi in 0..<a2 {
                            d[xi] = UnsafeRawPointer(mChannel + xi * cout * ldT + g).load(as: V16.self)
                        }
                        for j in 0..<alpha { outputTransform(variant, d + j, alpha) }
                        for i in 0..<m { outputTransform(variant, d + i * alpha, 1) }
                        let oyFirst = (ty0 + g / tilesX) * m, oxFirst = (g % tilesX) * m
                        if g + 16 <= tiles && g % tilesX + 16 <= tilesX && oyFirst + m <= outH && oxFirst + 16 * m <= outW {
                            // 16 whole tiles side by side in one tile row.
                            for i in 0..<m {
                                let o = out + (oyFirst + i) * outW + oxFirst
                                for j in 0..<m {
                                    let v = d[i * alpha + j] + b
                                    for q in 0..<16 { o[q * m + j] = v[q] }
                                }
                            }
                            continue
                        }
                        for q in 0..<Swift.min(16, tiles - g) {
                            let t = g + q
                            let oy0 = (ty0 + t / tilesX) * m, ox0 = (t % tilesX) * m
                            let rows = Swift.min(m, outH - oy0), cols = Swift.min(m, outW - ox0)
                            for i in 0..<rows {
                                let o = out + (oy0 + i) * outW + ox0
                                for j in 0..<cols { o[j] = d[i * alpha + j][q] + b }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Step 2 of ``forward`` for the band of tile rows `tileRows`: `V[ξ, ci, t] = (Bᵀ d_t B)[ξ]`
    /// for each of its `T = tileRows.count · tilesX` tiles, into `v` laid out `[α², Cin, ldT]`
    /// (`ldT ≥ T` a multiple of 16; lanes `t ≥ T` zero). Tile `t` reads the
    /// `α×α` patch at `(m·ty, m·tx)` of the image padded by `p` (zeros or reflection, read in place).
    /// Parallel over input channels. Shared by ``forward`` and ``weightGradient``.
    static func transformInputBand(
        image: UnsafePointer<Float>, channels cin: Int, height h: Int, width w: Int, padding p: Int, border: BorderMode,
        tileRows: Range<Int>, tilesX: Int, variant: WinogradVariant, into vBuffer: UnsafeMutablePointer<Float>, ldT: Int
    ) {
        let m = variant.outputTile, alpha = variant.inputTile, a2 = alpha * alpha
        let ty0 = tileRows.lowerBound, tiles = tileRows.count * tilesX
        let scratchWidth = tilesX * m + 2 + 64  // slack: the strided vector gather reads up to 64 + 4 past a group
        let scratchRows = tileRows.count * m + 2
        let plane = h * w
        let minChannels = Swift.max(1, 4096 / Swift.max(1, ldT))
        Parallel.forEachChunk(count: cin, minimumChunk: minChannels) { channels in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchRows * scratchWidth)
            let d = UnsafeMutablePointer<V16>.allocate(capacity: a2)
            let blend = UnsafeMutablePointer<V16>.allocate(capacity: alpha)
            defer { scratch.deallocate(); d.deallocate(); blend.deallocate() }
            let offsets = UnsafeMutablePointer<Int>.allocate(capacity: 16)
            defer { offsets.deallocate() }
            for ci in channels {
                let src = image + ci * plane
                // Padded band rows: scratch[r, c] = x̃[m·ty0 + r, c] (x̃ = padded image).
                fillPaddedRows(src, height: h, width: w, rows: (m * ty0 - p)..<(m * ty0 - p + scratchRows), padding: p,
                               border: border, into: scratch, width: scratchWidth)
                let vChannel = vBuffer + ci * ldT
                for g in stride(from: 0, to: ldT, by: 16) {
                    loadGroup(variant, scratch, width: scratchWidth, group: g, tiles: tiles, tilesX: tilesX, patch: alpha,
                              into: d, blend: blend, offsets: offsets)
                    for j in 0..<alpha { inputTransform(variant, d + j, alpha) }
                    for i in 0..<alpha { inputTransform(variant, d + i * alpha, 1) }
                    for xi in 0..<a2 {
                        UnsafeMutableRawPointer(vChannel + xi * cin * ldT + g).storeBytes(of: d[xi], as: V16.self)
                    }
                }
            }
        }
    }

    /// `A · (p[0], p[s], …, p[(m−1)s])`: m values in, α values out (written to `p[0], p[s], …,
    /// p[(α−1)s]`); the transpose of ``outputTransform(_:_:_:)``, which the weight gradient
    /// applies to each output-gradient tile.
    @inline(__always)
    static func adjointOutputTransform(_ v: WinogradVariant, _ p: UnsafeMutablePointer<V16>, _ s: Int) {
        switch v {
        case .f2x2:
            let y0 = p[0], y1 = p[s]
            p[0] = y0
            p[s] = y0 + y1
            p[2 * s] = y0 - y1
            p[3 * s] = -y1
        case .f4x4:
            let y0 = p[0], y1 = p[s], y2 = p[2 * s], y3 = p[3 * s]
            let even = y0 + y2, odd = y1 + y3           // q1 = even + odd, q2 = even − odd
            let even4 = y0 + 4 * y2, odd4 = 2 * y1 + 8 * y3  // q3 = even4 + odd4, q4 = even4 − odd4
            p[0] = y0
            p[s] = even + odd
            p[2 * s] = even - odd
            p[3 * s] = even4 + odd4
            p[4 * s] = even4 - odd4
            p[5 * s] = y3
        }
    }

    /// The weight gradient's transform of the output gradient, for the band of tile rows
    /// `tileRows`: `dM[ξ, co, t] = (A · dY_t · Aᵀ)[ξ]` for the `m×m` tile `dY_t` of `dy` at
    /// `(m·ty, m·tx)` (zeros past the output's edge), into `dm` laid out `[α², Cout, ldT]`; lanes
    /// `t ≥ T` are zero, so they add nothing to the GEMMs. Parallel over output channels.
    static func transformGradientBand(
        gradient dy: UnsafePointer<Float>, channels cout: Int, height outH: Int, width outW: Int,
        tileRows: Range<Int>, tilesX: Int, variant: WinogradVariant, into dm: UnsafeMutablePointer<Float>, ldT: Int
    ) {
        let m = variant.outputTile, alpha = variant.inputTile, a2 = alpha * alpha
        let ty0 = tileRows.lowerBound, tiles = tileRows.count * tilesX
        let scratchWidth = tilesX * m + 64  // slack: the strided vector gather reads up to 16m + α from a group's start
        let scratchRows = tileRows.count * m
        let outPlane = outH * outW
        let minChannels = Swift.max(1, 4096 / Swift.max(1, ldT))
        Parallel.forEachChunk(count: cout, minimumChunk: minChannels) { channels in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchRows * scratchWidth)
            let d = UnsafeMutablePointer<V16>.allocate(capacity: a2)
            let blend = UnsafeMutablePointer<V16>.allocate(capacity: alpha)
            let offsets = UnsafeMutablePointer<Int>.allocate(capacity: 16)
            defer { scratch.deallocate(); d.deallocate(); blend.deallocate(); offsets.deallocate() }
            for co in channels {
                // scratch[r, c] = dy[co, m·ty0 + r, c], zero outside the output.
                fillPaddedRows(dy + co * outPlane, height: outH, width: outW, rows: (m * ty0)..<(m * ty0 + scratchRows),
                               padding: 0, border: .zero, into: scratch, width: scratchWidth)
                let dmChannel = dm + co * ldT
                for g in stride(from: 0, to: ldT, by: 16) {
                    loadGroup(variant, scratch, width: scratchWidth, group: g, tiles: tiles, tilesX: tilesX, patch: m,
                              into: d, blend: blend, offsets: offsets)
                    for i in 0..<m { adjointOutputTransform(variant, d + i * alpha, 1) }
                    for j in 0..<alpha { adjointOutputTransform(variant, d + j, alpha) }
                    for xi in 0..<a2 {
                        UnsafeMutableRawPointer(dmChannel + xi * cout * ldT + g).storeBytes(of: d[xi], as: V16.self)
                    }
                }
            }
        }
    }

    /// Weight gradient of ``forward`` for one CHW image, in the transform domain: adds
    /// `dU[ξ, co, ci] += Σ_t dM[ξ, co, t] · V[ξ, ci, t]` with `V = Bᵀ d_t B` (the forward's input
    /// transform) and `dM = A · dY_t · Aᵀ`, tile by tile, since `y_t = Aᵀ (U ⊙ V_t) A` is linear in
    /// `U`. ``untransformWeightGradient(_:outputChannels:inputChannels:variant:into:)`` then maps
    /// `dU` to `∂L/∂w = Gᵀ dU G`. The `α²` GEMMs have `K = T` (tiles): `α²/m²` multiplies per
    /// (output pixel, channel pair) instead of im2col's 9 (2.25× fewer for `F(4×4)`… 4× fewer
    /// in total). Bands of tile rows bound the workspace as in ``forward``.
    ///
    /// - Parameters:
    ///   - image: `Cin·H·W` floats; padding `p` (zeros or reflection) as in ``forward``.
    ///   - outputGradient: `Cout·outH·outW` floats, `outH = H + 2p − 2`, `outW = W + 2p − 2`.
    ///   - transformedGradient: `α²·Cout·Cin` floats laid out `[α², Cout, Cin]`, accumulated into
    ///     (zero it before the first image).
    public static func weightGradient(
        image: UnsafePointer<Float>, channels cin: Int, height h: Int, width w: Int,
        padding p: Int, border: BorderMode,
        outputGradient dy: UnsafePointer<Float>, outputChannels cout: Int,
        transformedGradient du: UnsafeMutablePointer<Float>, variant: WinogradVariant,
        workspaceBytes: Int = defaultWorkspaceBytes
    ) {
        let plan = BandPlan(channels: cin, height: h, width: w, padding: p, border: border, outputChannels: cout,
                            variant: variant, workspaceBytes: workspaceBytes)
        let (vBuffer, mBuffer) = plan.allocateBuffers()
        defer { vBuffer.deallocate(); mBuffer.deallocate() }
        for band in 0..<plan.bands {
            let rows = plan.tileRows(band)
            let ldT = plan.paddedTiles(rows)
            transformInputBand(image: image, channels: cin, height: h, width: w, padding: p, border: border,
                               tileRows: rows, tilesX: plan.tilesX, variant: variant, into: vBuffer, ldT: ldT)
            transformGradientBand(gradient: dy, channels: cout, height: plan.outH, width: plan.outW,
                                  tileRows: rows, tilesX: plan.tilesX, variant: variant, into: mBuffer, ldT: ldT)
            func gemm(_ xi: Int) {
                BLAS.sgemm(transposeB: true, m: cout, n: cin, k: ldT, a: mBuffer + xi * cout * ldT, lda: ldT,
                           b: vBuffer + xi * cin * ldT, ldb: ldT, beta: 1, c: du + xi * cout * cin, ldc: cin)
            }
            BLAS.concurrentCalls(count: plan.a2, gemm)
        }
    }

    /// `∂L/∂w[co, ci] = Gᵀ · dU[·, co, ci] · G` (3×3) for every channel pair, from the
    /// transform-domain gradient `dU` `[α², Cout, Cin]` of ``weightGradient``: the transpose of
    /// ``transformWeights``, one sgemm `dW (pairs × 9) = dUᵀ · (G ⊗ G)`. `weightGradient` is
    /// `Cout·Cin·9` floats (`[Cout, Cin, 3, 3]`), overwritten.
    public static func untransformWeightGradient(
        _ du: UnsafePointer<Float>, outputChannels cout: Int, inputChannels cin: Int, variant: WinogradVariant,
        into weightGradient: UnsafeMutablePointer<Float>
    ) {
        let a2 = variant.inputTile * variant.inputTile, pairs = cout * cin
        kroneckerFilter(variant).withUnsafeBufferPointer { kp in
            BLAS.sgemm(transposeA: true, m: pairs, n: 9, k: a2, a: du, lda: Swift.max(1, pairs),
                       b: kp.baseAddress!, ldb: 9, beta: 0, c: weightGradient, ldc: 9)
        }
    }
}

extension Tensor {
    /// 3×3 stride-1 convolution by Winograd's algorithm: `input` `[N, Cin, H, W]`, `weight`
    /// `[Cout, Cin, 3, 3]`, optional `bias` `[Cout]` → `[N, Cout, H + 2p − 2, W + 2p − 2]`,
    /// `y[n, co, oy, ox] = b[co] + Σ w[co, ci, ky, kx] · x̃[n, ci, oy + ky, ox + kx]` with `x̃` the
    /// input padded by `p` with zeros or by reflection (`border`). See ``Winograd``.
    /// - Precondition: a 3×3 weight matching the input channels; the kernel fits the padded input.
    ///
    /// With `adjoint: true` the weight is read as `[Cin', Cout', 3, 3]` = `[C_in of the result's
    /// producer…]`: the convolution computed is the one with the flipped, transposed kernel
    /// `w'[co, ci, ky, kx] = weight[ci, co, 2 − ky, 2 − kx]` (`[Cout, Cin]` = `[weight.shape[1],
    /// weight.shape[0]]`), i.e. the input gradient of a convolution with `weight`; no flipped copy
    /// is made.
    public static func winogradConv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, padding: Int = 1, border: BorderMode = .zero,
        variant: WinogradVariant = .f4x4, adjoint: Bool = false, workspaceBytes: Int = Winograd.defaultWorkspaceBytes
    ) -> Tensor {
        precondition(input.rank == 4, "winogradConv2d: input must be NCHW (rank 4), got \(input.shape)")
        let inAxis = adjoint ? 0 : 1
        precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3 && weight.shape[inAxis] == input.shape[1],
                     "winogradConv2d: weight \(weight.shape) does not match \(input.shape[1]) input channels (3x3 kernel, adjoint: \(adjoint))")
        let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let cout = weight.shape[1 - inAxis]
        if let bias { precondition(bias.shape == [cout], "winogradConv2d: bias must be [\(cout)], got \(bias.shape)") }
        let outH = h + 2 * padding - 2, outW = w + 2 * padding - 2
        precondition(outH >= 1 && outW >= 1, "winogradConv2d: 3x3 kernel does not fit \(h)x\(w) with padding \(padding)")
        let u = UnsafeMutablePointer<Float>.allocate(
            capacity: Winograd.transformedWeightCount(outputChannels: cout, inputChannels: cin, variant: variant))
        defer { u.deallocate() }
        weight.withUnsafeBufferPointer {
            Winograd.transformWeights($0.baseAddress!, outputChannels: weight.shape[0], inputChannels: weight.shape[1],
                                      variant: variant, flipped: adjoint, into: u)
        }
        return Tensor(shape: [n, cout, outH, outW]) { out in
            guard let y = out.baseAddress else { return }
            input.withUnsafeBufferPointer { x in
                func run(_ b: UnsafePointer<Float>?) {
                    for i in 0..<n {
                        Winograd.forward(image: x.baseAddress! + i * cin * h * w, channels: cin, height: h, width: w,
                                         padding: padding, border: border, transformedWeight: u, outputChannels: cout,
                                         bias: b, output: y + i * cout * outH * outW, variant: variant,
                                         transposedWeight: adjoint, workspaceBytes: workspaceBytes)
                    }
                }
                if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
            }
        }
    }

    /// Weight gradient of ``winogradConv2d(_:weight:bias:padding:border:variant:adjoint:workspaceBytes:)``
    /// (not adjoint) by Winograd's algorithm: `input` `[N, Cin, H, W]`, `outputGradient`
    /// `[N, Cout, H + 2p − 2, W + 2p − 2]` → `[Cout, Cin, 3, 3]`,
    /// `∂w[co, ci, ky, kx] = Σ_{n,oy,ox} dy[n, co, oy, ox] · x̃[n, ci, oy + ky, ox + kx]` (`x̃` padded
    /// by `p` per `border`). See ``Winograd/weightGradient(image:channels:height:width:padding:border:outputGradient:outputChannels:transformedGradient:variant:workspaceBytes:)``;
    /// the im2col twin is NN's `ConvolutionKernels.conv2dBackward`, the naive one NN's
    /// `Reference.conv2dBackward`.
    public static func winogradConv2dWeightGradient(
        _ input: Tensor, outputGradient dy: Tensor, padding: Int = 1, border: BorderMode = .zero,
        variant: WinogradVariant = .f4x4, workspaceBytes: Int = Winograd.defaultWorkspaceBytes,
        chunkBytes: Int = Winograd.weightGradientChunkBytes
    ) -> Tensor {
        precondition(input.rank == 4 && dy.rank == 4 && dy.shape[0] == input.shape[0],
                     "winogradConv2dWeightGradient: input \(input.shape) and gradient \(dy.shape) must be NCHW with one batch")
        let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (cout, outH, outW) = (dy.shape[1], h + 2 * padding - 2, w + 2 * padding - 2)
        precondition(dy.shape[2] == outH && dy.shape[3] == outW,
                     "winogradConv2dWeightGradient: gradient \(dy.shape) does not match the output [\(n), \(cout), \(outH), \(outW)]")
        // Output channels in balanced chunks of at most max(8, chunkBytes / (4α²·Cin)), so the
        // transient stays small next to the gradient itself (the input transform is redone per chunk).
        let a2 = variant.inputTile * variant.inputTile
        let fit = Swift.max(8, chunkBytes / Swift.max(1, a2 * cin * MemoryLayout<Float>.stride))
        let chunks = (cout + fit - 1) / Swift.max(1, fit)
        let largest = (cout + Swift.max(1, chunks) - 1) / Swift.max(1, chunks)
        let du = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, a2 * largest * cin))
        defer { du.deallocate() }
        let outPlane = outH * outW
        return Tensor(shape: [cout, cin, 3, 3]) { out in
            guard let dw = out.baseAddress else { return }
            input.withUnsafeBufferPointer { x in
                dy.withUnsafeBufferPointer { g in
                    for chunk in 0..<chunks {
                        let c0 = cout * chunk / chunks, c1 = cout * (chunk + 1) / chunks
                        du.initialize(repeating: 0, count: a2 * (c1 - c0) * cin)
                        for i in 0..<n {
                            Winograd.weightGradient(image: x.baseAddress! + i * cin * h * w, channels: cin, height: h, width: w,
                                                    padding: padding, border: border,
                                                    outputGradient: g.baseAddress! + (i * cout + c0) * outPlane,
                                                    outputChannels: c1 - c0, transformedGradient: du, variant: variant,
                                                    workspaceBytes: workspaceBytes)
                        }
                        Winograd.untransformWeightGradient(du, outputChannels: c1 - c0, inputChannels: cin, variant: variant,
                                                           into: dw + c0 * cin * 9)
                    }
                }
            }
        }
    }
}
