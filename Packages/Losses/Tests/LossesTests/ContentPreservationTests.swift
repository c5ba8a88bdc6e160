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
}
