/// Erased and invented nuclei of a segmentation against the truth: the count check that SaliencyNet's
/// training validation runs every epoch, and that `sn-score --counts` reports (issue 16: "fewer than 5 % of
/// nuclei erased and fewer than 5 % invented").
///
/// A true nucleus is **missed** (erased) when less than half of its pixels are foreground in the
/// prediction: `2·|T ∩ S| < |T|`, whatever the predicted labels there. A predicted object is **invented**
/// when it has no pixel on any true nucleus: `|P ∩ G| = 0`. Neither needs one-to-one matching, so a merge
/// or a split of touching nuclei is neither: what they count is content that a translation dropped or
/// drew, not how the foreground was cut into objects. Both are usually given as fractions of the number
/// of true nuclei.
public struct NucleusCounts: Sendable, Equatable {
    /// True nuclei: labels present in the truth.
    public var truthNuclei: Int
    /// Predicted objects: labels present in the prediction.
    public var predictedObjects: Int
    /// True nuclei less than half covered by the prediction's foreground.
    public var missed: Int
    /// Predicted objects touching no true nucleus.
    public var invented: Int

    public init(truthNuclei: Int, predictedObjects: Int, missed: Int, invented: Int) {
        self.truthNuclei = truthNuclei
        self.predictedObjects = predictedObjects
        self.missed = missed
        self.invented = invented
    }

    /// `missed / truthNuclei` (0 with no true nucleus).
    public var missedFraction: Double { truthNuclei > 0 ? Double(missed) / Double(truthNuclei) : 0 }
    /// `invented / truthNuclei`; with no true nucleus, 0 when nothing was predicted and `+∞` otherwise.
    public var inventedFraction: Double {
        truthNuclei > 0 ? Double(invented) / Double(truthNuclei) : (invented > 0 ? .infinity : 0)
    }

    /// The sum of two counts (images pooled).
    public static func + (a: NucleusCounts, b: NucleusCounts) -> NucleusCounts {
        NucleusCounts(truthNuclei: a.truthNuclei + b.truthNuclei, predictedObjects: a.predictedObjects + b.predictedObjects,
                      missed: a.missed + b.missed, invented: a.invented + b.invented)
    }

    /// The counts of `prediction` against `truth`: label images as plain arrays of one length (2-D images
    /// or Z stacks alike; labels need not be consecutive). One pass with arrays indexed by label, so a
    /// label image of large values costs memory in its maximum label. Empty input gives all zeros.
    /// Throws ``MetricsError/countMismatch(prediction:truth:)`` for different lengths.
    public static func of(prediction: [UInt32], truth: [UInt32]) throws -> NucleusCounts {
        guard prediction.count == truth.count else {
            throw MetricsError.countMismatch(prediction: prediction.count, truth: truth.count)
        }
        let truthMax = Int(truth.max() ?? 0), predictionMax = Int(prediction.max() ?? 0)
        var area = [Int](repeating: 0, count: truthMax + 1), covered = area
        var present = [Bool](repeating: false, count: predictionMax + 1), touches = present
        for i in prediction.indices {
            let t = Int(truth[i]), p = Int(prediction[i])
            area[t] += 1
            present[p] = true
            if p > 0 { covered[t] += 1; if t > 0 { touches[p] = true } }
        }
        var nuclei = 0, missed = 0
        for t in stride(from: 1, through: truthMax, by: 1) where area[t] > 0 {
            nuclei += 1
            if 2 * covered[t] < area[t] { missed += 1 }
        }
        var objects = 0, invented = 0
        for p in stride(from: 1, through: predictionMax, by: 1) where present[p] {
            objects += 1
            if !touches[p] { invented += 1 }
        }
        return NucleusCounts(truthNuclei: nuclei, predictedObjects: objects, missed: missed, invented: invented)
    }

    /// The slow twin of ``of(prediction:truth:)``: object by object with sets, straight from the
    /// definitions. For tests.
    public static func reference(prediction: [UInt32], truth: [UInt32]) throws -> NucleusCounts {
        guard prediction.count == truth.count else {
            throw MetricsError.countMismatch(prediction: prediction.count, truth: truth.count)
        }
        let trueLabels = Set(truth).subtracting([0]), predictedLabels = Set(prediction).subtracting([0])
        var missed = 0, invented = 0
        for t in trueLabels {
            let pixels = truth.indices.filter { truth[$0] == t }
            let covered = pixels.filter { prediction[$0] != 0 }.count
            if Double(covered) < Double(pixels.count) / 2 { missed += 1 }
        }
        for p in predictedLabels where !prediction.indices.contains(where: { prediction[$0] == p && truth[$0] != 0 }) {
            invented += 1
        }
        return NucleusCounts(truthNuclei: trueLabels.count, predictedObjects: predictedLabels.count, missed: missed, invented: invented)
    }
}
