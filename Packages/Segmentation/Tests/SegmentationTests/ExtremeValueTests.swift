import Foundation
import ImageCore
import Testing
@testable import Segmentation

/// Issue 12: Otsu and polygon rasterization on finite float32 extremes (were Float/Double → Int traps).
@Suite struct ExtremeValueTests {
    static func halves(_ left: Float, _ right: Float, count: Int = 64) -> ImagePlane {
        ImagePlane(width: count, height: 1, pixels: (0..<count).map { $0 < count / 2 ? left : right }, sampleType: .float32)
    }

    @Test(arguments: [(Float(-3e38), Float(3e38)), (-Float.greatestFiniteMagnitude, Float.greatestFiniteMagnitude),
                      (Float(1e-40 as Double), Float(1.2e-40 as Double)),
                      (Float.leastNonzeroMagnitude, 2 * Float.leastNonzeroMagnitude), (Float(0), Float(1e-44 as Double))])
    func otsuSplitsTwoExtremeLevels(low: Float, high: Float) {
        let plane = Self.halves(low, high)
        let t = Otsu.threshold(plane)
        #expect(t.isFinite && t >= low && t < high, "threshold \(t) for \(low) | \(high)")
        #expect(plane.pixels.map { $0 > t } == plane.pixels.map { $0 == high })
    }

    @Test func otsuMatchesTheFloat64CriterionWhereFloat32Overflows() {
        // Three levels spanning ±3e38: the Float64 criterion on the same 256 bins decides.
        let pixels: [Float] = Array(repeating: -3e38, count: 10) + Array(repeating: 2e38, count: 5) + Array(repeating: 3e38, count: 5)
        let t = Otsu.threshold(ImagePlane(width: pixels.count, height: 1, pixels: pixels, sampleType: .float32))
        #expect(t > -3e38 && t < 2e38)
        // Ordinary images keep scikit-image's Float32 arithmetic (unchanged result).
        let ordinary = Self.halves(10, 200)
        #expect(Otsu.threshold(ordinary) == Otsu.histogram(ordinary.pixels, bins: 256, low: 10, high: 200).centers[0])
    }

    @Test func polygonsWithExtremeGeometryNeverTrap() {
        let huge = StarPolygon(y: 5, x: 5, distances: [3.4e38, 3.4e38, 3.4e38, 3.4e38], score: 1)
        #expect(huge.pixels(width: 8, height: 6) == Array(0..<48), "a polygon far beyond the image covers it all")
        for bad in [Double.nan, .infinity, -1e300, 1e300] {
            #expect(StarPolygon(y: bad, x: 2, distances: [1, 1, 1, 1], score: 1).pixels(width: 8, height: 6).count <= 48)
        }
        #expect(StarPolygon(y: 2, x: 2, distances: [1, .nan, 1, 1], score: 1).pixels(width: 8, height: 6).isEmpty)
        #expect(StarPolygon(y: 2, x: 2, distances: [1, .infinity, 1, 1], score: 1).pixels(width: 8, height: 6).isEmpty)
        #expect(StarGeometry.clampedIndex(-.infinity, 0, 7) == 0 && StarGeometry.clampedIndex(1e300, 0, 7) == 7)
        #expect(StarGeometry.clampedIndex(3.0, 0, 7) == 3)
    }
}
