import Foundation
import ImageCore
import Testing
@testable import Segmentation

/// A deterministic generator for test data (SplitMix64).
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

func mask(_ rows: [String]) -> BinaryMask {
    let h = rows.count, w = rows[0].count
    return BinaryMask(width: w, height: h, pixels: rows.flatMap { $0.map { $0 == "#" ? UInt8(1) : 0 } })
}

@Suite struct OtsuTests {
    /// Two spikes: every split between them separates the classes perfectly; the first maximum is the
    /// lower spike's bin.
    @Test func twoSpikes() {
        var counts = [Int](repeating: 0, count: 32)
        counts[5] = 10; counts[20] = 30
        #expect(Otsu.thresholdIndex(counts: counts, centers: (0..<32).map(Double.init)) == 5)
    }

    /// Three equal spikes at 0, 10, 30: splitting {0, 10} | {30} gives ω₀ω₁(μ₀ − μ₁)² = (2/3)(1/3)(25)² · n²,
    /// more than {0} | {10, 30}: (1/3)(2/3)(20)² · n².
    @Test func threeSpikes() {
        var counts = [Int](repeating: 0, count: 31)
        counts[0] = 4; counts[10] = 4; counts[30] = 4
        #expect(Otsu.thresholdIndex(counts: counts, centers: (0..<31).map(Double.init)) == 10)
    }

    @Test func oneOccupiedBinHasNoThreshold() {
        #expect(Otsu.thresholdIndex(counts: [0, 0, 7, 0], centers: [0, 1, 2, 3]) == nil)
        #expect(Otsu.thresholdIndex(counts: [0, 0, 0], centers: [0, 1, 2]) == nil)
    }

    @Test func agreesWithBruteForceOnRandomHistograms() {
        var rng = TestRandom(state: 42)
        for trial in 0..<200 {
            let n = 2 + rng.int(60)
            let counts = (0..<n).map { _ in rng.uniform() < 0.4 ? 0 : rng.int(1000) }
            let centers = (0..<n).map { Double($0) * 1.5 - 7 }
            #expect(Otsu.thresholdIndex(counts: counts, centers: centers) == Reference.otsuIndex(counts: counts, centers: centers),
                    "trial \(trial): \(counts)")
        }
    }

    @Test func constantImagesHaveNoForeground() {
        for type in [SampleType.uint8, .uint16, .float32] {
            let plane = ImagePlane(width: 17, height: 9, repeating: 123, sampleType: type)
            #expect(Otsu.threshold(plane) == 123)
            #expect(ThresholdSegmenter().segment(plane).maximumLabel == 0, "\(type)")
            #expect(ThresholdSegmenter(method: .adaptive(LocalMeanThreshold())).segment(plane).maximumLabel == 0, "\(type)")
        }
        let nothing = ImagePlane(width: 4, height: 4, repeating: .nan, sampleType: .float32)
        #expect(Otsu.threshold(nothing) == 0)
        #expect(ThresholdSegmenter().segment(nothing).maximumLabel == 0)
    }

    /// 16-bit images use all 65536 levels: a threshold that 256 bins could not place exactly.
    @Test func sixteenBitUsesExactLevels() {
        var pixels = [Float](repeating: 1000, count: 100)
        for i in 0..<30 { pixels[i] = 1003 }
        pixels[99] = 65000
        let plane = ImagePlane(width: 10, height: 10, pixels: pixels, sampleType: .uint16)
        let t = Otsu.threshold(plane)
        #expect(t == 1003)   // splits {1000, 1003} | {65000}
        pixels[99] = 1004
        #expect(Otsu.threshold(ImagePlane(width: 10, height: 10, pixels: pixels, sampleType: .uint16)) == 1000)
    }

    @Test func floatHistogramMatchesNumpyBinning() {
        // Values on bin edges go to the upper bin; the maximum goes to the last bin.
        let (counts, centers) = Otsu.histogram([0, 0.25, 0.5, 0.75, 1, 1], bins: 4, low: 0, high: 1)
        #expect(counts == [1, 1, 1, 3])
        #expect(centers == [0.125, 0.375, 0.625, 0.875])
    }
}

@Suite struct ConnectedComponentTests {
    @Test func handMade() {
        let m = mask([
            "##..#",
            "#..#.",
            "...#.",
            "#....",
        ])
        let l8 = ConnectedComponents.label(m, connectivity: .eight)
        #expect(l8.labels == [1, 1, 0, 0, 2,
                              1, 0, 0, 2, 0,
                              0, 0, 0, 2, 0,
                              3, 0, 0, 0, 0])
        let l4 = ConnectedComponents.label(m, connectivity: .four)
        #expect(l4.labels == [1, 1, 0, 0, 2,
                              1, 0, 0, 3, 0,
                              0, 0, 0, 3, 0,
                              4, 0, 0, 0, 0])
    }

    /// A U shape whose arms are joined only at the bottom: the left arm is the first label, the right arm
    /// merges into it later (the union keeps the earlier root).
    @Test func lateMergeKeepsRasterOrder() {
        let m = mask([
            "#.#.#",
            "#.#.#",
            "###.#",
        ])
        let l = ConnectedComponents.label(m, connectivity: .four)
        #expect(l.labels == [1, 0, 1, 0, 2, 1, 0, 1, 0, 2, 1, 1, 1, 0, 2])
    }

    @Test func agreesWithFloodFillOnRandomMasks() {
        var rng = TestRandom(state: 7)
        for trial in 0..<300 {
            let w = 1 + rng.int(40), h = 1 + rng.int(40)
            let density = rng.uniform()
            let m = BinaryMask(width: w, height: h, pixels: (0..<(w * h)).map { _ in rng.uniform() < density ? 1 : 0 })
            for c in Connectivity.allCases {
                #expect(ConnectedComponents.label(m, connectivity: c) == Reference.label(m, connectivity: c),
                        "trial \(trial) \(w)x\(h) \(c)")
            }
        }
    }

    @Test func emptyAndFull() {
        #expect(ConnectedComponents.label(BinaryMask(width: 5, height: 3)).maximumLabel == 0)
        let full = BinaryMask(width: 5, height: 3, pixels: [UInt8](repeating: 1, count: 15))
        #expect(ConnectedComponents.label(full).labels == [UInt32](repeating: 1, count: 15))
        #expect(ConnectedComponents.label(BinaryMask(width: 0, height: 0)).labels.isEmpty)
    }
}

@Suite struct MorphologyTests {
    @Test func fillsEnclosedHolesOnly() {
        let m = mask([
            ".....#",
            ".###.#",
            ".#.#..",
            ".###..",
            "......",
        ])
        let filled = Morphology.fillHoles(m)
        #expect(filled[2, 2])
        #expect(!filled[0, 0] && !filled[2, 5])
        #expect(filled.foregroundCount == m.foregroundCount + 1)
    }

    /// An 8-connected diamond encloses its centre (a 4-connected hole); a 4-connected foreground does not.
    @Test func holeAdjacencyComplementsObjectAdjacency() {
        let m = mask([
            ".....",
            "..#..",
            ".#.#.",
            "..#..",
            ".....",
        ])
        #expect(Morphology.fillHoles(m, connectivity: .eight)[2, 2])
        #expect(!Morphology.fillHoles(m, connectivity: .four)[2, 2])
    }

    @Test func removesSmallObjectsAndRenumbers() {
        let labels = LabelImage(width: 6, height: 1, labels: [7, 7, 0, 3, 9, 9])
        #expect(Morphology.removeSmallObjects(labels, minimumArea: 2).labels == [1, 1, 0, 0, 2, 2])
        #expect(Morphology.removeSmallObjects(labels, minimumArea: 0).labels == [2, 2, 0, 1, 3, 3])
        #expect(Morphology.removeSmallObjects(labels, minimumArea: 3).labels == [0, 0, 0, 0, 0, 0])
    }
}

@Suite struct AdaptiveTests {
    @Test func runningSumsAgreeWithDirectSums() {
        var rng = TestRandom(state: 3)
        for (w, h, b) in [(13, 9, 3), (20, 17, 7), (5, 4, 11), (1, 6, 5), (8, 1, 3)] {
            let pixels = (0..<(w * h)).map { _ in Float(rng.uniform() * 1000) }
            let fast = LocalMeanThreshold.thresholdImage(pixels, width: w, height: h, blockSize: b, offset: -2.5)
            let slow = Reference.localMeanThreshold(pixels, width: w, height: h, blockSize: b, offset: -2.5)
            for i in fast.indices { #expect(abs(fast[i] - slow[i]) <= 1e-3, "\(w)x\(h) block \(b) at \(i)") }
        }
    }

    /// Spots on a steep illumination ramp: global Otsu splits the ramp, the local threshold finds the spots.
    @Test func findsSpotsOnARampThatOtsuMisses() {
        let w = 120, h = 40
        var pixels = [Float](repeating: 0, count: w * h)
        var rng = TestRandom(state: 11)
        for y in 0..<h { for x in 0..<w { pixels[y * w + x] = Float(100 + 20 * x) + Float(rng.uniform() * 4) } }
        let centres = [(10, 10), (30, 25), (55, 12), (80, 28), (105, 15)]
        for (cx, cy) in centres {
            for y in (cy - 2)...(cy + 2) { for x in (cx - 2)...(cx + 2) { pixels[y * w + x] += 300 } }
        }
        let plane = ImagePlane(width: w, height: h, pixels: pixels, sampleType: .float32)
        let adaptive = ThresholdSegmenter(method: .adaptive(LocalMeanThreshold(blockSize: 21, contrast: 0.05)), minimumArea: 4)
        let labels = adaptive.segment(plane)
        #expect(labels.maximumLabel == 5)
        for (cx, cy) in centres { #expect(labels[cy, cx] != 0) }
        #expect(ThresholdSegmenter().segment(plane).maximumLabel != 5)
    }
}
