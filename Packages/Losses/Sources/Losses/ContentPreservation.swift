import NN
import NuclearScale
import TensorCore

/// The saliency constraint: a content-preservation term that ties the nuclei of a translation to those
/// of its input, after UTOM (Li et al., *Light: Science & Applications* 10:44, 2021), whose saliency
/// constraint compares soft-threshold masks of a CycleGAN's input and output and in their study stopped
/// it from moving or dropping content in microscopy.
///
/// For a low-saliency image `a` (domain X) and a salient image `b` (domain Y), each `[N, 1, H, W]`:
///
///     M(v) = sigmoid((v − τ(v)) / s)                         (per plane; τ = Otsu's threshold of the plane)
///     L_sc(a, b) = (1/n) Σ | M(B_σ(a)) − M(b) |              (an L1 between soft masks, in [0, 1])
///
/// `B_σ` is a Gaussian blur at the nucleus scale: the low-saliency side is read as nuclei, not as pixel
/// noise, so a noisy input's mask is that of its nuclei (the baseline's Gaussian + Otsu view).
///
/// Two options read real low-light images better (both off by default, the constraint as first shipped):
/// - **Background removal** (``backgroundSigma`` `σ_b > 0`): the low-saliency side becomes
///   `B_σ(a) − B_σb(a)`, a difference of Gaussians, so that haze and uneven illumination (brighter than the
///   dark parts of the field, and on a crop without nuclei Otsu's foreground) are not read as nuclei.
/// - **Contrast gate** (``minimumContrast`` `δ > 0`): a plane whose Otsu classes differ in mean by less than
///   `δ` holds no nuclei, and its mask is 0 (τ is set above the plane's maximum); on both sides, so an
///   empty crop of the input asks for an empty output, and nuclei invented on it cost their area.
///
/// τ is
/// computed on the values without a gradient (a constant per plane); the gradient flows through the
/// sigmoid, so it acts on pixels near the threshold: a nucleus of the input that the output erased, moved
/// or invented is pulled back. With `s` in the units of the images ([−1, 1] here), a small `s` makes the
/// masks nearly binary.
///
/// In training (``ContentPreservation``) G's term is `L_sc(x, G(x))` and F's is `L_sc(F(y), y)`.
public struct SaliencyConstraint: Sendable, Equatable {
    /// σ of the blur `B_σ` of the low-saliency side, px (> 0); about a sixth of the nucleus diameter.
    public var blurSigma: Double
    /// Width `s` of the sigmoid, in image units (> 0).
    public var softness: Float

    /// σ_b of the background estimate subtracted from the low-saliency side, px (0 = none); about two
    /// nucleus diameters.
    public var backgroundSigma: Double
    /// Minimum difference δ between the means of a plane's Otsu classes for it to hold nuclei, in image
    /// units (0 = no gate).
    public var minimumContrast: Float

    /// Creates the constraint. - Precondition: `blurSigma > 0`, `softness > 0`, `backgroundSigma ≥ 0`,
    /// `minimumContrast ≥ 0`, all finite.
    public init(blurSigma: Double = 2, softness: Float = 0.1, backgroundSigma: Double = 0, minimumContrast: Float = 0) {
        precondition(blurSigma > 0 && blurSigma.isFinite, "SaliencyConstraint: blurSigma must be > 0, got \(blurSigma)")
        precondition(softness > 0 && softness.isFinite, "SaliencyConstraint: softness must be > 0, got \(softness)")
        precondition(backgroundSigma >= 0 && backgroundSigma.isFinite, "SaliencyConstraint: backgroundSigma must be ≥ 0, got \(backgroundSigma)")
        precondition(minimumContrast >= 0 && minimumContrast.isFinite, "SaliencyConstraint: minimumContrast must be ≥ 0, got \(minimumContrast)")
        self.blurSigma = blurSigma
        self.softness = softness
        self.backgroundSigma = backgroundSigma
        self.minimumContrast = minimumContrast
    }

    /// Otsu's threshold of each plane of `x` `[N, C, H, W]` → `[N, C, 1, 1]`. A plane without contrast gets
    /// its own value, so its mask is ½ everywhere on both sides alike; with `minimumContrast > 0`, a plane
    /// whose classes' means differ by less than it gets `max + 20·softness` (its mask ≈ 0).
    static func planeThresholds(_ x: Tensor, minimumContrast: Float = 0, softness: Float = 0.1) -> Tensor {
        precondition(x.rank == 4, "SaliencyConstraint: input must be NCHW, got \(x.shape)")
        let planes = x.shape[0] * x.shape[1], size = x.shape[2] * x.shape[3]
        let scalars = x.scalars
        var thresholds = [Float](repeating: 0, count: planes)
        for p in 0..<planes {
            let plane = Array(scalars[(p * size)..<((p + 1) * size)])
            let otsu = ForegroundObjects.otsuThreshold(plane)
            thresholds[p] = otsu ?? plane.first { $0.isFinite } ?? 0
            if minimumContrast > 0 {
                let finite = plane.filter(\.isFinite)
                let contrast = otsu.map { t in classSeparation(finite, threshold: t) } ?? 0
                if contrast < minimumContrast { thresholds[p] = (finite.max() ?? 0) + 20 * softness }
            }
        }
        return Tensor(shape: [x.shape[0], x.shape[1], 1, 1], scalars: thresholds)
    }

    /// Mean of the values above `threshold` minus mean of the others (0 when a class is empty).
    static func classSeparation(_ values: [Float], threshold t: Float) -> Float {
        var hi = 0.0, lo = 0.0, nHi = 0, nLo = 0
        for v in values { if v > t { hi += Double(v); nHi += 1 } else { lo += Double(v); nLo += 1 } }
        guard nHi > 0 && nLo > 0 else { return 0 }
        return Float(hi / Double(nHi) - lo / Double(nLo))
    }

    /// This constraint's thresholds of the planes of `x` (with its gate).
    func thresholds(_ x: Tensor) -> Tensor {
        Self.planeThresholds(x, minimumContrast: minimumContrast, softness: softness)
    }

    /// The low-saliency side as the masks read it: `B_σ(a)`, or `B_σ(a) − B_σb(a)` with background removal.
    func lowSaliencySide(_ a: Variable) -> Variable {
        let blurred = GaussianBlur(sigma: blurSigma)(a)
        return backgroundSigma > 0 ? blurred - GaussianBlur(sigma: backgroundSigma)(a) : blurred
    }

    /// The soft mask `M(v) = sigmoid((v − τ(v)) / s)` → the shape of `v`.
    public func softMask(_ v: Variable) -> Variable {
        softMask(v, thresholds: thresholds(v.value))
    }

    /// `sigmoid((v − τ) / s)` with given per-plane thresholds `τ` `[N, C, 1, 1]` (constants).
    func softMask(_ v: Variable, thresholds: Tensor) -> Variable {
        ((v - Variable(thresholds)) * (1 / softness)).sigmoid()
    }

    /// `L_sc(a, b)` for a low-saliency `a` and a salient `b` of equal shape `[N, 1, H, W]` → `[]`.
    public func callAsFunction(lowSaliency a: Variable, salient b: Variable) -> Variable {
        precondition(a.shape == b.shape, "SaliencyConstraint: shapes \(a.shape) and \(b.shape) differ")
        let low = lowSaliencySide(a)
        return loss(blurred: low, salient: b, thresholdsA: thresholds(low.value), thresholdsB: thresholds(b.value))
    }

    /// The loss with the thresholds given (``lowSaliencySide(_:)`` already applied to `a`).
    func loss(blurred a: Variable, salient b: Variable, thresholdsA: Tensor, thresholdsB: Tensor) -> Variable {
        l1Loss(softMask(a, thresholds: thresholdsA), softMask(b, thresholds: thresholdsB))
    }
}

/// Whether, and how, a CycleGAN's generator objective ties the content of each translation to its input.
public enum ContentPreservation: Sendable, Equatable {
    /// No such term: the paper's objective (adversarial + cycle + identity).
    case none
    /// `weight · (L_sc(x, G(x)) + L_sc(F(y), y))` with the ``SaliencyConstraint`` (UTOM's saliency
    /// constraint, the masks of the low-saliency side taken after a nucleus-scale blur).
    case saliencyMask(SaliencyConstraint, weight: Float)
}
