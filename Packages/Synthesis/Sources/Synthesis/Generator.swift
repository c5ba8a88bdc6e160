import Metrics
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NuclearScale

/// The per-image draws from a style's ranges (recorded in manifests).
public struct ImageConditions: Sendable, Equatable {
    /// Photon budget P (photoelectrons per pixel at signal 1).
    public var photons: Double
    /// Density multiplier (sparse < 1 < crowded).
    public var densityFactor: Double
    /// In-focus PSF σ, px.
    public var psfSigma: Double
    /// Haze weight h of the out-of-focus planes.
    public var haze: Double
    /// Illumination fall-off f at the corners.
    public var illuminationFalloff: Double
    /// Illumination gradient g.
    public var illuminationGradient: Double
    /// Mean autofluorescence a.
    public var autofluorescence: Double
    /// Defocus ε_k of each slice, px (0 for a 2-D image).
    public var sliceDefocus: [Double]
    /// Signal attenuation factor of each slice (1 for a 2-D image).
    public var sliceAttenuation: [Double]
}

/// One synthetic image (or Z stack) with its instance labels.
public struct SyntheticImage: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Z slices (1 for a 2-D image).
    public let slices: Int
    /// Camera counts, `slices · height · width`, slice-major then row-major: slice k, row y, column x is
    /// `pixels[(k · height + y) · width + x]`.
    public var pixels: [UInt16]
    /// Instance labels in the same layout: 0 background, 1…`nucleusCount` nuclei (numbered in placement
    /// order; a nucleus keeps its label in every slice that cuts it).
    public var labels: [UInt32]
    /// The number of labelled nuclei.
    public var nucleusCount: Int
    /// The paper's SNR over all slices (``SaliencyMeasures/signalToNoise(_:labels:)``); nil without
    /// labelled or background pixels.
    public var signalToNoise: Double?
    /// The per-image draws.
    public var conditions: ImageConditions
    /// Every placed nucleus, labelled or out of focus, in placement order.
    public var nuclei: [SyntheticNucleus]

    /// The counts of slice `k` as a row-major array.
    public func slicePixels(_ k: Int) -> ArraySlice<UInt16> { pixels[(k * width * height)..<((k + 1) * width * height)] }
    /// The labels of slice `k` as a row-major array.
    public func sliceLabels(_ k: Int) -> ArraySlice<UInt32> { labels[(k * width * height)..<((k + 1) * width * height)] }
}

/// The synthetic-data generator: a pure function of (parameters, size, slices, seed, index).
///
/// Image `index` uses seed `SplitMix64.derived(seed, index)` and, inside it, separate streams for the
/// per-image conditions (0), the nucleus layout (1), the chromatin texture (2) and the camera noise of
/// slice k (3 + k). Images can therefore be made in any order, on any number of threads, with
/// identical results.
///
/// Per image: conditions → layout (``NucleusLayout``) → for each slice, object planes O at the focal
/// plane and ±δ, ±2δ, ±3δ (``OpticsParameters``), blurred, hazed, illuminated and lit with
/// autofluorescence → camera (``CameraParameters``): counts = gain · Poisson(P · E) + N(0, read²) + offset,
/// rounded and clipped to 0…65535.
public struct SyntheticImageGenerator: Sendable {
    /// The style's parameters.
    public var parameters: SynthesisParameters
    /// Image width, px (≥ 8).
    public var width: Int
    /// Image height, px (≥ 8).
    public var height: Int
    /// Z slices (1 = 2-D images).
    public var slices: Int
    /// The global seed.
    public var seed: UInt64

    /// Creates a generator. Preconditions: width, height ≥ 8, slices ≥ 1.
    public init(parameters: SynthesisParameters, width: Int, height: Int, slices: Int = 1, seed: UInt64) {
        precondition(width >= 8 && height >= 8, "SyntheticImageGenerator: image must be at least 8 x 8")
        precondition(slices >= 1, "SyntheticImageGenerator: slices must be at least 1")
        self.parameters = parameters
        self.width = width
        self.height = height
        self.slices = slices
        self.seed = seed
    }

    /// The seed of image `index`: `SplitMix64.derived(seed, index)`.
    public func imageSeed(_ index: Int) -> UInt64 { SplitMix64.derived(seed, UInt64(index)) }

    /// Draws image `index`'s conditions and illumination geometry.
    func drawConditions(_ rng: inout SplitMix64) -> (ImageConditions, illumination: [Double], autofluorescenceWaves: [Double]) {
        let o = parameters.optics, c = parameters.camera, s = parameters.stack
        let photons = rng.logUniform(in: c.photons)
        let densityFactor = rng.uniform(in: parameters.nuclei.densityFactor)
        let psf = rng.uniform(in: o.psfSigma)
        let haze = rng.uniform(in: o.haze)
        let falloff = rng.uniform(in: o.illuminationFalloff)
        let gradient = rng.uniform(in: o.illuminationGradient)
        let autofluorescence = rng.uniform(in: o.autofluorescence)
        // Illumination centre (fractions of W, H) and gradient direction.
        let illumination = [rng.uniform(in: 0.2...0.8), rng.uniform(in: 0.2...0.8), rng.uniform() * 2 * Double.pi]
        // Four plane waves: (fx, fy) cycles per image, phase, weight.
        var waves: [Double] = []
        for _ in 0..<4 {
            waves += [rng.uniform(in: -1.5...1.5), rng.uniform(in: -1.5...1.5), rng.uniform() * 2 * Double.pi, rng.uniform(in: 0.2...1)]
        }
        var defocus = [Double](repeating: 0, count: slices)
        var attenuation = [Double](repeating: 1, count: slices)
        if slices > 1 {
            for k in 0..<slices {
                let depth = Double(k) / Double(slices - 1)
                defocus[k] = abs(s.focusJitter * rng.normal()) + s.depthBlur * depth
                attenuation[k] = max(0, 1 - s.depthAttenuation * depth)
            }
        }
        let conditions = ImageConditions(photons: photons, densityFactor: densityFactor, psfSigma: psf, haze: haze,
                                         illuminationFalloff: falloff, illuminationGradient: gradient,
                                         autofluorescence: autofluorescence, sliceDefocus: defocus,
                                         sliceAttenuation: attenuation)
        return (conditions, illumination, waves)
    }

    /// Makes image `index` (deterministic; see the type's documentation).
    public func image(at index: Int) -> SyntheticImage {
        let imageSeed = imageSeed(index)
        let planeSize = width * height
        var conditionStream = SplitMix64(seed: SplitMix64.derived(imageSeed, 0))
        let (conditions, illumination, waves) = drawConditions(&conditionStream)
        var layoutStream = SplitMix64(seed: SplitMix64.derived(imageSeed, 1))
        let nuclei = NucleusLayout.place(parameters, densityFactor: conditions.densityFactor, width: width,
                                         height: height, slices: slices, using: &layoutStream)
        var textureStream = SplitMix64(seed: SplitMix64.derived(imageSeed, 2))
        let texture = Fields.texture(width: width, height: height, amplitude: parameters.nuclei.texture,
                                     grain: parameters.nuclei.textureGrain, using: &textureStream)
        let light = illuminationField(conditions, illumination)
        let background = autofluorescenceField(conditions, waves)

        var renderer = PlaneRenderer(width: width, height: height, nuclei: nuclei, texture: texture,
                                     dome: parameters.nuclei.dome)
        var pixels = [UInt16](repeating: 0, count: slices * planeSize)
        var labels = [UInt32](repeating: 0, count: slices * planeSize)
        let delta = parameters.optics.planeSpacing
        let kappa = parameters.optics.defocusBlur
        for k in 0..<slices {
            let focal = slices > 1 ? Double(k) * parameters.stack.zStep : 0
            let sigma0 = (conditions.psfSigma * conditions.psfSigma
                          + pow(kappa * conditions.sliceDefocus[k], 2)).squareRoot()
            var signal = [Float](repeating: 0, count: planeSize)
            labels.withUnsafeMutableBufferPointer { all in
                renderer.render(depth: focal, into: &signal, labels: all.baseAddress! + k * planeSize)
            }
            GaussianBlur.apply(&signal, width: width, height: height, sigma: sigma0)
            if conditions.haze > 0 {
                for j in 1...3 {
                    let offset = Double(j) * delta
                    guard renderer.anyNucleus(atDepth: focal + offset) || renderer.anyNucleus(atDepth: focal - offset) else { continue }
                    var plane = [Float](repeating: 0, count: planeSize)
                    renderer.render(depth: focal + offset, into: &plane)
                    renderer.render(depth: focal - offset, into: &plane)
                    GaussianBlur.apply(&plane, width: width, height: height,
                                       sigma: (sigma0 * sigma0 + pow(kappa * offset, 2)).squareRoot())
                    let h = Float(conditions.haze)
                    for p in 0..<planeSize { signal[p] += h * plane[p] }
                }
            }
            var cameraStream = SplitMix64(seed: SplitMix64.derived(imageSeed, UInt64(3 + k)))
            let scale = conditions.photons * conditions.sliceAttenuation[k]
            pixels.withUnsafeMutableBufferPointer { out in
                expose(signal: signal, light: light, background: background, photons: scale,
                       into: out.baseAddress! + k * planeSize, using: &cameraStream)
            }
        }
        let count = Self.compactLabels(&labels, nucleusCount: nuclei.count)
        let snr = SaliencyMeasures.signalToNoise(pixels, labels: labels)
        return SyntheticImage(width: width, height: height, slices: slices, pixels: pixels, labels: labels,
                              nucleusCount: count, signalToNoise: snr, conditions: conditions, nuclei: nuclei)
    }

    /// I(x) = max(0.05, (1 − f r²) (1 + g ⟨x − c, u⟩ / W)), r = |x − c| / half diagonal.
    func illuminationField(_ conditions: ImageConditions, _ geometry: [Double]) -> [Float] {
        let cx = geometry[0] * Double(width), cy = geometry[1] * Double(height)
        let ux = cos(geometry[2]), uy = sin(geometry[2])
        let halfDiagonal = 0.5 * (Double(width * width + height * height)).squareRoot()
        var field = [Float](repeating: 0, count: width * height)
        for row in 0..<height {
            let dy = Double(row) + 0.5 - cy
            for col in 0..<width {
                let dx = Double(col) + 0.5 - cx
                let r2 = (dx * dx + dy * dy) / (halfDiagonal * halfDiagonal)
                let value = (1 - conditions.illuminationFalloff * r2)
                    * (1 + conditions.illuminationGradient * (dx * ux + dy * uy) / Double(width))
                field[row * width + col] = Float(max(0.05, value))
            }
        }
        return field
    }

    /// A(x) = a (1 + v L(x)), L = Σ w_m cos(2π(f_x x / W + f_y y / H) + φ_m) / Σ w_m ∈ [−1, 1].
    func autofluorescenceField(_ conditions: ImageConditions, _ waves: [Double]) -> [Float] {
        let a = conditions.autofluorescence
        let v = parameters.optics.autofluorescenceVariation
        var totalWeight = 0.0
        for m in 0..<4 { totalWeight += waves[4 * m + 3] }
        var field = [Float](repeating: 0, count: width * height)
        for row in 0..<height {
            for col in 0..<width {
                var l = 0.0
                for m in 0..<4 {
                    let phase = 2 * Double.pi * (waves[4 * m] * (Double(col) + 0.5) / Double(width)
                                                 + waves[4 * m + 1] * (Double(row) + 0.5) / Double(height)) + waves[4 * m + 2]
                    l += waves[4 * m + 3] * cos(phase)
                }
                field[row * width + col] = Float(a * (1 + v * l / totalWeight))
            }
        }
        return field
    }

    /// The camera: counts = clip(round(gain · Poisson(P · I · (S + A)) + N(0, read²) + offset), 0, 65535).
    func expose(signal: [Float], light: [Float], background: [Float], photons: Double,
                into out: UnsafeMutablePointer<UInt16>, using rng: inout SplitMix64) {
        let c = parameters.camera
        var p = 0
        let count = signal.count
        while p < count {
            let (z1, z2) = rng.normalPair()
            for (q, z) in [(p, z1), (p + 1, z2)] where q < count {
                let lambda = photons * Double(light[q]) * Double(signal[q] + background[q])
                let electrons = Poisson.sample(lambda, using: &rng)
                out[q] = CameraQuantization.counts(electrons: electrons, normal: z, gain: c.gain, readNoiseADU: c.readNoise,
                                                   offset: c.offset)
            }
            p += 2
        }
    }

    /// Renumbers provisional labels (nucleus index + 1) to 1…K in placement order, dropping nuclei
    /// that cut no slice; returns K.
    static func compactLabels(_ labels: inout [UInt32], nucleusCount: Int) -> Int {
        var present = [Bool](repeating: false, count: nucleusCount + 1)
        for l in labels where l > 0 { present[Int(l)] = true }
        var map = [UInt32](repeating: 0, count: nucleusCount + 1)
        var next: UInt32 = 0
        for i in 1..<present.count where present[i] {
            next += 1
            map[i] = next
        }
        for p in labels.indices where labels[p] > 0 { labels[p] = map[Int(labels[p])] }
        return Int(next)
    }
}

/// Saliency measures.
public enum SaliencyMeasures {
    /// The paper's signal-to-noise ratio, SNR = (m − μ_B) / σ_B, with m the largest intensity inside
    /// the nuclei masks (label > 0), μ_B and σ_B the mean and (population) standard deviation of the
    /// background (label = 0). Nil when there are no nucleus or no background pixels or σ_B = 0.
    /// The definition lives in `Metrics` (``Scores/signalToNoise(labels:intensity:)``), shared with `sn-score`.
    public static func signalToNoise(_ pixels: [UInt16], labels: [UInt32]) -> Double? {
        precondition(labels.count == pixels.count, "signalToNoise: \(pixels.count) pixels but \(labels.count) labels")
        return Scores.signalToNoise(labels: labels) { Double(pixels[$0]) }
    }

    /// ``signalToNoise(_:labels:)`` for intensities given as `Float`.
    public static func signalToNoise(_ pixels: [Float], labels: [UInt32]) -> Double? {
        precondition(labels.count == pixels.count, "signalToNoise: \(pixels.count) pixels but \(labels.count) labels")
        return Scores.signalToNoise(labels: labels) { Double(pixels[$0]) }
    }
}
