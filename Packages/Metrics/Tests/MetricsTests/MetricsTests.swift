import Foundation
import ImageCore
import Testing
@testable import Metrics

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
}

func labels(_ rows: [[UInt32]]) -> LabelImage {
    LabelImage(width: rows[0].count, height: rows.count, labels: rows.flatMap { $0 })
}

@Suite struct AssignmentTests {
    @Test func agreesWithBruteForce() {
        var rng = TestRandom(state: 5)
        for _ in 0..<300 {
            let r = 1 + Int(rng.next() % 6), c = 1 + Int(rng.next() % 6)
            let costs = (0..<(r * c)).map { _ in rng.uniform() < 0.3 ? 0 : (rng.uniform() * 4 - 2).rounded(.down) / 2 }
            let pairs = LinearAssignment.solve(costs: costs, rows: r, columns: c)
            let total = pairs.reduce(0.0) { $0 + costs[$1.row * c + $1.column] }
            #expect(pairs.count == min(r, c))
            #expect(abs(total - Reference.bruteForceAssignment(costs: costs, rows: r, columns: c)) < 1e-12, "\(r)x\(c) \(costs)")
        }
    }

    @Test func handMade() {
        // Greedy would take (0,0) = 1 and then (1,1) = 10; the optimum is (0,1) + (1,0) = 2 + 3.
        let pairs = LinearAssignment.solve(costs: [1, 2, 3, 10], rows: 2, columns: 2)
        #expect(pairs.map(\.column) == [1, 0])
        #expect(LinearAssignment.solve(costs: [], rows: 0, columns: 3).isEmpty)
    }
}

@Suite struct MatchingTests {
    /// One truth object overlapped by two predictions: at threshold 0.3 both pass but only one can match,
    /// and the optimal assignment takes the larger IoU.
    @Test func oneToOneTakesTheBetterCandidate() throws {
        let truth = labels([[1, 1, 1, 1, 1, 1, 0, 0]])
        let pred = labels([[2, 2, 2, 2, 0, 5, 5, 5]])
        let m = try InstanceMatching.match(prediction: pred, truth: truth, threshold: 0.3)
        #expect(m.tp == 1 && m.fp == 1 && m.fn == 0)
        #expect(m.pairs == [MatchedPair(truth: 1, prediction: 2, iou: 4.0 / 6.0)])
        #expect(abs(m.panopticQuality - (4.0 / 6.0) / 1.5) < 1e-12)
    }

    /// Two truths, two predictions, where a greedy best-IoU-first choice would leave one truth unmatched
    /// at threshold 0.25 but the optimal assignment matches both (more matches beat a higher sum).
    @Test func maximisesMatchesBeforeIoU() throws {
        // truth A = columns 0..3, truth B = columns 4..7; pred X = 1..5, pred Y = 6..7 (+ 8, 9 background).
        let truth = labels([[1, 1, 1, 1, 2, 2, 2, 2, 0, 0]])
        let pred = labels([[0, 3, 3, 3, 3, 3, 4, 4, 4, 4]])
        // IoU(A,X) = 3/6, IoU(B,X) = 2/8, IoU(B,Y) = 2/6.
        let m = try InstanceMatching.match(prediction: pred, truth: truth, threshold: 0.25)
        #expect(m.tp == 2)
        #expect(Set(m.pairs.map { "\($0.truth)-\($0.prediction)" }) == ["1-3", "2-4"])
    }

    @Test func degenerateCases() throws {
        let some = labels([[0, 1, 1, 0, 2]])
        let none = labels([[0, 0, 0, 0, 0]])
        let emptyPrediction = try InstanceMatching.match(prediction: none, truth: some)
        #expect(emptyPrediction.tp == 0 && emptyPrediction.fn == 2 && emptyPrediction.fp == 0)
        #expect(emptyPrediction.f1 == 0 && emptyPrediction.precision == 0 && emptyPrediction.recall == 0)
        #expect(try Scores.foregroundIoU(prediction: none, truth: some) == 0)
        let emptyTruth = try InstanceMatching.match(prediction: some, truth: none)
        #expect(emptyTruth.fp == 2 && emptyTruth.fn == 0 && emptyTruth.f1 == 0 && emptyTruth.panopticQuality == 0)
        #expect(try Scores.foregroundIoU(prediction: some, truth: none) == 0)
        let both = try InstanceMatching.match(prediction: none, truth: none)
        #expect(both.tp == 0 && both.fp == 0 && both.fn == 0 && both.f1 == 0 && both.accuracy == 0)
        #expect(try Scores.foregroundIoU(prediction: none, truth: none) == 1)
    }

    @Test func differentSizesThrow() {
        let a = LabelImage(width: 4, height: 3), b = LabelImage(width: 3, height: 4)
        #expect(throws: MetricsError.sizeMismatch(prediction: (4, 3), truth: (3, 4))) {
            try InstanceMatching.match(prediction: a, truth: b)
        }
        #expect(throws: MetricsError.self) { try Scores.foregroundIoU(prediction: a, truth: b) }
        #expect("\(MetricsError.sizeMismatch(prediction: (4, 3), truth: (3, 4)))" == "prediction is 4 x 3 px but truth is 3 x 4 px")
        #expect(throws: MetricsError.invalidThreshold(0)) { try InstanceMatching.match(prediction: a, truth: a, threshold: 0) }
    }

    /// Thousands of objects: the component decomposition keeps it fast and exact (identical images).
    @Test func manyObjects() throws {
        let w = 600, h = 400
        var l = [UInt32](repeating: 0, count: w * h)
        var next: UInt32 = 0
        for by in stride(from: 0, to: h - 3, by: 4) {
            for bx in stride(from: 0, to: w - 3, by: 4) {
                next += 1
                for y in by..<(by + 3) { for x in bx..<(bx + 3) { l[y * w + x] = next } }
            }
        }
        let image = LabelImage(width: w, height: h, labels: l)
        let m = try InstanceMatching.match(prediction: image, truth: image)
        #expect(m.nTrue == 15000 && m.tp == 15000 && m.f1 == 1 && m.panopticQuality == 1)
    }
}

@Suite struct ScoreTests {
    @Test func geometricMeanRule() {
        #expect(abs(Scores.geometricMean([0.5, 0.5])! - 0.5) < 1e-12)
        #expect(abs(Scores.geometricMean([1, 0])! - 1e-3) < 1e-12)   // 0 counts as 1e-6
        #expect(Scores.geometricMean([]) == nil)
        #expect(Scores.median([3, 1, 2]) == 2 && Scores.median([4, 1, 2, 3]) == 2.5 && Scores.median([]) == nil)
    }

    @Test func snrDegenerateCases() throws {
        let image = ImagePlane(width: 3, height: 1, pixels: [1, 5, 2])
        #expect(try Scores.signalToNoise(image: image, truth: labels([[0, 0, 0]])) == nil)   // no nucleus
        #expect(try Scores.signalToNoise(image: image, truth: labels([[1, 1, 1]])) == nil)   // no background
        #expect(try Scores.signalToNoise(image: image, truth: labels([[0, 1, 0]])) == 7)     // (5 - 1.5) / 0.5
        #expect(try Scores.signalToNoise(image: ImagePlane(width: 3, height: 1, pixels: [1, 5, 1]), truth: labels([[0, 1, 0]])) == nil)
        #expect(throws: MetricsError.self) { try Scores.signalToNoise(image: image, truth: LabelImage(width: 2, height: 1)) }
    }
}
