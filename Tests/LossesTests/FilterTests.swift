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
