import Testing
import NN
import TensorCore
@testable import Losses

/// Finite-difference gradient checks (see `checkGradients`: central differences, h = 1e-3,
/// `|numeric − analytic| ≤ atol + rtol·|analytic|`, rtol = 1e-2, atol stated per check and
/// scaled to the gradients' size, which the helper also requires to exceed 10·atol somewhere).
///
/// Map-valued ops (`L = Σ r ⊙ map`): O(0.1–1) gradients, h = 1e-3, atol 2e-3 (NN's defaults).
/// Scalar losses averaged over n = 40–144 elements have gradients ~1/n: atol 1e-4 and
/// h = 1e-2, so that the Float32 rounding of the loss value (≈ 6e-8·|L|, up to ≈ 2.5 here)
/// adds at most ≈ 1e-5 to the numeric derivative (with h = 1e-3 it would be ≈ 1e-4, as
/// large as the tolerance). The truncation error O(h²·f‴) stays small: a perturbed pixel moves
/// each SSIM window statistic by ≤ 0.15·h, and each Sobel derivative by ≤ 2h = 0.02 while the
/// gradient magnitudes of the MGE inputs here are ≥ 0.11 (away from the √ kink at 0).
@Suite struct GradientTests {
    @Test func gradientOfMSEAndL1() {
        let a = Parameter(name: "a", value: uniform([2, 2, 4, 5], seed: 1))
        let b = Parameter(name: "b", value: a.value + awayFromZero([2, 2, 4, 5], seed: 2))
        checkGradients([a, b], h: 1e-2, atol: 1e-4) { t in mseLoss(t.parameter(a), t.parameter(b)) }
        checkGradients([a, b], h: 1e-2, atol: 1e-4) { t in l1Loss(t.parameter(a), t.parameter(b)) }
    }

    @Test func gradientOfLSGAN() {
        let d = Parameter(name: "D", value: uniform([2, 1, 5, 6], seed: 3).map { 2 * $0 })
        for target in AdversarialTarget.allCases {
            checkGradients([d], h: 1e-2, atol: 1e-4) { t in lsganLoss(t.parameter(d), target: target) }
        }
    }

    @Test(arguments: [BoundaryMode.symmetric, .valid])
    func gradientOfSobelMagnitude(_ boundary: BoundaryMode) {
        let x = Parameter(name: "x", value: uniform([2, 2, 7, 8], seed: 4))
        checkGradients([x], samples: 224) { t in
            t.parameter(x).sobelGradientMagnitude(SobelConfiguration(boundary: boundary))
        }
    }

    @Test(arguments: [BoundaryMode.symmetric, .valid])
    func gradientOfMeanGradientError(_ boundary: BoundaryMode) {
        let a = Parameter(name: "a", value: uniform([1, 2, 6, 7], seed: 5))
        let b = Parameter(name: "b", value: uniform([1, 2, 6, 7], seed: 6))
        let config = SobelConfiguration(boundary: boundary)
        checkGradients([a, b], h: 1e-2, atol: 1e-4, samples: 84) { t in
            meanGradientError(t.parameter(a), t.parameter(b), configuration: config)
        }
    }

    /// The SSIM map: valid windows on 12 × 13 (a 2 × 3 map), the symmetric border on 9 × 10 and on
    /// 3 × 4 (the 11-tap window reflects several times), both inputs differentiated.
    @Test(arguments: [(BoundaryMode.valid, [1, 2, 12, 13]), (.symmetric, [2, 1, 9, 10]), (.symmetric, [1, 1, 3, 4])])
    func gradientOfSSIMMap(_ c: (BoundaryMode, [Int])) {
        let (boundary, shape) = c
        let x = Parameter(name: "x", value: uniform(shape, seed: 7))
        let y = Parameter(name: "y", value: (0.5 * x.value + 0.5 * uniform(shape, seed: 8)))
        let config = SSIMConfiguration(boundary: boundary)
        checkGradients([x, y], samples: 60) { t in
            structuralSimilarityMap(t.parameter(x), t.parameter(y), configuration: config)
        }
    }

    @Test func gradientOfSSIMLoss() {
        let x = Parameter(name: "x", value: uniform([1, 1, 12, 12], seed: 9))
        let y = Parameter(name: "y", value: 0.3 * x.value + 0.7 * uniform([1, 1, 12, 12], seed: 10))
        checkGradients([x, y], h: 1e-2, atol: 1e-4, samples: 144) { t in ssimLoss(t.parameter(x), t.parameter(y)) }
        // One input constant (the cycle case: the original image has no gradient).
        checkGradients([x], h: 1e-2, atol: 1e-4, samples: 144) { t in structuralSimilarity(t.parameter(x), t.input(y.value)) }
    }

    @Test func gradientOfSaliencyLoss() throws {
        let x = Parameter(name: "x", value: uniform([1, 1, 12, 12], seed: 11))
        let y = Parameter(name: "y", value: 0.5 * x.value + 0.5 * uniform([1, 1, 12, 12], seed: 12))
        checkGradients([x, y], h: 1e-2, atol: 1e-4, samples: 144) { t in SaliencyLoss(weights: .modelM)(t.parameter(x), t.parameter(y)) }
        let weights = try SaliencyLossWeights(alpha: 0.5, beta: 0.3, gamma: 0.2)
        let loss = SaliencyLoss(weights: weights, ssim: SSIMConfiguration(boundary: .symmetric),
                                sobel: SobelConfiguration(boundary: .valid))
        checkGradients([x], h: 1e-2, atol: 1e-4, samples: 144) { t in loss(t.parameter(x), t.input(y.value)) }
        checkGradients([x, y], h: 1e-2, atol: 1e-4, samples: 144) { t in loss.terms(t.parameter(x), t.parameter(y)).total }
    }

    /// The Gaussian blur of the cycle comparison: a map-valued op, σ 0.8 on 7 × 9 and σ 1.5 on 4 × 5
    /// (its 13-tap window reflects more than once at the border).
    @Test(arguments: [(0.8, [2, 1, 7, 9]), (1.5, [1, 2, 4, 5])])
    func gradientOfGaussianBlur(_ c: (Double, [Int])) {
        let x = Parameter(name: "x", value: uniform(c.1, seed: 14))
        checkGradients([x], samples: 60) { t in GaussianBlur(sigma: c.0)(t.parameter(x)) }
    }

    /// The adversarial placement: the saliency loss between a small PatchGAN-like map and the
    /// constant label map (symmetric SSIM border, data range 1).
    @Test func gradientOfAdversarialSaliencyCriterion() {
        let d = Parameter(name: "D", value: uniform([2, 1, 6, 6], seed: 13).map { 0.5 + 0.5 * $0 })
        let criteria = CycleGANCriteria(placement: .adversarial)
        for target in AdversarialTarget.allCases {
            checkGradients([d], h: 1e-2, atol: 1e-4, samples: 72) { t in criteria.adversarialLoss(t.parameter(d), target: target) }
        }
    }
}
