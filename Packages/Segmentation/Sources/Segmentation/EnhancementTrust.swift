import ImageCore
import NuclearScale

/// The thresholds of the enhancement trust report (``EnhancementTrust``); every length is relative to the
/// estimated nucleus diameter d, so the report means the same at every magnification.
public struct EnhancementTrustSettings: Sendable, Equatable {
    /// A nucleus candidate of the input must stand this many noise standard deviations above 0 in the
    /// scale-normalized LoG response (5: a pure-noise field of 10⁶ px gives none).
    public var candidateSigmas: Double = 5
    /// A weaker blob (this many noise sd) in the input is enough to explain an enhanced nucleus: only
    /// enhanced components with not even a weak blob beneath them count as invented (3).
    public var supportSigmas: Double = 3
    /// A candidate's response must also reach this fraction of the reference response (the 90th
    /// percentile of the candidates' responses): faint debris and haze ripples of salient images are
    /// not nuclei (0.1: a decade of brightness below the bright nuclei).
    public var relativeContrast: Double = 0.1
    /// A candidate must not be a point: its response at σ/2 may be at most this multiple of its response at σ
    /// (2: a disk of diameter d gives 0.2, of d/2 about 1.9, a point 4), so bright debris specks are not nuclei.
    public var pointRatio: Double = 2
    /// Radius of a candidate's disk, as a fraction of d (1/3: inside any nucleus of axis ratio ≥ 0.45).
    public var diskRadius: Double = 1.0 / 3
    /// A candidate is kept when the enhanced foreground covers at least this fraction of its disk.
    public var keptCoverage: Double = 1.0 / 3
    /// Enhanced components smaller than this fraction of a nucleus area πd²/4 are speckle, not nuclei
    /// (0.25: an equivalent diameter below d/2).
    public var minimumAreaFraction: Double = 0.25
    /// A plane is flagged when the erased or the invented fraction exceeds this (0.10)…
    public var flagFraction: Double = 0.10
    /// …and the erased or invented count is at least this (2): one nucleus of a sparse plane is not a trend.
    public var flagMinimumCount: Int = 2

    /// The documented defaults.
    public init() {}
}

/// One plane's trust report: the nuclei the input shows, the nuclei the enhanced image shows, and how
/// they differ.
public struct PlaneTrust: Sendable, Equatable {
    /// The nucleus diameter used, px.
    public var diameter: Double
    /// Nucleus candidates of the input (blobs at the nucleus scale above the noise).
    public var inputCandidates: Int
    /// Nuclei of the enhanced image: Otsu components of at least the minimum area.
    public var enhancedNuclei: Int
    /// Input candidates that the enhanced foreground does not cover.
    public var erased: Int
    /// Enhanced nuclei with no input blob (not even a weak one) beneath them.
    public var invented: Int
    /// Foreground fraction of the input: Otsu on the band-passed input (G_{d/6} − G_{2d}) ∗ x: smoothed at
    /// the classical baseline's σ 2 px (at the canonical 11.8 px), minus the local background, so that
    /// haze and uneven illumination do not count as foreground.
    public var foregroundBefore: Double
    /// Foreground fraction of the enhanced image: Otsu on the enhanced image.
    public var foregroundAfter: Double
    /// The robust noise standard deviation of the input's pixels.
    public var noise: Double
    /// The settings used.
    public var settings: EnhancementTrustSettings

    /// `erased / inputCandidates` (0 without candidates).
    public var erasedFraction: Double { inputCandidates > 0 ? Double(erased) / Double(inputCandidates) : 0 }
    /// `invented / max(1, inputCandidates)`: relative to the input's nuclei, like today's validation.
    public var inventedFraction: Double { Double(invented) / Double(max(1, inputCandidates)) }
    /// `foregroundAfter / foregroundBefore − 1`; nil when the input has no foreground.
    public var areaChange: Double? { foregroundBefore > 0 ? foregroundAfter / foregroundBefore - 1 : nil }
    /// Whether too many nuclei were erased (fraction above `flagFraction` and at least `flagMinimumCount`).
    public var erasedFlag: Bool { erasedFraction > settings.flagFraction && erased >= settings.flagMinimumCount }
    /// Whether too many nuclei were invented.
    public var inventedFlag: Bool { inventedFraction > settings.flagFraction && invented >= settings.flagMinimumCount }
    /// `none`, `erased`, `invented` or `erased+invented`.
    public var flag: String {
        switch (erasedFlag, inventedFlag) {
        case (false, false): "none"
        case (true, false): "erased"
        case (false, true): "invented"
        case (true, true): "erased+invented"
        }
    }
}

/// The enhancement trust report (docs/enhancement.md, "Trust report"): does an enhanced plane keep the
/// nuclei of its input, without erasing or inventing any?
///
/// With d the nucleus diameter and σ = d/(2√2) (the scale at which a disk of diameter d gives the
/// strongest normalized Laplacian response):
///
/// 1. **Input candidates.** R = −σ² ∇²(G_σ ∗ x) (the scale-normalized LoG, positive on bright blobs; ∇² the
///    5-point Laplacian, mirrored borders). The pixel noise σₙ = 1.4826 · MAD(x − mean of the 4 neighbours) /
///    √1.25 (robust: nuclei edges are a minority), and the response's noise sd σ_R = σₙ · ‖h‖₂ with h the
///    filter's impulse response (exact for white noise). Candidates are the local maxima of R (no larger
///    value within d/2) with R ≥ 5σ_R, R ≥ 0.1 · (90th percentile of those maxima) and R_{σ/2} ≤ 2 R (not a
///    point): blobs at the nucleus scale that stand out from the noise and are within a decade of the bright
///    nuclei. *Weak blobs*: maxima with R ≥ 3σ_R.
/// 2. **Enhanced nuclei.** Otsu on the enhanced plane (exact histogram for integer sample types, as
///    `sn-segment --method otsu`), 8-connected components of at least π d²/16 px (equivalent diameter ≥ d/2).
/// 3. **Erased**: candidates whose disk of radius d/3 is covered by the enhanced foreground for less than a
///    third (any component, so that nuclei cut by the image border count as kept).
///    **Invented**: enhanced nuclei that overlap no weak blob's disk of radius d/3.
/// 4. **Foreground**: the Otsu foreground fraction of (G_{d/6} − G_{2d}) ∗ x (smoothed, local background
///    removed) before, of the enhanced plane after.
///
/// A plane is flagged when more than 10 % of its candidates are erased (at least 2), or invented nuclei
/// exceed 10 % of the candidates (at least 2). Non-finite input pixels count as the finite mean.
public enum EnhancementTrust {
    /// The report of one plane. `input` and `enhanced` must have the same size; `diameter` > 0.
    public static func assess(input: ImagePlane, enhanced: ImagePlane, diameter: Double,
                              settings: EnhancementTrustSettings = EnhancementTrustSettings()) -> PlaneTrust {
        precondition(input.width == enhanced.width && input.height == enhanced.height,
                     "EnhancementTrust: \(input.width)x\(input.height) input, \(enhanced.width)x\(enhanced.height) enhanced")
        precondition(diameter.isFinite && diameter > 0, "EnhancementTrust: diameter \(diameter)")
        let width = input.width, height = input.height
        let x = finite(input.pixels)
        let noise = pixelNoise(x, width: width, height: height)
        let blobs = self.blobs(x, width: width, height: height, diameter: diameter)
        let sigmaR = noise * responseGain(diameter: diameter)
        let strongNoise = Float(settings.candidateSigmas * sigmaR), weakNoise = Float(settings.supportSigmas * sigmaR)
        let fine = response(x, width: width, height: height, diameter: diameter / 2)
        let above = blobs.filter { $0.response >= strongNoise && $0.response > 0 }
        let reference = percentile90(above.map(\.response))
        let candidates = above.filter {
            $0.response >= Float(settings.relativeContrast) * reference
                && Double(fine[$0.y * width + $0.x]) <= settings.pointRatio * Double($0.response)
        }
        let weak = blobs.filter { $0.response >= weakNoise && $0.response > 0 }

        // Enhanced nuclei: Otsu components of at least the minimum area.
        let components = ConnectedComponents.label(enhanced, above: Otsu.threshold(enhanced))
        let areas = Morphology.areas(components)
        let minimumArea = settings.minimumAreaFraction * Double.pi * diameter * diameter / 4
        let isNucleus = areas.indices.map { $0 > 0 && Double(areas[$0]) >= minimumArea }
        let foregroundAfter = Double(components.labels.count - areas[0]) / Double(max(1, width * height))

        // Erased: candidate disks covered by the foreground for less than keptCoverage.
        let radius = settings.diskRadius * diameter
        var erased = 0
        for c in candidates {
            var inside = 0, covered = 0
            forDisk(c.x, c.y, radius: radius, width: width, height: height) { p in
                inside += 1
                if components.labels[p] != 0 { covered += 1 }
            }
            if Double(covered) < settings.keptCoverage * Double(inside) { erased += 1 }
        }
        // Invented: nuclei touching no weak blob's disk.
        var supported = [Bool](repeating: false, count: areas.count)
        for b in weak {
            forDisk(b.x, b.y, radius: radius, width: width, height: height) { p in supported[Int(components.labels[p])] = true }
        }
        let enhancedNuclei = isNucleus.filter { $0 }.count
        let invented = isNucleus.indices.filter { isNucleus[$0] && !supported[$0] }.count

        // Foreground before: Otsu on the band-passed input (G_{d/6} − G_{2d}) ∗ x.
        var smooth = GaussianBlur.blur(x, width: width, height: height, sigma: diameter / 6)
        let background = GaussianBlur.blur(x, width: width, height: height, sigma: 2 * diameter)
        for i in smooth.indices { smooth[i] -= background[i] }
        let smoothPlane = ImagePlane(width: width, height: height, pixels: smooth, sampleType: .float32)
        let t = Otsu.threshold(smoothPlane)
        let foregroundBefore = Double(smooth.filter { $0 > t }.count) / Double(max(1, width * height))

        return PlaneTrust(diameter: diameter, inputCandidates: candidates.count, enhancedNuclei: enhancedNuclei,
                          erased: erased, invented: invented, foregroundBefore: foregroundBefore,
                          foregroundAfter: foregroundAfter, noise: noise, settings: settings)
    }

    /// A local maximum of the LoG response.
    public struct Blob: Sendable, Equatable {
        /// Column and row.
        public var x: Int
        public var y: Int
        /// The scale-normalized LoG response −σ²∇²(G_σ ∗ x) there.
        public var response: Float
    }

    /// The local maxima of R = −σ²∇²(G_σ ∗ x), σ = d/(2√2), that have no larger value within d/2 (ties: the
    /// first in raster order wins), with R > 0, in raster order.
    public static func blobs(_ pixels: [Float], width: Int, height: Int, diameter: Double) -> [Blob] {
        let r = response(pixels, width: width, height: height, diameter: diameter)
        let reach = max(1.0, diameter / 2)
        let k = Int(reach.rounded(.down))
        var found: [Blob] = []
        for y in 0..<height {
            for x in 0..<width {
                let v = r[y * width + x]
                guard v > 0 else { continue }
                var isMaximum = true
                scan: for dy in -k...k {
                    let yy = y + dy
                    guard yy >= 0 && yy < height else { continue }
                    for dx in -k...k {
                        let xx = x + dx
                        guard xx >= 0 && xx < width, Double(dx * dx + dy * dy) <= reach * reach, dx != 0 || dy != 0 else { continue }
                        let u = r[yy * width + xx]
                        // Ties: the earlier pixel in raster order is the maximum.
                        if u > v || (u == v && (dy < 0 || (dy == 0 && dx < 0))) { isMaximum = false; break scan }
                    }
                }
                if isMaximum { found.append(Blob(x: x, y: y, response: v)) }
            }
        }
        return found
    }

    /// R = −σ² ∇²(G_σ ∗ x), σ = d/(2√2), ∇² the 5-point Laplacian with mirrored borders.
    public static func response(_ pixels: [Float], width: Int, height: Int, diameter: Double) -> [Float] {
        let sigma = diameter / (2 * 2.0.squareRoot())
        let g = GaussianBlur.blur(pixels, width: width, height: height, sigma: sigma)
        let s2 = Float(sigma * sigma)
        var out = [Float](repeating: 0, count: pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                let c = g[y * width + x]
                let l = g[y * width + GaussianBlur.mirror(x - 1, width)] + g[y * width + GaussianBlur.mirror(x + 1, width)]
                    + g[GaussianBlur.mirror(y - 1, height) * width + x] + g[GaussianBlur.mirror(y + 1, height) * width + x] - 4 * c
                out[y * width + x] = -s2 * l
            }
        }
        return out
    }

    /// ‖h‖₂ of the response filter (its output's sd for unit white noise), from its impulse response.
    public static func responseGain(diameter: Double) -> Double {
        let sigma = diameter / (2 * 2.0.squareRoot())
        let side = 2 * Int((4 * sigma).rounded(.up)) + 7
        var delta = [Float](repeating: 0, count: side * side)
        delta[(side / 2) * side + side / 2] = 1
        let h = response(delta, width: side, height: side, diameter: diameter)
        return h.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// The robust pixel noise sd: 1.4826 · MAD of r = x − ¼ Σ (4 neighbours) over interior pixels, / √1.25
    /// (Var r = 1.25 σ² for white noise). 0 for planes under 3 × 3 or without variation.
    public static func pixelNoise(_ x: [Float], width: Int, height: Int) -> Double {
        guard width >= 3, height >= 3 else { return 0 }
        var r: [Float] = []
        r.reserveCapacity((width - 2) * (height - 2))
        for y in 1..<(height - 1) {
            for i in (y * width + 1)..<(y * width + width - 1) {
                r.append(x[i] - 0.25 * (x[i - 1] + x[i + 1] + x[i - width] + x[i + width]))
            }
        }
        let median = IntensityNormalization.percentile(50, of: r) ?? 0
        let deviations = r.map { abs($0 - median) }
        let mad = Double(IntensityNormalization.percentile(50, of: deviations) ?? 0)
        return 1.4826 * mad / 1.25.squareRoot()
    }

    /// Non-finite values replaced by the mean of the finite ones (0 when there are none).
    static func finite(_ pixels: [Float]) -> [Float] {
        var sum = 0.0, count = 0
        for v in pixels where v.isFinite { sum += Double(v); count += 1 }
        guard count < pixels.count else { return pixels }
        let mean = Float(count > 0 ? sum / Double(count) : 0)
        return pixels.map { $0.isFinite ? $0 : mean }
    }

    static func percentile90(_ values: [Float]) -> Float {
        IntensityNormalization.percentile(90, of: values) ?? 0
    }

    /// Calls `body` with the index of every pixel whose centre lies within `radius` of pixel (cx, cy)'s
    /// (at least that pixel itself).
    static func forDisk(_ cx: Int, _ cy: Int, radius: Double, width: Int, height: Int, _ body: (Int) -> Void) {
        let k = Int(radius.rounded(.down))
        for dy in -k...k {
            let y = cy + dy
            guard y >= 0 && y < height else { continue }
            for dx in -k...k where Double(dx * dx + dy * dy) <= radius * radius {
                let x = cx + dx
                guard x >= 0 && x < width else { continue }
                body(y * width + x)
            }
        }
    }
}

/// The trust report as TSV (`sn-enhance --report FILE.tsv`).
public enum EnhancementTrustTable {
    /// The header line (no newline).
    public static let header = ["file", "plane", "z", "t", "diameter", "candidates", "enhanced_nuclei", "erased",
                                "erased_fraction", "invented", "invented_fraction", "foreground_before",
                                "foreground_after", "area_change", "noise", "flag"].joined(separator: "\t")

    /// One row (no newline); `areaChange` is `NA` when the input has no foreground.
    public static func row(file: String, plane: Int, z: Int, t: Int, _ trust: PlaneTrust) -> String {
        func f(_ v: Double, _ digits: Int = 4) -> String {
            var s = String(v.rounded(toPlaces: digits))
            if s.hasSuffix(".0") { s.removeLast(2) }
            return s
        }
        return [file, String(plane), String(z), String(t), f(trust.diameter, 2), String(trust.inputCandidates),
                String(trust.enhancedNuclei), String(trust.erased), f(trust.erasedFraction), String(trust.invented),
                f(trust.inventedFraction), f(trust.foregroundBefore), f(trust.foregroundAfter),
                trust.areaChange.map { f($0) } ?? "NA", f(trust.noise, 3), trust.flag].joined(separator: "\t")
    }
}

extension Double {
    /// Rounded to `places` decimals (for printing).
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}
