import ImageCore

/// One matched (true positive) pair of objects.
public struct MatchedPair: Sendable, Equatable, Codable {
    /// Label in the truth image.
    public var truth: UInt32
    /// Label in the prediction.
    public var prediction: UInt32
    /// Their IoU |T ∩ P| / |T ∪ P|.
    public var iou: Double
}

/// Instance-level scores of a prediction against the truth at one IoU threshold, with the definitions
/// of `stardist.matching.matching` (criterion "iou"):
///
///     precision = TP / (TP + FP)     recall = TP / (TP + FN)     F1 = 2TP / (2TP + FP + FN)
///     accuracy  = TP / (TP + FP + FN)
///     meanMatchedIoU = Σ IoU(matched) / TP                 (stardist: mean_matched_score)
///     meanTrueIoU    = Σ IoU(matched) / nTrue              (stardist: mean_true_score)
///     panopticQuality = Σ IoU(matched) / (TP + FP/2 + FN/2)   (Kirillov et al. 2019, Eq. 1)
///
/// **Degenerate cases** (as stardist): every ratio whose TP is 0 or whose denominator is 0 is **0**. So
/// an empty prediction gives FN = nTrue and all ratios 0; an empty truth gives FP = nPred and all
/// ratios 0; both empty give TP = FP = FN = 0 and all ratios 0 (for an image without nuclei, read the
/// counts, not the ratios).
public struct MatchingResult: Sendable, Equatable, Codable {
    /// The IoU threshold: a pair is a match when its IoU ≥ threshold.
    public var threshold: Double
    /// Objects (distinct non-zero labels) in the truth / prediction.
    public var nTrue: Int, nPred: Int
    /// True positives, false positives (unmatched predictions), false negatives (unmatched truths).
    public var tp: Int, fp: Int, fn: Int
    /// TP/(TP+FP), TP/(TP+FN), 2TP/(2TP+FP+FN), TP/(TP+FP+FN); 0 when TP = 0.
    public var precision: Double, recall: Double, f1: Double, accuracy: Double
    /// Σ IoU(matched) over TP, over nTrue, and over TP + FP/2 + FN/2; 0 when TP = 0.
    public var meanMatchedIoU: Double, meanTrueIoU: Double, panopticQuality: Double
    /// The matched pairs, sorted by truth label.
    public var pairs: [MatchedPair]
}

/// Matching of predicted objects to true objects.
///
/// Among all one-to-one assignments it picks the one that first **maximises the number of pairs with
/// IoU ≥ threshold**, then **their summed IoU** — stardist's cost `−[IoU ≥ t] − IoU / (2 min(nTrue, nPred))`
/// minimised by ``LinearAssignment``. (For t > 0.5 at most one pair per object can pass, so the
/// assignment only matters for t ≤ 0.5.) Pairs with no overlap cost 0, so the problem splits into the
/// connected components of the overlap graph, each solved separately: exact, and fast for thousands of
/// objects.
public enum InstanceMatching {
    /// Scores `prediction` against `truth` at `threshold` ∈ (0, 1] (default 0.5). Label values need not be
    /// consecutive. Throws ``MetricsError`` for different sizes or a bad threshold.
    public static func match(prediction: LabelImage, truth: LabelImage, threshold: Double = 0.5) throws -> MatchingResult {
        try Scores.checkSizes(prediction: prediction, truth: truth)
        return try match(prediction: prediction.labels, truth: truth.labels, threshold: threshold)
    }

    /// Scores 3-D labels: a Z stack given as one label image per slice (in Z order) for the prediction and
    /// the truth. An **object is a label value across all slices**, its size a voxel count, and IoU is over
    /// voxels, |T ∩ P| / |T ∪ P|; otherwise as ``match(prediction:truth:threshold:)-(LabelImage,_,_)`` (so a
    /// stack of one slice scores exactly as the 2-D image). Label images of per-slice segmentations, whose
    /// numbers restart in every slice, must not be scored this way (label 1 of every slice would be one
    /// object). Throws ``MetricsError`` for different slice sizes or counts, or a bad threshold.
    public static func match(prediction: [LabelImage], truth: [LabelImage], threshold: Double = 0.5) throws -> MatchingResult {
        try Scores.checkSizes(prediction: prediction, truth: truth)
        return try match(prediction: prediction.flatMap(\.labels), truth: truth.flatMap(\.labels), threshold: threshold)
    }

    /// The matching of labels of any dimension given as plain arrays: element i of `prediction` and of
    /// `truth` is the same pixel or voxel (for a stack, slice-major: all of slice 0, then slice 1, …). The
    /// image and stack forms call this. Throws ``MetricsError/countMismatch(prediction:truth:)`` when the
    /// arrays differ in length, ``MetricsError/invalidThreshold(_:)`` for a threshold outside (0, 1].
    public static func match(prediction: [UInt32], truth: [UInt32], threshold: Double = 0.5) throws -> MatchingResult {
        guard prediction.count == truth.count else {
            throw MetricsError.countMismatch(prediction: prediction.count, truth: truth.count)
        }
        guard threshold > 0 && threshold <= 1 else { throw MetricsError.invalidThreshold(threshold) }
        let (trueIndex, trueLabels) = compact(truth)
        let (predIndex, predLabels) = compact(prediction)
        let nTrue = trueLabels.count, nPred = predLabels.count
        var trueArea = [Int](repeating: 0, count: nTrue + 1)
        var predArea = [Int](repeating: 0, count: nPred + 1)
        var overlap: [Int: Int] = [:]          // key (i − 1) * nPred + (j − 1)
        for p in 0..<trueIndex.count {
            let i = Int(trueIndex[p]), j = Int(predIndex[p])
            trueArea[i] += 1
            predArea[j] += 1
            if i > 0 && j > 0 { overlap[(i - 1) * nPred + (j - 1), default: 0] += 1 }
        }
        let nMatched = min(nTrue, nPred)
        // Overlapping pairs with their IoU.
        var edges: [(t: Int, p: Int, iou: Double)] = []
        edges.reserveCapacity(overlap.count)
        for (key, inter) in overlap {
            let t = key / nPred, p = key % nPred
            let iou = Double(inter) / Double(trueArea[t + 1] + predArea[p + 1] - inter)
            edges.append((t, p, iou))
        }
        edges.sort { ($0.t, $0.p) < ($1.t, $1.p) }
        // Connected components of the bipartite overlap graph: nodes 0..<nTrue (truth), nTrue..<nTrue+nPred.
        var parent = Array(0..<(nTrue + nPred))
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for e in edges {
            let a = find(e.t), b = find(nTrue + e.p)
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        var groups: [Int: [Int]] = [:]     // root → edge indices
        for (k, e) in edges.enumerated() { groups[find(e.t), default: []].append(k) }

        var pairs: [MatchedPair] = []
        for root in groups.keys.sorted() {
            let group = groups[root]!
            let rows = Array(Set(group.map { edges[$0].t })).sorted()
            let cols = Array(Set(group.map { edges[$0].p })).sorted()
            let rowAt = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
            let colAt = Dictionary(uniqueKeysWithValues: cols.enumerated().map { ($1, $0) })
            var costs = [Double](repeating: 0, count: rows.count * cols.count)
            var iou = [Double](repeating: 0, count: rows.count * cols.count)
            for k in group {
                let e = edges[k]
                let cell = rowAt[e.t]! * cols.count + colAt[e.p]!
                iou[cell] = e.iou
                costs[cell] = -(e.iou >= threshold ? 1 : 0) - e.iou / Double(2 * nMatched)
            }
            for (r, c) in LinearAssignment.solve(costs: costs, rows: rows.count, columns: cols.count) {
                let s = iou[r * cols.count + c]
                if s >= threshold {
                    pairs.append(MatchedPair(truth: trueLabels[rows[r]], prediction: predLabels[cols[c]], iou: s))
                }
            }
        }
        pairs.sort { $0.truth < $1.truth }
        let tp = pairs.count, fp = nPred - tp, fn = nTrue - tp
        let sum = pairs.reduce(0.0) { $0 + $1.iou }
        func ratio(_ a: Double, _ b: Double) -> Double { tp > 0 && b > 0 ? a / b : 0 }
        return MatchingResult(
            threshold: threshold, nTrue: nTrue, nPred: nPred, tp: tp, fp: fp, fn: fn,
            precision: ratio(Double(tp), Double(tp + fp)), recall: ratio(Double(tp), Double(tp + fn)),
            f1: ratio(Double(2 * tp), Double(2 * tp + fp + fn)), accuracy: ratio(Double(tp), Double(tp + fp + fn)),
            meanMatchedIoU: ratio(sum, Double(tp)), meanTrueIoU: ratio(sum, Double(nTrue)),
            panopticQuality: ratio(sum, Double(tp) + Double(fp) / 2 + Double(fn) / 2),
            pairs: pairs)
    }

    /// Maps labels to 1…K in increasing label order (0 stays 0); returns the per-pixel indices and the
    /// original label of index k + 1 at position k.
    static func compact(_ labels: [UInt32]) -> (indices: [UInt32], labels: [UInt32]) {
        let top = labels.max() ?? 0
        if Int(top) <= 4 * labels.count + 1024 {
            var present = [Bool](repeating: false, count: Int(top) + 1)
            for l in labels { present[Int(l)] = true }
            var map = [UInt32](repeating: 0, count: Int(top) + 1)
            var originals: [UInt32] = []
            for l in 1..<max(1, Int(top) + 1) where present[l] { originals.append(UInt32(l)); map[l] = UInt32(originals.count) }
            return (labels.map { map[Int($0)] }, originals)
        }
        let originals = Array(Set(labels).subtracting([0])).sorted()
        let map = Dictionary(uniqueKeysWithValues: originals.enumerated().map { ($1, UInt32($0 + 1)) })
        return (labels.map { $0 == 0 ? 0 : map[$0]! }, originals)
    }
}
