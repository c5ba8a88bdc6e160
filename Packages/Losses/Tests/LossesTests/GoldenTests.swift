import Foundation
import Testing
import NN
import TensorCore
@testable import Losses

/// SSIM, Sobel and MGE values against scikit-image / SciPy (Fixtures/make_losses_reference.py,
/// float64 on inputs that are multiples of 2⁻¹², exact in Float32; see docs/losses.md).
///
/// Tolerances (absolute, element by element):
/// * Float64 evaluation functions (`structuralSimilarity(Tensor, Tensor)`, `meanGradientError`,
///   `meanSquaredError`, …) vs the reference scalars: 1e-9 (they differ by summation order only).
/// * Float32 maps (SSIM maps, gradient magnitudes) and the scalars of the differentiable ops:
///   `1e-6 + 1e-6·|ref|` (one Float32 rounding of a Float64 result, values ≤ 8).
/// * Sobel derivatives: equality (integer kernel on multiples of 2⁻¹²: exact in Float32).
@Suite struct GoldenTests {
    static let fixture: ReferenceFixture? = try? loadReference()

    static var caseNames: [String] { ["random", "blobs", "batch", "flat"] }

    func reference(_ name: String) throws -> ReferenceCase {
        let fixture = try #require(GoldenTests.fixture, "could not read \(fixturesDirectory.path)/losses_reference.json")
        return try #require(fixture.cases.first { $0.name == name }, "case \(name) missing from losses_reference.json")
    }

    @Test func gaussianWindowMatchesSciPy() throws {
        let fixture = try #require(GoldenTests.fixture, "could not read \(fixturesDirectory.path)/losses_reference.json")
        let window = SSIMConfiguration().window
        #expect(window.count == 11)
        let (error, ok) = compare(window, fixture.window, atol: 1e-15)
        #expect(ok, "window error \(error)")
    }

    @Test(arguments: caseNames)
    func ssimValidMatchesScikitImage(_ name: String) throws {
        let c = try reference(name)
        let (n, ch, h, w) = (c.shape[0], c.shape[1], c.shape[2], c.shape[3])
        let config = SSIMConfiguration()  // default: valid windows, L = 2
        let map = structuralSimilarityMap(c.x, c.y, configuration: config)
        #expect(map.shape == [n, ch, h - 10, w - 10])
        let (mapError, mapOK) = compare(map.scalars.map(Double.init), c.values["ssim_valid_map"]!, atol: 1e-6, rtol: 1e-6)
        #expect(mapOK, "\(name): SSIM valid map max error \(mapError)")
        let expected = c.scalars["ssim_valid_mean"]!
        let mean = structuralSimilarity(c.x, c.y, configuration: config)
        #expect(abs(mean - expected) <= 1e-9, "\(name): MSSIM \(mean) vs skimage \(expected)")
        #expect(abs(ssimLoss(c.x, c.y) - (1 - expected)) <= 1e-9)
        // The differentiable op (Float32 value) on a tape.
        let tape = Tape()
        let p = Parameter(name: "x", value: c.x)
        let v = structuralSimilarity(tape.parameter(p), Variable(c.y))
        #expect(abs(Double(v.value.scalar) - expected) <= 1e-6 + 1e-6 * abs(expected))
        let l = ssimLoss(tape.parameter(p), Variable(c.y))
        #expect(abs(Double(l.value.scalar) - (1 - expected)) <= 1e-6)
    }

    @Test(arguments: caseNames)
    func ssimSymmetricMatchesScikitImageFullMap(_ name: String) throws {
        let c = try reference(name)
        let config = SSIMConfiguration(boundary: .symmetric)
        let map = structuralSimilarityMap(c.x, c.y, configuration: config)
        #expect(map.shape == c.shape)
        let (mapError, mapOK) = compare(map.scalars.map(Double.init), c.values["ssim_symmetric_map"]!, atol: 1e-6, rtol: 1e-6)
        #expect(mapOK, "\(name): SSIM symmetric map max error \(mapError)")
        let expected = c.scalars["ssim_symmetric_mean"]!
        #expect(abs(structuralSimilarity(c.x, c.y, configuration: config) - expected) <= 1e-9)
        let v = structuralSimilarity(Variable(c.x), Variable(c.y), configuration: config)
        #expect(abs(Double(v.value.scalar) - expected) <= 1e-6 + 1e-6 * abs(expected))
    }

    @Test(arguments: caseNames)
    func sobelMatchesSciPyCorrelate(_ name: String) throws {
        let c = try reference(name)
        let (gv, gh) = c.x.sobelGradients(boundary: .symmetric)
        #expect(gv.scalars.map(Double.init) == c.values["sobel_vertical_x"]!, "\(name): Gv differs from scipy.ndimage.correlate(mode='reflect')")
        #expect(gh.scalars.map(Double.init) == c.values["sobel_horizontal_x"]!, "\(name): Gh differs from scipy.ndimage.correlate(mode='reflect')")
        // Also the naive twin with the paper's kernels.
        #expect(Reference.correlate2d(c.x, kernel: SobelOperator.vertical, boundary: .symmetric) == gv)
        #expect(Reference.correlate2d(c.x, kernel: SobelOperator.horizontal, boundary: .symmetric) == gh)
        // Valid: the interior of the symmetric maps.
        let (vv, vh) = c.x.sobelGradients(boundary: .valid)
        #expect(vv == crop(gv, 1) && vh == crop(gh, 1))
    }

    @Test(arguments: caseNames)
    func gradientMagnitudeAndMGEMatchSciPy(_ name: String) throws {
        let c = try reference(name)
        for (input, key) in [(c.x, "magnitude_x"), (c.y, "magnitude_y")] {
            let g = input.sobelGradientMagnitude()
            let (error, ok) = compare(g.scalars.map(Double.init), c.values[key]!, atol: 1e-6, rtol: 1e-6)
            #expect(ok, "\(name): \(key) max error \(error)")
            let reference = c.tensor(key, c.shape)
            let valid = input.sobelGradientMagnitude(SobelConfiguration(boundary: .valid))
            #expect(valid.maxAbsoluteDifference(crop(reference, 1)) <= 2e-6)
            #expect(Variable(input).sobelGradientMagnitude().value == g)
        }
        for (boundary, key) in [(BoundaryMode.symmetric, "mge_symmetric"), (.valid, "mge_valid")] {
            let expected = c.scalars[key]!
            let config = SobelConfiguration(boundary: boundary)
            let value = meanGradientError(c.y, c.x, configuration: config)
            #expect(abs(value - expected) <= 1e-9 * max(1, expected), "\(name): \(key) \(value) vs \(expected)")
            let v = meanGradientError(Variable(c.y), Variable(c.x), configuration: config).value.scalar
            #expect(abs(Double(v) - expected) <= 1e-6 + 1e-6 * expected, "\(name): \(key) (op) \(v) vs \(expected)")
        }
    }

    @Test(arguments: caseNames)
    func pixelLossesAndSaliencyLossMatchReference(_ name: String) throws {
        let c = try reference(name)
        let (mse, mae) = (c.scalars["mse"]!, c.scalars["mae"]!)
        #expect(abs(meanSquaredError(c.x, c.y) - mse) <= 1e-12)
        #expect(abs(meanAbsoluteError(c.x, c.y) - mae) <= 1e-12)
        #expect(abs(Double(mseLoss(Variable(c.x), Variable(c.y)).value.scalar) - mse) <= 1e-6 * max(1, mse))
        #expect(abs(Double(l1Loss(Variable(c.x), Variable(c.y)).value.scalar) - mae) <= 1e-6 * max(1, mae))
        // Model M: 0.2·MSE + 0.2·MGE(symmetric) + 0.6·(1 − MSSIM(valid)). Python weighs with the
        // float64 0.2/0.6, Swift with Float32 0.2/0.6 (relative difference ≤ 3e-8).
        let expected = c.scalars["saliency_model_m"]!
        let loss = SaliencyLoss(weights: .modelM)
        let values = loss.evaluate(c.y, c.x)
        #expect(abs(values.total - expected) <= 1e-7 * max(1, expected), "\(name): saliency \(values.total) vs \(expected)")
        #expect(abs(values.ssim - (1 - c.scalars["ssim_valid_mean"]!)) <= 1e-9)
        #expect(abs(values.mge - c.scalars["mge_symmetric"]!) <= 1e-9 * max(1, values.mge))
        let op = loss(Variable(c.y), Variable(c.x)).value.scalar
        #expect(abs(Double(op) - expected) <= 2e-6 * max(1, expected), "\(name): saliency op \(op) vs \(expected)")
    }
}

/// The `[N, C, H − 2b, W − 2b]` interior of an NCHW tensor.
func crop(_ t: Tensor, _ b: Int) -> Tensor {
    let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    var out: [Float] = []
    for i in 0..<n {
        for j in 0..<c {
            for r in b..<(h - b) {
                for s in b..<(w - b) { out.append(t[i, j, r, s]) }
            }
        }
    }
    return Tensor(shape: [n, c, h - 2 * b, w - 2 * b], scalars: out)
}
