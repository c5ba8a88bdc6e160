import Foundation
import Testing
import NN
import TensorCore
@testable import Losses

/// The saliency constraint (UTOM's, `L_sc = mean |M(B(a)) − M(b)|`): its gradient by finite
/// differences (with the per-plane Otsu thresholds held fixed, as the loss defines them: constants
/// without a gradient), and what it measures on images with nuclei erased or moved.
@Suite struct ContentPreservationTests {
    /// A `[1, 1, 24, 24]` image in [−1, 1]: background −0.8 and bright disks of radius 4 at `centres`.
    func disks(_ centres: [(Int, Int)], amplitude: Float = 1.6) -> Tensor {
        var v = [Float](repeating: -0.8, count: 24 * 24)
        for y in 0..<24 {
            for x in 0..<24 where centres.contains(where: { (x - $0.0) * (x - $0.0) + (y - $0.1) * (y - $0.1) <= 16 }) {
                v[y * 24 + x] += amplitude
            }
        }
        return Tensor(shape: [1, 1, 24, 24], scalars: v)
    }

    @Test func gradientWithThresholdsHeld() {
        let constraint = SaliencyConstraint(blurSigma: 1.5, softness: 0.5)
        // b's masks lie clearly above a's blurred masks everywhere (b = B(a) + 1, equal thresholds), so no
        // finite-difference step crosses the L1 kink at M(B(a)) = M(b).
        let blur = GaussianBlur(sigma: 1.5)
        let a = Parameter(name: "a", value: uniform([2, 1, 7, 8], seed: 11))
        let b = Parameter(name: "b", value: blur(a.value).map { $0 + 1 })
        let tA = Tensor(shape: [2, 1, 1, 1], scalars: [0.1, -0.2]), tB = tA
        checkGradients([a, b], h: 1e-2, atol: 1e-4, samples: 60) { t in
            constraint.loss(blurred: blur(t.parameter(a)), salient: t.parameter(b), thresholdsA: tA, thresholdsB: tB)
        }
    }

    @Test func publicLossUsesEachPlanesOtsuThreshold() {
        let constraint = SaliencyConstraint(blurSigma: 1, softness: 0.2)
        let a = disks([(6, 6), (16, 15)]), b = disks([(6, 6)])
        let blurred = GaussianBlur(sigma: 1)(a)
        let expected = constraint.loss(blurred: Variable(blurred), salient: Variable(b),
                                       thresholdsA: SaliencyConstraint.planeThresholds(blurred),
                                       thresholdsB: SaliencyConstraint.planeThresholds(b)).value.scalar
        let value = constraint(lowSaliency: Variable(a), salient: Variable(b)).value.scalar
        #expect(value == expected)
        // Otsu's threshold of a two-level image lies between its levels.
        let t = SaliencyConstraint.planeThresholds(b).scalars[0]
        #expect(t > -0.8 && t < 0.8)
    }

    @Test func erasedOrMovedNucleiCostMoreThanKeptOnes() {
        let constraint = SaliencyConstraint(blurSigma: 1, softness: 0.05)
        let input = disks([(6, 6), (16, 15)], amplitude: 0.6)  // a dim input
        func loss(_ output: Tensor) -> Float { constraint(lowSaliency: Variable(input), salient: Variable(output)).value.scalar }
        let kept = loss(disks([(6, 6), (16, 15)]))         // the same nuclei, brighter
        let erased = loss(disks([(6, 6)]))                 // one nucleus gone
        let moved = loss(disks([(6, 6), (10, 17)]))        // one nucleus moved
        #expect(kept < 0.08)  // the blurred rim of the input's disks: a soft edge against a sharp one
        #expect(erased > kept + 0.05)
        #expect(moved > kept + 0.05)
    }

    @Test func planeWithoutContrastGivesAFiniteLoss() {
        let constraint = SaliencyConstraint()
        let flat = Tensor(shape: [1, 1, 8, 8], scalars: [Float](repeating: 0.25, count: 64))
        let value = constraint(lowSaliency: Variable(flat), salient: Variable(flat)).value.scalar
        #expect(value.isFinite && value < 1e-6)
    }

    /// Background removal is differentiable: the finite-difference gradient of `B_σ(a) − B_σb(a)` through
    /// the masks (thresholds held) matches the tape's.
    @Test func gradientWithBackgroundRemoval() {
        let constraint = SaliencyConstraint(blurSigma: 1.5, softness: 0.5, backgroundSigma: 4)
        let a = Parameter(name: "a", value: uniform([2, 1, 9, 8], seed: 12))
        let b = Parameter(name: "b", value: constraint.lowSaliencySide(Variable(a.value)).value.map { $0 + 1 })
        let tA = Tensor(shape: [2, 1, 1, 1], scalars: [0.1, -0.2]), tB = tA
        checkGradients([a, b], h: 1e-2, atol: 1e-4, samples: 60) { t in
            constraint.loss(blurred: constraint.lowSaliencySide(t.parameter(a)), salient: t.parameter(b), thresholdsA: tA, thresholdsB: tB)
        }
    }

    /// A `[1, 1, 48, 48]` haze: a brightness ramp from −1 (left) to −0.5 (right), no nuclei, with a little
    /// deterministic ripple (camera noise after the blur).
    func haze() -> Tensor {
        Tensor(shape: [1, 1, 48, 48], scalars: (0..<(48 * 48)).map { i in
            let x = Float(i % 48), y = Float(i / 48)
            return -1 + 0.5 * x / 47 + 0.01 * sin(1.7 * x + 2.3 * y)
        })
    }

    /// On haze without nuclei the plain constraint reads the bright half as nuclei and charges an empty
    /// output for it; background removal and the contrast gate read it as empty, and charge nuclei invented
    /// on it. Nuclei on the haze are still read as nuclei.
    @Test func hazeIsNotReadAsNuclei() {
        let plain = SaliencyConstraint(blurSigma: 2, softness: 0.1)
        let corrected = SaliencyConstraint(blurSigma: 2, softness: 0.1, backgroundSigma: 12, minimumContrast: 0.1)
        let input = haze()
        let empty = Tensor(shape: [1, 1, 48, 48], scalars: [Float](repeating: -1, count: 48 * 48))
        var invented = empty.scalars
        for y in 0..<48 { for x in 0..<48 where (x - 30) * (x - 30) + (y - 20) * (y - 20) <= 25 { invented[y * 48 + x] = 1 } }
        let inventedOutput = Tensor(shape: [1, 1, 48, 48], scalars: invented)
        func loss(_ c: SaliencyConstraint, _ a: Tensor, _ b: Tensor) -> Float { c(lowSaliency: Variable(a), salient: Variable(b)).value.scalar }
        #expect(loss(plain, input, empty) > 0.2, "the plain constraint reads the haze's bright half as nuclei")
        #expect(loss(corrected, input, empty) < 1e-3)
        #expect(loss(corrected, input, inventedOutput) > 0.02)
        // Nuclei on the haze: the corrected input's mask still finds them (an output with them costs less
        // than an empty one).
        var withNuclei = input.scalars
        for y in 0..<48 { for x in 0..<48 where (x - 30) * (x - 30) + (y - 20) * (y - 20) <= 25 { withNuclei[y * 48 + x] += 0.6 } }
        let nucleiInput = Tensor(shape: [1, 1, 48, 48], scalars: withNuclei)
        #expect(loss(corrected, nucleiInput, inventedOutput) + 0.02 < loss(corrected, nucleiInput, empty))
    }

    /// The gate: a plane whose Otsu classes differ by less than δ gets a threshold above its maximum (mask
    /// ≈ 0); a contrasted plane keeps Otsu's threshold.
    @Test func contrastGateEmptiesFlatPlanes() {
        let ripple = haze().map { $0 * 0.02 }          // classes about 0.005 apart
        let t = SaliencyConstraint.planeThresholds(ripple, minimumContrast: 0.1, softness: 0.1).scalars[0]
        #expect(t > ripple.scalars.max()! + 1)
        let contrasted = disks([(6, 6), (16, 15)])
        #expect(SaliencyConstraint.planeThresholds(contrasted, minimumContrast: 0.1).scalars[0]
                == SaliencyConstraint.planeThresholds(contrasted).scalars[0])
        #expect(SaliencyConstraint.classSeparation([1, 1, 1], threshold: 0) == 0)
        #expect(abs(SaliencyConstraint.classSeparation([0, 0, 2, 2], threshold: 1) - 2) < 1e-6)
    }
}
