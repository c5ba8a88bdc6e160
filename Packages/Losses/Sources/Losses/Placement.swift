import NN
import TensorCore

/// Where a CycleGAN training step uses the saliency loss.
///
/// | placement | cycle loss `C(F(G(x)), x)`, `C(G(F(y)), y)` | adversarial criterion on `D(·)` |
/// | --- | --- | --- |
/// | ``cycle`` (default) | saliency loss | LSGAN |
/// | ``adversarial`` | L1 | saliency loss vs the constant 0/1 label map |
/// | ``vanilla`` | L1 | LSGAN |
public enum LossPlacement: Sendable, Equatable, CaseIterable {
    /// The paper's placement (§3.2, Fig. 1): the saliency loss is the generator loss that
    /// enforces cycle consistency, comparing "cycle X" `F(G(X))` with `X` and "cycle Y"
    /// `G(F(Y))` with `Y`; the adversarial loss stays LSGAN.
    case cycle
    /// The authors' public code: the saliency loss is the adversarial criterion, comparing
    /// the discriminator's patch outputs with constant 0/1 labels (for the generators and the
    /// discriminators alike), and the cycle loss stays L1. Their code adds SSIM with a positive
    /// sign, which rewards dissimilarity; here the term is the correct `1 − MSSIM`.
    case adversarial
    /// Vanilla CycleGAN (Zhu et al. 2017): L1 cycle loss, LSGAN adversarial loss.
    case vanilla
}

/// The two criteria of a CycleGAN step for a ``LossPlacement``: what compares a
/// reconstruction with its original, and what compares a discriminator output with a label.
/// Weighting (CycleGAN's λ on the cycle loss, the ½ on the discriminator objective, the
/// identity loss) is left to the training code.
///
/// ```swift
/// let criteria = CycleGANCriteria(placement: .cycle, weights: .modelM)
/// let lossG = criteria.adversarialLoss(D_Y(fakeY), target: .real)
///           + λ * criteria.cycleLoss(F(fakeY), x)          // saliency loss in .cycle
/// ```
public struct CycleGANCriteria: Sendable, Equatable {
    /// The placement.
    public var placement: LossPlacement
    /// The saliency loss used as the cycle loss by ``LossPlacement/cycle`` (default: model M,
    /// SSIM data range 2 for images in [−1, 1], valid windows).
    public var cycleSaliency: SaliencyLoss
    /// The saliency loss used as the adversarial criterion by ``LossPlacement/adversarial``
    /// (default: the same weights, SSIM data range 1 since the labels are 0 and 1, and a
    /// symmetric SSIM border, because a PatchGAN map is small, 30 × 30 for a 256 × 256 crop,
    /// and only a few pixels for test-sized crops, which valid 11 × 11 windows could not cover).
    public var adversarialSaliency: SaliencyLoss

    /// Creates the criteria with one weight triple for both saliency losses (see the defaults
    /// of ``cycleSaliency`` and ``adversarialSaliency``).
    public init(placement: LossPlacement = .cycle, weights: SaliencyLossWeights = .modelM) {
        self.placement = placement
        cycleSaliency = SaliencyLoss(weights: weights)
        adversarialSaliency = SaliencyLoss(weights: weights, ssim: SSIMConfiguration(dataRange: 1, boundary: .symmetric))
    }

    /// Creates the criteria with explicit saliency losses.
    public init(placement: LossPlacement, cycleSaliency: SaliencyLoss, adversarialSaliency: SaliencyLoss) {
        self.placement = placement
        self.cycleSaliency = cycleSaliency
        self.adversarialSaliency = adversarialSaliency
    }

    /// The cycle-consistency loss between a reconstruction (`F(G(x))` or `G(F(y))`) and its
    /// original → shape `[]`: ``cycleSaliency`` for ``LossPlacement/cycle``, otherwise NN's
    /// `l1Loss` `(1/n) Σ |x̂ − x|`.
    public func cycleLoss(_ reconstruction: Variable, _ original: Variable) -> Variable {
        switch placement {
        case .cycle: return cycleSaliency(reconstruction, original)
        case .adversarial, .vanilla: return l1Loss(reconstruction, original)
        }
    }

    /// The adversarial criterion on a discriminator output `D` (`[N, 1, h, w]`) for `target`
    /// → shape `[]`: ``lsganLoss(_:target:)-(Variable,_)`` `(1/n) Σ (D − t)²` for
    /// ``LossPlacement/cycle`` and ``LossPlacement/vanilla``; ``adversarialSaliency``
    /// `(D, t·1)` (the constant label map) for ``LossPlacement/adversarial``.
    public func adversarialLoss(_ discriminatorOutput: Variable, target: AdversarialTarget) -> Variable {
        switch placement {
        case .cycle, .vanilla:
            return lsganLoss(discriminatorOutput, target: target)
        case .adversarial:
            return adversarialSaliency(discriminatorOutput, Variable(target.labels(discriminatorOutput.shape)))
        }
    }
}
