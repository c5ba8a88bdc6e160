/// Merges across Z of a 3-D labelling: predicted objects that join different true objects although each
/// of their slices lies within one of them — the error that stitching 2-D labels across slices can make
/// (a 2-D object of one nucleus linked to the 2-D object of another in the next slice), and that the 2-D
/// labels themselves did not make.
///
/// For a predicted 3-D object P and a slice z where P is present, P's part in that slice, P_z, is
/// **owned** by the true object holding more than half of P_z's pixels (none when no true label,
/// background included, has a strict majority, or when the majority is background). P is a **Z merge**
/// when the owners of its slices include two or more different true objects. Objects whose parts are each
/// split between several true objects (an in-slice merge of the 2-D labels) have no owner there and do not
/// count: this measures the linking, not the 2-D segmentation.
public enum StackMerges {
    /// The number of predicted objects that are Z merges. `prediction` and `truth` are Z stacks as plain
    /// arrays, slice-major (`sliceSize` pixels a slice, the same length; a trailing partial slice counts as
    /// a slice). 0 for empty input. Throws ``MetricsError/countMismatch(prediction:truth:)`` for different
    /// lengths.
    public static func count(prediction: [UInt32], truth: [UInt32], sliceSize: Int) throws -> Int {
        guard prediction.count == truth.count else {
            throw MetricsError.countMismatch(prediction: prediction.count, truth: truth.count)
        }
        guard sliceSize > 0 else { return 0 }
        var owners: [UInt32: Set<UInt32>] = [:]    // predicted object → owners of its slices
        var start = 0
        while start < prediction.count {
            let end = min(prediction.count, start + sliceSize)
            var size: [UInt32: Int] = [:]
            var overlap: [UInt64: Int] = [:]        // (predicted << 32) | true
            for i in start..<end where prediction[i] != 0 {
                size[prediction[i], default: 0] += 1
                overlap[UInt64(prediction[i]) << 32 | UInt64(truth[i]), default: 0] += 1
            }
            for (key, n) in overlap {
                let (p, t) = (UInt32(key >> 32), UInt32(truncatingIfNeeded: key))
                if t != 0 && 2 * n > size[p]! { owners[p, default: []].insert(t) }
            }
            start = end
        }
        return owners.values.filter { $0.count >= 2 }.count
    }
}
