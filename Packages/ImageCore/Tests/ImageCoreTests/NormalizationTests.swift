import Foundation
import Testing
@testable import ImageCore

@Suite("Percentile intensity normalization")
struct NormalizationTests {
    /// numpy's linear percentile computed by a full sort, as the reference.
    static func referencePercentile(_ values: [Float], _ p: Double) -> Double {
        let sorted = values.sorted()
        let h = Double(sorted.count - 1) * p / 100
        let i = Int(h.rounded(.down))
        if i + 1 >= sorted.count { return Double(sorted[sorted.count - 1]) }
        return Double(sorted[i]) + (h - Double(i)) * (Double(sorted[i + 1]) - Double(sorted[i]))
    }

    @Test("percentiles match numpy's linear definition (values checked against numpy)")
    func numpyValues() {
        // np.percentile(np.arange(1, 11), [1, 99.8]) == [1.09, 9.982]
        let values: [Float] = (1...10).map(Float.init).shuffled()
        let normalization = IntensityNormalization.percentiles(of: values)
        #expect(abs(normalization.low - 1.09) < 1e-5)
        #expect(abs(normalization.high - 9.982) < 1e-5)
        // np.percentile([3, 1, 2, 10], 50) == 2.5; 0 -> min; 100 -> max
        #expect(IntensityNormalization.percentile(50, of: [3, 1, 2, 10]) == 2.5)
        #expect(IntensityNormalization.percentile(0, of: [3, 1, 2, 10]) == 1)
        #expect(IntensityNormalization.percentile(100, of: [3, 1, 2, 10]) == 10)
        #expect(IntensityNormalization.percentile(50, of: []) == nil)
    }

    @Test("selection agrees with a full sort on random data with many duplicates",
          arguments: [1, 2, 17, 1000, 65_536, 300_001])
    func agreesWithSort(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count))
        let values: [Float] = (0..<count).map { _ in Float(UInt16.random(in: 0...2000, using: &generator)) }
        for (low, high) in [(1.0, 99.8), (0.0, 100.0), (50.0, 50.0), (3.3, 97.1)] {
            let normalization = IntensityNormalization.percentiles(of: values, low: low, high: high)
            let expectedLow = Float(Self.referencePercentile(values, low))
            let expectedHigh = Float(Self.referencePercentile(values, high))
            if expectedHigh > expectedLow {
                #expect(normalization.low == expectedLow, "n=\(count) p=\(low)")
                #expect(normalization.high == expectedHigh, "n=\(count) p=\(high)")
            } else {
                #expect(normalization.low == values.min()! || normalization.low == normalization.high)
            }
        }
    }

    @Test("apply maps low to -1 and high to +1; invert restores the input")
    func applyInvert() {
        var generator = SeededGenerator(seed: 5)
        let pixels: [Float] = (0..<10_000).map { _ in Float(UInt16.random(in: 100...60000, using: &generator)) }
        let normalization = IntensityNormalization.percentiles(of: pixels)
        #expect(normalization.apply(normalization.low) == -1)
        #expect(abs(normalization.apply(normalization.high) - 1) < 1e-6)
        let normalized = normalization.apply(pixels)
        let inside = normalized.filter { $0 >= -1 && $0 <= 1 }.count
        #expect(inside >= 9_700 && inside < 10_000)  // 1 % below, 0.2 % above, no clipping
        let restored = normalization.invert(normalized)
        for (a, b) in zip(restored, pixels) { #expect(abs(a - b) <= 1e-6 * 65536) }
        let plane = ImagePlane(width: 100, height: 100, pixels: pixels, sampleType: .uint16)
        let normalizedPlane = normalization.apply(to: plane)
        #expect(normalizedPlane.sampleType == .float32 && normalizedPlane.pixels == normalized)
        var inPlace = pixels
        normalization.apply(to: &inPlace)
        normalization.invert(in: &inPlace)
        #expect(zip(inPlace, pixels).allSatisfy { abs($0 - $1) <= 0.05 })
    }

    @Test("a constant image maps to zeros and back exactly, without NaN")
    func constant() {
        let pixels = [Float](repeating: 1234, count: 500)
        let normalization = IntensityNormalization.percentiles(of: pixels)
        #expect(normalization == IntensityNormalization(low: 1234, high: 1234))
        #expect(!normalization.hasRange)
        let normalized = normalization.apply(pixels)
        #expect(normalized.allSatisfy { $0 == 0 })
        #expect(normalization.invert(normalized) == pixels)
    }

    @Test("sparse bright pixels fall back to min/max; NaN and infinity are ignored")
    func degenerateAndNonFinite() {
        var pixels = [Float](repeating: 0, count: 10_000)
        pixels[17] = 5000  // 0.01 % bright: both percentiles are 0
        let normalization = IntensityNormalization.percentiles(of: pixels)
        #expect(normalization == IntensityNormalization(low: 0, high: 5000))
        #expect(normalization.apply(5000) == 1 && normalization.apply(0) == -1)

        let withNaN: [Float] = [.nan, 1, 2, 3, .infinity, -.infinity, 4, 5]
        let finite = IntensityNormalization.percentiles(of: withNaN, low: 0, high: 100)
        #expect(finite == IntensityNormalization(low: 1, high: 5))
        #expect(IntensityNormalization.percentiles(of: [.nan, .nan]) == IntensityNormalization(low: 0, high: 0))
        #expect(IntensityNormalization.percentiles(of: []) == IntensityNormalization(low: 0, high: 0))
        // Out-of-range and swapped percentiles are clamped and ordered, never a crash.
        #expect(IntensityNormalization.percentiles(of: [1, 2, 3], low: 150, high: -5) == IntensityNormalization(low: 1, high: 3))
    }

    @Test("parameters are Codable so tools can store them")
    func codable() throws {
        let normalization = IntensityNormalization(low: 12.5, high: 4000)
        let data = try JSONEncoder().encode(normalization)
        #expect(try JSONDecoder().decode(IntensityNormalization.self, from: data) == normalization)
    }
}
