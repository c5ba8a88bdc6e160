import Losses
import NN
import TensorCore

/// The four networks of CycleGAN (Zhu et al. 2017), named as in the paper:
/// `G: X → Y`, `F: Y → X`, and the discriminators `D_X` (real X vs F(y)) and `D_Y` (real Y vs G(x)).
/// Parameter names carry these prefixes (`"G.res3.conv1.weight"`, `"D_Y.conv2.bias"`).
public struct CycleGANModel {
    /// Generator X → Y.
    public var G: ResNetGenerator
    /// Generator Y → X.
    public var F: ResNetGenerator
    /// Discriminator on domain X.
    public var D_X: PatchDiscriminator
    /// Discriminator on domain Y.
    public var D_Y: PatchDiscriminator

    /// Builds the four networks with CycleGAN's initialisation `N(0, 0.02²)` (biases 0) from one
    /// seed: G, F, D_X, D_Y draw from consecutive Philox streams in that order.
    public init(generator: GeneratorOptions = GeneratorOptions(), discriminatorFilters: Int = 64, seed: UInt64 = 0) {
        var initializer = WeightInitializer(.normal(std: 0.02), seed: seed)
        G = ResNetGenerator(name: "G", options: generator, initializer: &initializer)
        var fOptions = generator
        (fOptions.inputChannels, fOptions.outputChannels) = (generator.outputChannels, generator.inputChannels)
        F = ResNetGenerator(name: "F", options: fOptions, initializer: &initializer)
        D_X = PatchDiscriminator(name: "D_X", inputChannels: generator.inputChannels, filters: discriminatorFilters,
                                 initializer: &initializer)
        D_Y = PatchDiscriminator(name: "D_Y", inputChannels: generator.outputChannels, filters: discriminatorFilters,
                                 initializer: &initializer)
    }

    /// `G.parameters + F.parameters`.
    public var generatorParameters: [Parameter] { G.parameters + F.parameters }
    /// `D_X.parameters + D_Y.parameters`.
    public var discriminatorParameters: [Parameter] { D_X.parameters + D_Y.parameters }
    /// Everything a checkpoint stores: generators then discriminators.
    public var parameters: [Parameter] { generatorParameters + discriminatorParameters }
}

/// Hyper-parameters of a SaliencyNet / CycleGAN training step (defaults: the paper's).
public struct TrainingOptions: Sendable, Equatable {
    /// Where the saliency loss applies (``LossPlacement/cycle``, the paper's, by default).
    public var placement: LossPlacement
    /// α, β, γ of the saliency loss `α·MSE + β·MGE + γ·(1 − SSIM)` (model M: 0.2, 0.2, 0.6).
    public var saliencyWeights: SaliencyLossWeights
    /// Weight λ of the cycle-consistency losses (10).
    public var cycleWeight: Float
    /// Identity loss weight as a fraction of λ (CycleGAN's `lambda_identity`, 0.5: the identity
    /// terms weigh `0.5·λ`); 0 turns the identity loss off.
    public var identityFraction: Float
    /// Capacity of each image pool of past fakes shown to the discriminators (50; 0 = no pool).
    public var poolSize: Int
    /// Standard deviation σ of Gaussian noise added to a translation before it is translated back in
    /// the cycle terms, `F(G(x) + n)` and `G(F(y) + n)`, `n ~ N(0, σ²)` per pixel (0 = none, the paper).
    /// CycleGAN hides information it cannot show in low-amplitude signals ("CycleGAN, a master of
    /// steganography", Chu et al. 2017): here, dim nuclei erased from G(x) yet reconstructed by F.
    /// Noise drowns such signals, so what the cycle needs must be visible (Porav et al. 2019 use the
    /// same lever against steganography).
    public var cycleNoise: Float
    /// Standard deviation σ (pixels) of a Gaussian blur applied to both sides of each cycle comparison,
    /// `C_cycle(B(F(G(x))), B(x))` and `C_cycle(B(G(F(y))), B(y))` with `B` Losses' ``GaussianBlur``
    /// (0 = none, the paper). The cycle then asks for the image's content at the scale of nuclei, not
    /// for its pixel noise: a low-light image's camera noise cannot be shown in a salient G(x), so
    /// without the blur the cycle rewards G for encoding it (as a hidden signal, or with
    /// ``cycleNoise`` as visible speckle). The identity terms are not blurred.
    public var cycleBlur: Float
    /// A content-preservation term in the generator objective (``ContentPreservation/none``, the
    /// paper's, by default): ``ContentPreservation/saliencyMask(_:weight:)`` adds
    /// `w · (L_sc(x, G(x)) + L_sc(F(y), y))`, UTOM's saliency constraint (Losses' ``SaliencyConstraint``).
    public var contentPreservation: ContentPreservation
    /// Adam learning rate (2e-4), β₁ (0.5), β₂ (0.999).
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    /// Learning-rate schedule (CycleGAN: constant then linear decay).
    public var schedule: LearningRateSchedule

    /// Creates options (defaults: the paper's placement and model-M weights, CycleGAN's λ 10, identity
    /// 0.5·λ, pool 50, Adam 2e-4 (0.5, 0.999)).
    public init(placement: LossPlacement = .cycle, saliencyWeights: SaliencyLossWeights = .modelM,
                cycleWeight: Float = 10, identityFraction: Float = 0.5, poolSize: Int = 50, cycleNoise: Float = 0,
                cycleBlur: Float = 0, contentPreservation: ContentPreservation = .none, learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999,
                schedule: LearningRateSchedule = .constant) {
        self.placement = placement
        self.saliencyWeights = saliencyWeights
        self.cycleWeight = cycleWeight
        self.identityFraction = identityFraction
        self.poolSize = poolSize
        self.cycleNoise = cycleNoise
        precondition(cycleBlur >= 0 && cycleBlur.isFinite, "TrainingOptions: cycleBlur must be ≥ 0, got \(cycleBlur)")
        self.cycleBlur = cycleBlur
        if case let .saliencyMask(_, weight) = contentPreservation {
            precondition(weight >= 0 && weight.isFinite, "TrainingOptions: content weight must be ≥ 0, got \(weight)")
        }
        self.contentPreservation = contentPreservation
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.schedule = schedule
    }

    /// The vanilla CycleGAN of Zhu et al. 2017 (L1 cycle, LSGAN, identity 0.5·λ, pool 50).
    public static var vanilla: TrainingOptions { TrainingOptions(placement: .vanilla) }
}

/// The losses of one step (scalars, weighted as they enter the objectives, computed before the
/// optimizer update that used them).
public struct StepLosses: Sendable, Equatable {
    /// Adversarial loss of G against D_Y, `C_adv(D_Y(G(x)), real)` (LSGAN: `mean((D_Y(G(x)) − 1)²)`).
    public var adversarialG: Float
    /// Adversarial loss of F against D_X.
    public var adversarialF: Float
    /// `λ · C_cycle(F(G(x)), x)` (L1 or the saliency loss, see ``LossPlacement``).
    public var cycleX: Float
    /// `λ · C_cycle(G(F(y)), y)`.
    public var cycleY: Float
    /// `f·λ · C_cycle(F(x), x)` (0 when the identity loss is off).
    public var identityX: Float
    /// `f·λ · C_cycle(G(y), y)`.
    public var identityY: Float
    /// The saliency-loss terms (MSE, MGE, 1 − SSIM, unweighted) of the X cycle and of the Y cycle
    /// when the placement is ``LossPlacement/cycle``; nil otherwise.
    public var cycleTermsX: SaliencyLossValues?
    public var cycleTermsY: SaliencyLossValues?
    /// The content-preservation terms `w·L_sc(x, G(x))` and `w·L_sc(F(y), y)` (0 without one).
    public var contentX: Float = 0
    public var contentY: Float = 0
    /// The generators' total: adversarial + cycle + identity terms.
    public var generatorTotal: Float { adversarialG + adversarialF + cycleX + cycleY + identityX + identityY + contentX + contentY }
    /// `½ (C_adv(D_X(x), real) + C_adv(D_X(pool(F(y))), fake))`.
    public var discriminatorX: Float
    /// `½ (C_adv(D_Y(y), real) + C_adv(D_Y(pool(G(x))), fake))`.
    public var discriminatorY: Float

    /// Every value, in a fixed order, for finiteness checks and logs.
    public var all: [Float] {
        [adversarialG, adversarialF, cycleX, cycleY, identityX, identityY, contentX, contentY, discriminatorX, discriminatorY]
    }
}

/// CycleGAN's history buffer of generated images (Shrivastava et al. 2017; `ImagePool` of
/// pytorch-CycleGAN-and-pix2pix): the discriminators see fakes from earlier iterations too, which
/// damps oscillation. For each image of a batch: while the pool holds fewer than ``capacity``
/// images it is stored and returned; afterwards, with probability ½ a uniformly chosen stored image
/// is returned and replaced by the new one, otherwise the new one is returned.
public struct ImagePool: Sendable {
    /// Maximum stored images (0: the pool returns its input).
    public let capacity: Int
    /// The stored images, each `[1, C, H, W]`.
    public private(set) var images: [Tensor]

    /// An empty pool, or one restored from a checkpoint.
    public init(capacity: Int, images: [Tensor] = []) {
        precondition(capacity >= 0 && images.count <= capacity, "ImagePool: \(images.count) images for capacity \(capacity)")
        self.capacity = capacity
        self.images = images
    }

    /// The batch `[N, C, H, W]` for the discriminator, drawing the coin flips and indices from `random`.
    public mutating func query(_ batch: Tensor, random: inout PhiloxGenerator) -> Tensor {
        guard capacity > 0 else { return batch }
        let n = batch.shape[0]
        let itemShape = [1] + Array(batch.shape.dropFirst())
        let itemSize = batch.count / max(1, n)
        var out: [Float] = []
        out.reserveCapacity(batch.count)
        let scalars = batch.scalars
        for i in 0..<n {
            let item = Tensor(shape: itemShape, scalars: Array(scalars[(i * itemSize)..<((i + 1) * itemSize)]))
            if images.count < capacity {
                images.append(item)
                out += item.scalars
            } else if Float.random(in: 0..<1, using: &random) > 0.5 {
                let k = Int.random(in: 0..<capacity, using: &random)
                out += images[k].scalars
                images[k] = item
            } else {
                out += item.scalars
            }
        }
        return Tensor(shape: batch.shape, scalars: out)
    }
}

/// The training state of a step: the model, one Adam per player (G+F, D_X+D_Y) and the two image
/// pools. The training loop (module `SaliencyTraining`) adds data, schedule, checkpoints and
/// validation around ``trainStep(realX:realY:random:)``.
public struct CycleGANTrainer {
    /// The four networks (parameters are updated in place by the optimizers).
    public var model: CycleGANModel
    /// The hyper-parameters.
    public var options: TrainingOptions
    /// The criteria of ``TrainingOptions/placement``.
    public let criteria: CycleGANCriteria
    /// Adam over `G.parameters + F.parameters`.
    public var generatorOptimizer: Adam
    /// Adam over `D_X.parameters + D_Y.parameters`.
    public var discriminatorOptimizer: Adam
    /// Past fakes of domain X (`F(y)`), shown to D_X.
    public var poolX: ImagePool
    /// Past fakes of domain Y (`G(x)`), shown to D_Y.
    public var poolY: ImagePool

    /// Creates the trainer with fresh optimizers and empty pools.
    public init(model: CycleGANModel, options: TrainingOptions = TrainingOptions()) {
        self.model = model
        self.options = options
        criteria = CycleGANCriteria(placement: options.placement, weights: options.saliencyWeights)
        generatorOptimizer = Adam(parameters: model.generatorParameters, learningRate: options.learningRate,
                                  beta1: options.beta1, beta2: options.beta2, schedule: options.schedule)
        discriminatorOptimizer = Adam(parameters: model.discriminatorParameters, learningRate: options.learningRate,
                                      beta1: options.beta1, beta2: options.beta2, schedule: options.schedule)
        poolX = ImagePool(capacity: options.poolSize)
        poolY = ImagePool(capacity: options.poolSize)
    }

    /// The 1-based epoch the learning-rate schedule uses (both optimizers).
    public var epoch: Int {
        get { generatorOptimizer.epoch }
        set { generatorOptimizer.epoch = newValue; discriminatorOptimizer.epoch = newValue }
    }

    /// One CycleGAN iteration on a batch `realX` `[N, C, H, W]` from X and `realY` from Y (H, W
    /// multiples of 4, values in [−1, 1]), with `C_cycle` and `C_adv` the criteria of the placement
    /// (paper §3.2, Fig. 1: `C_cycle` is the saliency loss, `C_adv` LSGAN):
    ///
    /// 1. Generators (a tape differentiating only G and F; D_X, D_Y enter as constants):
    ///    `ŷ = G(x)`, `x̂ = F(y)`,
    ///    `L_GF = C_adv(D_Y(ŷ), 1) + C_adv(D_X(x̂), 1) + λ·C_cycle(F(ŷ + n), x) + λ·C_cycle(G(x̂ + n'), y)
    ///          + f·λ·(C_cycle(F(x), x) + C_cycle(G(y), y))` (identity terms when `f > 0`; `n`, `n'` the
    ///    ``TrainingOptions/cycleNoise``, zero by default, drawn from `random`; with
    ///    ``TrainingOptions/cycleBlur`` both sides of each `C_cycle` are blurred first);
    ///    backward; Adam step of G and F.
    /// 2. Discriminators (a tape differentiating only D_X and D_Y; fakes from step 1, detached, pass
    ///    through the image pools, whose coin flips come from `random`):
    ///    `½(C_adv(D_Y(y), 1) + C_adv(D_Y(pool_Y(ŷ)), 0))` and likewise for D_X; backward; Adam step.
    ///
    /// Gradients are zeroed before each backward pass. Returns the losses.
    @discardableResult
    public mutating func trainStep(realX: Tensor, realY: Tensor, random: inout PhiloxGenerator) -> StepLosses {
        let m = model
        let lambda = options.cycleWeight
        let identityWeight = options.identityFraction * lambda
        let c = criteria

        // 1. Generators.
        let gTape = Tape(differentiating: m.generatorParameters)
        let x = gTape.input(realX), y = gTape.input(realY)
        let fakeY = m.G(x), fakeX = m.F(y)
        let adversarialG = c.adversarialLoss(m.D_Y(fakeY), target: .real)
        let adversarialF = c.adversarialLoss(m.D_X(fakeX), target: .real)
        var termsX: SaliencyLossValues?, termsY: SaliencyLossValues?
        let blur = options.cycleBlur > 0 ? GaussianBlur(sigma: Double(options.cycleBlur)) : nil
        func cycle(_ reconstruction: Variable, _ original: Variable, _ record: inout SaliencyLossValues?) -> Variable {
            let (reconstruction, original) = blur.map { ($0(reconstruction), $0(original)) } ?? (reconstruction, original)
            guard options.placement == .cycle else { return c.cycleLoss(reconstruction, original) }
            let t = c.cycleSaliency.terms(reconstruction, original)
            record = SaliencyLossValues(mse: Double(t.mse.value.scalar), mge: Double(t.mge.value.scalar),
                                        ssim: Double(t.ssim.value.scalar), total: Double(t.total.value.scalar))
            return t.total
        }
        // With cycle noise, the translations are perturbed before going back (noise drawn from `random`).
        func noisy(_ v: Variable) -> Variable {
            guard options.cycleNoise > 0 else { return v }
            return v + Variable(Tensor.normal(v.shape, std: options.cycleNoise, seed: random.next()))
        }
        let cycleX = lambda * cycle(m.F(noisy(fakeY)), x, &termsX)
        let cycleY = lambda * cycle(m.G(noisy(fakeX)), y, &termsY)
        var total = adversarialG + adversarialF + cycleX + cycleY
        var contentX: Float = 0, contentY: Float = 0
        if case let .saliencyMask(constraint, weight) = options.contentPreservation, weight > 0 {
            let termX = weight * constraint(lowSaliency: x, salient: fakeY)
            let termY = weight * constraint(lowSaliency: fakeX, salient: y)
            total = total + termX + termY
            (contentX, contentY) = (termX.value.scalar, termY.value.scalar)
        }
        var identityX: Float = 0, identityY: Float = 0
        if identityWeight > 0 {
            let idX = identityWeight * c.cycleLoss(m.F(x), x)
            let idY = identityWeight * c.cycleLoss(m.G(y), y)
            total = total + idX + idY
            (identityX, identityY) = (idX.value.scalar, idY.value.scalar)
        }
        Parameter.zeroGradients(m.generatorParameters)
        gTape.backward(from: total)
        generatorOptimizer.step()

        // 2. Discriminators on real and (detached, pooled) fake images.
        let pooledX = poolX.query(fakeX.value, random: &random)
        let pooledY = poolY.query(fakeY.value, random: &random)
        let dTape = Tape(differentiating: m.discriminatorParameters)
        func discriminatorLoss(_ d: PatchDiscriminator, real: Tensor, fake: Tensor) -> Variable {
            0.5 * (c.adversarialLoss(d(dTape.input(real)), target: .real) + c.adversarialLoss(d(dTape.input(fake)), target: .fake))
        }
        let lossDX = discriminatorLoss(m.D_X, real: realX, fake: pooledX)
        let lossDY = discriminatorLoss(m.D_Y, real: realY, fake: pooledY)
        Parameter.zeroGradients(m.discriminatorParameters)
        dTape.backward(from: lossDX + lossDY)
        discriminatorOptimizer.step()

        return StepLosses(adversarialG: adversarialG.value.scalar, adversarialF: adversarialF.value.scalar,
                          cycleX: cycleX.value.scalar, cycleY: cycleY.value.scalar,
                          identityX: identityX, identityY: identityY, cycleTermsX: termsX, cycleTermsY: termsY,
                          contentX: contentX, contentY: contentY,
                          discriminatorX: lossDX.value.scalar, discriminatorY: lossDY.value.scalar)
    }
}
