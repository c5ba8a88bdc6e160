import Foundation
import ImageCore
import Testing
@testable import Metrics

/// `Fixtures/golden.json`, written by `Fixtures/make_fixtures.py` with stardist.matching 0.9.2 and scipy.
struct Golden: Decodable {
    struct Result: Decodable {
        var threshold: Double
        var tp, fp, fn, precision, recall, accuracy, f1, n_true, n_pred: Double
        var mean_true_score, mean_matched_score, panoptic_quality: Double
    }
    struct Case: Decodable {
        var name: String
        var truth: [UInt32], prediction: [UInt32]
        var foreground_iou: Double
        var results: [Result]
    }
    struct SNR: Decodable { var image: [Double]; var truth: [UInt32]; var snr: Double }
    struct Assignment: Decodable { var rows: Int; var columns: Int; var costs: [Double]; var optimum: Double }
    var width: Int, height: Int
    var matching: [Case]
    var snr: SNR
    var assignment: [Assignment]

    static func load() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }
}

@Suite struct GoldenMetricsTests {
    let golden: Golden
    init() throws { golden = try Golden.load() }

    /// Every field of stardist.matching at five thresholds; counts exact, ratios within 1e-6 (stardist
    /// computes IoUs in Float32).
    @Test func matchingEqualsStardist() throws {
        for c in golden.matching {
            let truth = LabelImage(width: golden.width, height: golden.height, labels: c.truth)
            let prediction = LabelImage(width: golden.width, height: golden.height, labels: c.prediction)
            #expect(abs(try Scores.foregroundIoU(prediction: prediction, truth: truth) - c.foreground_iou) < 1e-12, "\(c.name)")
            for g in c.results {
                let m = try InstanceMatching.match(prediction: prediction, truth: truth, threshold: g.threshold)
                let label = "\(c.name) @ \(g.threshold)"
                #expect(Double(m.tp) == g.tp && Double(m.fp) == g.fp && Double(m.fn) == g.fn, "\(label): \(m)")
                #expect(Double(m.nTrue) == g.n_true && Double(m.nPred) == g.n_pred, "\(label)")
                for (mine, theirs, name) in [(m.precision, g.precision, "precision"), (m.recall, g.recall, "recall"),
                                             (m.f1, g.f1, "f1"), (m.accuracy, g.accuracy, "accuracy"),
                                             (m.meanMatchedIoU, g.mean_matched_score, "mean_matched_score"),
                                             (m.meanTrueIoU, g.mean_true_score, "mean_true_score"),
                                             (m.panopticQuality, g.panoptic_quality, "panoptic_quality")] {
                    #expect(abs(mine - theirs) < 1e-6, "\(label) \(name): \(mine) vs stardist \(theirs)")
                }
            }
        }
    }

    @Test func snrEqualsNumpy() throws {
        let image = ImagePlane(width: golden.width, height: golden.height, pixels: golden.snr.image.map { Float($0) })
        let truth = LabelImage(width: golden.width, height: golden.height, labels: golden.snr.truth)
        let snr = try #require(try Scores.signalToNoise(image: image, truth: truth))
        #expect(abs(snr - golden.snr.snr) < 1e-9 * max(1, abs(snr)), "\(snr) vs \(golden.snr.snr)")
    }

    @Test func assignmentEqualsScipyOptimum() {
        for a in golden.assignment {
            let pairs = LinearAssignment.solve(costs: a.costs, rows: a.rows, columns: a.columns)
            #expect(pairs.count == min(a.rows, a.columns))
            #expect(Set(pairs.map(\.row)).count == pairs.count && Set(pairs.map(\.column)).count == pairs.count)
            let total = pairs.reduce(0.0) { $0 + a.costs[$1.row * a.columns + $1.column] }
            #expect(abs(total - a.optimum) < 1e-9, "\(a.rows)x\(a.columns): \(total) vs scipy \(a.optimum)")
        }
    }
}
