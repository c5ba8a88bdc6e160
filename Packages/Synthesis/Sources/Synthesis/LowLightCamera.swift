#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a low-light acquisition of a clean fluorescence image looks like: photon budget, haze, uneven
/// illumination and the camera (read noise, gain, offset). Used by ``LowLightCamera`` and `sn-camera`.
///
/// Units: the clean image is normalized so that its high percentile (the brightest nucleus pixels) is
/// signal 1 and its low percentile is signal 0; `photons` is the number of photoelectrons a pixel at
/// signal 1 collects; `haze` is in units of that peak signal; `readNoise` in electrons; `gain` in ADU per
/// electron; `offset` in ADU.
public struct LowLightCameraParameters: Sendable, Equatable {
    /// Photon budget P: photoelectrons per pixel at normalized signal 1 (the brightest nucleus pixel), > 0.
    public var photons: Double
    /// Haze h: mean of the smooth additive background, as a fraction of the peak signal, ≥ 0.
    public var haze: Double
    /// Relative amplitude v of the haze's spatial variation, in [0, 1]: the haze is h·(1 + v·L(x)), L ∈ [−1, 1].
    public var hazeVariation: Double
    /// Illumination fall-off f at the image corners, in [0, 0.95]: I(x) = max(0.05, 1 − f·r²(x)).
    public var illumination: Double
    /// Read noise, electrons rms, ≥ 0.
    public var readNoise: Double
    /// Gain, ADU per electron, > 0.
    public var gain: Double
    /// Offset (bias), ADU, in [0, 65535].
    public var offset: Double

    /// Creates parameters. Defaults: no haze, even illumination, read noise 2.5 e⁻, gain 2 ADU/e⁻,
    /// offset 100 ADU (sn-synth's source-style camera: 5 ADU read noise at gain 2).
    public init(photons: Double, haze: Double = 0, hazeVariation: Double = 0.5, illumination: Double = 0,
                readNoise: Double = 2.5, gain: Double = 2, offset: Double = 100) {
        self.photons = photons
        self.haze = haze
        self.hazeVariation = hazeVariation
        self.illumination = illumination
        self.readNoise = readNoise
        self.gain = gain
        self.offset = offset
    }

    /// The first invalid parameter, as `name must be ..., got value`; nil when all are valid.
    public var problem: String? {
        func bad(_ ok: Bool, _ text: String, _ value: Double) -> String? { ok ? nil : "\(text), got \(value)" }
        return bad(photons.isFinite && photons > 0 && photons <= 1e7, "photons must be in (0, 1e7]", photons)
            ?? bad(haze.isFinite && haze >= 0 && haze <= 100, "haze must be in [0, 100]", haze)
            ?? bad(hazeVariation.isFinite && (0...1).contains(hazeVariation), "haze variation must be in [0, 1]", hazeVariation)
            ?? bad(illumination.isFinite && (0...0.95).contains(illumination), "illumination fall-off must be in [0, 0.95]", illumination)
            ?? bad(readNoise.isFinite && readNoise >= 0 && readNoise <= 1e4, "read noise must be in [0, 1e4] e-", readNoise)
            ?? bad(gain.isFinite && gain > 0 && gain <= 1e3, "gain must be in (0, 1000] ADU/e-", gain)
            ?? bad(offset.isFinite && (0...65535).contains(offset), "offset must be in [0, 65535] ADU", offset)
    }
}

/// Why ``LowLightCamera`` cannot render an image.
public enum LowLightCameraError: Error, Equatable, CustomStringConvertible {
    /// A parameter is out of range (the message names it).
    case invalidParameter(String)
    /// The clean image has no intensity range between its percentiles (`high ≤ low`, or not finite).
    case noIntensityRange(low: Float, high: Float)
    /// The pixel count is not `width · height`, or the image is empty.
    case badShape(count: Int, width: Int, height: Int)

    public var description: String {
        switch self {
        case .invalidParameter(let text): return text
        case .noIntensityRange(let low, let high):
            return "no intensity range to normalize (low percentile \(low), high percentile \(high)): a constant or empty image"
        case .badShape(let count, let width, let height):
            return "\(count) pixels for a \(width) x \(height) image"
        }
    }
}

/// A camera model that turns a clean fluorescence image into a low-light acquisition (docs/synthetic-data.md,
/// "Real shapes in low light"). A pure function of (image, percentiles, parameters, seed):
///
///     n(x) = max(0, (x − low) / (high − low))                          normalized clean image (peak ≈ 1)
///     H(x) = h · (1 + v · L(x)),   L = Σₘ wₘ cos(2π(fₓ x/W + f_y y/H) + φₘ) / Σₘ wₘ ∈ [−1, 1]
///     I(x) = max(0.05, 1 − f · r²(x)),   r = |x − c| / half diagonal
///     E(x) = I(x) · (n(x) + H(x))                                       detected signal
///     counts(x) = clip₀^65535 round( gain · (Poisson(P · E(x)) + N(0, σ_read²)) + offset )
///
/// `low` and `high` are the clean image's percentiles (the caller computes them, e.g. with ImageCore's
/// `IntensityNormalization.percentiles` at 1 and 99.8 %, as sn-enhance does). Values above `high` are not
/// clipped (bright debris gets more than P photons); non-finite pixels count as `low` (signal 0).
/// The haze and illumination fields are drawn from stream 0 of `seed` (4 plane waves of −1.5…1.5 cycles per
/// image, weights 0.2…1; illumination centre in the middle 60 % of each axis), the noise from stream 1, so
/// the fields are the same pattern, relative to the image, at every size: an image brought to 2× keeps its
/// haze and illumination, and only the per-pixel noise differs. Poisson sampling is exact (``Poisson``),
/// normals are Box–Muller; sn-synth's camera uses the same formula (there with read noise in ADU).
public enum LowLightCamera {
    /// Renders `clean` (`height · width`, row-major) as uint16 camera counts, one value per pixel.
    /// - Throws: ``LowLightCameraError`` for invalid parameters, a wrong pixel count or `high ≤ low`.
    public static func render(_ clean: [Float], width: Int, height: Int, low: Float, high: Float,
                              parameters: LowLightCameraParameters, seed: UInt64) throws -> [UInt16] {
        let e = try signal(clean, width: width, height: height, low: low, high: high, parameters: parameters, seed: seed)
        var noise = SplitMix64(seed: SplitMix64.derived(seed, 1))
        return expose(e, parameters: parameters, using: &noise)
    }

    /// The detected signal E(x) = I(x) · (n(x) + H(x)) in units of the peak (before photons and noise).
    /// - Throws: as ``render(_:width:height:low:high:parameters:seed:)``.
    public static func signal(_ clean: [Float], width: Int, height: Int, low: Float, high: Float,
                              parameters: LowLightCameraParameters, seed: UInt64) throws -> [Float] {
        if let problem = parameters.problem { throw LowLightCameraError.invalidParameter(problem) }
        guard width > 0, height > 0, clean.count == width * height else {
            throw LowLightCameraError.badShape(count: clean.count, width: width, height: height)
        }
        guard low.isFinite, high.isFinite, Double(high) - Double(low) > 0 else {
            throw LowLightCameraError.noIntensityRange(low: low, high: high)
        }
        var fields = SplitMix64(seed: SplitMix64.derived(seed, 0))
        let cx = fields.uniform(in: 0.2...0.8) * Double(width), cy = fields.uniform(in: 0.2...0.8) * Double(height)
        var waves: [(fx: Double, fy: Double, phase: Double, weight: Double)] = []
        for _ in 0..<4 {
            waves.append((fields.uniform(in: -1.5...1.5), fields.uniform(in: -1.5...1.5),
                          fields.uniform() * 2 * Double.pi, fields.uniform(in: 0.2...1)))
        }
        let totalWeight = waves.reduce(0) { $0 + $1.weight }
        let lo = Double(low), range = Double(high) - Double(low)
        let halfDiagonal2 = 0.25 * Double(width * width + height * height)
        let p = parameters
        var out = [Float](repeating: 0, count: clean.count)
        for row in 0..<height {
            let y = Double(row) + 0.5
            for col in 0..<width {
                let x = Double(col) + 0.5
                let value = Double(clean[row * width + col])
                let n = value.isFinite ? max(0, (value - lo) / range) : 0
                var haze = 0.0
                if p.haze > 0 {
                    var l = 0.0
                    for w in waves {
                        l += w.weight * cos(2 * Double.pi * (w.fx * x / Double(width) + w.fy * y / Double(height)) + w.phase)
                    }
                    haze = p.haze * (1 + p.hazeVariation * l / totalWeight)
                }
                let r2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / halfDiagonal2
                let light = max(0.05, 1 - p.illumination * r2)
                out[row * width + col] = Float(min(light * (n + haze), 1e30))
            }
        }
        return out
    }

    /// The camera on a signal E (units of the peak): counts = clip₀^65535 round(gain · (Poisson(P·E) +
    /// N(0, σ_read²)) + offset), one Poisson and one normal draw per pixel from `rng`, in pixel order
    /// (normals in Box–Muller pairs). E ≤ 0 collects no photons.
    public static func expose(_ signal: [Float], parameters: LowLightCameraParameters, using rng: inout SplitMix64) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: signal.count)
        let adu = parameters.gain, readADU = parameters.gain * parameters.readNoise
        var p = 0
        while p < signal.count {
            let (z1, z2) = rng.normalPair()
            for (q, z) in [(p, z1), (p + 1, z2)] where q < signal.count {
                let electrons = Poisson.sample(parameters.photons * Double(signal[q]), using: &rng)
                out[q] = CameraQuantization.counts(electrons: electrons, normal: z, gain: adu, readNoiseADU: readADU,
                                                   offset: parameters.offset)
            }
            p += 2
        }
        return out
    }
}

/// The analogue-to-digital step shared by sn-synth's camera and ``LowLightCamera``.
public enum CameraQuantization {
    /// `clip₀^65535 round(gain · electrons + readNoiseADU · z + offset)` (ties away from zero), z a standard normal.
    @inline(__always)
    public static func counts(electrons: Int, normal z: Double, gain: Double, readNoiseADU: Double, offset: Double) -> UInt16 {
        let value = (gain * Double(electrons) + readNoiseADU * z + offset).rounded(.toNearestOrAwayFromZero)
        return UInt16(min(65535, max(0, value)))
    }
}
