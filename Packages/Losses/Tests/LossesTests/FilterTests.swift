import Foundation
import Testing
import NN
import TensorCore
@testable import Losses

/// The separable filter behind SSIM and Sobel against its naive twin
/// (`Reference.correlate2d`), and its adjoint against the forward.
@Suite struct FilterTests {
    /// Separable filters to check: the SSIM window, the two Sobel operators, and a deliberately
    /// asymmetric pair (different lengths, no symmetry) that catches a flipped or transposed kernel.
    static let filters: [(String, [Double], [Double])] = [
        ("gaussian", SSIMConfiguration().window, SSIMConfiguration().window),
        ("sobel-v", [-1, 0, 1], [1, 2, 1]),
        ("sobel-h", [1, 2, 1], [-1, 0, 1]),
        ("asymmetric", [0.5, -1, 2], [1, -0.25, 0, 3, 0.75]),
    ]

    func outer(_ v: [Double], _ h: [Double]) -> [[Double]] { v.map { a in h.map { a * $0 } } }

    /// Fast vs naive, both accumulating in Float64 and rounding to Float32 once: they agree to
    /// within 1 ulp of Float32 (tolerance 1e-6 absolute for values below 4).
    @Test(arguments: [BoundaryMode.valid, .symmetric])
    func separableFilterMatchesNaiveTwin(_ boundary: BoundaryMode) {
        // 13 × 17 (larger than every window), and for the symmetric border also 3 × 4 and 1 × 2,
        // whose 11-tap extension reflects several times.
        var shapes = [[2, 3, 13, 17]]
        if boundary == .symmetric { shapes += [[1, 2, 3, 4], [1, 1, 1, 2]] }
        for shape in shapes {
            let x = uniform(shape, seed: 31)
            for (name, v, h) in FilterTests.filters {
                let f = SeparableCorrelation(vertical: v, horizontal: h, boundary: boundary)
                let (oh, ow) = f.outputSize(height: shape[2], width: shape[3])
                let fast = Tensor(shape: [shape[0], shape[1], oh, ow],
                                  scalars: f.apply(doubles(x), planes: shape[0] * shape[1], height: shape[2], width: shape[3]).map(Float.init))
                let naive = Reference.correlate2d(x, kernel: outer(v, h), boundary: boundary)
                #expect(fast.shape == naive.shape, "\(name) \(shape)")
                #expect(fast.maxAbsoluteDifference(naive) <= 1e-6, "\(name) \(shape) \(boundary): \(fast.maxAbsoluteDifference(naive))")
            }
        }
    }

    /// `⟨A x, g⟩ = ⟨x, Aᵀ g⟩` in Float64 (relative 1e-12).
    @Test(arguments: [BoundaryMode.valid, .symmetric])
    func adjointIdentity(_ boundary: BoundaryMode) {
        let shapes = boundary == .valid ? [[2, 2, 12, 15]] : [[2, 2, 12, 15], [1, 1, 3, 4]]
        for shape in shapes {
            let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
            let x = doubles(uniform(shape, seed: 41))
            for (name, v, hh) in FilterTests.filters {
                let f = SeparableCorrelation(vertical: v, horizontal: hh, boundary: boundary)
                let (oh, ow) = f.outputSize(height: h, width: w)
                let g = doubles(uniform([planes, oh, ow], seed: 42))
                let ax = f.apply(x, planes: planes, height: h, width: w)
                let atg = f.adjoint(g, planes: planes, height: h, width: w)
                let lhs = zip(ax, g).map(*).reduce(0, +)
                let rhs = zip(x, atg).map(*).reduce(0, +)
                #expect(abs(lhs - rhs) <= 1e-12 * max(1, abs(lhs)), "\(name) \(shape) \(boundary): \(lhs) vs \(rhs)")
            }
        }
    }

    /// SciPy's `mode="reflect"` index rule for extensions longer than the axis.
    @Test func symmetricIndexFolding() {
        // n = 3: … 1 2 2 1 0 | 0 1 2 | 2 1 0 0 1 …
        let expected = [-6: 0, -5: 1, -4: 2, -3: 2, -2: 1, -1: 0, 0: 0, 1: 1, 2: 2, 3: 2, 4: 1, 5: 0, 6: 0, 7: 1]
        for (i, e) in expected { #expect(SeparableCorrelation.symmetricIndex(i, 3) == e, "index \(i)") }
        for i in -5...5 { #expect(SeparableCorrelation.symmetricIndex(i, 1) == 0) }
    }
}

/// ``GaussianBlur`` (the cycle comparison's low-pass filter): taps, naive twin, SciPy golden values.
@Suite struct GaussianBlurTests {
    /// SciPy's radius ⌊4σ + ½⌋ and normalised, symmetric taps.
    @Test func tapsFollowSciPy() {
        #expect(GaussianBlur(sigma: 1).radius == 4 && GaussianBlur(sigma: 1.5).radius == 6 && GaussianBlur(sigma: 0.1).radius == 0)
        let g = GaussianBlur(sigma: 1.5).taps
        #expect(g.count == 13 && abs(g.reduce(0, +) - 1) < 1e-15 && g == Array(g.reversed()))
    }

    /// Against `Reference.correlate2d` with the outer-product kernel (Float64 both, one rounding: 1e-6).
    @Test func blurMatchesNaiveTwin() {
        for (sigma, shape) in [(1.0, [2, 3, 13, 17]), (2.0, [1, 1, 3, 4])] {
            let blur = GaussianBlur(sigma: sigma)
            let x = uniform(shape, seed: 51)
            let g = blur.taps
            let naive = Reference.correlate2d(x, kernel: g.map { a in g.map { a * $0 } }, boundary: .symmetric)
            let fast = blur(x)
            #expect(fast.shape == shape)
            #expect(fast.maxAbsoluteDifference(naive) <= 1e-6, "σ \(sigma) \(shape): \(fast.maxAbsoluteDifference(naive))")
            // The differentiable op computes the same values.
            let tape = Tape()
            #expect(blur(tape.input(x)).value == fast)
        }
    }

    /// `scipy.ndimage.gaussian_filter(plane, σ, mode="reflect", truncate=4.0)` per plane, from
    /// Fixtures/make_blur_reference.py: element by element within 1e-6 (Float32 output of a Float64 sum).
    @Test func blurMatchesSciPy() throws {
        let url = fixturesDirectory.appendingPathComponent("blur_reference.json")
        let data = try Data(contentsOf: url)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(url.path): not a JSON object")
        let cases = try #require(root["cases"] as? [[String: Any]], "\(url.path): no cases")
        #expect(cases.count == 3)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let shape = try #require(c["shape"] as? [Int], "\(name): shape")
            let sigma = try #require(c["sigma"] as? Double, "\(name): sigma")
            let input = try #require(c["input"] as? [Double], "\(name): input")
            let expected = try #require(c["blurred"] as? [Double], "\(name): blurred")
            let y = GaussianBlur(sigma: sigma)(Tensor(shape: shape, scalars: input.map(Float.init)))
            let result = compare(y.scalars.map(Double.init), expected, atol: 1e-6)
            #expect(result.ok, "\(name): max error \(result.maxError)")
        }
    }
}
