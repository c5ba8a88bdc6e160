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
/// noise, so a noisy input's mask is that of its nuclei (the baseline's Gaussian + Otsu view). τ is
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

    /// Creates the constraint. - Precondition: `blurSigma > 0`, `softness > 0`, both finite.
    public init(blurSigma: Double = 2, softness: Float = 0.1) {
        precondition(blurSigma > 0 && blurSigma.isFinite, "SaliencyConstraint: blurSigma must be > 0, got \(blurSigma)")
        precondition(softness > 0 && softness.isFinite, "SaliencyConstraint: softness must be > 0, got \(softness)")
        self.blurSigma = blurSigma
        self.softness = softness
    }

    /// Otsu's threshold of each plane of `x` `[N, C, H, W]` → `[N, C, 1, 1]` (a plane without contrast
    /// gets its own value, so its mask is ½ everywhere on both sides alike).
    static func planeThresholds(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "SaliencyConstraint: input must be NCHW, got \(x.shape)")
        let planes = x.shape[0] * x.shape[1], size = x.shape[2] * x.shape[3]
        let scalars = x.scalars
        var thresholds = [Float](repeating: 0, count: planes)
        for p in 0..<planes {
            let plane = Array(scalars[(p * size)..<((p + 1) * size)])
            thresholds[p] = ForegroundObjects.otsuThreshold(plane) ?? plane.first { $0.isFinite } ?? 0
        }
        return Tensor(shape: [x.shape[0], x.shape[1], 1, 1], scalars: thresholds)
    }

    /// The soft mask `M(v) = sigmoid((v − τ(v)) / s)` → the shape of `v`.
    public func softMask(_ v: Variable) -> Variable {
        softMask(v, thresholds: Self.planeThresholds(v.value))
    }

    /// `sigmoid((v − τ) / s)` with given per-plane thresholds `τ` `[N, C, 1, 1]` (constants).
    func softMask(_ v: Variable, thresholds: Tensor) -> Variable {
        ((v - Variable(thresholds)) * (1 / softness)).sigmoid()
    }

    /// `L_sc(a, b)` for a low-saliency `a` and a salient `b` of equal shape `[N, 1, H, W]` → `[]`.
    public func callAsFunction(lowSaliency a: Variable, salient b: Variable) -> Variable {
        precondition(a.shape == b.shape, "SaliencyConstraint: shapes \(a.shape) and \(b.shape) differ")
        let blurred = GaussianBlur(sigma: blurSigma)(a)
        return loss(blurred: blurred, salient: b, thresholdsA: Self.planeThresholds(blurred.value),
                    thresholdsB: Self.planeThresholds(b.value))
    }

    /// The loss with the thresholds given (the blur of the low-saliency side already applied).
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
