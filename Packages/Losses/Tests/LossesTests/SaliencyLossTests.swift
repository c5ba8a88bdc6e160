import Testing
import NN
import TensorCore
@testable import Losses

/// Weight validation, the composition of the saliency loss, identities of the terms, and the
/// three placements.
@Suite struct SaliencyLossTests {
    @Test func weightsValidation() throws {
        let m = SaliencyLossWeights.modelM
        #expect((m.alpha, m.beta, m.gamma) == (0.2, 0.2, 0.6))
        // Every 0.1-step triple of the paper's grid search is accepted in Float32.
        var accepted = 0
        for a in 0...10 {
            for b in 0...(10 - a) {
                _ = try SaliencyLossWeights(alpha: Float(a) / 10, beta: Float(b) / 10, gamma: Float(10 - a - b) / 10)
                accepted += 1
            }
        }
        #expect(accepted == 66)
        #expect(throws: SaliencyLossWeights.ValidationError.invalidWeight(name: "beta", value: -0.1)) {
            try SaliencyLossWeights(alpha: 0.6, beta: -0.1, gamma: 0.5)
        }
        #expect(throws: SaliencyLossWeights.ValidationError.self) { try SaliencyLossWeights(alpha: .nan, beta: 0.5, gamma: 0.5) }
        #expect(throws: SaliencyLossWeights.ValidationError.self) { try SaliencyLossWeights(alpha: .infinity, beta: 0, gamma: 0) }
        #expect(throws: SaliencyLossWeights.ValidationError.self) { try SaliencyLossWeights(alpha: 0.5, beta: 0.5, gamma: 0.5) }
        #expect(throws: SaliencyLossWeights.ValidationError.self) { try SaliencyLossWeights(alpha: 0.2, beta: 0.2, gamma: 0.59999) }
        do {
            _ = try SaliencyLossWeights(alpha: 0.5, beta: 0.5, gamma: 0.5)
            Issue.record("a sum of 1.5 was accepted")
        } catch let error as SaliencyLossWeights.ValidationError {
            #expect(error.description.contains("alpha + beta + gamma = 1.5"), "\(error)")
            #expect(error.description.contains("must be 1"), "\(error)")
        }
        do {
            _ = try SaliencyLossWeights(alpha: 1.1, beta: -0.1, gamma: 0)
            Issue.record("a negative weight was accepted")
        } catch let error as SaliencyLossWeights.ValidationError {
            #expect(error.description == "saliency loss weights: beta = -0.1, must be a finite number ≥ 0")
        }
    }

    @Test func identicalImagesGiveZeroLoss() {
        let x = uniform([2, 2, 13, 14], seed: 21)
        #expect(abs(structuralSimilarity(x, x) - 1) <= 1e-12)
        #expect(abs(structuralSimilarity(x, x, configuration: SSIMConfiguration(boundary: .symmetric)) - 1) <= 1e-12)
        #expect(meanGradientError(x, x) == 0)
        let values = SaliencyLoss().evaluate(x, x)
        #expect(values.mse == 0 && values.mge == 0 && abs(values.ssim) <= 1e-12 && abs(values.total) <= 1e-12)
        #expect(abs(SaliencyLoss()(Variable(x), Variable(x)).value.scalar) <= 1e-6)
    }

    @Test func termsAreSymmetricAndBounded() {
        let x = uniform([1, 2, 16, 16], seed: 22)
        let y = uniform([1, 2, 16, 16], seed: 23)
        #expect(abs(structuralSimilarity(x, y) - structuralSimilarity(y, x)) <= 1e-12)
        #expect(abs(meanGradientError(x, y) - meanGradientError(y, x)) <= 1e-12)
        let map = structuralSimilarityMap(x, y, configuration: SSIMConfiguration(boundary: .symmetric))
        #expect(map.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(map.scalars.contains { $0 < 0 })  // independent noise: some windows anti-correlated
        let loss = ssimLoss(x, y)
        #expect(loss > 0.5 && loss < 2)
    }

    /// The per-channel statistics: a batch's SSIM is the mean of its planes' SSIMs.
    @Test func batchAveragesPlanes() {
        let x = uniform([2, 3, 12, 12], seed: 24), y = uniform([2, 3, 12, 12], seed: 25)
        var total = 0.0
        for n in 0..<2 {
            for c in 0..<3 {
                total += structuralSimilarity(plane(x, n, c), plane(y, n, c))
            }
        }
        #expect(abs(structuralSimilarity(x, y) - total / 6) <= 1e-12)
    }

    @Test func composition() throws {
        let x = uniform([1, 1, 12, 12], seed: 26), y = uniform([1, 1, 12, 12], seed: 27)
        let weights = try SaliencyLossWeights(alpha: 0.3, beta: 0.1, gamma: 0.6)
        let loss = SaliencyLoss(weights: weights)
        let v = loss.evaluate(x, y)
        #expect(abs(v.mse - meanSquaredError(x, y)) <= 1e-15)
        #expect(abs(v.mge - meanGradientError(x, y)) <= 1e-15)
        #expect(abs(v.ssim - (1 - structuralSimilarity(x, y))) <= 1e-15)
        #expect(abs(v.total - (0.3 * v.mse + 0.1 * v.mge + 0.6 * v.ssim)) <= 1e-6)
        let terms = loss.terms(Variable(x), Variable(y))
        #expect(abs(Double(terms.total.value.scalar) - v.total) <= 1e-6)
        #expect(abs(Double(loss(Variable(x), Variable(y)).value.scalar) - v.total) <= 1e-6)
        // Zero weights: the term is skipped, the value is the same.
        let mseOnly = SaliencyLoss(weights: try SaliencyLossWeights(alpha: 1, beta: 0, gamma: 0))
        #expect(mseOnly(Variable(x), Variable(y)).value.scalar == mseLoss(Variable(x), Variable(y)).value.scalar)
    }

    @Test func placements() throws {
        let x = uniform([1, 1, 16, 16], seed: 28), rec = uniform([1, 1, 16, 16], seed: 29)
        let d = uniform([1, 1, 6, 6], seed: 30)
        let saliency = SaliencyLoss(weights: .modelM)

        let cycle = CycleGANCriteria(placement: .cycle)
        #expect(cycle.cycleLoss(Variable(rec), Variable(x)).value == saliency(Variable(rec), Variable(x)).value)
        #expect(abs(Double(cycle.adversarialLoss(Variable(d), target: .real).value.scalar) - lsganLoss(d, target: .real)) <= 1e-6)

        let vanilla = CycleGANCriteria(placement: .vanilla)
        #expect(vanilla.cycleLoss(Variable(rec), Variable(x)).value == l1Loss(Variable(rec), Variable(x)).value)
        #expect(abs(Double(vanilla.adversarialLoss(Variable(d), target: .fake).value.scalar) - lsganLoss(d, target: .fake)) <= 1e-6)

        let adversarial = CycleGANCriteria(placement: .adversarial)
        #expect(adversarial.cycleLoss(Variable(rec), Variable(x)).value == l1Loss(Variable(rec), Variable(x)).value)
        for target in AdversarialTarget.allCases {
            let expected = adversarial.adversarialSaliency.evaluate(d, target.labels(d.shape)).total
            let value = adversarial.adversarialLoss(Variable(d), target: target).value.scalar
            #expect(abs(Double(value) - expected) <= 1e-6)
            // A discriminator output equal to its label costs nothing: the SSIM term enters as
            // 1 − SSIM (the authors' code adds +SSIM, which would give γ here).
            let perfect = Variable(target.labels(d.shape))
            #expect(abs(adversarial.adversarialLoss(perfect, target: target).value.scalar) <= 1e-6)
        }
        #expect(adversarial.adversarialSaliency.ssim.dataRange == 1)
        #expect(adversarial.adversarialSaliency.weights == .modelM)
    }

    @Test func lsganValues() {
        let d = Tensor(shape: [1, 1, 1, 4], scalars: [1, 0, 0.5, -1])
        let real: Double = (0 + 1 + 0.25 + 4) / 4, fake: Double = (1 + 0 + 0.25 + 1) / 4
        #expect(lsganLoss(d, target: .real) == real)
        #expect(lsganLoss(d, target: .fake) == fake)
        #expect(lsganLoss(Variable(d), target: .real).value.scalar == Float(real))
    }

    /// Gradient descent on `L_SSIM = 1 − SSIM` from noise towards a target increases SSIM at
    /// every step (the sign of the term is right for a loss): 20 steps of size 1 take it from
    /// −0.03 to ≈ 0.49.
    @Test func descendingSSIMLossIncreasesSimilarity() {
        let target = uniform([1, 1, 16, 16], seed: 31)
        let x = Parameter(name: "x", value: uniform([1, 1, 16, 16], seed: 32))
        var trace = [structuralSimilarity(x.value, target)]
        for _ in 0..<20 {
            Parameter.zeroGradients([x])
            let tape = Tape()
            tape.backward(from: ssimLoss(tape.parameter(x), tape.input(target)))
            x.value = x.value - 1 * x.gradient
            trace.append(structuralSimilarity(x.value, target))
        }
        #expect(zip(trace, trace.dropFirst()).allSatisfy { $0 < $1 }, "SSIM along the descent: \(trace)")
        #expect(trace.last! > trace.first! + 0.4, "SSIM along the descent: \(trace)")
    }
}

/// Plane `(n, c)` of an NCHW tensor as `[1, 1, H, W]`.
func plane(_ t: Tensor, _ n: Int, _ c: Int) -> Tensor {
    let (h, w) = (t.shape[2], t.shape[3])
    let start = (n * t.shape[1] + c) * h * w
    return Tensor(shape: [1, 1, h, w], scalars: Array(t.scalars[start..<(start + h * w)]))
}
