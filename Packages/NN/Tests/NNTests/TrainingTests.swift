import Testing
import TensorCore
@testable import NN

extension NNTests {
    /// A tiny image-to-image network (no normalisation: absolute intensities matter):
    /// conv3×3(1→8, reflect) – ReLU – conv3×3(8→8, reflect) – ReLU – conv1×1(8→1).
    static func toyNetwork(seed: UInt64) -> Sequential {
        var initializer = WeightInitializer(.kaimingNormal(negativeSlope: 0), seed: seed)
        return Sequential(
            Conv2d(name: "c1", inputChannels: 1, outputChannels: 8, kernelSize: 3, padding: 1, paddingMode: .reflect, initializer: &initializer),
            ActivationLayer(.relu),
            Conv2d(name: "c2", inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1, paddingMode: .reflect, initializer: &initializer),
            ActivationLayer(.relu),
            Conv2d(name: "c3", inputChannels: 8, outputChannels: 1, kernelSize: 1, initializer: &initializer))
    }

    /// One training step on a batch of 16×16 images in [0, 1) with target `1 − x` (intensity
    /// inversion); returns the MSE before the update.
    static func inversionStep(_ net: Sequential, _ adam: inout Adam, step: Int) -> Float {
        let x = Tensor.uniform([4, 1, 16, 16], seed: 1000 + UInt64(step))
        let target = 1 - x
        Parameter.zeroGradients(net.parameters)
        let tape = Tape()
        let loss = mseLoss(net(tape.input(x)), Variable(target))
        tape.backward(from: loss)
        adam.step()
        return loss.value.scalar
    }

    /// The network learns intensity inversion: MSE (initially ≈ 0.3) below 1e-3 within 300 Adam
    /// steps (lr 1e-2) on fresh random batches, and the result holds on an unseen batch.
    @Test func smallNetworkLearnsIntensityInversion() {
        let net = NNTests.toyNetwork(seed: 3)
        var adam = Adam(parameters: net.parameters, learningRate: 1e-2, beta1: 0.9, beta2: 0.999)
        let first = NNTests.inversionStep(net, &adam, step: 0)
        var last = first
        var steps = 1
        while steps < 300 && last >= 1e-3 {
            last = NNTests.inversionStep(net, &adam, step: steps)
            steps += 1
        }
        #expect(first > 0.05, "initial loss \(first)")
        #expect(last < 1e-3, "loss \(last) after \(steps) steps (initial \(first))")
        let x = Tensor.uniform([2, 1, 16, 16], seed: 99)
        let heldOut = ((net(x) - (1 - x)).squared()).mean()
        #expect(heldOut < 2e-3, "held-out MSE \(heldOut) after \(steps) steps")
    }

    /// Training steps at constant shapes: resident memory (VmRSS) grows by less than 8 MiB
    /// between step 20 and step 100 of a window of 100 (the tape, its closures and workspaces are freed each step;
    /// keeping one step's recorded tensors alive, ≈ 300 K floats ≈ 1.2 MiB here, would add ≈ 90 MiB over 80 steps).
    @Test func trainingHoldsSteadyResidentMemory() throws {
        var initializer = WeightInitializer(seed: 4)
        let net = Sequential(
            Conv2d(name: "c1", inputChannels: 1, outputChannels: 16, kernelSize: 7, padding: 3, paddingMode: .reflect, initializer: &initializer),
            InstanceNorm2d(name: "n1", channels: 16), ActivationLayer(.relu),
            Conv2d(name: "down", inputChannels: 16, outputChannels: 32, kernelSize: 3, stride: 2, padding: 1, initializer: &initializer),
            InstanceNorm2d(name: "n2", channels: 32), ActivationLayer(.relu),
            ResidualBlock(Sequential(
                Conv2d(name: "r1", inputChannels: 32, outputChannels: 32, kernelSize: 3, padding: 1, paddingMode: .reflect, initializer: &initializer),
                InstanceNorm2d(name: "rn", channels: 32))),
            ConvTranspose2d(name: "up", inputChannels: 32, outputChannels: 16, initializer: &initializer),
            InstanceNorm2d(name: "n3", channels: 16), ActivationLayer(.relu),
            Conv2d(name: "out", inputChannels: 16, outputChannels: 1, kernelSize: 7, padding: 3, paddingMode: .reflect, initializer: &initializer),
            ActivationLayer(.tanh))
        var adam = Adam(parameters: net.parameters, learningRate: 2e-4)
        // VmRSS is the whole test process's, and other suites run beside this one: a window may catch
        // their allocations. A leak grows every window, so the test passes when any of three windows of
        // 80 steps stays under 8 MiB.
        var growths: [Int] = []
        var step = 0
        for _ in 0..<3 {
            var at20 = 0
            for s in 1...100 {
                step += 1
                let x = Tensor.uniform([2, 1, 32, 32], low: -1, high: 1, seed: UInt64(step))
                Parameter.zeroGradients(net.parameters)
                let tape = Tape()
                let loss = l1Loss(net(tape.input(x)), Variable(-x))
                tape.backward(from: loss)
                adam.step()
                if s == 20 { at20 = try #require(residentKiB(), "cannot read VmRSS from /proc/self/status") }
            }
            growths.append(try #require(residentKiB()) - at20)
            if growths.last! < 8 * 1024 { break }
        }
        #expect(growths.contains { $0 < 8 * 1024 }, "VmRSS grew by \(growths) KiB over each window of 80 steps")
    }

    /// Gradient cutting for a GAN step: with `Tape(differentiating: G)`, the loss through D adds
    /// gradients to G only; with `detached()`, D's loss adds gradients to D only.
    @Test func ganStepCutsGradients() {
        var initializer = WeightInitializer(seed: 5)
        let g = Conv2d(name: "G", inputChannels: 1, outputChannels: 1, kernelSize: 3, padding: 1, initializer: &initializer)
        let d = Conv2d(name: "D", inputChannels: 1, outputChannels: 1, kernelSize: 3, stride: 2, padding: 1, initializer: &initializer)
        let x = Tensor.uniform([1, 1, 8, 8], seed: 6)
        let all = g.parameters + d.parameters

        // Generator step: D's parameters are constants.
        Parameter.zeroGradients(all)
        let tapeG = Tape(differentiating: g.parameters)
        let out = d(g(tapeG.input(x)))
        tapeG.backward(from: mseLoss(out, Variable(Tensor.ones(out.shape))))
        #expect(g.parameters.allSatisfy { $0.gradient.abs().sum() > 0 })
        #expect(d.parameters.allSatisfy { $0.gradient.abs().sum() == 0 })

        // Discriminator step on a detached fake: G receives nothing.
        Parameter.zeroGradients(all)
        let tapeD = Tape()
        let fake = g(tapeD.input(x)).detached()
        let dOut = d(fake)
        tapeD.backward(from: mseLoss(dOut, Variable(Tensor.zeros(dOut.shape))))
        #expect(d.parameters.allSatisfy { $0.gradient.abs().sum() > 0 })
        #expect(g.parameters.allSatisfy { $0.gradient.abs().sum() == 0 })
        #expect(tapeD.count == 0, "the tape is freed after backward")

        // Gradients accumulate with += across backward passes until zeroed.
        Parameter.zeroGradients(all)
        for _ in 0..<2 {
            let t = Tape()
            t.backward(from: g(t.input(x)).sum())
        }
        let twice = g.weight.gradient
        Parameter.zeroGradients(all)
        let t = Tape()
        t.backward(from: g(t.input(x)).sum())
        #expect(twice.isApproximatelyEqual(to: g.weight.gradient * 2, absoluteTolerance: 1e-6, relativeTolerance: 1e-6))

        // Inference without a tape records nothing and gives the same values.
        #expect(g(x) == g(Tape().input(x)).value)
    }
}
