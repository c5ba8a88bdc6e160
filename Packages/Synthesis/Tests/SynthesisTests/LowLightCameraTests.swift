import Foundation
import Testing
@testable import Synthesis

/// The low-light camera model (LowLightCamera): noise statistics, the signal map, determinism, bad input.
@Suite struct LowLightCameraTests {
    /// Mean and (population) variance of counts.
    func moments(_ counts: [UInt16]) -> (mean: Double, variance: Double) {
        let n = Double(counts.count)
        let mean = counts.reduce(0.0) { $0 + Double($1) } / n
        let variance = counts.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance)
    }

    /// On a flat signal E, counts have mean gain·P·E + offset and variance gain²·(P·E + σ_read²) + 1/12
    /// (the rounding, with read noise), for Poisson noise alone and with read noise, at low and high photon counts.
    @Test func flatSignalHasPoissonPlusReadNoiseStatistics() {
        let n = 200_000
        for (photons, read, level) in [(2.0, 0.0, 0.5), (20.0, 0.0, 0.7), (20.0, 2.5, 0.5), (60.0, 4.0, 1.0), (5.0, 1.5, 0.2)] {
            let p = LowLightCameraParameters(photons: photons, readNoise: read, gain: 2, offset: 100)
            var rng = SplitMix64(seed: 9)
            let counts = LowLightCamera.expose([Float](repeating: Float(level), count: n), parameters: p, using: &rng)
            let (mean, variance) = moments(counts)
            let lambda = photons * level
            let expectedMean = 2 * lambda + 100
            // Rounding adds 1/12 only when the read noise makes the value continuous (else gain·k + offset is exact).
            let expectedVariance = 4 * (lambda + read * read) + (read > 0 ? 1.0 / 12 : 0)
            // Standard errors: mean √(var/n) ≈ 0.02 ADU; variance ≈ var·√(2/n) ≈ 0.3 %: tolerances 5× those.
            #expect(abs(mean - expectedMean) < 5 * (expectedVariance / Double(n)).squareRoot(), "P \(photons) read \(read): mean \(mean)")
            #expect(abs(variance / expectedVariance - 1) < 0.02, "P \(photons) read \(read): variance \(variance) vs \(expectedVariance)")
        }
    }

    /// Without read noise, the electrons are exact Poisson: counts are offset + gain·k, and the share of
    /// zero-electron pixels is e^{−λ}.
    @Test func zeroReadNoiseGivesPoissonCounts() {
        let p = LowLightCameraParameters(photons: 3, readNoise: 0, gain: 2, offset: 100)
        var rng = SplitMix64(seed: 4)
        let counts = LowLightCamera.expose([Float](repeating: 1, count: 100_000), parameters: p, using: &rng)
        #expect(counts.allSatisfy { ($0 - 100) % 2 == 0 })
        let zeros = Double(counts.filter { $0 == 100 }.count) / Double(counts.count)
        #expect(abs(zeros - exp(-3)) < 0.005, "P(0 electrons) \(zeros) vs \(exp(-3.0))")
    }

    /// The signal map: low percentile → 0 (and below it clipped to 0), high percentile → 1, above kept,
    /// NaN → 0; haze adds h on average with the documented variation; the illumination falls off.
    @Test func signalMapsPercentilesAndAddsHazeAndIllumination() throws {
        let w = 64, h = 48
        var clean = [Float](repeating: 100, count: w * h)
        clean[0] = 50; clean[1] = 300; clean[2] = 500; clean[3] = .nan; clean[4] = 200
        let plain = try LowLightCamera.signal(clean, width: w, height: h, low: 100, high: 300,
                                              parameters: LowLightCameraParameters(photons: 10), seed: 1)
        #expect(plain[0] == 0 && plain[1] == 1 && plain[2] == 2 && plain[3] == 0 && plain[4] == 0.5 && plain[5] == 0)

        let flat = [Float](repeating: 100, count: w * h)
        let hazed = try LowLightCamera.signal(flat, width: w, height: h, low: 100, high: 300,
                                              parameters: LowLightCameraParameters(photons: 10, haze: 0.2, hazeVariation: 0.5), seed: 3)
        #expect(hazed.allSatisfy { $0 >= 0.2 * 0.5 - 1e-6 && $0 <= 0.2 * 1.5 + 1e-6 })
        #expect(hazed.max()! - hazed.min()! > 0.02, "the haze varies")

        let ones = [Float](repeating: 300, count: w * h)
        let lit = try LowLightCamera.signal(ones, width: w, height: h, low: 100, high: 300,
                                            parameters: LowLightCameraParameters(photons: 10, illumination: 0.5), seed: 5)
        #expect(lit.allSatisfy { $0 <= 1 && $0 >= 0.05 - 1e-6 })
        #expect(lit.min()! < 0.95, "the corners are darker")
    }

    /// A whole render: the same seed gives identical counts, another seed different ones; at P photons
    /// with no haze, the brightest pixels average gain·P + offset.
    @Test func renderIsDeterministicBySeed() throws {
        let w = 40, h = 30
        var clean = [Float](repeating: 10, count: w * h)
        for i in stride(from: 0, to: w * h, by: 7) { clean[i] = 1000 }
        let p = LowLightCameraParameters(photons: 15, haze: 0.3, illumination: 0.3, readNoise: 2, gain: 2, offset: 100)
        let a = try LowLightCamera.render(clean, width: w, height: h, low: 10, high: 1000, parameters: p, seed: 11)
        let b = try LowLightCamera.render(clean, width: w, height: h, low: 10, high: 1000, parameters: p, seed: 11)
        let c = try LowLightCamera.render(clean, width: w, height: h, low: 10, high: 1000, parameters: p, seed: 12)
        #expect(a == b)
        #expect(a != c)

        let big = [Float](repeating: 1000, count: 100_000)
        let bright = try LowLightCamera.render(big + [0], width: 100_001, height: 1, low: 0, high: 1000,
                                               parameters: LowLightCameraParameters(photons: 15, readNoise: 2), seed: 2)
        let m = moments(Array(bright.prefix(100_000)))
        #expect(abs(m.mean - (2 * 15 + 100)) < 0.1, "mean at the peak \(m.mean)")
    }

    /// Invalid parameters, a wrong pixel count and a clean image without range are errors, not traps.
    @Test func badInputThrows() {
        let clean = [Float](repeating: 5, count: 16)
        #expect(throws: LowLightCameraError.noIntensityRange(low: 5, high: 5)) {
            try LowLightCamera.render(clean, width: 4, height: 4, low: 5, high: 5, parameters: .init(photons: 10), seed: 1)
        }
        #expect(throws: LowLightCameraError.self) {
            try LowLightCamera.render(clean, width: 4, height: 4, low: .nan, high: 5, parameters: .init(photons: 10), seed: 1)
        }
        #expect(throws: LowLightCameraError.badShape(count: 16, width: 5, height: 4)) {
            try LowLightCamera.render(clean, width: 5, height: 4, low: 0, high: 5, parameters: .init(photons: 10), seed: 1)
        }
        for bad in [LowLightCameraParameters(photons: 0), .init(photons: .nan), .init(photons: 5, haze: -1),
                    .init(photons: 5, illumination: 1), .init(photons: 5, readNoise: -1), .init(photons: 5, gain: 0),
                    .init(photons: 5, offset: 70_000)] {
            #expect(bad.problem != nil)
            #expect(throws: LowLightCameraError.self) {
                try LowLightCamera.render(clean, width: 4, height: 4, low: 0, high: 5, parameters: bad, seed: 1)
            }
        }
        #expect(LowLightCameraParameters(photons: 5).problem == nil)
    }
}
