import NuclearScale
import Testing
@testable import Synthesis

/// The blur of the synthetic optics (NuclearScale's) agrees with its direct 2-D twin at the σ the optics use.
@Suite struct BlurTests {
    @Test(arguments: [0.6, 1.0, 2.5, 7.0])
    func separableBlurMatchesTheDirectSum(sigma: Double) {
        let (width, height) = (23, 17)
        var rng = SplitMix64(seed: 5)
        let image = (0..<(width * height)).map { _ in Float(rng.uniform() * 100) }
        var fast = image
        GaussianBlur.apply(&fast, width: width, height: height, sigma: sigma)
        let slow = NuclearScale.Reference.gaussianBlur(image, width: width, height: height, sigma: sigma)
        for i in image.indices {
            #expect(abs(fast[i] - slow[i]) <= 1e-3, "pixel \(i): \(fast[i]) vs \(slow[i]) (σ = \(sigma))")
        }
    }

    @Test func kernelIsNormalisedAndConstantsStayConstant() {
        for sigma in [0.3, 1.0, 4.2] {
            let k = GaussianBlur.kernel(sigma: sigma)
            #expect(abs(k.reduce(0, +) - 1) < 1e-5)
            #expect(k.count == 2 * Int((4 * sigma).rounded(.up)) + 1)
        }
        var flat = [Float](repeating: 3.5, count: 9 * 11)
        GaussianBlur.apply(&flat, width: 9, height: 11, sigma: 6)
        #expect(flat.allSatisfy { abs($0 - 3.5) < 1e-4 })
    }

    @Test func mirrorReflectsSymmetrically() {
        #expect((-3..<8).map { GaussianBlur.mirror($0, 4) } == [2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0])
        #expect(GaussianBlur.mirror(-9, 1) == 0)
    }
}
