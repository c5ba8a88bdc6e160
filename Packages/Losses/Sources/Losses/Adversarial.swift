import NN
import TensorCore

/// Which label a discriminator output is compared with (CycleGAN's `GANLoss`:
/// `target_real_label = 1`, `target_fake_label = 0`).
public enum AdversarialTarget: Sendable, Equatable, CaseIterable {
    /// The output should say "real": label 1 (the discriminator on real images, and the
    /// generator's loss on its fakes).
    case real
    /// The output should say "fake": label 0 (the discriminator on generated images).
    case fake

    /// The constant label: 1 for ``real``, 0 for ``fake``.
    public var label: Float { self == .real ? 1 : 0 }

    /// A tensor of `shape` filled with ``label`` (e.g. the PatchGAN map `[N, 1, h, w]`).
    public func labels(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: label) }
}

/// The least-squares GAN loss (Mao et al. 2017, CycleGAN's `gan_mode="lsgan"`):
/// `L = (1/n) Σᵢ (Dᵢ − t)²` over every element of the discriminator output `D`
/// (PatchGAN: `[N, 1, h, w]`), `t` = ``AdversarialTarget/label``. `∂L/∂Dᵢ = 2(Dᵢ − t)/n`.
///
/// CycleGAN's generator term is `lsganLoss(D(G(x)), target: .real)`; its discriminator
/// objective `½(lsganLoss(D(y), .real) + lsganLoss(D(G(x)), .fake))` (the ½ is the caller's).
public func lsganLoss(_ output: Variable, target: AdversarialTarget) -> Variable {
    let t = target.label
    let d = output.value - t
    let n = Float(d.count)
    return Variable.record(Tensor(d.squared().mean()), inputs: [output]) { g, _ in
        [d * (2 * g.scalar / n)]
    }
}

/// The LSGAN loss `(1/n) Σᵢ (Dᵢ − t)²` of a plain tensor, accumulated in Float64.
public func lsganLoss(_ output: Tensor, target: AdversarialTarget) -> Double {
    let t = Double(target.label)
    var s = 0.0
    for v in output.scalars { s += (Double(v) - t) * (Double(v) - t) }
    return s / Double(output.count)
}
