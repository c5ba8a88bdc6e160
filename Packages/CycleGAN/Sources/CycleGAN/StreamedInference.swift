import NN
import TensorCore

// Streamed tiled inference: the generator G on images too large for its whole Float32 feature maps,
// with memory set by one Float16 map at H/4 × W/4 and the tile, not by three Float32 maps.

extension TiledGenerator {
    /// How a tiled pass (``TiledGenerator/callAsFunction(_:width:height:)``) holds the feature maps
    /// below full resolution. With `f` = ngf and `H' × W'` the padded image:
    public enum MapStorage: Sendable, Equatable {
        /// Whole Float32 maps at H/2 × W/2 and H/4 × W/4 (the steps in ``TiledGenerator``'s
        /// documentation): at the peak `0.75·f·H'·W'` floats = `3·f·H'·W'` bytes. The fastest.
        case wholeFloat32
        /// One Float16 map at H/4 × W/4 (`4f` channels: `f·H'·W'/2` bytes, a sixth of
        /// ``wholeFloat32``); every layer runs tile by tile, and each instance norm's global statistics
        /// come from a pass of its own that recomputes the layers since the stored map. See
        /// ``TiledGenerator/streamed(_:tiles:width:height:)``. About twice the time of
        /// ``wholeFloat32``; the result equals the whole pass to Float16 rounding of the stored map.
        case streamedFloat16
        /// ``wholeFloat32`` when its maps (`3·f·H'·W'` bytes) fit in `budget` bytes, else
        /// ``streamedFloat16``.
        case automatic(budget: Int)
    }

    /// The default budget of ``MapStorage/automatic(budget:)``: 2 GiB, so that images up to about
    /// 4096² (ngf 32) keep the faster whole maps and larger ones stream.
    public static let defaultMapBudget = 2 << 30

    /// Bytes of the whole Float32 maps (``MapStorage/wholeFloat32``) for a padded `height × width` image:
    /// `3·f·height·width`.
    public func wholeMapBytes(height: Int, width: Int) -> Int {
        3 * generator.options.filters * height * width
    }

    /// ``mapStorage`` resolved for a padded `height × width` image: ``MapStorage/wholeFloat32`` or
    /// ``MapStorage/streamedFloat16``.
    public func resolvedMapStorage(height: Int, width: Int) -> MapStorage {
        switch mapStorage {
        case .wholeFloat32, .streamedFloat16: mapStorage
        case .automatic(let budget): wholeMapBytes(height: height, width: width) <= budget ? .wholeFloat32 : .streamedFloat16
        }
    }

    /// Context at H/4 × W/4 around a tile for the residual blocks (two 3×3 convolutions: 1 row each).
    public static let trunkMargin = 2
    /// Context at H/4 × W/4 around a tile for `up1` → `up2` → `out_conv`.
    public static let streamedDecoderMargin = 2
    /// Context at full resolution for `in_conv` → `down1` → `down2` (a multiple of 4: ``encoderMargin``
    /// plus 2 pixels of `down1`'s output for `down2`).
    public static let streamedEncoderMargin = 8

    /// The streamed pass (``MapStorage/streamedFloat16``) on the padded `input` cut into `tiles`:
    ///
    /// 1. `in_conv` statistics, `down1` statistics (windows: tile ± ``encoderMargin``), then per tile
    ///    `in_conv` → IN → ReLU → `down1` → IN → ReLU → `down2` (tile ± ``streamedEncoderMargin``): the tile's
    ///    H/4 pixels go into the Float16 map `[4f, H/4, W/4]` and their sums into `down2`'s statistics;
    ///    then IN + ReLU of the map in place.
    /// 2. Each residual block `x ← x + IN(conv2(ReLU(IN(conv1(x)))))` in three passes over tiles of the
    ///    map (side = tile/4): `conv1` statistics (window ± 1); `conv1` → IN → ReLU → `conv2` statistics
    ///    (± 2); the same again → IN → `+ x`, written back. A band of tiles is written only once the next
    ///    band has read its context, so the block runs in place.
    /// 3. `up1` statistics (map windows ± 1 quarter pixel), `up2` statistics and then per tile
    ///    `up1` → IN → ReLU → `up2` → IN → ReLU → `out_conv` → tanh (± ``streamedDecoderMargin``).
    ///
    /// Windows are clipped to the image, so its borders see the network's own padding exactly; the
    /// margins cover the layers' reach on interior sides. The residual trunk costs 5 instead of 2
    /// convolutions per block, the encoder and decoder layers run up to 3 times.
    /// Returns `Cout·height·width` values in (−1, 1).
    func streamed(_ input: PaddedPlanes, tiles: [Region], width: Int, height: Int) -> [Float] {
        let (ph, pw) = (input.paddedHeight, input.paddedWidth)
        let quarterTiles = Self.tiles(height: ph / 4, width: pw / 4, size: max(4, tileSize / 4))
        let bands = Dictionary(grouping: quarterTiles, by: \.y0).sorted { $0.key < $1.key }.map(\.value)
        let steps = 6 * tiles.count + 1 + 3 * generator.residual.count * quarterTiles.count
        let counter = tiles.count > 1 ? progress.map { TileCounter(total: steps, report: $0) } : nil

        // 1. Encoder.
        let inStats = inConvMoments(input, tiles: tiles, counter: counter)
        var downStats = ChannelMoments(channels: generator.down1.weight.value.shape[0])
        for tile in tiles {
            let (d, t) = down1Window(input, tile: tile, margin: margins.encoder, inStats: inStats)
            downStats.add(d, region: t.scaled(down: 2))
            counter?.tick()
        }
        var map = HalfMap(channels: generator.down2.weight.value.shape[0], height: ph / 4, width: pw / 4)
        var quarterStats = ChannelMoments(channels: map.channels)
        for tile in tiles {
            var (d, t) = down1Window(input, tile: tile, margin: streamMargins.encoder, inStats: inStats)
            Self.normalizeActivate(&d, downStats, slope: 0)
            let q = generator.down2(Variable(d)).value
            t = t.scaled(down: 4)
            quarterStats.add(q, region: t)
            map.store(q, region: t, at: tile.scaled(down: 4))
            counter?.tick()
        }
        map.normalizeActivate(quarterStats, slope: 0)
        counter?.tick()

        // 2. Residual trunk, block by block in place.
        for block in generator.residual {
            streamedBlock(block, map: &map, tiles: quarterTiles, bands: bands, counter: counter)
        }

        // 3. Decoder.
        var upStats = ChannelMoments(channels: Self.outputChannels(generator.up1))
        for tile in tiles {
            let (window, t) = Self.window(tile, scale: 4, margin: 1, height: ph, width: pw)
            upStats.add(generator.up1(Variable(map.window(window))).value, region: t.scaled(up: 2))
            counter?.tick()
        }
        /// `up1` → IN → ReLU → `up2` on the map window of `tile` ± ``streamedDecoderMargin``: the raw `up2`
        /// output of the window and the tile's place in it (full resolution).
        func up2Window(_ tile: Region) -> (Tensor, Region) {
            let (window, t) = Self.window(tile, scale: 4, margin: streamMargins.decoder, height: ph, width: pw)
            var u = generator.up1(Variable(map.window(window))).value
            Self.normalizeActivate(&u, upStats, slope: 0)
            return (generator.up2(Variable(u)).value, t.scaled(up: 4))
        }
        var up2Stats = ChannelMoments(channels: Self.outputChannels(generator.up2))
        for tile in tiles {
            let (v, t) = up2Window(tile)
            up2Stats.add(v, region: t)
            counter?.tick()
        }
        var output = [Float](repeating: 0, count: generator.outConv.weight.value.shape[0] * height * width)
        for tile in tiles {
            defer { counter?.tick() }
            guard tile.y0 < height && tile.x0 < width else { continue }
            var (v, t) = up2Window(tile)
            Self.normalizeActivate(&v, up2Stats, slope: 0)
            let o = generator.outConv(Variable(v)).value
            Self.write(o, region: t, tanhInto: &output, at: tile, width: width, height: height)
        }
        return output
    }

    /// One residual block `x ← x + IN(conv2(ReLU(IN(conv1(x)))))` on the Float16 map, in place, with
    /// global statistics (three passes over `tiles`, see ``streamed(_:tiles:width:height:)``). The new
    /// values of a band of tiles wait until the next band has been computed, since that band reads the
    /// last ``trunkMargin`` rows of this one as context.
    func streamedBlock(_ block: (conv1: Conv2d, conv2: Conv2d), map: inout HalfMap, tiles: [Region], bands: [[Region]],
                       counter: TileCounter?) {
        let (h, w) = (map.height, map.width)
        var stats1 = ChannelMoments(channels: map.channels)
        for tile in tiles {
            let (window, t) = Self.window(tile, scale: 1, margin: 1, height: h, width: w)
            stats1.add(block.conv1(Variable(map.window(window))).value, region: t)
            counter?.tick()
        }
        /// conv1 → IN → ReLU → conv2 on the window tile ± ``trunkMargin``: the raw conv2 output, the
        /// window's x, and the tile's place in the window.
        func branch(_ tile: Region) -> (Tensor, Tensor, Region) {
            let (window, t) = Self.window(tile, scale: 1, margin: streamMargins.trunk, height: h, width: w)
            let x = map.window(window)
            var y = block.conv1(Variable(x)).value
            Self.normalizeActivate(&y, stats1, slope: 0)
            return (block.conv2(Variable(y)).value, x, t)
        }
        var stats2 = ChannelMoments(channels: map.channels)
        for tile in tiles {
            let (r, _, t) = branch(tile)
            stats2.add(r, region: t)
            counter?.tick()
        }
        var pending: (rows: Region, values: HalfMap)? = nil
        for band in bands {
            let rows = Region(y0: band[0].y0, y1: band[0].y1, x0: 0, x1: w)
            var values = HalfMap(channels: map.channels, height: rows.height, width: w)
            for tile in band {
                var (r, x, t) = branch(tile)
                Self.normalizeActivate(&r, stats2, slope: 1)
                r += x
                values.store(r, region: t, at: Region(y0: 0, y1: tile.height, x0: tile.x0, x1: tile.x1))
                counter?.tick()
            }
            if let p = pending { map.replaceRows(p.rows, with: p.values) }
            pending = (rows, values)
        }
        if let p = pending { map.replaceRows(p.rows, with: p.values) }
    }
}

/// A `[C, H, W]` feature map held as Float16: half the bytes of Float32, relative rounding ≤ 2⁻¹¹
/// (≈ 4.9e-4). Values beyond the Float16 range (|v| > 65504) are stored as ±65504, NaN as NaN.
struct HalfMap {
    let channels: Int, height: Int, width: Int
    var storage: [Float16]

    /// A map of zeros.
    init(channels: Int, height: Int, width: Int) {
        (self.channels, self.height, self.width) = (channels, height, width)
        storage = [Float16](repeating: 0, count: channels * height * width)
    }

    /// Float32 → Float16, saturating at ±65504 (the largest finite Float16).
    @inline(__always) static func half(_ v: Float) -> Float16 {
        Float16(v > 65504 ? 65504 : (v < -65504 ? -65504 : v))
    }

    /// Rectangle `r` of every channel as a Float32 `[1, C, r.height, r.width]` tensor.
    func window(_ r: TiledGenerator.Region) -> Tensor {
        precondition(r.y0 >= 0 && r.x0 >= 0 && r.y1 <= height && r.x1 <= width, "HalfMap: window out of range")
        return Tensor(shape: [1, channels, r.height, r.width], unsafeUninitializedScalars: { out in
            storage.withUnsafeBufferPointer { src in
                let (s, d) = (src.baseAddress!, out.baseAddress!)
                Parallel.forEachChunk(count: channels, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, r.height * r.width))) { cs in
                    for c in cs {
                        for y in 0..<r.height {
                            let row = s + (c * height + r.y0 + y) * width + r.x0
                            let dst = d + (c * r.height + y) * r.width
                            for i in 0..<r.width { dst[i] = Float(row[i]) }
                        }
                    }
                }
            }
        })
    }

    /// Stores `region` of every channel of `t` `[1, C, h, w]` at `target` (same size) of this map.
    mutating func store(_ t: Tensor, region: TiledGenerator.Region, at target: TiledGenerator.Region) {
        let (h, w) = (t.shape[2], t.shape[3])
        precondition(t.shape[1] == channels && region.height == target.height && region.width == target.width
                     && region.y0 >= 0 && region.x0 >= 0 && region.y1 <= h && region.x1 <= w
                     && target.y0 >= 0 && target.x0 >= 0 && target.y1 <= height && target.x1 <= width, "HalfMap: store out of range")
        let (mh, mw, rows, columns) = (height, width, region.height, region.width)
        t.withUnsafeBufferPointer { src in
            storage.withUnsafeMutableBufferPointer { dst in
                let (s, d) = (src.baseAddress!, dst.baseAddress!)
                Parallel.forEachChunk(count: channels, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, rows * columns))) { cs in
                    for c in cs {
                        for y in 0..<rows {
                            let from = s + (c * h + region.y0 + y) * w + region.x0
                            let to = d + (c * mh + target.y0 + y) * mw + target.x0
                            for i in 0..<columns { to[i] = HalfMap.half(from[i]) }
                        }
                    }
                }
            }
        }
    }

    /// Replaces rows `rows.y0 ..< rows.y1` (all columns) of every channel with the rows of `band`
    /// (`[C, rows.height, W]`).
    mutating func replaceRows(_ rows: TiledGenerator.Region, with band: HalfMap) {
        precondition(band.channels == channels && band.width == width && band.height == rows.height && rows.y1 <= height)
        let (mh, plane) = (height, rows.height * width)
        band.storage.withUnsafeBufferPointer { src in
            storage.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    (dst.baseAddress! + (c * mh + rows.y0) * width).update(from: src.baseAddress! + c * plane, count: plane)
                }
            }
        }
    }

    /// In place, per channel: `x̂ = (x − μ_c)/√(σ²_c + ε)`, then `x̂ > 0 ? x̂ : slope·x̂` (as
    /// ``TiledGenerator``'s `normalizeActivate`), rounded back to Float16.
    mutating func normalizeActivate(_ moments: TiledGenerator.ChannelMoments, slope: Float) {
        precondition(moments.sum.count == channels)
        let (mean, scale) = moments.normalization
        let plane = height * width
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.forEachChunk(count: channels, minimumChunk: 1) { cs in
                for c in cs {
                    let p = base + c * plane
                    let (mu, inv) = (mean[c], scale[c])
                    for i in 0..<plane {
                        let v = (Float(p[i]) - mu) * inv
                        p[i] = HalfMap.half(v > 0 ? v : slope * v)
                    }
                }
            }
        }
    }
}
