/// Slow, obviously correct twins of the fast code of this module; the tests check that both agree.
public enum Reference {
    /// The minimum-cost assignment by enumerating every injective map of the smaller side into the
    /// larger (only for tiny matrices: min(rows, columns) ≤ 7). Returns the minimal total cost.
    public static func bruteForceAssignment(costs: [Double], rows: Int, columns: Int) -> Double {
        precondition(costs.count == rows * columns)
        guard rows > 0 && columns > 0 else { return 0 }
        let transpose = rows > columns
        let (n, m) = transpose ? (columns, rows) : (rows, columns)
        func cost(_ i: Int, _ j: Int) -> Double { transpose ? costs[j * columns + i] : costs[i * columns + j] }
        var best = Double.infinity
        var used = [Bool](repeating: false, count: m)
        func go(_ i: Int, _ total: Double) {
            if i == n { best = min(best, total); return }
            for j in 0..<m where !used[j] {
                used[j] = true
                go(i + 1, total + cost(i, j))
                used[j] = false
            }
        }
        go(0, 0)
        return best
    }
}

extension Reference {
    /// Instance matching by brute force (only for a few objects: min(nTrue, nPred) ≤ 7): objects as sets of
    /// element indices, IoU from the sets, and every injective assignment tried; returns the best
    /// assignment's number of pairs with IoU ≥ threshold and their summed IoU (maximised in that order).
    /// Labels of any dimension as plain arrays of one length.
    public static func match(prediction: [UInt32], truth: [UInt32], threshold: Double) -> (tp: Int, sumIoU: Double) {
        func objects(_ labels: [UInt32]) -> [Set<Int>] {
            var sets: [UInt32: Set<Int>] = [:]
            for (i, l) in labels.enumerated() where l != 0 { sets[l, default: []].insert(i) }
            return sets.keys.sorted().map { sets[$0]! }
        }
        let t = objects(truth), p = objects(prediction)
        var iou = [[Double]](repeating: [Double](repeating: 0, count: p.count), count: t.count)
        for i in t.indices {
            for j in p.indices {
                let inter = t[i].intersection(p[j]).count
                iou[i][j] = Double(inter) / Double(t[i].count + p[j].count - inter)
            }
        }
        var best = (tp: 0, sumIoU: 0.0)
        var used = [Bool](repeating: false, count: p.count)
        func go(_ i: Int, _ tp: Int, _ sum: Double) {
            if i == t.count {
                if tp > best.tp || (tp == best.tp && sum > best.sumIoU) { best = (tp, sum) }
                return
            }
            go(i + 1, tp, sum)                          // truth i unmatched
            for j in p.indices where !used[j] && iou[i][j] >= threshold {
                used[j] = true
                go(i + 1, tp + 1, sum + iou[i][j])
                used[j] = false
            }
        }
        go(0, 0, 0)
        return best
    }
}
