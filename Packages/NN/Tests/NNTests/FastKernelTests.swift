import Testing
import TensorCore
@testable import NN

/// The fast convolution algorithms (Winograd, direct) and the fused instance norm + activation
/// against their plain twins: the im2col path (itself checked against `Reference` in
/// KernelTests), `Reference.conv2d` / `Reference.conv2dBackward`, and finite differences.
extension NNTests {
    /// Forward value and all three gradients of a convolution through the tape.
    static func convolutionThroughTape(
        _ x: Tensor, _ w: Tensor, _ b: Tensor?, padding: Int, mode: Padding, algorithm: ConvolutionAlgorithm, seed: Tensor? = nil
    ) -> (y: Tensor, dx: Tensor, dw: Tensor, db: Tensor?) {
        let px = Parameter(name: "x", value: x), pw = Parameter(name: "w", value: w)
        let pb = b.map { Parameter(name: "b", value: $0) }
        let tape = Tape()
        let y = Variable.conv2d(tape.parameter(px), weight: tape.parameter(pw), bias: pb.map { tape.parameter($0) },
                                padding: padding, paddingMode: mode, algorithm: algorithm)
        tape.backward(from: y, seed: seed ?? uniform(y.shape, seed: 77))
        return (y.value, px.gradient, pw.gradient, pb?.gradient)
    }

    /// Tolerance `atol = c·K` (K = summed products), rtol 1e-4: c = 1e-5 for im2col and direct
    /// sums and F(2×2,3×3); 4e-5 for F(4×4,3×3) (see TensorCoreTests' Winograd tolerances).
    @Test(arguments: [
        // (N, Cin, Cout, H, W, k, padding, mode, bias)
        (2, 3, 8, 9, 11, 3, 1, Padding.zero, true), (1, 8, 8, 12, 7, 3, 1, Padding.reflect, true),
        (1, 9, 10, 6, 6, 3, 0, Padding.zero, false), (1, 5, 4, 7, 9, 3, 2, Padding.zero, true),
        (1, 16, 1, 13, 12, 7, 3, Padding.reflect, true), (2, 6, 2, 10, 9, 4, 1, Padding.zero, false),
        (1, 3, 1, 8, 8, 7, 3, Padding.zero, true),
    ])
    func convolutionAlgorithmsAgreeWithIm2col(_ c: (Int, Int, Int, Int, Int, Int, Int, Padding, Bool)) {
        let (n, cin, cout, h, w, k, p, mode, hasBias) = c
        let x = uniform([n, cin, h, w], seed: 41), wt = uniform([cout, cin, k, k], seed: 42)
        let b = hasBias ? uniform([cout], seed: 43) : nil
        let plain = Self.convolutionThroughTape(x, wt, b, padding: p, mode: mode, algorithm: .im2col)
        var algorithms: [ConvolutionAlgorithm] = [.direct]
        if k == 3 { algorithms += [.winograd(.f2x2), .winograd(.f4x4)] }
        NNTests.forEachThreadCount {
            for algorithm in algorithms {
                let fast = Self.convolutionThroughTape(x, wt, b, padding: p, mode: mode, algorithm: algorithm)
                let c: Float = algorithm == .winograd(.f4x4) ? 4e-5 : 1e-5
                let kForward = Float(cin * k * k), kInput = Float(cout * k * k), kWeight = Float(n * plain.y.shape[2] * plain.y.shape[3])
                #expect(fast.y.isApproximatelyEqual(to: plain.y, absoluteTolerance: c * kForward, relativeTolerance: 1e-4),
                        "\(algorithm) \(c) forward: \(fast.y.maxAbsoluteDifference(plain.y))")
                #expect(fast.dx.isApproximatelyEqual(to: plain.dx, absoluteTolerance: c * kInput * 2, relativeTolerance: 1e-4),
                        "\(algorithm) \(c) input gradient: \(fast.dx.maxAbsoluteDifference(plain.dx))")
                #expect(fast.dw.isApproximatelyEqual(to: plain.dw, absoluteTolerance: 1e-5 * kWeight, relativeTolerance: 1e-4),
                        "\(algorithm) \(c) weight gradient: \(fast.dw.maxAbsoluteDifference(plain.dw))")
                if let db = fast.db, let pdb = plain.db {
                    #expect(db.isApproximatelyEqual(to: pdb, absoluteTolerance: 1e-5 * kWeight, relativeTolerance: 1e-4))
                }
            }
        }
    }

    /// The direct kernel against the seven-loop definitions, with reflection read in place.
    @Test func directConvolutionMatchesReference() {
        let x = uniform([2, 5, 11, 10], seed: 44), w = uniform([2, 5, 7, 7], seed: 45), b = uniform([2], seed: 46)
        NNTests.forEachThreadCount {
            let y = DirectConvolution.forward(x, weight: w, bias: b, padding: 3, border: .reflect)
            let expected = Reference.conv2d(Reference.reflectionPad(x, padding: 3), weight: w, bias: b)
            #expect(y.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-5 * 245, relativeTolerance: 1e-4))
            let zero = DirectConvolution.forward(x, weight: w, bias: nil, padding: 2, border: .zero)
            #expect(zero.isApproximatelyEqual(to: Reference.conv2d(x, weight: w, padding: 2), absoluteTolerance: 1e-5 * 245, relativeTolerance: 1e-4))
            let dy = uniform(zero.shape, seed: 47)
            let naive = Reference.conv2dBackward(input: x, weight: w, outputGradient: dy, stride: 1, padding: 2)
            let fast = DirectConvolution.backward(input: x, weight: w, outputGradient: dy, padding: 2, border: .zero,
                                                  needInput: true, needWeight: true, needBias: true)
            let kw = Float(2 * dy.shape[2] * dy.shape[3])
            #expect(fast.input!.isApproximatelyEqual(to: naive.input, absoluteTolerance: 1e-5 * 98, relativeTolerance: 1e-4))
            #expect(fast.weight!.isApproximatelyEqual(to: naive.weight, absoluteTolerance: 1e-5 * kw, relativeTolerance: 1e-4))
            #expect(fast.bias!.isApproximatelyEqual(to: naive.bias, absoluteTolerance: 1e-5 * kw, relativeTolerance: 1e-4))
        }
    }

    @Test func automaticAlgorithmFollowsGeometry() {
        let auto = ConvolutionAlgorithm.automatic
        #expect(auto.resolved(inputChannels: 256, outputChannels: 256, kernel: 3, stride: 1, padding: 1) == .winograd(.f4x4))
        #expect(auto.resolved(inputChannels: 64, outputChannels: 1, kernel: 7, stride: 1, padding: 0) == .direct)
        #expect(auto.resolved(inputChannels: 512, outputChannels: 1, kernel: 4, stride: 1, padding: 1) == .direct)
        #expect(auto.resolved(inputChannels: 1, outputChannels: 64, kernel: 7, stride: 1, padding: 0) == .im2col)
        #expect(auto.resolved(inputChannels: 64, outputChannels: 128, kernel: 3, stride: 2, padding: 1) == .im2col)
        #expect(auto.resolved(inputChannels: 3, outputChannels: 6, kernel: 3, stride: 1, padding: 1) == .im2col)
        #expect(ConvolutionAlgorithm.winograd(.f2x2).resolved(inputChannels: 4, outputChannels: 4, kernel: 4, stride: 2, padding: 1) == .im2col)
    }

    @Test(arguments: [
        (ConvolutionAlgorithm.winograd(.f2x2), Padding.zero, 1), (.winograd(.f4x4), .reflect, 1), (.winograd(.f4x4), .zero, 2),
        (.direct, .reflect, 1), (.direct, .zero, 2),
    ])
    func gradientOfFastConvolutions(_ c: (ConvolutionAlgorithm, Padding, Int)) {
        let (algorithm, mode, p) = c
        let x = Parameter(name: "x", value: uniform([2, 3, 7, 6], seed: 48))
        let w = Parameter(name: "w", value: uniform([2, 3, 3, 3], seed: 49).map { $0 * 0.5 })
        let b = Parameter(name: "b", value: uniform([2], seed: 50))
        checkGradients([x, w, b]) { t in
            Variable.conv2d(t.parameter(x), weight: t.parameter(w), bias: t.parameter(b), padding: p, paddingMode: mode,
                            algorithm: algorithm)
        }
    }

    /// Planes with mean exactly 0 and every value ≥ 0.1 away from 0, so x̂ stays away from the
    /// activation's kink under a finite-difference step.
    static func centredAwayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        var x = awayFromZero(shape, seed: seed)
        let plane = shape[2] * shape[3]
        x.withUnsafeMutableBufferPointer { p in
            for g in 0..<(shape[0] * shape[1]) {
                // Pair values ±v so the plane's mean is exactly 0.
                for i in stride(from: 0, to: plane - 1, by: 2) { p[g * plane + i + 1] = -p[g * plane + i] }
            }
        }
        return x
    }

    /// Instance norm through the generic two-kernel path (`NormalizationKernels.normalize` /
    /// `normalizeBackward`, Float64 statistics), independent of the fused kernel.
    static func plainInstanceNorm(_ v: Variable) -> Variable {
        let r = NormalizationKernels.normalize(v.value, grouping: .instance, epsilon: 1e-5)
        let (xhat, variance) = (r.normalized, r.variance)
        return Variable.record(xhat, inputs: [v]) { g, _ in
            [NormalizationKernels.normalizeBackward(g, normalized: xhat, variance: variance, grouping: .instance, epsilon: 1e-5)]
        }
    }

    @Test(arguments: [Float(0), 0.2, 1])
    func fusedInstanceNormActivationMatchesUnfused(_ slope: Float) {
        let x = uniform([2, 3, 5, 7], seed: 51) * 3 + 1
        let r = uniform([2, 3, 5, 7], seed: 52)
        func run(_ fused: Bool) -> (Tensor, Tensor) {
            let p = Parameter(name: "x", value: x)
            let tape = Tape()
            let v = tape.parameter(p)
            let y = fused ? v.instanceNormActivated(slope: slope) : Self.plainInstanceNorm(v).leakyReLU(slope: slope)
            tape.backward(from: y, seed: r)
            return (y.value, p.gradient)
        }
        NNTests.forEachThreadCount {
            let (yf, gf) = run(true), (yu, gu) = run(false)
            #expect(yf.isApproximatelyEqual(to: yu, absoluteTolerance: 1e-5, relativeTolerance: 1e-5), "\(yf.maxAbsoluteDifference(yu))")
            #expect(gf.isApproximatelyEqual(to: gu, absoluteTolerance: 1e-5, relativeTolerance: 1e-4), "\(gf.maxAbsoluteDifference(gu))")
        }
        // Inference (no tape) gives the same values without keeping x̂.
        #expect(Variable(x).instanceNormActivated(slope: slope).value.isApproximatelyEqual(to: run(true).0, absoluteTolerance: 0, relativeTolerance: 0))
        let layer = InstanceNorm2d(name: "in", channels: 3, activation: slope == 0 ? .relu : (slope == 1 ? .identity : .leakyReLU(slope: slope)))
        #expect(layer(x).isApproximatelyEqual(to: run(false).0, absoluteTolerance: 1e-5, relativeTolerance: 1e-5))
    }

    @Test func gradientOfFusedInstanceNormActivation() {
        let x = Parameter(name: "x", value: Self.centredAwayFromZero([2, 3, 4, 6], seed: 53))
        checkGradients([x]) { t in t.parameter(x).instanceNormActivated(slope: 0) }
        checkGradients([x]) { t in t.parameter(x).instanceNormActivated(slope: 0.2) }
        let affine = InstanceNorm2d(name: "in", channels: 3, affine: true, activation: .tanh)
        affine.weight!.value = uniform([3], seed: 54) + 1
        checkGradients([x] + affine.parameters) { t in affine(t.parameter(x)) }
    }
}
