import Foundation
import ImageCore
import Metrics
import NN
import NuclearScale
import Segmentation
import TensorCore

/// Thresholds of star-convex prediction, chosen on a validation set (``StarModel/optimizeThresholds(_:probabilities:overlaps:)``)
/// and stored in the model file.
public struct StarThresholds: Sendable, Equatable {
    /// Candidates are pixels whose object probability exceeds this.
    public var probability: Float
    /// NMS: a candidate is suppressed when |A ∩ B| / min(|A|, |B|) > this for a kept polygon B.
    public var overlap: Double
    /// Thresholds; the defaults are StarDist's untuned defaults (0.5, 0.4).
    public init(probability: Float = 0.5, overlap: Double = 0.4) {
        self.probability = probability
        self.overlap = overlap
    }
}

/// Percentile normalization in front of the network (CSBDeep's `normalize(x, 1, 99.8)`):
/// x ↦ (x − p_low) / (p_high − p_low), so p_low → 0 and p_high → 1 (no clipping); a constant image maps to 0.
/// Non-finite pixels map to 0. Where Float32 overflows (a range wider than 3.4e38, or a tiny range with far
/// outliers) the value is computed in Float64 and clamped to ±1e6 (far beyond what the network distinguishes).
public func starNormalized(_ plane: ImagePlane, low: Double = 1, high: Double = 99.8) -> [Float] {
    let n = IntensityNormalization.percentiles(of: plane.pixels, low: low, high: high)
    let range = n.high - n.low
    return plane.pixels.map { v in
        guard v.isFinite else { return 0 }
        let x = range > 0 ? (v - n.low) / range : v - n.low
        if x.isFinite { return x }
        let wide = (Double(v) - Double(n.low)) / (range > 0 ? Double(n.high) - Double(n.low) : 1)
        return Float(min(1e6, max(-1e6, wide)))
    }
}

/// A star-convex polygon segmenter: the network, its thresholds and its normalization percentiles.
public struct StarModel {
    /// The network.
    public var network: StarUNet
    /// Prediction thresholds.
    public var thresholds: StarThresholds
    /// Normalization percentiles (default 1 and 99.8).
    public var lowPercentile: Double = 1, highPercentile: Double = 99.8
    /// Training facts stored with the model (free-form, e.g. the command, steps, data).
    public var training: [String: String] = [:]
    /// The median nucleus diameter of the training masks, px (`training.nucleus_diameter`; nil in files
    /// written before it was recorded). Checked when the file is loaded.
    public var nucleusDiameter: Double? {
        get { training[ModelMetadata.nucleusDiameterKey].flatMap(Double.init) }
        set { training[ModelMetadata.nucleusDiameterKey] = newValue.map { String($0) } }
    }
    /// Largest tile side for prediction (larger images are predicted in overlapping tiles).
    public var tileSize: Int = 512
    /// Context kept around each tile and discarded (px, a multiple of 2^depth).
    public var tileOverlap: Int = 48
    /// Called as `progress(done, total)` after each tile of a prediction over more than one tile (for progress
    /// displays, e.g. sn-segment's); it does not change the result.
    public var progress: ((_ done: Int, _ total: Int) -> Void)?

    /// A model from a network and its thresholds (normalization 1/99.8, tiles of 512 px + 48 px context).
    public init(network: StarUNet, thresholds: StarThresholds = StarThresholds()) {
        self.network = network
        self.thresholds = thresholds
    }

    /// The network's shape.
    public var configuration: StarConfiguration { network.configuration }

    // MARK: Prediction

    /// The network output for one image: probabilities (sigmoid of the logits, H·W) and distances
    /// (R planes of H·W, channel-first), computed in tiles of at most ``tileSize`` px plus ``tileOverlap``
    /// of context per side; each tile is mirror-padded up to a multiple of 2^depth.
    public func outputs(_ plane: ImagePlane) -> (probability: [Float], distances: [Float]) {
        outputs(normalized: starNormalized(plane, low: lowPercentile, high: highPercentile), width: plane.width, height: plane.height)
    }

    /// ``outputs(_:)`` of an image already normalized (`x`, `w` × `h`, row-major).
    func outputs(normalized x: [Float], width w: Int, height h: Int) -> (probability: [Float], distances: [Float]) {
        let rays = configuration.rays
        var probability = [Float](repeating: 0, count: w * h)
        var distances = [Float](repeating: 0, count: rays * w * h)
        let step = max(16, tileSize)
        let tileCount = ((h + step - 1) / step) * ((w + step - 1) / step)
        var tilesDone = 0
        for ty in stride(from: 0, to: h, by: step) {
            forEachTile(x, width: w, height: h, tileRow: ty) { tile in
                defer {
                    tilesDone += 1
                    if tileCount > 1 { progress?(tilesDone, tileCount) }
                }
                // Plane by plane and row by row, so that reads and writes are contiguous runs.
                let o = tile.output
                probability.withUnsafeMutableBufferPointer { p in
                    for y in tile.rows {
                        let local = tile.index(y, 0)
                        for xCol in tile.columns { p[y * w + xCol] = 1 / (1 + exp(-o[local + xCol])) }
                    }
                }
                distances.withUnsafeMutableBufferPointer { d in
                    for k in 0..<rays {
                        let plane = o.baseAddress! + (1 + k) * tile.planeCount, target = d.baseAddress! + k * w * h
                        for y in tile.rows {
                            (target + y * w + tile.columns.lowerBound).update(from: plane + tile.index(y, tile.columns.lowerBound),
                                                                              count: tile.columns.count)
                        }
                    }
                }
            }
        }
        return (probability, distances)
    }

    /// One tile's network output, channel-first over its padded window (`1 + R` planes of `planeCount`).
    struct TileOutput {
        let output: UnsafeBufferPointer<Float>
        /// The window's origin in the image and its padded width; the core rows and columns (image coordinates).
        let y0: Int, x0: Int, paddedWidth: Int, planeCount: Int
        let rows: Range<Int>, columns: Range<Int>
        /// Index in a plane of image pixel (y, x) of the window.
        @inline(__always) func index(_ y: Int, _ x: Int) -> Int { (y - y0) * paddedWidth + (x - x0) }
    }

    /// Runs the network on every tile of the row of tiles starting at image row `ty` (a multiple of the tile
    /// step) of the normalized image `x` (`w` × `h`), and hands each tile's output to `body`, left to right.
    func forEachTile(_ x: [Float], width w: Int, height h: Int, tileRow ty: Int, _ body: (TileOutput) -> Void) {
        let step = max(16, tileSize)
        for tx in stride(from: 0, to: w, by: step) {
            let (cy0, cy1) = (ty, min(h, ty + step)), (cx0, cx1) = (tx, min(w, tx + step))
            let y0 = max(0, cy0 - tileOverlap), y1 = min(h, cy1 + tileOverlap)
            let x0 = max(0, cx0 - tileOverlap), x1 = min(w, cx1 + tileOverlap)
            let m = configuration.sizeMultiple
            let (th, tw) = (y1 - y0, x1 - x0)
            let (ph, pw) = ((th + m - 1) / m * m, (tw + m - 1) / m * m)
            var input = [Float](repeating: 0, count: ph * pw)
            for yy in 0..<ph {
                let sy = y0 + mirror(yy, th)
                for xx in 0..<pw { input[yy * pw + xx] = x[sy * w + x0 + mirror(xx, tw)] }
            }
            let out = network(Tensor(shape: [1, 1, ph, pw], scalars: input))
            out.withUnsafeBufferPointer { o in
                body(TileOutput(output: o, y0: y0, x0: x0, paddedWidth: pw, planeCount: ph * pw, rows: cy0..<cy1, columns: cx0..<cx1))
            }
        }
    }

    /// Instance labels of `plane`: candidates (probability > threshold) sorted by probability, NMS, then the
    /// kept polygons rasterized in order of increasing probability. Images of more than one row of tiles
    /// are processed in strips with memory bounded by the tile size (see ``segment(normalized:width:height:outputWidth:outputHeight:)``).
    public func segment(_ plane: ImagePlane) -> LabelImage {
        segment(normalized: starNormalized(plane, low: lowPercentile, high: highPercentile), width: plane.width, height: plane.height,
                outputWidth: plane.width, outputHeight: plane.height)
    }

    /// Instance labels of `plane` with its nuclei brought to the model's scale: the plane is resampled by
    /// `mapping` (anti-aliased when shrinking), the network runs there, and each candidate polygon is
    /// mapped back onto the input's grid (centre (y + ½)·s_y − ½, (x + ½)·s_x − ½; distances × √(s_y s_x),
    /// s the input-to-model size ratios) before NMS and rasterization at the input's own resolution, so
    /// outlines keep the input's detail. The labels have exactly the input's shape. An identity mapping
    /// is ``segment(_:)``.
    public func segment(_ plane: ImagePlane, mapping: ScaleMapping) -> LabelImage {
        guard !mapping.isIdentity else { return segment(plane) }
        let scaled = mapping.toModel(plane.pixels, width: plane.width, height: plane.height)
        let x = starNormalized(ImagePlane(width: scaled.width, height: scaled.height, pixels: scaled.pixels, sampleType: .float32),
                               low: lowPercentile, high: highPercentile)
        return segment(normalized: x, width: scaled.width, height: scaled.height, outputWidth: plane.width, outputHeight: plane.height)
    }

    /// Context rows, on the model's grid, whose candidates take part in a strip's NMS beside the strip's own
    /// (default 64 px, about five nucleus diameters of the shipped models).
    public var stripContext: Int = 64

    /// Labels of the normalized model-grid image `x` (`width` × `height`) on a `outputWidth` × `outputHeight`
    /// grid (candidates mapped as in ``segment(_:mapping:)``).
    ///
    /// One row of tiles (height ≤ ``tileSize``): the network outputs of the whole image, then
    /// ``labels(probability:distances:width:height:rays:thresholds:outputWidth:outputHeight:)``.
    ///
    /// More rows: **strips**, one per row of tiles, so that memory is set by the tile size and the image's
    /// width, not by its area. The network runs on the same tiles as for the whole image (bit-identical
    /// outputs), and each tile's outputs are reduced at once to its candidates (probability > threshold: centre,
    /// score, distances), which is all NMS needs. Strip k's NMS takes the candidates whose centres lie in its
    /// rows or within ``stripContext`` rows of them, on a canvas that also holds ``tileOverlap`` more rows (on
    /// the output grid) for the polygons' extent, and keeps the kept polygons centred in its own rows. The
    /// kept polygons of all strips are rasterized together at the end, exactly as for the whole image. This
    /// equals whole-image NMS unless a chain of suppressions crosses more than ``stripContext`` rows; the
    /// tests compare the two on crowded images.
    public func segment(normalized x: [Float], width w: Int, height h: Int, outputWidth ow: Int, outputHeight oh: Int) -> LabelImage {
        let rays = configuration.rays
        let step = max(16, tileSize)
        guard h > step else {
            let (p, d) = outputs(normalized: x, width: w, height: h)
            return Self.labels(probability: p, distances: d, width: w, height: h, rays: rays,
                               thresholds: thresholds, outputWidth: ow, outputHeight: oh)
        }
        let grid = CandidateGrid(width: w, height: h, outputWidth: ow, outputHeight: oh)
        let strips = (h + step - 1) / step
        let tileCount = strips * ((w + step - 1) / step)
        var tilesDone = 0
        return Self.labelsInStrips(height: h, stripHeight: step, context: stripContext, grid: grid,
                                   overlap: thresholds.overlap, margin: tileOverlap) { strip in
            var candidates: [StarCandidate] = []
            forEachTile(x, width: w, height: h, tileRow: strip * step) { tile in
                defer {
                    tilesDone += 1
                    progress?(tilesDone, tileCount)
                }
                let o = tile.output
                for y in tile.rows {
                    let local = tile.index(y, 0)
                    for xCol in tile.columns {
                        let p = 1 / (1 + exp(-o[local + xCol]))
                        guard p > thresholds.probability else { continue }
                        let r = (0..<rays).map { o[(1 + $0) * tile.planeCount + local + xCol] }
                        candidates.append(grid.candidate(y: y, x: xCol, distances: r, score: p))
                    }
                }
            }
            return candidates
        }
    }

    /// NMS strip by strip (see ``segment(normalized:width:height:outputWidth:outputHeight:)``) over a model grid
    /// of `h` rows cut into strips of `stripHeight` rows; `candidatesOf(k)` gives strip k's candidates (called
    /// once per strip, in order, at most `context / stripHeight + 2` strips being held at a time). `margin`
    /// (model-grid px) pads each NMS canvas for the polygons' extent.
    static func labelsInStrips(height h: Int, stripHeight step: Int, context: Int, grid: CandidateGrid, overlap: Double,
                               margin: Int, candidatesOf: (Int) -> [StarCandidate]) -> LabelImage {
        let strips = (h + step - 1) / step
        var candidates: [[StarCandidate]?] = Array(repeating: nil, count: strips)
        let reach = max(0, context)
        let canvasMargin = Int((Double(max(0, margin)) * grid.sy).rounded(.up))
        var kept: [StarCandidate] = []
        for strip in 0..<strips {
            let r0 = strip * step, r1 = min(h, r0 + step)
            let lo = r0 - reach, hi = r1 + reach
            let first = max(0, lo) / step, last = min(strips - 1, (min(h, hi) - 1) / step)
            var pool: [StarCandidate] = []
            for s in first...last {
                if candidates[s] == nil {
                    // Row-major order, as the whole image's candidates (NMS breaks score ties by this order).
                    candidates[s] = candidatesOf(s).sorted { $0.index < $1.index }
                }
                pool += candidates[s]!.lazy.filter { $0.y >= lo && $0.y < hi }
            }
            // The NMS canvas on the output grid: the pool's rows, plus room for the polygons' extent.
            let (c0, c1) = grid.outputRows(lo, hi, margin: canvasMargin)
            let shifted = pool.map { c -> StarPolygon in
                var q = c.polygon
                q.y -= Double(c0)
                return q
            }
            for i in StarPolygonSelection.suppress(shifted, width: grid.outputWidth, height: c1 - c0, threshold: overlap,
                                                   threads: Parallel.threadCount) where pool[i].y >= r0 && pool[i].y < r1 {
                kept.append(pool[i])
            }
            // Strips that end above the next strip's reach are no longer needed.
            for s in 0...strip where (s + 1) * step <= r1 - reach { candidates[s] = [] }
        }
        // Decreasing score, ties by row-major position: the whole image's order of kept polygons.
        kept.sort { ($0.polygon.score, -$0.index) > ($1.polygon.score, -$1.index) }
        return StarPolygonSelection.rasterize(kept.map(\.polygon), width: grid.outputWidth, height: grid.outputHeight)
    }

    /// ``labels(probability:distances:width:height:rays:thresholds:outputWidth:outputHeight:)`` computed strip by
    /// strip as the model does for images of more than one row of tiles: the twin that the tests compare with
    /// whole-image NMS on given outputs.
    static func labelsInStrips(probability: [Float], distances: [Float], width w: Int, height h: Int, rays: Int,
                               thresholds: StarThresholds, outputWidth: Int? = nil, outputHeight: Int? = nil,
                               stripHeight: Int, context: Int, margin: Int) -> LabelImage {
        let grid = CandidateGrid(width: w, height: h, outputWidth: outputWidth ?? w, outputHeight: outputHeight ?? h)
        return labelsInStrips(height: h, stripHeight: stripHeight, context: context, grid: grid, overlap: thresholds.overlap,
                              margin: margin) { strip in
            candidates(probability: probability, distances: distances, height: h, rays: rays, threshold: thresholds.probability,
                       rows: (strip * stripHeight)..<min(h, (strip + 1) * stripHeight), grid: grid)
        }
    }

    /// The candidates among rows `rows` of whole-image outputs (`grid.width` × `h`, distances channel-first):
    /// pixels whose probability exceeds `threshold`, in row-major order.
    static func candidates(probability: [Float], distances: [Float], height h: Int, rays: Int, threshold: Float,
                           rows: Range<Int>, grid: CandidateGrid) -> [StarCandidate] {
        let w = grid.width
        var candidates: [StarCandidate] = []
        for y in rows {
            for x in 0..<w where probability[y * w + x] > threshold {
                let r = (0..<rays).map { distances[$0 * w * h + y * w + x] }
                candidates.append(grid.candidate(y: y, x: x, distances: r, score: probability[y * w + x]))
            }
        }
        return candidates
    }

    /// A candidate of strip-wise prediction: its model-grid row, row-major index and polygon on the output grid.
    struct StarCandidate {
        let y: Int, index: Int
        let polygon: StarPolygon
    }

    /// The map from model-grid pixels to polygons on the output grid (as in
    /// ``labels(probability:distances:width:height:rays:thresholds:outputWidth:outputHeight:)``).
    struct CandidateGrid {
        let width: Int, sy: Double, sx: Double, radial: Float, same: Bool, outputWidth: Int, outputHeight: Int
        init(width: Int, height: Int, outputWidth: Int, outputHeight: Int) {
            self.width = width
            sy = Double(outputHeight) / Double(height); sx = Double(outputWidth) / Double(width)
            radial = Float((sy * sx).squareRoot())
            same = outputWidth == width && outputHeight == height
            self.outputWidth = outputWidth; self.outputHeight = outputHeight
        }
        /// The candidate at model-grid pixel (y, x) with distances `r` (clamped to ≥ 0) and probability `score`.
        func candidate(y: Int, x: Int, distances r: [Float], score: Float) -> StarCandidate {
            let polygon = same
                ? StarPolygon(y: Double(y), x: Double(x), distances: r.map { max(0, $0) }, score: score)
                : StarPolygon(y: (Double(y) + 0.5) * sy - 0.5, x: (Double(x) + 0.5) * sx - 0.5,
                              distances: r.map { max(0, $0) * radial }, score: score)
            return StarCandidate(y: y, index: y * width + x, polygon: polygon)
        }
        /// The output-grid rows covering model-grid rows `lo..<hi` plus `margin`, clipped to the image.
        func outputRows(_ lo: Int, _ hi: Int, margin: Int) -> (Int, Int) {
            let a = Int(((Double(lo) + 0.5) * sy - 0.5).rounded(.down)) - margin
            let b = Int(((Double(hi) + 0.5) * sy - 0.5).rounded(.up)) + margin
            return (max(0, a), min(outputHeight, max(b, a + 1)))
        }
    }

    /// The label image for given network outputs and thresholds (see ``segment(_:)``). Distances below
    /// 0 are clamped to 0. The outputs cover a `width` × `height` grid; the labels cover `outputWidth` ×
    /// `outputHeight` (default: the same), candidates being mapped between the two grids as in
    /// ``segment(_:mapping:)``.
    public static func labels(probability: [Float], distances: [Float], width: Int, height: Int, rays: Int,
                              thresholds: StarThresholds, outputWidth: Int? = nil, outputHeight: Int? = nil) -> LabelImage {
        let (ow, oh) = (outputWidth ?? width, outputHeight ?? height)
        let grid = CandidateGrid(width: width, height: height, outputWidth: ow, outputHeight: oh)
        let candidates = Self.candidates(probability: probability, distances: distances, height: height, rays: rays,
                                         threshold: thresholds.probability, rows: 0..<height, grid: grid).map(\.polygon)
        let kept = StarPolygonSelection.suppress(candidates, width: ow, height: oh, threshold: thresholds.overlap,
                                                 threads: Parallel.threadCount)
        return StarPolygonSelection.rasterize(kept.map { candidates[$0] }, width: ow, height: oh)
    }

    /// Grid search of the thresholds maximising the mean F1 at IoU 0.5 over `validation` (image, truth)
    /// pairs; ties keep the earlier (lower) value. The network is run once per image.
    public mutating func optimizeThresholds(_ validation: [(ImagePlane, LabelImage)],
                                            probabilities: [Float] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
                                            overlaps: [Double] = [0.3, 0.4, 0.5]) -> (thresholds: StarThresholds, f1: Double) {
        let outputs = validation.map { self.outputs($0.0) }
        var best = (thresholds: thresholds, f1: -1.0)
        for o in overlaps {
            for p in probabilities {
                let t = StarThresholds(probability: p, overlap: o)
                var sum = 0.0
                for (k, (image, truth)) in validation.enumerated() {
                    let labels = Self.labels(probability: outputs[k].probability, distances: outputs[k].distances,
                                             width: image.width, height: image.height, rays: configuration.rays, thresholds: t)
                    sum += (try? InstanceMatching.match(prediction: labels, truth: truth).f1) ?? 0
                }
                let f1 = sum / Double(max(1, validation.count))
                if f1 > best.f1 { best = (t, f1) }
            }
        }
        thresholds = best.thresholds
        return best
    }

    @inline(__always) func mirror(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var m = i % (2 * n)
        if m < 0 { m += 2 * n }
        return m < n ? m : 2 * n - 1 - m
    }

    // MARK: Model files

    /// The architecture name in model files.
    public static let architecture = "stardist-unet2d"

    /// Writes the model (weights, configuration, thresholds, normalization, training facts) as safetensors,
    /// atomically.
    public func save(to path: String) throws {
        let c = configuration
        var training = self.training
        training["prob_threshold"] = String(thresholds.probability)
        training["nms_threshold"] = String(thresholds.overlap)
        let metadata = ModelMetadata(
            architecture: Self.architecture,
            hyperparameters: ["depth": String(c.depth), "base_filters": String(c.baseFilters), "rays": String(c.rays),
                              "features_after_unet": String(c.featuresAfterUNet)],
            intensityNormalization: ["low_percentile": String(lowPercentile), "high_percentile": String(highPercentile),
                                     "mapping": "(x - low) / (high - low)"],
            training: training)
        try Checkpoint.save(network.parameters, metadata: metadata, to: path)
    }

    /// Reads a model written by ``save(to:)``; errors name the file.
    public static func load(from path: String) throws -> StarModel {
        let file = try SafeTensorsFile.read(from: path)
        let metadata = try ModelMetadata(flattened: file.metadata, path: path)
        guard metadata.architecture == architecture else {
            throw CheckpointError(path: path, reason: "architecture '\(metadata.architecture)' is not a star-convex model ('\(architecture)')")
        }
        _ = try metadata.nucleusDiameter(path: path)
        func int(_ key: String) throws -> Int {
            guard let v = metadata.hyperparameters[key].flatMap(Int.init), v >= 0 else {
                throw CheckpointError(path: path, reason: "missing or invalid hparams.\(key)")
            }
            return v
        }
        let depth = try int("depth"), base = try int("base_filters"), rays = try int("rays"), after = try int("features_after_unet")
        guard (1...8).contains(depth), (1...1024).contains(base), (3...1024).contains(rays) else {
            throw CheckpointError(path: path, reason: "implausible hyperparameters depth \(depth), base_filters \(base), rays \(rays)")
        }
        let network = StarUNet(StarConfiguration(depth: depth, baseFilters: base, rays: rays, featuresAfterUNet: after))
        _ = try Checkpoint.load(into: network.parameters, from: path, architecture: architecture)
        guard let p = metadata.training["prob_threshold"].flatMap(Float.init),
              let o = metadata.training["nms_threshold"].flatMap(Double.init) else {
            throw CheckpointError(path: path, reason: "missing training.prob_threshold or training.nms_threshold")
        }
        var model = StarModel(network: network, thresholds: StarThresholds(probability: p, overlap: o))
        model.lowPercentile = metadata.intensityNormalization["low_percentile"].flatMap(Double.init) ?? 1
        model.highPercentile = metadata.intensityNormalization["high_percentile"].flatMap(Double.init) ?? 99.8
        model.training = metadata.training.filter { $0.key != "prob_threshold" && $0.key != "nms_threshold" }
        return model
    }
}
