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
