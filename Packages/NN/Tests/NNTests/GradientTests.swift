import Testing
import TensorCore
@testable import NN

/// Finite-difference gradient checks (see `checkGradients`) for every differentiable op.
extension NNTests {
    @Test func gradientOfBroadcastArithmetic() {
        let a = Parameter(name: "a", value: uniform([2, 3, 4, 5], seed: 1))
        let b = Parameter(name: "b", value: uniform([1, 3, 1, 1], seed: 2))
        let d = Parameter(name: "d", value: uniform([1, 3, 1, 5], seed: 3).map { 1.5 + 0.5 * $0 })
        checkGradients([a, b]) { t in t.parameter(a) + t.parameter(b) }
        checkGradients([a, b]) { t in t.parameter(a) - t.parameter(b) }
        checkGradients([a, b]) { t in t.parameter(b) * t.parameter(a) }
        checkGradients([a, d]) { t in t.parameter(a) / t.parameter(d) }
        checkGradients([a]) { t in -(2 - (t.parameter(a) * 3 + 1) - 0.5).reshaped([6, -1]) }
    }

    @Test func gradientOfChannelConcatenation() {
        let a = Parameter(name: "a", value: uniform([2, 3, 4, 4], seed: 4))
        let b = Parameter(name: "b", value: uniform([2, 2, 4, 4], seed: 5))
        checkGradients([a, b]) { t in Variable.concatenateChannels([t.parameter(a), t.parameter(b), t.parameter(a)]) }
        // An untracked input in the middle still gets its slice skipped correctly.
        checkGradients([b]) { t in Variable.concatenateChannels([t.input(a.value), t.parameter(b)]) }
    }

    @Test func gradientOfReductions() {
        let a = Parameter(name: "a", value: uniform([2, 3, 4, 5], seed: 6))
        checkGradients([a]) { t in t.parameter(a).sum() }
        checkGradients([a]) { t in t.parameter(a).mean() }
        checkGradients([a]) { t in t.parameter(a).sum(axes: [0, 2, 3], keepDims: true) }
        checkGradients([a]) { t in t.parameter(a).mean(axes: [1, -1]) }
    }

    @Test func gradientOfLosses() {
        let a = Parameter(name: "a", value: uniform([2, 2, 3, 3], seed: 7))
        let b = Parameter(name: "b", value: a.value + awayFromZero([2, 2, 3, 3], seed: 8))
        checkGradients([a, b]) { t in l1Loss(t.parameter(a), t.parameter(b)) }
        checkGradients([a, b]) { t in mseLoss(t.parameter(a), t.parameter(b)) }
    }

    @Test func gradientOfActivations() {
        let x = Parameter(name: "x", value: awayFromZero([2, 3, 4, 4], seed: 9).map { 2 * $0 })
        checkGradients([x]) { t in t.parameter(x).relu() }
        checkGradients([x]) { t in t.parameter(x).leakyReLU(slope: 0.2) }
        checkGradients([x]) { t in t.parameter(x).tanh() }
        checkGradients([x]) { t in t.parameter(x).sigmoid() }
        checkGradients([x]) { t in ActivationLayer(.leakyReLU(slope: 0.1))(t.parameter(x)) }
    }

    @Test func gradientOfReflectionPadding() {
        let x = Parameter(name: "x", value: uniform([2, 2, 5, 6], seed: 10))
        checkGradients([x]) { t in t.parameter(x).reflectionPadded(1) }
        checkGradients([x]) { t in ReflectionPad2d(3)(t.parameter(x)) }
    }

    @Test(arguments: [
        // (kernel, stride, padding, mode, bias)
        (3, 1, 1, Padding.zero, true), (3, 2, 1, Padding.zero, true), (3, 1, 1, Padding.reflect, false),
        (7, 1, 3, Padding.reflect, true), (1, 1, 0, Padding.zero, true), (4, 2, 1, Padding.zero, false),
    ])
    func gradientOfConv2d(_ c: (Int, Int, Int, Padding, Bool)) {
        let (k, s, p, mode, hasBias) = c
        let x = Parameter(name: "x", value: uniform([2, 3, 9, 8], seed: 11))
        let w = Parameter(name: "w", value: uniform([4, 3, k, k], seed: 12).map { $0 * 0.5 })
        let b = Parameter(name: "b", value: uniform([4], seed: 13))
        checkGradients(hasBias ? [x, w, b] : [x, w]) { t in
            Variable.conv2d(t.parameter(x), weight: t.parameter(w), bias: hasBias ? t.parameter(b) : nil,
                            stride: s, padding: p, paddingMode: mode)
        }
    }

    /// The Winograd path (forward, input and weight gradient all by Winograd's transforms) with
    /// each variant, zero and reflection padding, forced at a size the automatic choice would
    /// give to im2col. The output is linear in each parameter, so the central difference has no
    /// truncation error and a step of 0.05 is exact up to rounding; a small step would let
    /// F(4×4)'s own rounding (about two bits more than im2col's) dominate the difference.
    @Test(arguments: [
        (WinogradVariant.f2x2, Padding.zero, 1), (.f4x4, .zero, 1), (.f4x4, .reflect, 1), (.f2x2, .reflect, 1), (.f4x4, .zero, 2),
    ])
    func gradientOfWinogradConv2d(_ c: (WinogradVariant, Padding, Int)) {
        let (variant, mode, p) = c
        let x = Parameter(name: "x", value: uniform([2, 3, 9, 7], seed: 17))
        let w = Parameter(name: "w", value: uniform([4, 3, 3, 3], seed: 18).map { $0 * 0.5 })
        let b = Parameter(name: "b", value: uniform([4], seed: 19))
        checkGradients([x, w, b], h: 0.05) { t in
            Variable.conv2d(t.parameter(x), weight: t.parameter(w), bias: t.parameter(b), padding: p, paddingMode: mode,
                            algorithm: .winograd(variant))
        }
    }

    @Test(arguments: [(3, 2, 1, 1), (4, 2, 1, 0), (3, 1, 1, 0)])
    func gradientOfConvTranspose2d(_ c: (Int, Int, Int, Int)) {
        let (k, s, p, op) = c
        let x = Parameter(name: "x", value: uniform([2, 3, 5, 4], seed: 14))
        let w = Parameter(name: "w", value: uniform([3, 2, k, k], seed: 15).map { $0 * 0.5 })
        let b = Parameter(name: "b", value: uniform([2], seed: 16))
        checkGradients([x, w, b]) { t in
            Variable.convTranspose2d(t.parameter(x), weight: t.parameter(w), bias: t.parameter(b),
                                     stride: s, padding: p, outputPadding: op)
        }
    }

    @Test func gradientOfInstanceNorm() {
        let x = Parameter(name: "x", value: uniform([2, 3, 5, 4], seed: 17))
        checkGradients([x]) { t in t.parameter(x).normalized(.instance) }
        let layer = InstanceNorm2d(name: "in", channels: 3, affine: true)
        layer.weight!.value = uniform([3], seed: 18) + 1
        layer.bias!.value = uniform([3], seed: 19)
        checkGradients([x] + layer.parameters) { t in layer(t.parameter(x)) }
    }

    @Test func gradientOfBatchNorm() {
        let x = Parameter(name: "x", value: uniform([3, 2, 4, 5], seed: 20))
        var layer = BatchNorm2d(name: "bn", channels: 2)
        layer.weight.value = uniform([2], seed: 21) + 1
        layer.bias.value = uniform([2], seed: 22)
        checkGradients([x] + layer.parameters) { t in layer(t.parameter(x)) }
        layer.mode = .inference
        checkGradients([x] + layer.parameters) { t in layer(t.parameter(x)) }
    }

    @Test func gradientOfMaxPooling() {
        let x = Parameter(name: "x", value: distinctValues([2, 2, 6, 7], seed: 23))
        checkGradients([x], samples: 200) { t in MaxPool2d()(t.parameter(x)) }
    }

    @Test func gradientOfUpsampling() {
        let x = Parameter(name: "x", value: uniform([2, 2, 4, 5], seed: 24))
        checkGradients([x], samples: 80) { t in t.parameter(x).upsampled(.nearest) }
        checkGradients([x], samples: 80) { t in Upsample(.bilinear)(t.parameter(x)) }
    }

    @Test func gradientOfComposedLayers() {
        var initializer = WeightInitializer(.kaimingNormal(negativeSlope: 0), seed: 5)
        let x = Parameter(name: "x", value: uniform([1, 3, 6, 6], seed: 25))
        let resize = ResizeConv2d(name: "up", inputChannels: 3, outputChannels: 2, initializer: &initializer)
        checkGradients([x] + resize.parameters) { t in resize(t.parameter(x)) }
        let block = ResidualBlock(Sequential(
            Conv2d(name: "c1", inputChannels: 3, outputChannels: 3, kernelSize: 3, padding: 1, paddingMode: .reflect, initializer: &initializer),
            InstanceNorm2d(name: "n1", channels: 3, affine: true),
            ActivationLayer(.tanh),
            Conv2d(name: "c2", inputChannels: 3, outputChannels: 3, kernelSize: 3, padding: 1, paddingMode: .reflect, initializer: &initializer)))
        checkGradients([x] + block.parameters) { t in block(t.parameter(x)) }
    }
}

extension NNTests {
    /// BatchNorm2d's running statistics follow PyTorch: `r ← 0.9·r + 0.1·s` with the batch mean
    /// and the unbiased batch variance; inference then uses them; they are the model's buffers.
    @Test func batchNormRunningStatistics() {
        let x = uniform([3, 2, 4, 5], seed: 26) * 2 + 0.5
        var bn = BatchNorm2d(name: "bn", channels: 2)
        _ = bn(Variable(x))
        let mean = x.mean(axes: [0, 2, 3])
        let n: Float = 3 * 4 * 5
        let unbiased = x.variance(axes: [0, 2, 3]) * (n / (n - 1))
        #expect(bn.statistics.mean.value.isApproximatelyEqual(to: mean * 0.1, absoluteTolerance: 1e-6, relativeTolerance: 1e-5))
        #expect(bn.statistics.variance.value.isApproximatelyEqual(to: unbiased * 0.1 + 0.9, absoluteTolerance: 1e-6, relativeTolerance: 1e-5))
        bn.mode = .inference
        let expected = (x - bn.statistics.mean.value.reshaped([1, 2, 1, 1]))
            / (bn.statistics.variance.value.reshaped([1, 2, 1, 1]) + 1e-5).sqrt()
        #expect(bn(x).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-5, relativeTolerance: 1e-5))
        let model = Sequential(ResidualBlock(Sequential(bn)))
        #expect(model.buffers.map(\.name) == ["bn.running_mean", "bn.running_var"])
        #expect(model.checkpointTensors.map(\.name) == ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"])
    }
}
