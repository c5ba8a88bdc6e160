import NN
import TensorCore

/// The generator G applied to one image of any size, either whole or in tiles with bounded memory,
/// the two giving the same result (to Float32 rounding).
///
/// Images are CHW `[Float]` arrays (`C·H·W` values, row-major planes; one plane for fluorescence
/// microscopy) with values in [−1, 1]; the result is `Cout·H·W` values in (−1, 1).
///
/// **Padding.** ``ResNetGenerator`` needs H and W multiples of 4 (two stride-2 convolutions) and at
/// least 8 (its residual blocks reflect-pad the H/4 × W/4 map by 1, which needs 2 pixels). An
/// image is therefore extended at the bottom and right to `paddedExtent(H) × paddedExtent(W)`,
/// `paddedExtent(n) = max(8, 4·⌈n/4⌉)`, by *repeated reflection* (``extensionIndex(_:count:)``:
/// `… 2 1 0 1 2 … n−1 n−2 … 1 0 1 …`, period `2(n − 1)`; a 1-pixel extent is replicated), the
/// generator runs on the padded image, and the result is cropped back to H × W. Plain reflection
/// (without repetition) is the same whenever it is possible (`n ≥ 4`); repetition only matters
/// for images narrower than 4 pixels.
///
/// **Whole** (``whole(_:width:height:)``): `generator(Variable(padded))`, the reference.
///
/// **Tiled** (``callAsFunction(_:width:height:)``): instance normalisation uses the statistics of
/// a whole feature plane, so tiles normalised with their own statistics disagree with each other
/// and with the whole image (seams). Here every instance norm uses the *global* statistics of the
/// padded image. Only the layers at full resolution (ngf channels at H × W, the memory hogs) run
/// tile by tile; the others run on whole maps, which at H/2 × W/2 (2·ngf channels) hold half and at
/// H/4 × W/4 (4·ngf channels) a quarter of the floats of one full-resolution layer. With `f` = ngf:
///
/// 1. `in_conv` statistics: every tile (origins multiples of 4, so the stride-2 `down1` samples the
///    whole image's grid) runs `in_conv` on a context window — the tile plus ``encoderMargin``
///    pixels on each side, clipped to the image — and the per-channel sums and sums of squares
///    (Float64) of its own pixels are accumulated.
/// 2. `down1`, tile by tile: `in_conv` → IN with the global statistics → ReLU → `down1` on the
///    window; the tile's own H/2 pixels go into the whole `[1, 2f, H/2, W/2]` map, and its statistics
///    are accumulated. Then IN + ReLU of that map in place.
/// 3. `down2` on the whole /2 map (exact), IN + ReLU: the `[1, 4f, H/4, W/4]` features.
/// 4. The residual trunk on the whole /4 map (exact), in place where possible.
/// 5. `up1` on the whole /4 map (exact), IN + ReLU: `[1, 2f, H/2, W/2]`.
/// 6. `up2` statistics over tiles (windows of the /2 map: tile/2 ± ``decoderMargin``).
/// 7. Per tile: `up2` → IN (global) → ReLU → `out_conv` → tanh on the window; the tile writes only
///    its own pixels.
///
/// The image's own borders keep the network's padding (reflection, zeros) exactly as in the whole
/// pass, because a window is clipped there; on interior sides the margin covers the layers' reach
/// and is dropped. Margins (the tests also check that smaller ones fail): after `in_conv` (7×7,
/// pad 3) the outermost 3 rows of a window are wrong on an interior side, after `down1` 2 rows at /2
/// = 4 full-resolution rows → ``encoderMargin`` 4; from an exact /2 window, `up2` (transposed
/// convolution or nearest ×2 + 3×3) spoils 1 full-resolution row, `out_conv` 3 more → 4 = 2 pixels
/// at /2 → ``decoderMargin`` 2.
///
/// Cost over the whole pass: `in_conv` and `up2` run twice (statistics passes), plus the margins.
/// Memory at the peak: three /4-sized maps (trunk), or the /2 map with the /4 map (steps 3 and 5) —
/// both `0.75·f·H·W` floats — plus one tile's windows (≈ `3·f·(T + 8)²` floats for tile side T),
/// against ≈ `2·f·H·W` floats for the whole pass; figures in docs/enhancement.md.
///
/// Beyond ``mapStorage``'s budget (2 GiB by default: planes larger than about 4096² at ngf 32) the
/// whole maps of steps 2–5 give way to the streamed pass (``MapStorage/streamedFloat16``,
/// ``streamed(_:tiles:width:height:)``): one Float16 map at H/4 × W/4 and every layer tile by tile.
///
/// A generator whose layers do not have the standard geometry (possible only by editing its public
/// layers) is run whole (``isTileable``).
public struct TiledGenerator {
    /// The generator G (any input/output channel count).
    public let generator: ResNetGenerator
    /// The tile side in full-resolution pixels, a multiple of 4 (the requested size rounded up),
    /// or 0: run whole.
    public let tileSize: Int

    /// Context pixels around a tile for `in_conv` and `down1`, at full resolution (even, so that
    /// `down1`'s stride-2 grid is the whole image's).
    public static let encoderMargin = 4
    /// Context pixels around a tile for `up2` and `out_conv`, at H/2 × W/2.
    public static let decoderMargin = 2
    /// ε of the generator's instance norms.
    static let epsilon: Float = 1e-5
    /// The margins in use (the tests shrink them to show that smaller ones break the equality).
    var margins = (encoder: TiledGenerator.encoderMargin, decoder: TiledGenerator.decoderMargin)
    /// The margins of the streamed pass (``MapStorage/streamedFloat16``), shrunk by the tests likewise.
    var streamMargins = (encoder: TiledGenerator.streamedEncoderMargin, trunk: TiledGenerator.trunkMargin,
                         decoder: TiledGenerator.streamedDecoderMargin)
    /// Called as `progress(done, total)` after each step of a tiled pass over more than one tile: the four
    /// passes over the tiles (`in_conv` statistics, `down1`, `up2` statistics, `out_conv`) and the trunk,
    /// `total = 4 · tiles + 1` steps. Not called for whole-image passes or a single tile. For progress
    /// displays (sn-enhance); it does not change the result.
    public var progress: ((_ done: Int, _ total: Int) -> Void)?
    /// How the maps below full resolution are held in a tiled pass (``MapStorage``); by default whole
    /// Float32 maps while they fit in ``defaultMapBudget``, streamed Float16 beyond.
    public var mapStorage: MapStorage = .automatic(budget: TiledGenerator.defaultMapBudget)

    /// Wraps `generator`; `tileSize` 0 runs whole images, any other size ≥ 1 is rounded up to a
    /// multiple of 4 (512 by default: ≈ 0.1 GB of tile working memory at ngf 32).
    /// - Precondition: `tileSize ≥ 0`.
    public init(generator: ResNetGenerator, tileSize: Int = 512) {
        precondition(tileSize >= 0, "TiledGenerator: tile size must be 0 (whole) or positive, got \(tileSize)")
        self.generator = generator
        self.tileSize = tileSize == 0 ? 0 : (tileSize + 3) / 4 * 4
    }

    /// Whether the generator has the standard layer geometry the tiled path relies on (7×7 stride-1
    /// reflect `in_conv`/`out_conv`, 3×3 stride-2 zero-padded `down1`/`down2`, and `up1`/`up2` either
    /// transposed k3 s2 p1 op1 or resize-convolutions with a 3×3 stride-1 convolution). Always true
    /// for generators built by ``ResNetGenerator/init(name:options:initializer:)``.
    public var isTileable: Bool {
        func conv(_ c: Conv2d, _ k: Int, _ s: Int, _ p: Int, _ mode: Padding) -> Bool {
            c.weight.value.shape[2] == k && c.weight.value.shape[3] == k && c.stride == s && c.padding == p && c.paddingMode == mode
        }
        func up(_ l: any Layer) -> Bool {
            if let t = l as? ConvTranspose2d {
                return t.weight.value.shape[2] == 3 && t.weight.value.shape[3] == 3 && t.stride == 2 && t.padding == 1 && t.outputPadding == 1
            }
            if let r = l as? ResizeConv2d {
                return r.conv.weight.value.shape[2] == 3 && r.conv.weight.value.shape[3] == 3 && r.conv.stride == 1 && r.conv.padding == 1
            }
            return false
        }
        let g = generator
        return conv(g.inConv, 7, 1, 3, .reflect) && conv(g.outConv, 7, 1, 3, .reflect)
            && conv(g.down1, 3, 2, 1, .zero) && conv(g.down2, 3, 2, 1, .zero) && up(g.up1) && up(g.up2)
    }

    // MARK: Padding

    /// The padded extent for an image extent `n ≥ 1`: `max(8, 4·⌈n/4⌉)`.
    public static func paddedExtent(_ n: Int) -> Int { max(8, (n + 3) / 4 * 4) }

    /// The source index of padded index `i ≥ 0` for an extent `count ≥ 1` under repeated reflection:
    /// `i` itself for `i < count`; otherwise reflected about the last and first pixels in turn (period
    /// `2(count − 1)`, the edge pixel not repeated: `0 1 2 … n−1 n−2 … 1 0 1 …`); 0 when `count == 1`.
    public static func extensionIndex(_ i: Int, count: Int) -> Int {
        precondition(i >= 0 && count >= 1)
        if i < count { return i }
        if count == 1 { return 0 }
        let period = 2 * (count - 1)
        let m = i % period
        return m < count ? m : period - m
    }

    /// `x` (CHW, `channels·height·width` values) extended at the bottom and right to
    /// `paddedExtent(height) × paddedExtent(width)` by ``extensionIndex(_:count:)``, as a
    /// `[1, channels, H', W']` tensor.
    public static func padded(_ x: [Float], channels: Int, width: Int, height: Int) -> Tensor {
        let source = PaddedPlanes(x, channels: channels, width: width, height: height)
        return source.window(Region(y0: 0, y1: source.paddedHeight, x0: 0, x1: source.paddedWidth))
    }

    /// CHW planes seen through the padding of ``padded(_:channels:width:height:)`` without building the
    /// padded copy: ``window(_:)`` reads any rectangle of the padded image straight from the planes.
    struct PaddedPlanes {
        let values: [Float]
        let channels: Int, width: Int, height: Int
        var paddedHeight: Int { TiledGenerator.paddedExtent(height) }
        var paddedWidth: Int { TiledGenerator.paddedExtent(width) }

        init(_ values: [Float], channels: Int, width: Int, height: Int) {
            precondition(width >= 1 && height >= 1 && channels >= 1 && values.count == channels * width * height,
                         "TiledGenerator: \(values.count) values for \(channels)×\(height)×\(width)")
            (self.values, self.channels, self.width, self.height) = (values, channels, width, height)
        }

        /// Rectangle `r` (inside the padded extent) of every channel as a `[1, channels, r.height, r.width]` tensor.
        func window(_ r: Region) -> Tensor {
            precondition(r.y0 >= 0 && r.x0 >= 0 && r.y1 <= paddedHeight && r.x1 <= paddedWidth && r.height > 0 && r.width > 0,
                         "PaddedPlanes: window out of range")
            let columns = (r.x0..<r.x1).map { TiledGenerator.extensionIndex($0, count: width) }
            let inside = r.x1 <= width
            return Tensor(shape: [1, channels, r.height, r.width], unsafeUninitializedScalars: { out in
                values.withUnsafeBufferPointer { src in
                    for c in 0..<channels {
                        for y in 0..<r.height {
                            let row = src.baseAddress! + (c * height + TiledGenerator.extensionIndex(r.y0 + y, count: height)) * width
                            let dst = out.baseAddress! + (c * r.height + y) * r.width
                            if inside {
                                dst.update(from: row + r.x0, count: r.width)
                            } else {
                                for (j, s) in columns.enumerated() { dst[j] = row[s] }
                            }
                        }
                    }
                }
            })
        }
    }

    /// The top-left `height × width` corner of every channel of `t` `[1, C, H', W']`, as CHW values.
    static func cropped(_ t: Tensor, width: Int, height: Int) -> [Float] {
        let (c, ph, pw) = (t.shape[1], t.shape[2], t.shape[3])
        var out = [Float](repeating: 0, count: c * height * width)
        t.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for y in 0..<height {
                        (dst.baseAddress! + (ch * height + y) * width)
                            .update(from: src.baseAddress! + (ch * ph + y) * pw, count: width)
                    }
                }
            }
        }
        return out
    }

    // MARK: Whole

    /// The reference: G on the padded image in one pass (`generator(Variable(padded))`), cropped.
    /// `x`: `Cin·height·width` values in [−1, 1] (CHW) → `Cout·height·width` values in (−1, 1).
    /// Memory grows with the image: ≈ 2 × ngf full-resolution planes of Float32 at the peak.
    public func whole(_ x: [Float], width: Int, height: Int) -> [Float] {
        let input = Self.padded(x, channels: generator.options.inputChannels, width: width, height: height)
        return Self.cropped(generator(Variable(input)).value, width: width, height: height)
    }

    // MARK: Tiled

    /// G on `x` (`Cin·height·width` values in [−1, 1], CHW, any `width, height ≥ 1`) →
    /// `Cout·height·width` values in (−1, 1): full-resolution layers tile by tile with global
    /// instance-norm statistics (see the type's documentation) when ``tileSize`` > 0 and
    /// ``isTileable``; otherwise ``whole(_:width:height:)``.
    public func callAsFunction(_ x: [Float], width: Int, height: Int) -> [Float] {
        guard tileSize > 0, isTileable else { return whole(x, width: width, height: height) }
        let input = PaddedPlanes(x, channels: generator.options.inputChannels, width: width, height: height)
        let tiles = Self.tiles(height: input.paddedHeight, width: input.paddedWidth, size: tileSize)
        if resolvedMapStorage(height: input.paddedHeight, width: input.paddedWidth) == .streamedFloat16 {
            return streamed(input, tiles: tiles, width: width, height: height)
        }
        let counter = tiles.count > 1 ? progress.map { TileCounter(total: 4 * tiles.count + 1, report: $0) } : nil
        var features = encode(input, tiles: tiles, counter: counter)
        features = trunk(features)
        counter?.tick()
        return decode(features, tiles: tiles, width: width, height: height, counter: counter)
    }

    /// Counts the steps of one tiled pass for ``progress``.
    final class TileCounter {
        let total: Int
        let report: (Int, Int) -> Void
        var done = 0
        init(total: Int, report: @escaping (Int, Int) -> Void) { self.total = total; self.report = report }
        func tick() { done += 1; report(done, total) }
    }

    /// Encoder, padded input `[1, Cin, H, W]` → normalised, rectified `down2` output `[1, 4f, H/4, W/4]`:
    /// `in_conv` statistics over tiles; `in_conv` → IN → ReLU → `down1` per tile into the whole /2 map
    /// (with its statistics); IN → ReLU of that map in place; `down2` on it whole; IN → ReLU.
    func encode(_ input: PaddedPlanes, tiles: [Region], counter: TileCounter? = nil) -> Tensor {
        let (ph, pw) = (input.paddedHeight, input.paddedWidth)
        let inStats = inConvMoments(input, tiles: tiles, counter: counter)
        var half = Tensor.zeros([1, generator.down1.weight.value.shape[0], ph / 2, pw / 2])
        var downStats = ChannelMoments(channels: half.shape[1])
        for tile in tiles {
            let (d, t) = down1Window(input, tile: tile, margin: margins.encoder, inStats: inStats)
            downStats.add(d, region: t.scaled(down: 2))
            Self.paste(d, region: t.scaled(down: 2), into: &half, at: tile.scaled(down: 2))
            counter?.tick()
        }
        Self.normalizeActivate(&half, downStats, slope: 0)
        var quarter = generator.down2(Variable(half)).value
        Self.normalizeActivate(&quarter, ChannelMoments(whole: quarter), slope: 0)
        return quarter
    }

    /// Step 1 of the encoder: the global statistics of `in_conv`'s output, accumulated over the tiles'
    /// own pixels (windows: tile ± ``encoderMargin``).
    func inConvMoments(_ input: PaddedPlanes, tiles: [Region], counter: TileCounter?) -> ChannelMoments {
        var inStats = ChannelMoments(channels: generator.inConv.weight.value.shape[0])
        for tile in tiles {
            let (window, t) = Self.window(tile, scale: 1, margin: margins.encoder, height: input.paddedHeight, width: input.paddedWidth)
            inStats.add(generator.inConv(Variable(input.window(window))).value, region: t)
            counter?.tick()
        }
        return inStats
    }

    /// `in_conv` → IN (global `inStats`) → ReLU → `down1` on the window tile ± `margin` (full-resolution
    /// pixels, a multiple of 4): the raw `down1` map of the window `[1, 2f, h/2, w/2]`, and the tile's
    /// place in the window at full resolution.
    func down1Window(_ input: PaddedPlanes, tile: Region, margin: Int, inStats: ChannelMoments) -> (Tensor, Region) {
        let (window, t) = Self.window(tile, scale: 1, margin: margin, height: input.paddedHeight, width: input.paddedWidth)
        var y = generator.inConv(Variable(input.window(window))).value
        Self.normalizeActivate(&y, inStats, slope: 0)
        return (generator.down1(Variable(y)).value, t)
    }

    /// Decoder, trunk output `[1, 4f, H/4, W/4]` → `Cout·height·width` values (cropped): `up1` whole,
    /// IN → ReLU; `up2` statistics over tiles of the /2 map; `up2` → IN → ReLU → `out_conv` → tanh
    /// per tile, each writing its own pixels.
    func decode(_ features: Tensor, tiles: [Region], width: Int, height: Int, counter: TileCounter? = nil) -> [Float] {
        var half = generator.up1(Variable(features)).value
        Self.normalizeActivate(&half, ChannelMoments(whole: half), slope: 0)
        let (ph, pw) = (2 * half.shape[2], 2 * half.shape[3])
        var upStats = ChannelMoments(channels: Self.outputChannels(generator.up2))
        for tile in tiles {
            let (window, t) = Self.window(tile, scale: 2, margin: margins.decoder, height: ph, width: pw)
            upStats.add(generator.up2(Variable(Self.crop(half, window))).value, region: t.scaled(up: 2))
            counter?.tick()
        }
        var output = [Float](repeating: 0, count: generator.outConv.weight.value.shape[0] * height * width)
        for tile in tiles {
            defer { counter?.tick() }
            guard tile.y0 < height && tile.x0 < width else { continue }
            let (window, t) = Self.window(tile, scale: 2, margin: margins.decoder, height: ph, width: pw)
            var u = generator.up2(Variable(Self.crop(half, window))).value
            Self.normalizeActivate(&u, upStats, slope: 0)
            let o = generator.outConv(Variable(u)).value
            Self.write(o, region: t.scaled(up: 2), tanhInto: &output, at: tile, width: width, height: height)
        }
        return output
    }

    /// The residual blocks on the whole /4 map, in place where possible:
    /// `x ← x + IN(conv2(ReLU(IN(conv1(x)))))` with exact whole-map statistics (peak: x and two
    /// block-sized tensors, as the plain generator).
    func trunk(_ input: Tensor) -> Tensor {
        var x = input
        for block in generator.residual {
            var r: Tensor
            do {
                var h = block.conv1(Variable(x)).value
                Self.normalizeActivate(&h, ChannelMoments(whole: h), slope: 0)
                r = block.conv2(Variable(h)).value
            }
            Self.normalizeActivate(&r, ChannelMoments(whole: r), slope: 1)
            x += r
        }
        return x
    }

    // MARK: Tiles

    /// A rectangle `[y0, y1) × [x0, x1)`.
    struct Region: Equatable {
        var y0: Int, y1: Int, x0: Int, x1: Int
        var height: Int { y1 - y0 }
        var width: Int { x1 - x0 }
        func scaled(down s: Int) -> Region { Region(y0: y0 / s, y1: y1 / s, x0: x0 / s, x1: x1 / s) }
        func scaled(up s: Int) -> Region { Region(y0: y0 * s, y1: y1 * s, x0: x0 * s, x1: x1 * s) }
    }

    /// The non-overlapping `size × size` tiles (smaller at the bottom and right) of a padded image, in
    /// raster order; all corners are multiples of 4 when `size`, `height` and `width` are.
    static func tiles(height: Int, width: Int, size: Int) -> [Region] {
        stride(from: 0, to: height, by: size).flatMap { y in
            stride(from: 0, to: width, by: size).map { x in
                Region(y0: y, y1: min(height, y + size), x0: x, x1: min(width, x + size))
            }
        }
    }

    /// A full-resolution tile's context window in a map at 1/`scale` resolution (of the padded
    /// `height × width` image): the tile/`scale` ± `margin` pixels of that map, clipped to it; and the
    /// tile's position inside the window.
    static func window(_ tile: Region, scale: Int, margin m: Int, height: Int, width: Int) -> (window: Region, tile: Region) {
        let t = tile.scaled(down: scale)
        let w = Region(y0: max(0, t.y0 - m), y1: min(height / scale, t.y1 + m),
                       x0: max(0, t.x0 - m), x1: min(width / scale, t.x1 + m))
        return (w, Region(y0: t.y0 - w.y0, y1: t.y1 - w.y0, x0: t.x0 - w.x0, x1: t.x1 - w.x0))
    }

    static func outputChannels(_ layer: any Layer) -> Int {
        if let t = layer as? ConvTranspose2d { return t.weight.value.shape[1] }
        if let r = layer as? ResizeConv2d { return r.conv.weight.value.shape[0] }
        if let c = layer as? Conv2d { return c.weight.value.shape[0] }
        preconditionFailure("TiledGenerator: unsupported layer \(type(of: layer))")
    }

    // MARK: Kernels

    /// Per-channel Float64 sums `Σx`, `Σx²` and the pixel count, accumulated over tiles; the mean
    /// `μ = Σx/n` and biased variance `σ² = max(0, Σx²/n − μ²)` of instance normalisation.
    struct ChannelMoments {
        var sum: [Double]
        var sumOfSquares: [Double]
        var count = 0

        init(channels: Int) {
            sum = [Double](repeating: 0, count: channels)
            sumOfSquares = sum
        }

        /// The moments of every pixel of `t` `[1, C, H, W]`.
        init(whole t: Tensor) {
            self.init(channels: t.shape[1])
            add(t, region: Region(y0: 0, y1: t.shape[2], x0: 0, x1: t.shape[3]))
        }

        var mean: [Double] { sum.map { $0 / Double(max(count, 1)) } }
        var variance: [Double] {
            zip(sum, sumOfSquares).map { s, q in
                let n = Double(max(count, 1)), mu = s / n
                return max(0, q / n - mu * mu)
            }
        }

        /// Instance normalisation's per-channel shift `μ` and scale `1/√(σ² + ε)` (ε = 1e-5), in Float32.
        var normalization: (mean: [Float], scale: [Float]) {
            (mean.map(Float.init), variance.map { Float(1 / ($0 + Double(TiledGenerator.epsilon)).squareRoot()) })
        }

        /// Adds the pixels of `region` of every channel of `t` `[1, C, H, W]` (rows summed in Float32
        /// `SIMD16` lanes, ≤ 33 terms each, then in Float64).
        mutating func add(_ t: Tensor, region r: Region) {
            let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
            precondition(c == sum.count && r.y0 >= 0 && r.y1 <= h && r.x0 >= 0 && r.x1 <= w, "ChannelMoments: region out of range")
            count += r.height * r.width
            t.withUnsafeBufferPointer { src in
                sum.withUnsafeMutableBufferPointer { sp in
                    sumOfSquares.withUnsafeMutableBufferPointer { qp in
                        let (base, sums, squares) = (src.baseAddress!, sp.baseAddress!, qp.baseAddress!)
                        Parallel.forEachChunk(count: c, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, r.height * r.width))) { channels in
                            for ch in channels {
                                var s = 0.0, q = 0.0
                                for y in r.y0..<r.y1 {
                                    let row = UnsafeRawPointer(base + (ch * h + y) * w + r.x0)
                                    var a = SIMD16<Float>(), b = SIMD16<Float>()
                                    var i = 0
                                    while i + 16 <= r.width {
                                        let v = row.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                                        a += v
                                        b += v * v
                                        i += 16
                                    }
                                    var rs = Double(a.sum()), rq = Double(b.sum())
                                    let p = row.assumingMemoryBound(to: Float.self)
                                    while i < r.width { let v = Double(p[i]); rs += v; rq += v * v; i += 1 }
                                    s += rs
                                    q += rq
                                }
                                sums[ch] += s
                                squares[ch] += q
                            }
                        }
                    }
                }
            }
        }
    }

    /// In place, per channel plane of `t` `[1, C, H, W]`: `x̂ = (x − μ_c)/√(σ²_c + ε)` with the given
    /// (global) statistics, then `y = x̂ > 0 ? x̂ : slope·x̂` (slope 0: ReLU; 1: identity). Inference
    /// only (no tape). ε = 1e-5, as the generator's instance norms.
    static func normalizeActivate(_ t: inout Tensor, _ moments: ChannelMoments, slope: Float) {
        let (c, plane) = (t.shape[1], t.shape[2] * t.shape[3])
        precondition(c == moments.sum.count, "normalizeActivate: \(c) channels, statistics for \(moments.sum.count)")
        let (mean, scale) = moments.normalization
        t.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.forEachChunk(count: c, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, plane))) { channels in
                for ch in channels {
                    let p = base + ch * plane
                    let (mu, inv) = (mean[ch], scale[ch])
                    for i in 0..<plane {
                        let v = (p[i] - mu) * inv
                        p[i] = v > 0 ? v : slope * v
                    }
                }
            }
        }
    }

    /// `region` of every channel of `t` `[1, C, H, W]` as a new `[1, C, h, w]` tensor.
    static func crop(_ t: Tensor, _ region: Region) -> Tensor {
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        if region == Region(y0: 0, y1: h, x0: 0, x1: w) { return t }
        return Tensor(shape: [1, c, region.height, region.width], unsafeUninitializedScalars: { out in
            t.withUnsafeBufferPointer { src in
                for ch in 0..<c {
                    for y in 0..<region.height {
                        (out.baseAddress! + (ch * region.height + y) * region.width)
                            .update(from: src.baseAddress! + (ch * h + region.y0 + y) * w + region.x0, count: region.width)
                    }
                }
            }
        })
    }

    /// Copies `region` of every channel of `t` into `destination` `[1, C, H, W]` at `target` (same size).
    static func paste(_ t: Tensor, region: Region, into destination: inout Tensor, at target: Region) {
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        let (dh, dw) = (destination.shape[2], destination.shape[3])
        precondition(region.height == target.height && region.width == target.width && region.y1 <= h && region.x1 <= w)
        t.withUnsafeBufferPointer { src in
            destination.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for y in 0..<region.height {
                        (dst.baseAddress! + (ch * dh + target.y0 + y) * dw + target.x0)
                            .update(from: src.baseAddress! + (ch * h + region.y0 + y) * w + region.x0, count: region.width)
                    }
                }
            }
        }
    }

    /// Writes `tanh` of `region` of `t` `[1, C, h, w]` (TensorCore's `Tensor.tanh`, as the generator's
    /// last activation) into the CHW `output` (`height × width` planes) at `target`, clipped to the
    /// output (the padding is dropped).
    static func write(_ t: Tensor, region: Region, tanhInto output: inout [Float], at target: Region, width: Int, height: Int) {
        let rows = min(target.y1, height) - target.y0, columns = min(target.x1, width) - target.x0
        guard rows > 0, columns > 0 else { return }
        let y = crop(t, Region(y0: region.y0, y1: region.y0 + rows, x0: region.x0, x1: region.x0 + columns)).tanh()
        let c = t.shape[1]
        y.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for r in 0..<rows {
                        (dst.baseAddress! + (ch * height + target.y0 + r) * width + target.x0)
                            .update(from: src.baseAddress! + (ch * rows + r) * columns, count: columns)
                    }
                }
            }
        }
    }
}

/// Enhancement of one single-channel intensity plane with a trained G: percentile normalisation to
/// [−1, 1], G (tiled, ``TiledGenerator``), and the inverse map back to the input's intensities.
///
/// With `low`, `high` the intensities that map to −1 and 1 (the plane's ``percentiles`` — default
/// 1 and 99.8 % — computed by the caller, e.g. MicroscopyIO's
/// `IntensityNormalization.percentiles(of:low:high:)`; this module does not depend on MicroscopyIO):
///
///     x̃ = (x − low)·2/(high − low) − 1        (values outside [low, high] are not clipped)
///     ỹ = G(x̃) ∈ (−1, 1)
///     y = (ỹ + 1)·(high − low)/2 + low       (``OutputScale/intensity``: −1 ↦ low, 1 ↦ high)
///
/// the same formulas as `IntensityNormalization.apply` / `invert`, evaluated in Float64 when the Float32
/// factors 2/(high − low) or (high − low)/2 would overflow or underflow (a plane of subnormal values such as
/// 1e-40, or one spanning more than 3.4e38), so every finite plane gives a finite result. Non-finite input pixels enter G
/// as −1 (the low percentile). A plane without intensity range (`high ≤ low`: constant, or no
/// finite value) is not passed through G: there is no contrast to enhance and no scale to map G's
/// output back to; ``OutputScale/intensity`` returns it unchanged and ``OutputScale/normalized``
/// returns zeros (the image of a constant under IntensityNormalization's degenerate shift).
public struct Enhancer {
    /// Where the enhanced values are expressed.
    public enum OutputScale: Sendable, Equatable {
        /// The input's intensities: `y = (ỹ + 1)·(high − low)/2 + low`.
        case intensity
        /// G's own output `ỹ` in (−1, 1).
        case normalized
    }

    /// G, whole or tiled.
    public var generator: TiledGenerator
    /// The per-image percentiles mapped to −1 and 1 (from the model file's metadata).
    public var percentiles: (low: Double, high: Double)

    /// An enhancer for `model`'s G with `tileSize` (0: whole images; see ``TiledGenerator``).
    /// - Precondition: G has one input and one output channel.
    public init(model: GeneratorModel, tileSize: Int = 512) {
        precondition(model.generator.options.inputChannels == 1 && model.generator.options.outputChannels == 1,
                     "Enhancer: G must map one channel to one channel")
        generator = TiledGenerator(generator: model.generator, tileSize: tileSize)
        percentiles = model.percentiles
    }

    /// Enhances a `width × height` plane of intensities (row-major) whose normalisation maps `low` to
    /// −1 and `high` to 1 (see the type's documentation). Values are then clamped to `range` when
    /// given (e.g. `0...65535` for a 16-bit output). Returns `width·height` values.
    public func enhance(_ pixels: [Float], width: Int, height: Int, low: Float, high: Float,
                        scale: OutputScale = .intensity, clampedTo range: ClosedRange<Float>? = nil) -> [Float] {
        precondition(width >= 1 && height >= 1 && pixels.count == width * height,
                     "Enhancer: \(pixels.count) pixels for \(width)×\(height)")
        var result: [Float]
        let forward = 2 / (high - low), backward = (high - low) / 2
        if high > low, forward.isNormal, backward.isNormal {
            let normalized = pixels.map { $0.isFinite ? ($0 - low) * forward - 1 : -1 }
            result = generator(normalized, width: width, height: height)
            if scale == .intensity {
                for i in result.indices { result[i] = (result[i] + 1) * backward + low }
            }
        } else if high > low {
            // The Float32 factors over- or underflow (a range of subnormal values, or one wider than 3.4e38):
            // the same maps in Float64, so the result stays finite.
            let (lo, forward64) = (Double(low), 2 / (Double(high) - Double(low)))
            let normalized = pixels.map { $0.isFinite ? Float((Double($0) - lo) * forward64 - 1) : -1 }
            result = generator(normalized, width: width, height: height)
            if scale == .intensity {
                let backward64 = (Double(high) - Double(low)) / 2
                for i in result.indices { result[i] = Float((Double(result[i]) + 1) * backward64 + lo) }
            }
        } else {
            result = scale == .intensity ? pixels : [Float](repeating: 0, count: pixels.count)
        }
        if let range {
            for i in result.indices where !(result[i] >= range.lowerBound && result[i] <= range.upperBound) {
                result[i] = result[i] > range.upperBound ? range.upperBound : range.lowerBound
            }
        }
        return result
    }
}
