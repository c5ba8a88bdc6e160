import Testing
import NN
import TensorCore
@testable import CycleGAN

/// The CycleGAN networks' structure and the training step (tiny sizes; timing is in sn-bench).
@Suite(.serialized)
struct CycleGANTests {
    static let tiny = GeneratorOptions(filters: 4, residualBlocks: 2)

    @Test func generatorParametersFollowThePaper() {
        var initializer = WeightInitializer(.normal(std: 0.02), seed: 1)
        let g = ResNetGenerator(name: "G", options: GeneratorOptions(), initializer: &initializer)
        let names = g.parameters.map(\.name)
        #expect(names.count == 2 * (3 + 18 + 2 + 1))
        #expect(names.prefix(6) == ["G.in_conv.weight", "G.in_conv.bias", "G.down1.weight", "G.down1.bias",
                                    "G.down2.weight", "G.down2.bias"])
        #expect(names.contains("G.res3.conv1.weight") && names.contains("G.res9.conv2.bias"))
        #expect(names.suffix(6) == ["G.up1.weight", "G.up1.bias", "G.up2.weight", "G.up2.bias",
                                    "G.out_conv.weight", "G.out_conv.bias"])
        #expect(g.parameters.first { $0.name == "G.res3.conv1.weight" }!.shape == [256, 256, 3, 3])
        #expect(g.parameters.first { $0.name == "G.up1.weight" }!.shape == [256, 128, 3, 3])
        #expect(g.parameters.first { $0.name == "G.out_conv.weight" }!.shape == [1, 64, 7, 7])
        // PyTorch's ResnetGenerator(1, 1, ngf=64, n_blocks=9, norm=instance): 11,365,633 parameters.
        #expect(g.parameterCount == 11_365_633)
    }

    @Test func discriminatorIsThe70x70PatchGAN() {
        var initializer = WeightInitializer(.normal(std: 0.02), seed: 2)
        let d = PatchDiscriminator(name: "D_Y", filters: 64, initializer: &initializer)
        #expect(d.parameters.map(\.name) == (1...5).flatMap { ["D_Y.conv\($0).weight", "D_Y.conv\($0).bias"] })
        #expect(d.parameters.map(\.shape) == [[64, 1, 4, 4], [64], [128, 64, 4, 4], [128], [256, 128, 4, 4], [256],
                                              [512, 256, 4, 4], [512], [1, 512, 4, 4], [1]])
        // PyTorch's NLayerDiscriminator(1, 64, n_layers=3, InstanceNorm2d): 2,762,689 parameters.
        #expect(d.parameterCount == 2_762_689)
        var small = WeightInitializer(.normal(std: 0.02), seed: 3)
        let tinyD = PatchDiscriminator(name: "D_X", filters: 4, initializer: &small)
        #expect(tinyD(Tensor.uniform([2, 1, 32, 40], low: -1, high: 1, seed: 4)).shape == [2, 1, 2, 3])
    }

    @Test(arguments: [GeneratorUpsampling.transposedConvolution, .resizeConvolution])
    func generatorPreservesShapeAndRange(_ upsampling: GeneratorUpsampling) {
        var options = Self.tiny
        options.upsampling = upsampling
        var initializer = WeightInitializer(.normal(std: 0.1), seed: 5)
        let g = ResNetGenerator(name: "F", options: options, initializer: &initializer)
        let y = g(Tensor.uniform([2, 1, 16, 20], low: -1, high: 1, seed: 6))
        #expect(y.shape == [2, 1, 16, 20])
        #expect(y.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(y.scalars.contains { abs($0) > 0.05 })
    }

    /// The generator's fused/fast paths against the same network built from the plain ops
    /// (im2col convolutions, separate instance norm and ReLU, explicit reflection padding).
    @Test func generatorMatchesUnfusedComposition() {
        var initializer = WeightInitializer(.normal(std: 0.3), seed: 7)
        let options = GeneratorOptions(filters: 8, residualBlocks: 1)
        let g = ResNetGenerator(name: "G", options: options, initializer: &initializer)
        let x = Tensor.uniform([1, 1, 16, 16], low: -1, high: 1, seed: 8)
        func conv(_ c: Conv2d, _ v: Variable) -> Variable {
            Variable.conv2d(v, weight: Variable(c.weight.value), bias: c.bias.map { Variable($0.value) }, stride: c.stride,
                            padding: c.padding, paddingMode: c.paddingMode, algorithm: .im2col)
        }
        func inReLU(_ v: Variable) -> Variable { v.normalized(.instance).relu() }
        var h = inReLU(conv(g.inConv, Variable(x)))
        h = inReLU(conv(g.down1, h))
        h = inReLU(conv(g.down2, h))
        for block in g.residual { h = h + conv(block.conv2, inReLU(conv(block.conv1, h))).normalized(.instance) }
        h = inReLU(g.up1(h))
        h = inReLU(g.up2(h))
        let expected = conv(g.outConv, h).tanh().value
        let fast = g(x)
        #expect(fast.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-4, relativeTolerance: 1e-3),
                "max difference \(fast.maxAbsoluteDifference(expected))")
    }

    /// One step's gradients are those of the paper's losses with the gradient cut where it must
    /// be: G and F get the gradient of the generator loss with D_X, D_Y held constant; D_X and
    /// D_Y get the gradient of their loss on the fakes computed before the generator update.
    @Test func trainStepCutsGradientsCorrectly() {
        let model = CycleGANModel(generator: Self.tiny, discriminatorFilters: 4, seed: 9)
        let twin = CycleGANModel(generator: Self.tiny, discriminatorFilters: 4, seed: 9)
        let x = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 10)
        let y = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 11)
        func ones(_ v: Variable, _ s: Float) -> Variable { Variable(Tensor(shape: v.shape, repeating: s)) }
        // Expected gradients, computed on the twin with one tape per player and everything else constant.
        let gTape = Tape(differentiating: twin.generatorParameters)
        let fakeY = twin.G(gTape.input(x)), fakeX = twin.F(gTape.input(y))
        let sY = twin.D_Y(fakeY), sX = twin.D_X(fakeX)
        let gLoss = mseLoss(sY, ones(sY, 1)) + mseLoss(sX, ones(sX, 1))
            + 10 * l1Loss(twin.F(fakeY), Variable(x)) + 10 * l1Loss(twin.G(fakeX), Variable(y))
        gTape.backward(from: gLoss)
        let dTape = Tape(differentiating: twin.discriminatorParameters)
        func dLoss(_ d: PatchDiscriminator, _ real: Tensor, _ fake: Tensor) -> Variable {
            let r = d(dTape.input(real)), f = d(dTape.input(fake))
            return 0.5 * (mseLoss(r, ones(r, 1)) + mseLoss(f, ones(f, 0)))
        }
        dTape.backward(from: dLoss(twin.D_X, x, fakeX.value) + dLoss(twin.D_Y, y, fakeY.value))

        var trainer = CycleGANTrainer(model: model, options: TrainingOptions(placement: .vanilla, identityFraction: 0, poolSize: 0))
        var random = PhiloxGenerator(seed: 1)
        let losses = trainer.trainStep(realX: x, realY: y, random: &random)
        #expect(abs(losses.generatorTotal - gLoss.value.scalar) <= 1e-4 * abs(gLoss.value.scalar))
        for (p, q) in zip(model.parameters, twin.parameters) {
            #expect(p.name == q.name)
            let scale = q.gradient.abs().scalars.max() ?? 0
            #expect(p.gradient.isApproximatelyEqual(to: q.gradient, absoluteTolerance: 1e-4 * scale + 1e-7, relativeTolerance: 1e-3),
                    "\(p.name): max difference \(p.gradient.maxAbsoluteDifference(q.gradient)) (scale \(scale))")
            #expect(p.value != q.value, "\(p.name) was not updated")
        }
    }

    @Test func trainingReducesTheCycleLoss() {
        var trainer = CycleGANTrainer(model: CycleGANModel(generator: Self.tiny, discriminatorFilters: 4, seed: 12),
                                      options: TrainingOptions(placement: .vanilla, learningRate: 2e-3))
        var random = PhiloxGenerator(seed: 15)
        let x = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 13)
        let y = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 14)
        let first = trainer.trainStep(realX: x, realY: y, random: &random)
        var last = first
        for _ in 0..<40 { last = trainer.trainStep(realX: x, realY: y, random: &random) }
        #expect(last.cycleX + last.cycleY < 0.8 * (first.cycleX + first.cycleY), "\(first) → \(last)")
        let finite = [last.discriminatorX, last.discriminatorY, last.adversarialG, last.adversarialF].allSatisfy { $0.isFinite }
        #expect(finite, "\(last)")
    }
}
