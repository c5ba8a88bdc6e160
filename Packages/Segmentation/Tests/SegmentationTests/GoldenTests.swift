import Foundation
import ImageCore
import Testing
@testable import Segmentation

/// `Fixtures/golden.json`, written by `Fixtures/make_fixtures.py` (scikit-image / scipy).
struct Golden: Decodable {
    struct Case: Decodable {
        var name: String
        var sample_type: String
        var pixels: [Double]
        var otsu: Double
        var count8: Int, count4: Int
        var labels8: [UInt32], labels4: [UInt32], filled: [UInt8], small: [UInt32]
        var local: [Double]
    }
    struct Constant: Decodable { var value: Double; var otsu: Double; var foreground: Int }
    struct NearTie: Decodable { var width: Int; var height: Int; var pixels: [Double]; var otsu: Double; var float64_choice: Double }
    var width: Int, height: Int, min_area: Int, block_size: Int, offset: Double
    var cases: [Case]
    var constant: Constant
    var near_tie: NearTie

    static func load() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }
}

extension Golden.Case {
    func plane(_ width: Int, _ height: Int) -> ImagePlane {
        let type: SampleType = sample_type == "uint8" ? .uint8 : sample_type == "uint16" ? .uint16 : .float32
        return ImagePlane(width: width, height: height, pixels: pixels.map { Float($0) }, sampleType: type)
    }
}

/// Element-by-element agreement with scikit-image 0.26 / scipy on fixed images (see the script's header).
@Suite struct GoldenTests {
    let golden: Golden
    init() throws { golden = try Golden.load() }

    @Test func otsuThresholdEqualsScikitImage() {
        for c in golden.cases {
            let t = Otsu.threshold(c.plane(golden.width, golden.height))
            // Exact: integer images have integer thresholds, float32 ones a Float32 bin centre.
            #expect(t == Float(c.otsu), "\(c.name): \(t) vs skimage \(c.otsu)")
        }
    }

    @Test func labelsEqualScikitImage() {
        for c in golden.cases {
            let plane = c.plane(golden.width, golden.height)
            let t = Otsu.threshold(plane)
            let mask = BinaryMask.above(t, in: plane)
            let l8 = ConnectedComponents.label(mask, connectivity: .eight)
            let l4 = ConnectedComponents.label(mask, connectivity: .four)
            #expect(Int(l8.maximumLabel) == c.count8 && Int(l4.maximumLabel) == c.count4, "\(c.name)")
            #expect(l8.labels == c.labels8, "\(c.name): 8-connected labels differ from skimage.measure.label")
            #expect(l4.labels == c.labels4, "\(c.name): 4-connected labels differ from skimage.measure.label")
            #expect(ConnectedComponents.label(plane, above: t, connectivity: .eight) == l8)
            #expect(ThresholdSegmenter().segment(plane).labels == c.labels8)
        }
    }

    @Test func holeFillingEqualsScipy() {
        for c in golden.cases {
            let plane = c.plane(golden.width, golden.height)
            let filled = Morphology.fillHoles(BinaryMask.above(Otsu.threshold(plane), in: plane), connectivity: .eight)
            #expect(filled.pixels == c.filled, "\(c.name): differs from scipy.ndimage.binary_fill_holes")
        }
    }

    @Test func smallObjectRemovalEqualsScikitImage() {
        for c in golden.cases {
            let labels = LabelImage(width: golden.width, height: golden.height, labels: c.labels8)
            let kept = Morphology.removeSmallObjects(labels, minimumArea: golden.min_area)
            #expect(kept.labels == c.small, "\(c.name)")
            let segmenter = ThresholdSegmenter(minimumArea: golden.min_area)
            #expect(segmenter.segment(c.plane(golden.width, golden.height)).labels == c.small)
        }
    }

    /// threshold_local(method="mean", mode="reflect"): within 1e-4 relative (Float32 output vs Float64).
    @Test func localMeanEqualsScikitImage() {
        for c in golden.cases {
            let t = LocalMeanThreshold.thresholdImage(c.pixels.map { Float($0) }, width: golden.width, height: golden.height,
                                                      blockSize: golden.block_size, offset: Float(golden.offset))
            var worst = 0.0
            for i in t.indices { worst = max(worst, abs(Double(t[i]) - c.local[i]) / max(1, abs(c.local[i]))) }
            #expect(worst < 1e-5, "\(c.name): worst relative difference \(worst)")
        }
    }

    /// scikit-image's arithmetic decides a near-tie that plain Float64 decides the other way.
    @Test func nearTieResolvesAsScikitImage() {
        let c = golden.near_tie
        let plane = ImagePlane(width: c.width, height: c.height, pixels: c.pixels.map { Float($0) }, sampleType: .uint16)
        #expect(Otsu.threshold(plane) == Float(c.otsu))
        var counts = [Int](repeating: 0, count: 65536)
        for v in c.pixels { counts[Int(v)] += 1 }
        #expect(Otsu.thresholdIndex(counts: counts, centers: (0..<65536).map(Double.init)) == Int(c.float64_choice))
    }

    @Test func constantImageHasNoForeground() {
        let plane = ImagePlane(width: golden.width, height: golden.height, repeating: Float(golden.constant.value), sampleType: .uint16)
        let t = Otsu.threshold(plane)
        #expect(Double(t) == golden.constant.otsu)
        #expect(BinaryMask.above(t, in: plane).foregroundCount == golden.constant.foreground)
        #expect(golden.constant.foreground == 0)
    }
}
