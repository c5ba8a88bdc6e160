/// The two looks of a synthetic set, after the paper's two domains.
///
/// - `source`: low light, few photons, out-of-focus haze, uneven illumination, dim nuclei with a wide
///   brightness spread (down to a tenth of the brightest): low saliency, hard for Otsu (DS_synth).
/// - `target`: high saliency: many photons, little haze, even illumination, and a modest brightness
///   spread whose dimmest nucleus still sits tens of background standard deviations above the
///   background (TS_synth).
public enum SynthesisStyle: String, CaseIterable, Sendable {
    /// Low-saliency, low-light images (the CycleGAN's input domain X).
    case source
    /// High-saliency images (the CycleGAN's output domain Y).
    case target
    /// Low light over the range users have (``SynthesisParameters/lowLight``): a wider source domain.
    case lowLight = "lowlight"
    /// Filled, uniformly salient nuclei with smooth interiors (``SynthesisParameters/filled``): a target
    /// domain that teaches a translator to fill textured nuclei rather than hollow them.
    case filled

    /// The style's documented default parameters (``SynthesisParameters/source`` or ``SynthesisParameters/target``).
    public var parameters: SynthesisParameters {
        switch self {
        case .source: return .source
        case .target: return .target
        case .lowLight: return .lowLight
        case .filled: return .filled
        }
    }
}

/// How a per-nucleus or per-image value is drawn from its range [lo, hi].
public enum RangeDistribution: String, Sendable, Equatable, CaseIterable {
    /// Uniform: density 1 / (hi − lo).
    case uniform
    /// Log-uniform: ln X uniform in [ln lo, ln hi], density ∝ 1 / x (as many nuclei in [0.1, 0.2] as in [0.5, 1]).
    case logUniform
}

/// Nuclei: shape, size, number and brightness. Lengths are in pixels; the object is 3-D (nuclei are
/// ellipsoids, or star-convex prisms capped like ellipsoids), imaged in planes of constant z.
public struct NucleusParameters: Sendable, Equatable {
    /// Median equivalent diameter d = 2√(area / π) of a nucleus's largest cross-section, px.
    public var diameter: Double
    /// Standard deviation of ln d (log-normal sizes): d = diameter · exp(diameterSpread · N(0, 1)).
    public var diameterSpread: Double
    /// Sizes are clipped to `diameter · diameterClip`.
    public var diameterClip: ClosedRange<Double>
    /// Minor / major axis ratio q = b / a, uniform in this range (eccentricity √(1 − q²)).
    public var axisRatio: ClosedRange<Double>
    /// Fraction of nuclei whose outline is irregular: r(φ) = r_ellipse(φ) · (1 + Σ_{k=2..5} a_k cos(kφ + p_k)).
    public var irregularFraction: Double
    /// Bound on Σ|a_k| of an irregular outline (< 1 keeps r > 0, so the shape stays star-convex).
    public var irregularity: Double
    /// z semi-axis as a fraction of the equivalent radius (nuclei of cultured cells are flattened).
    public var thickness: Double
    /// Mean number of in-focus nuclei per 10⁴ px² (each image draws a Poisson count around
    /// `density · densityFactor · area / 10⁴`).
    public var density: Double
    /// Per-image density multiplier, uniform in this range: sparse to crowded.
    public var densityFactor: ClosedRange<Double>
    /// Probability that a nucleus is placed against an already placed one (clusters, touching nuclei)
    /// rather than uniformly.
    public var clustering: Double
    /// Two nuclei may come no closer than `contact · (r_i + r_j)`, with r the radii along the line
    /// joining the centres; below 1 they press into each other and share a straight border.
    public var contact: Double
    /// Per-nucleus brightness B (relative DNA content × stain), drawn from this range.
    public var brightness: ClosedRange<Double>
    /// How B is drawn from `brightness`.
    public var brightnessDistribution: RangeDistribution
    /// Chromatin texture: intensity × (1 + texture · T(x)), T a unit-variance Gaussian random field.
    public var texture: Double
    /// Correlation length of the chromatin field T (σ of the Gaussian that smooths white noise), px.
    public var textureGrain: Double
    /// Domed profile: intensity × (1 − dome · ρ²), ρ the normalised radius (0 centre, 1 edge).
    public var dome: Double
    /// Up to this many nucleoli per nucleus (uniform count), each a Gaussian dip of depth `nucleolusDepth`.
    public var nucleoli: Int
    /// Relative depth of a nucleolus dip, intensity × (1 − depth · e^{−r² / 2s²}).
    public var nucleolusDepth: Double

    /// Creates nucleus parameters (see the properties for meanings and units).
    public init(diameter: Double, diameterSpread: Double, diameterClip: ClosedRange<Double>, axisRatio: ClosedRange<Double>,
                irregularFraction: Double, irregularity: Double, thickness: Double, density: Double,
                densityFactor: ClosedRange<Double>, clustering: Double, contact: Double,
                brightness: ClosedRange<Double>, brightnessDistribution: RangeDistribution,
                texture: Double, textureGrain: Double, dome: Double, nucleoli: Int, nucleolusDepth: Double) {
        self.diameter = diameter
        self.diameterSpread = diameterSpread
        self.diameterClip = diameterClip
        self.axisRatio = axisRatio
        self.irregularFraction = irregularFraction
        self.irregularity = irregularity
        self.thickness = thickness
        self.density = density
        self.densityFactor = densityFactor
        self.clustering = clustering
        self.contact = contact
        self.brightness = brightness
        self.brightnessDistribution = brightnessDistribution
        self.texture = texture
        self.textureGrain = textureGrain
        self.dome = dome
        self.nucleoli = nucleoli
        self.nucleolusDepth = nucleolusDepth
    }
}

/// Widefield optics: the point-spread function, out-of-focus light, illumination and background.
///
/// The in-focus image of focal plane z_f is a sum over object planes z_f + kδ, k = −3…3:
///
///     S(x) = G_{σ₀} ∗ O_{z_f}(x) + h · Σ_{k=1..3} G_{σ_k} ∗ (O_{z_f+kδ} + O_{z_f−kδ})(x),
///     σ_k = √(σ_psf² + (κ k δ)²)
///
/// with O_z the nuclei's cross-sections at depth z (brightness × profile × texture), G_σ a normalised
/// Gaussian, h the haze weight (1 ≈ a plain widefield microscope, where every plane's light reaches
/// the detector; 0 = perfect optical sectioning) and κ the defocus blur rate.
/// The detected signal (in units of an in-focus brightness-1 nucleus) is then
///
///     E(x) = I(x) · (S(x) + A(x)),   I(x) = (1 − f · r²(x)) · (1 + g · ⟨x − c, u⟩ / W)
///
/// with r the distance to a random illumination centre relative to the half diagonal, f the fall-off,
/// g a gradient along a random direction u, and A(x) = a · (1 + v · L(x)) autofluorescence of mean a
/// varying by a smooth field L in [−1, 1].
public struct OpticsParameters: Sendable, Equatable {
    /// σ of the in-focus Gaussian PSF, px (per image, uniform in this range).
    public var psfSigma: ClosedRange<Double>
    /// Haze weight h of out-of-focus planes (per image, uniform).
    public var haze: ClosedRange<Double>
    /// Nuclei above or below the focal plane (unlabelled, seen only as haze) per in-focus nucleus.
    public var outOfFocusNuclei: Double
    /// Object plane spacing δ, px.
    public var planeSpacing: Double
    /// Defocus blur rate κ: px of blur σ per px of defocus.
    public var defocusBlur: Double
    /// Illumination fall-off f at the corners (per image, uniform).
    public var illuminationFalloff: ClosedRange<Double>
    /// Illumination gradient g across the image (per image, uniform).
    public var illuminationGradient: ClosedRange<Double>
    /// Mean autofluorescence a, relative to a brightness-1 nucleus (per image, uniform).
    public var autofluorescence: ClosedRange<Double>
    /// Relative amplitude v of the autofluorescence's smooth spatial variation.
    public var autofluorescenceVariation: Double

    /// Creates optics parameters (see the properties for meanings and units).
    public init(psfSigma: ClosedRange<Double>, haze: ClosedRange<Double>, outOfFocusNuclei: Double, planeSpacing: Double,
                defocusBlur: Double, illuminationFalloff: ClosedRange<Double>, illuminationGradient: ClosedRange<Double>,
                autofluorescence: ClosedRange<Double>, autofluorescenceVariation: Double) {
        self.psfSigma = psfSigma
        self.haze = haze
        self.outOfFocusNuclei = outOfFocusNuclei
        self.planeSpacing = planeSpacing
        self.defocusBlur = defocusBlur
        self.illuminationFalloff = illuminationFalloff
        self.illuminationGradient = illuminationGradient
        self.autofluorescence = autofluorescence
        self.autofluorescenceVariation = autofluorescenceVariation
    }
}

/// The camera: a photon budget, shot noise, gain, read noise and offset, 16-bit output.
///
///     counts(x) = clip₀^65535 round( gain · Poisson(P · E(x)) + N(0, readNoise²) + offset )
///
/// with E the optics' signal (1 = the centre of an in-focus, brightness-1, untextured nucleus) and P
/// the photon budget in photoelectrons per pixel for that signal.
public struct CameraParameters: Sendable, Equatable {
    /// Photon budget P, photoelectrons per pixel at signal 1 (per image, log-uniform in this range).
    public var photons: ClosedRange<Double>
    /// ADU per photoelectron.
    public var gain: Double
    /// Read noise standard deviation, ADU.
    public var readNoise: Double
    /// Offset (bias), ADU.
    public var offset: Double

    /// Creates camera parameters (see the properties for meanings and units).
    public init(photons: ClosedRange<Double>, gain: Double, readNoise: Double, offset: Double) {
        self.photons = photons
        self.gain = gain
        self.readNoise = readNoise
        self.offset = offset
    }
}

/// Z stacks: slice spacing and how focus varies from slice to slice.
///
/// Slice k (0-based, of n) images focal plane z_k = k · zStep through the same optics, except that its
/// PSF is widened by a defocus ε_k = |N(0, focusJitter²)| + depthBlur · k / (n − 1):
/// σ_psf,k = √(σ_psf² + (κ ε_k)²), and its signal is attenuated by (1 − depthAttenuation · k / (n − 1))
/// (scattering deeper into the sample). Labels are the nuclei's exact cross-sections at z_k; a
/// nucleus keeps its label in every slice that cuts it (3-D instance labels).
public struct StackParameters: Sendable, Equatable {
    /// Distance between slices, px (same unit as the lateral pixel).
    public var zStep: Double
    /// σ of the random defocus of a slice, px.
    public var focusJitter: Double
    /// Extra defocus of the deepest slice, px.
    public var depthBlur: Double
    /// Fraction of the signal lost at the deepest slice.
    public var depthAttenuation: Double

    /// Creates stack parameters (see the properties for meanings and units).
    public init(zStep: Double, focusJitter: Double, depthBlur: Double, depthAttenuation: Double) {
        self.zStep = zStep
        self.focusJitter = focusJitter
        self.depthBlur = depthBlur
        self.depthAttenuation = depthAttenuation
    }
}

/// Everything that defines a synthetic style. Start from ``source`` or ``target`` and change fields.
public struct SynthesisParameters: Sendable, Equatable {
    /// Nuclei: shape, size, number, brightness, texture.
    public var nuclei: NucleusParameters
    /// Optics: PSF, haze, illumination, autofluorescence.
    public var optics: OpticsParameters
    /// Camera: photons, gain, read noise, offset.
    public var camera: CameraParameters
    /// Z stacks.
    public var stack: StackParameters

    /// Creates parameters from their four groups.
    public init(nuclei: NucleusParameters, optics: OpticsParameters, camera: CameraParameters, stack: StackParameters) {
        self.nuclei = nuclei
        self.optics = optics
        self.camera = camera
        self.stack = stack
    }

    /// Sizes, shapes and density matched to the real Hoechst time-lapse (docs/synthetic-data.md):
    /// its labels have a median equivalent diameter of 11.8 px (5–95 %: 6.8–16.2 px), median
    /// eccentricity 0.70 (90th percentile 0.84) and about 10 nuclei per 10⁴ px² where cells grow.
    /// The outline diameter 12.2 px gives label diameters of median 11.8 px once cross-sections
    /// (|z₀| ≤ 0.3c) and image borders are accounted for. `density: 13` would give the paper's
    /// Table 1 average of 86 nuclei per 256 × 256 image.
    static func realNuclei(brightness: ClosedRange<Double>, distribution: RangeDistribution,
                           texture: Double, dome: Double) -> NucleusParameters {
        NucleusParameters(diameter: 12.2, diameterSpread: 0.22, diameterClip: 0.5...1.8, axisRatio: 0.5...0.95,
                          irregularFraction: 0.3, irregularity: 0.18, thickness: 0.5, density: 10,
                          densityFactor: 0.35...1.65, clustering: 0.3, contact: 0.85,
                          brightness: brightness, brightnessDistribution: distribution,
                          texture: texture, textureGrain: 1.0, dome: dome, nucleoli: 2, nucleolusDepth: 0.35)
    }

    /// The low-light, low-saliency style (DS_synth): 12–50 photons at signal 1 (log-uniform), read
    /// noise 2.5 e⁻, nucleus brightness log-uniform in [0.3, 1] (half the nuclei below 0.55), heavy
    /// haze (h 0.6–1, 1.5 out-of-focus nuclei per in-focus one), PSF σ 1.1–1.7 px, illumination
    /// fall-off 0.15–0.35, autofluorescence 0.2–0.5. The dimmest nucleus stays faintly visible (median
    /// 0.7 background sd per pixel above the background, several sd as a blob mean): dim, not erased,
    /// so that an unpaired translator has something to lift rather than nuclei to invent. Measured on
    /// 1000 images: SNR 5–95 % ≈ 11–20, geometric-mean Otsu IoU ≈ 0.50 (docs/synthetic-data.md).
    public static let source = SynthesisParameters(
        nuclei: realNuclei(brightness: 0.3...1.0, distribution: .logUniform, texture: 0.2, dome: 0.3),
        optics: OpticsParameters(psfSigma: 1.1...1.7, haze: 0.6...1.0, outOfFocusNuclei: 1.5, planeSpacing: 1.5,
                                 defocusBlur: 1.6, illuminationFalloff: 0.15...0.35, illuminationGradient: 0.0...0.3,
                                 autofluorescence: 0.2...0.5, autofluorescenceVariation: 0.3),
        camera: CameraParameters(photons: 12...50, gain: 2, readNoise: 5, offset: 100),
        stack: StackParameters(zStep: 2, focusJitter: 1.5, depthBlur: 2, depthAttenuation: 0.35))

    /// The high-saliency style (TS_synth): 150–600 photons at signal 1 (log-uniform), brightness
    /// uniform in [0.5, 1] (modest spread; the dimmest nucleus about 15 background sd above the
    /// background), little haze (h 0.03–0.1), PSF σ 0.6–0.9 px, illumination fall-off ≤ 0.1,
    /// autofluorescence 0.05–0.12. Measured on 1000 images: SNR 5–95 % ≈ 24–43, geometric-mean Otsu
    /// IoU ≈ 0.92 (docs/synthetic-data.md).
    public static let target = SynthesisParameters(
        nuclei: realNuclei(brightness: 0.5...1.0, distribution: .uniform, texture: 0.2, dome: 0.2),
        optics: OpticsParameters(psfSigma: 0.6...0.9, haze: 0.03...0.1, outOfFocusNuclei: 0.5, planeSpacing: 1.5,
                                 defocusBlur: 1.6, illuminationFalloff: 0.0...0.1, illuminationGradient: 0.0...0.05,
                                 autofluorescence: 0.05...0.12, autofluorescenceVariation: 0.2),
        camera: CameraParameters(photons: 150...600, gain: 2, readNoise: 4, offset: 100),
        stack: StackParameters(zStep: 2, focusJitter: 0.5, depthBlur: 1, depthAttenuation: 0.15))

    /// The real nuclei's sizes and shapes (``realNuclei(brightness:distribution:texture:dome:)``) over sparse to
    /// dense fields (density factor 0.2–2) with more clustering (0.4): the nuclei of the `lowlight` and
    /// `filled` styles.
    static func variedNuclei(brightness: ClosedRange<Double>, distribution: RangeDistribution, texture: Double, grain: Double,
                             dome: Double, nucleoli: Int, nucleolusDepth: Double) -> NucleusParameters {
        var n = realNuclei(brightness: brightness, distribution: distribution, texture: texture, dome: dome)
        (n.densityFactor, n.clustering, n.textureGrain, n.nucleoli, n.nucleolusDepth) = (0.2...2.0, 0.4, grain, nucleoli, nucleolusDepth)
        return n
    }

    /// Low light over the range users have (SaliencyNet training, issue 16): 2–60 photons at signal 1
    /// (log-uniform), nucleus brightness log-uniform over a decade [0.1, 1] within an image, chromatin
    /// texture 0.35 with coarser grain (1.6) and nucleoli, haze 0.3–1 with 1.5 out-of-focus nuclei per
    /// in-focus one, PSF σ 1.0–1.8 px, illumination fall-off 0–0.4 and gradient 0–0.4, sparse to dense
    /// fields (density factor 0.2–2), autofluorescence 0.1–0.5.
    public static let lowLight = SynthesisParameters(
        nuclei: variedNuclei(brightness: 0.1...1.0, distribution: .logUniform, texture: 0.35, grain: 1.6, dome: 0.3,
                             nucleoli: 2, nucleolusDepth: 0.4),
        optics: OpticsParameters(psfSigma: 1.0...1.8, haze: 0.3...1.0, outOfFocusNuclei: 1.5, planeSpacing: 1.5,
                                 defocusBlur: 1.6, illuminationFalloff: 0.0...0.4, illuminationGradient: 0.0...0.4,
                                 autofluorescence: 0.1...0.5, autofluorescenceVariation: 0.3),
        camera: CameraParameters(photons: 2...60, gain: 2, readNoise: 5, offset: 100),
        stack: StackParameters(zStep: 2, focusJitter: 1.5, depthBlur: 2, depthAttenuation: 0.35))

    /// Filled salient nuclei (a SaliencyNet target domain, issue 16): as ``target`` but with smooth,
    /// flat interiors (no texture, no nucleoli, no dome), 300–800 photons, brightness uniform in
    /// [0.6, 1], and the same sparse-to-dense range as ``lowLight``.
    public static let filled = SynthesisParameters(
        nuclei: variedNuclei(brightness: 0.6...1.0, distribution: .uniform, texture: 0, grain: 1.0, dome: 0,
                             nucleoli: 0, nucleolusDepth: 0),
        optics: OpticsParameters(psfSigma: 0.6...0.9, haze: 0.03...0.1, outOfFocusNuclei: 0.5, planeSpacing: 1.5,
                                 defocusBlur: 1.6, illuminationFalloff: 0.0...0.1, illuminationGradient: 0.0...0.05,
                                 autofluorescence: 0.05...0.12, autofluorescenceVariation: 0.2),
        camera: CameraParameters(photons: 300...800, gain: 2, readNoise: 4, offset: 100),
        stack: StackParameters(zStep: 2, focusJitter: 0.5, depthBlur: 1, depthAttenuation: 0.15))

    /// Every parameter as `name=value` pairs, in a fixed order (written to manifests).
    public var entries: [(String, String)] {
        func r(_ range: ClosedRange<Double>) -> String { "\(range.lowerBound)...\(range.upperBound)" }
        let n = nuclei, o = optics, c = camera, s = stack
        return [
            ("nuclei.diameter", "\(n.diameter)"), ("nuclei.diameterSpread", "\(n.diameterSpread)"),
            ("nuclei.diameterClip", r(n.diameterClip)), ("nuclei.axisRatio", r(n.axisRatio)),
            ("nuclei.irregularFraction", "\(n.irregularFraction)"), ("nuclei.irregularity", "\(n.irregularity)"),
            ("nuclei.thickness", "\(n.thickness)"), ("nuclei.density", "\(n.density)"),
            ("nuclei.densityFactor", r(n.densityFactor)), ("nuclei.clustering", "\(n.clustering)"),
            ("nuclei.contact", "\(n.contact)"), ("nuclei.brightness", r(n.brightness)),
            ("nuclei.brightnessDistribution", n.brightnessDistribution.rawValue), ("nuclei.texture", "\(n.texture)"),
            ("nuclei.textureGrain", "\(n.textureGrain)"), ("nuclei.dome", "\(n.dome)"),
            ("nuclei.nucleoli", "\(n.nucleoli)"), ("nuclei.nucleolusDepth", "\(n.nucleolusDepth)"),
            ("optics.psfSigma", r(o.psfSigma)), ("optics.haze", r(o.haze)),
            ("optics.outOfFocusNuclei", "\(o.outOfFocusNuclei)"), ("optics.planeSpacing", "\(o.planeSpacing)"),
            ("optics.defocusBlur", "\(o.defocusBlur)"), ("optics.illuminationFalloff", r(o.illuminationFalloff)),
            ("optics.illuminationGradient", r(o.illuminationGradient)), ("optics.autofluorescence", r(o.autofluorescence)),
            ("optics.autofluorescenceVariation", "\(o.autofluorescenceVariation)"),
            ("camera.photons", r(c.photons)), ("camera.gain", "\(c.gain)"), ("camera.readNoise", "\(c.readNoise)"),
            ("camera.offset", "\(c.offset)"),
            ("stack.zStep", "\(s.zStep)"), ("stack.focusJitter", "\(s.focusJitter)"),
            ("stack.depthBlur", "\(s.depthBlur)"), ("stack.depthAttenuation", "\(s.depthAttenuation)"),
        ]
    }
}
