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

/// Hyper-parameters of the vanilla CycleGAN step (paper defaults).
public struct TrainingOptions: Sendable, Equatable {
    /// Weight λ of the cycle-consistency L1 losses (10).
    public var cycleWeight: Float
    /// Adam learning rate (2e-4), β₁ (0.5), β₂ (0.999).
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    /// Learning-rate schedule (CycleGAN: constant then linear decay).
    public var schedule: LearningRateSchedule

    /// Creates options (defaults: the paper's).
    public init(cycleWeight: Float = 10, learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999,
                schedule: LearningRateSchedule = .constant) {
        self.cycleWeight = cycleWeight
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.schedule = schedule
    }
}

/// The losses of one step (scalars, before the optimizer update that used them).
public struct StepLosses: Sendable, Equatable {
    /// LSGAN loss of G against D_Y: `mean((D_Y(G(x)) − 1)²)`.
    public var adversarialG: Float
    /// LSGAN loss of F against D_X: `mean((D_X(F(y)) − 1)²)`.
    public var adversarialF: Float
    /// `λ · mean|F(G(x)) − x|`.
    public var cycleX: Float
    /// `λ · mean|G(F(y)) − y|`.
    public var cycleY: Float
    /// The generators' total: the four terms above.
    public var generatorTotal: Float { adversarialG + adversarialF + cycleX + cycleY }
    /// `½ (mean((D_X(x) − 1)²) + mean(D_X(F(y))²))`.
    public var discriminatorX: Float
    /// `½ (mean((D_Y(y) − 1)²) + mean(D_Y(G(x))²))`.
    public var discriminatorY: Float
}

/// The vanilla CycleGAN training state: the model and one Adam per player (G+F, D_X+D_Y).
/// Later work adds the image pool, identity and saliency losses, schedules and checkpoints
/// around ``trainStep(realX:realY:)``.
public struct CycleGANTrainer {
    /// The four networks (parameters are updated in place by the optimizers).
    public var model: CycleGANModel
    /// The hyper-parameters.
    public var options: TrainingOptions
    /// Adam over `G.parameters + F.parameters`.
    public var generatorOptimizer: Adam
    /// Adam over `D_X.parameters + D_Y.parameters`.
    public var discriminatorOptimizer: Adam

    /// Creates the trainer with fresh optimizers.
    public init(model: CycleGANModel, options: TrainingOptions = TrainingOptions()) {
        self.model = model
        self.options = options
        generatorOptimizer = Adam(parameters: model.generatorParameters, learningRate: options.learningRate,
                                  beta1: options.beta1, beta2: options.beta2, schedule: options.schedule)
        discriminatorOptimizer = Adam(parameters: model.discriminatorParameters, learningRate: options.learningRate,
                                      beta1: options.beta1, beta2: options.beta2, schedule: options.schedule)
    }

    /// One CycleGAN iteration on a batch `realX` `[N, Cx, H, W]` from X and `realY` `[N, Cy, H, W]`
    /// from Y (H, W multiples of 8, values in [−1, 1]):
    ///
    /// 1. Generators (a tape differentiating only G and F; the discriminators enter as
    ///    constants): `ŷ = G(x)`, `x̂ = F(y)`, losses `mse(D_Y(ŷ), 1) + mse(D_X(x̂), 1) +
    ///    λ·|F(ŷ) − x|₁ + λ·|G(x̂) − y|₁`; backward; Adam step of G and F.
    /// 2. Discriminators (a tape differentiating only D_X and D_Y; the fakes of step 1 enter as
    ///    constants, i.e. detached): `½(mse(D_Y(y), 1) + mse(D_Y(ŷ), 0))` and likewise for D_X;
    ///    backward; Adam step of D_X and D_Y.
    ///
    /// Gradients are zeroed before each backward pass. Returns the losses.
    @discardableResult
    public mutating func trainStep(realX: Tensor, realY: Tensor) -> StepLosses {
        let m = model
        let lambda = options.cycleWeight
        func labels(_ like: Variable, _ value: Float) -> Variable { Variable(Tensor(shape: like.shape, repeating: value)) }

        // 1. Generators.
        let gTape = Tape(differentiating: m.generatorParameters)
        let x = gTape.input(realX), y = gTape.input(realY)
        let fakeY = m.G(x), fakeX = m.F(y)
        let scoreFakeY = m.D_Y(fakeY), scoreFakeX = m.D_X(fakeX)
        let adversarialG = mseLoss(scoreFakeY, labels(scoreFakeY, 1))
        let adversarialF = mseLoss(scoreFakeX, labels(scoreFakeX, 1))
        let cycleX = lambda * l1Loss(m.F(fakeY), x)
        let cycleY = lambda * l1Loss(m.G(fakeX), y)
        let total = adversarialG + adversarialF + cycleX + cycleY
        Parameter.zeroGradients(m.generatorParameters)
        gTape.backward(from: total)
        generatorOptimizer.step()

        // 2. Discriminators on real and (detached) fake images.
        let dTape = Tape(differentiating: m.discriminatorParameters)
        func discriminatorLoss(_ d: PatchDiscriminator, real: Tensor, fake: Tensor) -> Variable {
            let realScore = d(dTape.input(real)), fakeScore = d(dTape.input(fake))
            return 0.5 * (mseLoss(realScore, labels(realScore, 1)) + mseLoss(fakeScore, labels(fakeScore, 0)))
        }
        let lossDX = discriminatorLoss(m.D_X, real: realX, fake: fakeX.value)
        let lossDY = discriminatorLoss(m.D_Y, real: realY, fake: fakeY.value)
        Parameter.zeroGradients(m.discriminatorParameters)
        dTape.backward(from: lossDX + lossDY)
        discriminatorOptimizer.step()

        return StepLosses(adversarialG: adversarialG.value.scalar, adversarialF: adversarialF.value.scalar,
                          cycleX: cycleX.value.scalar, cycleY: cycleY.value.scalar,
                          discriminatorX: lossDX.value.scalar, discriminatorY: lossDY.value.scalar)
    }
}
