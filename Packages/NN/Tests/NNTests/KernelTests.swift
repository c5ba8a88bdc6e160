import Testing
import TensorCore
@testable import NN

/// Fast kernels against their naive twins (`Reference`, NN's extension), with 1 and 2 threads.
/// Tolerance for the sgemm-based kernels (inputs uniform in [−1, 1)): as TensorCore's conv2d,
/// `|fast − naive| ≤ 1e-5·K + 1e-4·|naive|` with K the length of the summed products.
extension NNTests {
    static func forEachThreadCount(_ body: () -> Void) {
        for threads in [1, 2] {
            Parallel.withThreadCount(threads, body)
        }
    }

    @Test(arguments: [
        // (N, Cin, H, W, Cout, k, stride, padding)
        (2, 3, 11, 9, 4, 3, 1, 1), (1, 5, 16, 13, 3, 3, 2, 1), (2, 2, 12, 12, 6, 7, 1, 3),
        (1, 4, 9, 10, 2, 1, 1, 0), (1, 3, 10, 10, 2, 4, 2, 1), (1, 64, 20, 20, 8, 3, 1, 1),
    ])
    func conv2dBackwardMatchesDirectLoops(_ c: (Int, Int, Int, Int, Int, Int, Int, Int)) {
        let (n, cin, h, w, cout, k, s, p) = c
        let x = uniform([n, cin, h, w], seed: 31)
        let wt = uniform([cout, cin, k, k], seed: 32)
        let outH = (h + 2 * p - k) / s + 1, outW = (w + 2 * p - k) / s + 1
        let dy = uniform([n, cout, outH, outW], seed: 33)
        let naive = Reference.conv2dBackward(input: x, weight: wt, outputGradient: dy, stride: s, padding: p)
        NNTests.forEachThreadCount {
            // Default budget (one band here) and a 1-byte budget (one output row per band).
            for budget in [nil, 1] as [Int?] {
                let fast = ConvolutionKernels.conv2dBackward(input: x, weight: wt, outputGradient: dy, stride: s, padding: p,
                                                             needInput: true, needWeight: true, needBias: true, workspaceBytes: budget)
                let kx = Float(cout * k * k), kw = Float(n * outH * outW)
                #expect(fast.input!.isApproximatelyEqual(to: naive.input, absoluteTolerance: 1e-5 * kx, relativeTolerance: 1e-4))
                #expect(fast.weight!.isApproximatelyEqual(to: naive.weight, absoluteTolerance: 1e-5 * kw, relativeTolerance: 1e-4))
                #expect(fast.bias!.isApproximatelyEqual(to: naive.bias, absoluteTolerance: 1e-5 * kw, relativeTolerance: 1e-4))
            }
        }
    }

    @Test(arguments: [
        // (N, Cin, H, W, Cout, k, stride, padding, outputPadding)
        (2, 3, 5, 6, 4, 3, 2, 1, 1), (1, 4, 7, 7, 2, 4, 2, 1, 0), (1, 2, 6, 5, 3, 3, 1, 1, 0),
        (1, 16, 9, 8, 8, 3, 2, 1, 1), (1, 3, 4, 4, 2, 5, 3, 2, 2),
    ])
    func convTransposeMatchesNaiveScatter(_ c: (Int, Int, Int, Int, Int, Int, Int, Int, Int)) {
        let (n, cin, h, w, cout, k, s, p, op) = c
        let x = uniform([n, cin, h, w], seed: 34)
        let wt = uniform([cin, cout, k, k], seed: 35)
        let b = uniform([cout], seed: 36)
        let naive = Reference.convTranspose2d(x, weight: wt, bias: b, stride: s, padding: p, outputPadding: op)
        NNTests.forEachThreadCount {
            for budget in [nil, 1] as [Int?] {
                let fast = ConvolutionKernels.convTranspose2d(x, weight: wt, bias: b, stride: s, padding: p, outputPadding: op,
                                                              workspaceBytes: budget)
                #expect(fast.isApproximatelyEqual(to: naive, absoluteTolerance: 1e-5 * Float(cin * k * k), relativeTolerance: 1e-4))
            }
        }
        // Adjointness: ⟨convT(x), y⟩ = ⟨x, ∂/∂x⟩ where ∂/∂x is the strided convolution of y.
        let y = uniform(naive.shape, seed: 37)
        let back = ConvolutionKernels.convTranspose2dBackward(input: x, weight: wt, outputGradient: y, stride: s, padding: p,
                                                              needInput: true, needWeight: false, needBias: false, workspaceBytes: 1).input!
        let plain = ConvolutionKernels.convTranspose2d(x, weight: wt, bias: nil, stride: s, padding: p, outputPadding: op)
        let lhs = zip(plain.scalars, y.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x.scalars, back.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "⟨convT x, y⟩ = \(lhs), ⟨x, conv y⟩ = \(rhs)")
    }

    @Test func convTransposeIsTheInputGradientOfStridedConv() {
        // CycleGAN's geometry: conv k3 s2 p1 maps 2H → H; its input gradient is convT(k3, s2, p1, op1).
        let wt = uniform([4, 3, 3, 3], seed: 38)   // conv weight [Cout=4, Cin=3] = convT weight [Cin'=4, Cout'=3]
        let dy = uniform([2, 4, 5, 6], seed: 39)
        let x = uniform([2, 3, 10, 12], seed: 40)
        let viaConv = ConvolutionKernels.conv2dBackward(input: x, weight: wt, outputGradient: dy, stride: 2, padding: 1,
                                                        needInput: true, needWeight: false, needBias: false).input!
        let viaTranspose = ConvolutionKernels.convTranspose2d(dy, weight: wt, bias: nil, stride: 2, padding: 1, outputPadding: 1)
        #expect(viaTranspose.isApproximatelyEqual(to: viaConv, absoluteTolerance: 1e-5, relativeTolerance: 1e-5))
    }

    @Test func reflectionPaddingAndBilinearMatchNaive() {
        let x = uniform([2, 3, 7, 5], seed: 41)
        for p in [1, 3, 4] {
            #expect(ReflectionPadding.forward(x, padding: p) == Reference.reflectionPad(x, padding: p))
        }
        let up = UpsamplingKernels.forward(x, mode: .bilinear)
        #expect(up.isApproximatelyEqual(to: Reference.upsampleBilinear2x(x), absoluteTolerance: 1e-6, relativeTolerance: 1e-6))
        // Known PyTorch values: F.interpolate([[1, 2], [3, 4]], scale_factor=2, mode="bilinear", align_corners=False).
        let small = UpsamplingKernels.forward(Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]), mode: .bilinear)
        let expected: [Float] = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]
        #expect(small.scalars == expected)
    }

    @Test func normalizationMatchesTensorCoreFormula() {
        let x = uniform([2, 3, 6, 5], seed: 42) * 3 + 1
        let inorm = x.normalizedReference(axes: [2, 3])
        let bnorm = x.normalizedReference(axes: [0, 2, 3])
        NNTests.forEachThreadCount {
            #expect(NormalizationKernels.normalize(x, grouping: .instance, epsilon: 1e-5).normalized
                .isApproximatelyEqual(to: inorm, absoluteTolerance: 1e-5, relativeTolerance: 1e-5))
            #expect(NormalizationKernels.normalize(x, grouping: .batch, epsilon: 1e-5).normalized
                .isApproximatelyEqual(to: bnorm, absoluteTolerance: 1e-5, relativeTolerance: 1e-5))
        }
    }
}

extension Tensor {
    /// `(x − mean)/√(var + 1e-5)` with TensorCore's reductions (the definition the kernel follows).
    func normalizedReference(axes: [Int]) -> Tensor {
        (self - mean(axes: axes, keepDims: true)) / (variance(axes: axes, keepDims: true) + 1e-5).sqrt()
    }
}
