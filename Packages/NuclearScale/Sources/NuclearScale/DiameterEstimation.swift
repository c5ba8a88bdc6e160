import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of estimating a plane's (or a stack's) nucleus diameter.
public struct DiameterEstimate: Sendable, Equatable {
    /// Why an estimate is or is not there.
    public enum Status: String, Sendable, Equatable {
        /// `diameter` was measured from at least ``DiameterEstimator/minimumObjects`` nuclei.
        case measured
        /// The plane has no contrast (constant, or no finite values): nothing to measure.
        case noContrast = "no_contrast"
        /// The plane has contrast but too few nucleus-like objects stand out at any smoothing level.
        case noNuclei = "no_nuclei"
    }
    /// The median nucleus diameter, px (nil unless `status` is `.measured`).
    public var diameter: Double?
    /// How many objects (nucleus candidates) the chosen smoothing level measured.
    public var objectCount: Int
    /// Whether the estimate was measured, and if not why.
    public var status: Status

    /// Creates an estimate.
    public init(diameter: Double?, objectCount: Int, status: Status) {
        self.diameter = diameter
        self.objectCount = objectCount
        self.status = status
    }
}

/// Estimates the median nucleus diameter of a fluorescence image from the image alone.
///
/// Method (docs/nuclear-scale.md):
/// 1. The plane is mapped by its 1 and 99.8 % percentiles to [0, 1] (non-finite samples to 0), so the
///    result does not depend on the intensity scale.
/// 2. Smoothing levels σ_k = 2^{k/2} px (k = 0, 1, …), from a Gaussian pyramid that halves the resolution
///    every second level, so coarse levels cost little. Smoothing averages photon noise and chromatin
///    texture away; nuclei much larger than σ keep their size.
/// 3. At each level, objects are the 8-connected, hole-filled components above a global Otsu threshold,
///    each then measured on its own at ``edgeFraction`` of its peak above the background
///    (``ForegroundObjects/halfMaximumAreas(_:width:height:threshold:fraction:)``): dim nuclei that a
///    global threshold would cut into and small blurred ones that it would widen both measure as their
///    outlines. An object's diameter is its equivalent diameter 2√(A/π) (the quantity masks are measured
///    by) in input pixels, less the widening the level's own smoothing gives an edge at that fraction,
///    2σ_k·(−Φ⁻¹(f)). Objects of fewer than 4 pixels of the level are specks. With ``saddleSplit`` an
///    object's region stops at a saddle (a rise beyond the rule's slack), so touching nuclei in one
///    component measure as one nucleus, not as their union.
/// 4. A level is **trusted** when its median diameter d_k is at least ``sharpness`` · σ_k (the smoothing
///    is small against what it measures: noise specks and texture grains, of size ≈ σ, fail this) and it
///    has at least ``minimumObjects`` objects. Adjacent levels **agree** when their medians differ by at
///    most ``agreement``.
/// 5. A **plateau** of at least ``minimumPlateau`` consecutive trusted, agreeing levels (large nuclei: their
///    size holds across smoothing) gives the median of its levels' medians (the longest plateau; the
///    finest on ties). Otherwise (small nuclei: few levels can resolve them) only levels with at least
///    ``fallbackObjects`` objects count (where any level has that many), and the estimate is d_k at the
///    finest such trusted level that agrees with the next; failing that, at the finest such trusted
///    level; failing that, there is none (`no_nuclei`). Touching nuclei merge only at coarse levels,
///    which no rule reaches first.
/// Stacks pool the objects of up to ``stackPlanes`` evenly spaced planes at each level; planes above
/// ``maximumAnalysedPixels`` are analysed on ``tileCount`` evenly spread tiles of ``tileSide``² (a bound
/// on time; nuclei up to a quarter of a tile are measured whole).
public struct DiameterEstimator: Sendable {
    /// Largest diameter searched, px: levels stop at σ = maximumDiameter / sharpness.
    public var maximumDiameter: Double = 200
    /// A level is trusted when its median diameter is at least this many σ.
    public var sharpness: Double = 4
    /// Two adjacent levels agree when their medians differ by at most this fraction.
    public var agreement: Double = 0.15
    /// Consecutive agreeing levels that make a plateau.
    public var minimumPlateau: Int = 5
    /// The edge level of an object, as a fraction of its peak above the background (0.3: the masks of
    /// domed, blurred nuclei; docs/nuclear-scale.md).
    public var edgeFraction: Float = 0.3
    /// Where an object's region stops between touching nuclei (nil: it takes every connected pixel above
    /// its edge level); docs/nuclear-scale.md.
    public var saddleSplit: ForegroundObjects.SaddleSplit? = ForegroundObjects.SaddleSplit(heightFraction: 0.03, noiseFactor: 4)
    /// A level needs at least this many objects to be trusted.
    public var minimumObjects: Int = 3
    /// Without a plateau, in a plane where some level has at least this many objects, only such levels
    /// count (a coarse level with a few objects is clusters merged by the smoothing); with none, the
    /// status is `no_nuclei`. A clean sparse field (every level with fewer) keeps ``minimumObjects``.
    public var fallbackObjects: Int = 8
    /// Planes of a stack used for its estimate (evenly spaced).
    public var stackPlanes: Int = 5
    /// Planes larger than this many pixels are analysed on ``tileCount`` evenly spread tiles.
    public var maximumAnalysedPixels: Int = 1 << 20
    /// Tile side used on large planes, px.
    public var tileSide: Int = 512
    /// Number of tiles used on large planes.
    public var tileCount: Int = 4

    /// The default estimator.
    public init() {}

    /// The median nucleus diameter of one plane (`height` rows of `width`).
    public func estimate(_ pixels: [Float], width: Int, height: Int) -> DiameterEstimate {
        select(levelDiameters(pixels, width: width, height: height))
    }

    /// One estimate for a stack of planes of equal size: objects pooled over up to ``stackPlanes`` evenly
    /// spaced planes at each level (a stack of one plane gives that plane's estimate).
    public func estimate(stack planes: [[Float]], width: Int, height: Int) -> DiameterEstimate {
        select(levelDiameters(stack: planes, width: width, height: height))
    }

    /// The pooled per-level diameters of up to ``stackPlanes`` evenly spaced planes of a stack, or nil
    /// when none of them has contrast.
    public func levelDiameters(stack planes: [[Float]], width: Int, height: Int) -> [Level]? {
        guard !planes.isEmpty else { return nil }
        let n = min(planes.count, max(1, stackPlanes))
        let chosen = Set((0..<n).map { n == 1 ? planes.count / 2 : $0 * (planes.count - 1) / (n - 1) }).sorted()
        var pooled: [Level]? = nil
        for index in chosen {
            guard let levels = levelDiameters(planes[index], width: width, height: height) else { continue }
            pooled = Self.merge(pooled, levels)
        }
        return pooled
    }

    /// One smoothing level's measurement.
    public struct Level: Sendable, Equatable {
        /// Smoothing σ, input px.
        public var sigma: Double
        /// Equivalent diameters of the level's objects, input px.
        public var diameters: [Double]
    }

    /// The objects' diameters at every smoothing level, or nil when the plane has no contrast.
    public func levelDiameters(_ pixels: [Float], width: Int, height: Int) -> [Level]? {
        precondition(pixels.count == width * height, "pixel count \(pixels.count) ≠ \(width) × \(height)")
        guard let mapping = Self.normalization(pixels) else { return nil }
        if width * height <= maximumAnalysedPixels || tileSide >= min(width, height) {
            return levels(pixels.map(mapping), width: width, height: height)
        }
        let side = tileSide
        let columns = Int(Double(tileCount).squareRoot().rounded(.up)), rowsOfTiles = (tileCount + columns - 1) / columns
        // Tiles are measured in parallel and pooled in tile order (the result does not depend on threads).
        var perTile = [[Level]](repeating: [], count: tileCount)
        perTile.withUnsafeMutableBufferPointer { results in
            let out = results.baseAddress!
            DispatchQueue.concurrentPerform(iterations: tileCount) { t in
                let (r, c) = (t / columns, t % columns)
                let x0 = columns == 1 ? (width - side) / 2 : c * (width - side) / (columns - 1)
                let y0 = rowsOfTiles == 1 ? (height - side) / 2 : r * (height - side) / (rowsOfTiles - 1)
                var tile = [Float](repeating: 0, count: side * side)
                for y in 0..<side {
                    for x in 0..<side { tile[y * side + x] = mapping(pixels[(y0 + y) * width + x0 + x]) }
                }
                out[t] = levels(tile, width: side, height: side)
            }
        }
        var pooled: [Level]? = nil
        for levels in perTile { pooled = Self.merge(pooled, levels) }
        return pooled
    }

    static func merge(_ a: [Level]?, _ b: [Level]) -> [Level] {
        guard var a else { return b }
        for k in 0..<min(a.count, b.count) { a[k].diameters += b[k].diameters }
        return Array(a.prefix(min(a.count, b.count))) + (a.count < b.count ? Array(b[a.count...]) : [])
    }

    /// The estimate from per-level diameters (see the type's documentation).
    func select(_ levels: [Level]?) -> DiameterEstimate {
        guard let levels else { return DiameterEstimate(diameter: nil, objectCount: 0, status: .noContrast) }
        let medians = levels.map { MaskDiameter.median(values: $0.diameters) }
        func trusted(_ k: Int) -> Bool {
            guard k < levels.count, let m = medians[k] else { return false }
            return levels[k].diameters.count >= max(1, minimumObjects) && m >= sharpness * levels[k].sigma
        }
        func agree(_ k: Int) -> Bool { abs(medians[k]! / medians[k + 1]! - 1) <= agreement }
        func measured(_ d: Double, at k: Int) -> DiameterEstimate {
            DiameterEstimate(diameter: d, objectCount: levels[k].diameters.count, status: .measured)
        }
        // The longest plateau (runs of consecutive trusted levels whose neighbours agree).
        var plateau: Range<Int>? = nil
        var k = 0
        while k < levels.count {
            guard trusted(k) else { k += 1; continue }
            var end = k + 1
            while end < levels.count && trusted(end) && agree(end - 1) { end += 1 }
            if plateau == nil || end - k > plateau!.count { plateau = k..<end }
            k = end
        }
        if let run = plateau, run.count >= max(2, minimumPlateau) {
            let d = MaskDiameter.median(values: run.map { medians[$0]! })!
            return measured(d, at: run.min { abs(medians[$0]! - d) < abs(medians[$1]! - d) }!)
        }
        // Without a plateau, in a plane where some level saw many objects, a level with a few is clusters
        // merged by the smoothing, not nuclei: only levels with ``fallbackObjects`` objects count there.
        // The finest such trusted pair that agrees; else the finest such trusted level; else nothing.
        let many = levels.contains { $0.diameters.count >= fallbackObjects }
        func counted(_ k: Int) -> Bool { trusted(k) && (!many || levels[k].diameters.count >= fallbackObjects) }
        if let k = levels.indices.first(where: { counted($0) && counted($0 + 1) && agree($0) })
            ?? levels.indices.first(where: counted) {
            return measured(medians[k]!, at: k)
        }
        let most = levels.map(\.diameters.count).max() ?? 0
        return DiameterEstimate(diameter: nil, objectCount: most, status: .noNuclei)
    }

    /// −Φ⁻¹(f): how many σ beyond a blurred straight edge its profile falls to the fraction f of the step
    /// (0 at f = ½), by bisection on Φ(x) = ½ erfc(−x/√2).
    static func edgeOffset(_ f: Float) -> Double {
        let target = Double(min(max(f, 0.001), 0.999))
        var (lo, hi) = (-10.0, 10.0)
        for _ in 0..<80 {
            let mid = (lo + hi) / 2
            if 0.5 * erfc(-mid / 2.0.squareRoot()) < target { lo = mid } else { hi = mid }
        }
        return -(lo + hi) / 2
    }


    /// The map of `pixels` by their 1 and 99.8 % percentiles to [0, 1] (values outside extend the range,
    /// clamped to ±10⁶; non-finite samples map to 0), or nil when the two percentiles coincide (no
    /// contrast). Percentiles come from a strided sample of at most 65,536 finite values.
    static func normalization(_ pixels: [Float]) -> ((Float) -> Float)? {
        let step = max(1, pixels.count / (1 << 16))
        var finite: [Float] = []
        finite.reserveCapacity(pixels.count / step + 1)
        for i in stride(from: 0, to: pixels.count, by: step) where pixels[i].isFinite { finite.append(pixels[i]) }
        if finite.count < 2 && step > 1 { finite = pixels.filter { $0.isFinite } }
        guard finite.count >= 2 else { return nil }
        finite.sort()
        func percentile(_ p: Double) -> Double {
            let pos = p / 100 * Double(finite.count - 1)
            let i = Int(pos), f = pos - Double(i)
            return i + 1 < finite.count ? Double(finite[i]) * (1 - f) + Double(finite[i + 1]) * f : Double(finite[i])
        }
        let low = percentile(1), high = percentile(99.8)
        let range = high - low
        guard range > 0, range.isFinite, (1 / range).isFinite else { return nil }
        let inv = 1 / range
        return { v in
            guard v.isFinite else { return 0 }
            return Float(min(1e6, max(-1e6, (Double(v) - low) * inv)))
        }
    }

    /// The diameters at each smoothing level of a normalised plane.
    func levels(_ plane: [Float], width: Int, height: Int) -> [Level] {
        var image = GaussianBlur.blur(plane, width: width, height: height, sigma: (1 - 0.25).squareRoot())  // σ 0.5 → 1
        var (w, h) = (width, height)
        var step = 1.0, local = 1.0  // input px per level px; σ in level px
        var out: [Level] = []
        while w >= 16 && h >= 16 && local * step <= maximumDiameter / sharpness {
            var diameters: [Double] = []
            if let t = ForegroundObjects.otsuThreshold(image) {
                let areas = ForegroundObjects.halfMaximumAreas(image, width: w, height: h, threshold: t, fraction: edgeFraction,
                                                                saddle: saddleSplit)
                // The level's own smoothing widens an edge taken at fraction f of the peak by σ·z, z = −Φ⁻¹(f)
                // per side (a straight edge's profile is Φ); remove it, in input px.
                let widening = 2 * Self.edgeOffset(edgeFraction) * local * step
                for a in areas where a >= 4 {
                    let d = 2 * (Double(a) / Double.pi).squareRoot() * step - widening
                    if d > 0 { diameters.append(d) }
                }
            }
            out.append(Level(sigma: local * step, diameters: diameters))
            if local < 1.2 {
                image = GaussianBlur.blur(image, width: w, height: h, sigma: 1)  // σ 1 → √2
                local = 2.0.squareRoot()
            } else {
                let blurred = GaussianBlur.blur(image, width: w, height: h, sigma: 2.0.squareRoot())  // √2 → 2
                let (nw, nh) = (w / 2, h / 2)
                var next = [Float](repeating: 0, count: nw * nh)
                for y in 0..<nh { for x in 0..<nw { next[y * nw + x] = blurred[(2 * y) * w + 2 * x] } }
                image = next
                (w, h) = (nw, nh)
                step *= 2
                local = 1
            }
        }
        return out
    }
}
