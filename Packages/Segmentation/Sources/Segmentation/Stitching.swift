/// Joins the 2-D instance labels of the slices of a Z stack into 3-D labels by overlap, in the manner of
/// Cellpose's `stitch_threshold`: each object of slice z is linked to the object of slice z − 1 with which
/// it has the highest IoU, when that IoU is at least the threshold, and then carries that object's 3-D ID;
/// otherwise it starts a new 3-D object.
///
/// Unlike Cellpose (whose link is a plain arg-max, so two objects of one slice can take the same ID), the
/// links between two consecutive slices are **one-to-one**: the candidate pairs (a in z − 1, b in z) with
/// IoU(a, b) = |a ∩ b| / |a ∪ b| ≥ threshold and |a ∩ b| > 0 are taken **greedily by decreasing IoU** (ties:
/// smaller label of slice z − 1, then smaller label of slice z), each object being linked at most once.
/// So two objects that the 2-D labels keep apart in a slice always keep different 3-D IDs: stitching never
/// merges within a slice. Greedy rather than an optimal assignment keeps this module free of Metrics (the
/// package graph: docs/package-graph.md); for threshold > 0.5 the two coincide, since an object can then
/// have at most one partner with IoU ≥ threshold (two partners would need two disjoint halves of it).
///
/// Only consecutive slices are compared: an object missing from one slice (a gap) continues under a new ID.
///
/// **Numbering**: 3-D IDs are 1…K in order of first appearance — slice by slice, and within a slice by
/// increasing 2-D label. So a stack of one slice whose labels are 1…K comes back unchanged (non-consecutive
/// labels are renumbered 1…K in increasing order).
///
/// **Degenerate input**: no slices → no slices; empty slices (all 0) stay empty, and an object after an
/// empty slice starts a new ID; a threshold above 1 or NaN links nothing (every object of every slice is its
/// own 3-D object); a threshold ≤ 0 links every overlapping pair the greedy order allows.
public enum ZStitching {
    /// The 3-D labels of `slices` (each slice row-major, all of the same length; 0 = background), slice by
    /// slice, linked at IoU ≥ `threshold` (see the type's documentation). O(voxels + overlapping pairs · log).
    public static func stitch(_ slices: [[UInt32]], threshold: Double) -> [[UInt32]] {
        guard let count = slices.first?.count else { return [] }
        precondition(slices.allSatisfy { $0.count == count }, "ZStitching: slices of different sizes")
        var output: [[UInt32]] = []
        output.reserveCapacity(slices.count)
        var nextID: UInt32 = 0
        var previousID: [UInt32: UInt32] = [:]      // 2-D label of slice z − 1 → its 3-D ID
        for (z, slice) in slices.enumerated() {
            // Areas of this slice's objects and overlaps with the previous slice's objects.
            var area: [UInt32: Int] = [:]
            var previousArea: [UInt32: Int] = [:]
            var overlap: [UInt64: Int] = [:]       // (previous label << 32) | label
            let previous: [UInt32]? = z > 0 ? slices[z - 1] : nil
            for i in 0..<count {
                let b = slice[i]
                if b != 0 { area[b, default: 0] += 1 }
                if let previous {
                    let a = previous[i]
                    if a != 0 {
                        previousArea[a, default: 0] += 1
                        if b != 0 { overlap[UInt64(a) << 32 | UInt64(b), default: 0] += 1 }
                    }
                }
            }
            var candidates: [(iou: Double, a: UInt32, b: UInt32)] = []
            for (key, intersection) in overlap {
                let a = UInt32(key >> 32), b = UInt32(truncatingIfNeeded: key)
                let iou = Double(intersection) / Double(previousArea[a]! + area[b]! - intersection)
                if iou >= threshold { candidates.append((iou, a, b)) }
            }
            candidates.sort { ($0.iou, $1.a, $1.b) > ($1.iou, $0.a, $0.b) }
            var id: [UInt32: UInt32] = [:]
            var linkedPrevious = Set<UInt32>()
            for c in candidates where id[c.b] == nil && !linkedPrevious.contains(c.a) {
                id[c.b] = previousID[c.a]!
                linkedPrevious.insert(c.a)
            }
            for b in area.keys.sorted() where id[b] == nil {
                nextID += 1
                id[b] = nextID
            }
            output.append(slice.map { $0 == 0 ? 0 : id[$0]! })
            previousID = id
        }
        return output
    }
}
