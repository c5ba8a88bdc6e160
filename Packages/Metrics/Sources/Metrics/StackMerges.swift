/// One Z merge: a predicted object and the true nuclei that own its slices.
public struct ZMerge: Sendable, Equatable {
    /// The predicted object's label.
    public var prediction: UInt32
    /// The true nuclei owning at least one of its slices, in increasing label order (two or more).
    public var owners: [UInt32]
    /// Whether two of the owners are both present (in the truth) in one slice: nuclei side by side, which
    /// that slice's 2-D labels kept apart; false when the owners follow each other in Z (one ends where
    /// the next begins, so no slice holds both and overlap alone cannot tell them apart).
    public var ownersShareASlice: Bool
    /// Whether two of the owners share a slice and, in **every** slice they share, each owns a predicted
    /// part of its own: nuclei that the 2-D labels kept apart wherever both appear, joined nonetheless
    /// (by the linking across Z alone).
    public var ownersKeptApartInEverySharedSlice: Bool
}

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
    /// The number of predicted objects that are Z merges (``find(prediction:truth:sliceSize:)``).
    public static func count(prediction: [UInt32], truth: [UInt32], sliceSize: Int) throws -> Int {
        try find(prediction: prediction, truth: truth, sliceSize: sliceSize).count
    }

    /// The Z merges, by increasing predicted label. `prediction` and `truth` are Z stacks as plain arrays,
    /// slice-major (`sliceSize` pixels a slice, the same length; a trailing partial slice counts as a
    /// slice). None for empty input. Throws ``MetricsError/countMismatch(prediction:truth:)`` for
    /// different lengths.
    public static func find(prediction: [UInt32], truth: [UInt32], sliceSize: Int) throws -> [ZMerge] {
        guard prediction.count == truth.count else {
            throw MetricsError.countMismatch(prediction: prediction.count, truth: truth.count)
        }
        guard sliceSize > 0 else { return [] }
        var owners: [UInt32: Set<UInt32>] = [:]    // predicted object → owners of its slices
        var slicesOf: [UInt32: Set<Int>] = [:]     // true object → the slices it is present in
        var ownedIn: [UInt32: Set<Int>] = [:]      // true object → the slices where it owns a predicted part
        var start = 0, z = 0
        while start < prediction.count {
            let end = min(prediction.count, start + sliceSize)
            var size: [UInt32: Int] = [:]
            var overlap: [UInt64: Int] = [:]        // (predicted << 32) | true
            for i in start..<end {
                if truth[i] != 0 { slicesOf[truth[i], default: []].insert(z) }
                guard prediction[i] != 0 else { continue }
                size[prediction[i], default: 0] += 1
                overlap[UInt64(prediction[i]) << 32 | UInt64(truth[i]), default: 0] += 1
            }
            for (key, n) in overlap {
                let (p, t) = (UInt32(key >> 32), UInt32(truncatingIfNeeded: key))
                if t != 0 && 2 * n > size[p]! { owners[p, default: []].insert(t); ownedIn[t, default: []].insert(z) }
            }
            start = end
            z += 1
        }
        var merges: [ZMerge] = []
        for p in owners.keys.sorted() where owners[p]!.count >= 2 {
            let o = owners[p]!.sorted()
            var share = false, keptApart = false
            for i in o.indices {
                for j in o.indices where j > i {
                    let shared = slicesOf[o[i]]!.intersection(slicesOf[o[j]]!)
                    guard !shared.isEmpty else { continue }
                    share = true
                    if shared.isSubset(of: ownedIn[o[i]]!.intersection(ownedIn[o[j]]!)) { keptApart = true }
                }
            }
            merges.append(ZMerge(prediction: p, owners: o, ownersShareASlice: share, ownersKeptApartInEverySharedSlice: keptApart))
        }
        return merges
    }
}
