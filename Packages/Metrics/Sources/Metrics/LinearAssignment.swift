/// Minimum-cost one-to-one assignment (the linear sum assignment problem) on a dense rectangular cost
/// matrix, by the Hungarian method in its shortest-augmenting-path form with dual potentials (Kuhn 1955,
/// Munkres 1957; the O(n²m) formulation of Jonker & Volgenant 1987 without their initialisation
/// heuristics). Every row of the smaller side is assigned; the total cost Σ cost[i, col(i)] is minimal.
/// Same optimum as `scipy.optimize.linear_sum_assignment` (which assignment is returned among equal
/// optima may differ). The slow twin is ``Reference/bruteForceAssignment(costs:rows:columns:)``.
public enum LinearAssignment {
    /// The optimal assignment for the row-major `rows` × `columns` matrix `costs` (finite values):
    /// `min(rows, columns)` pairs (row, column), sorted by row.
    public static func solve(costs: [Double], rows: Int, columns: Int) -> [(row: Int, column: Int)] {
        precondition(costs.count == rows * columns, "LinearAssignment: \(costs.count) costs for \(rows) x \(columns)")
        guard rows > 0 && columns > 0 else { return [] }
        if rows > columns {
            // Transpose so that rows ≤ columns.
            var t = [Double](repeating: 0, count: costs.count)
            for i in 0..<rows { for j in 0..<columns { t[j * rows + i] = costs[i * columns + j] } }
            return solve(costs: t, rows: columns, columns: rows).map { (row: $0.column, column: $0.row) }.sorted { $0.row < $1.row }
        }
        let n = rows, m = columns
        // 1-based arrays as in the classic formulation; column 0 is a virtual start.
        var u = [Double](repeating: 0, count: n + 1)     // row potentials
        var v = [Double](repeating: 0, count: m + 1)     // column potentials
        var rowOfColumn = [Int](repeating: 0, count: m + 1)
        var way = [Int](repeating: 0, count: m + 1)
        var minimum = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        for i in 1...n {
            rowOfColumn[0] = i
            var j0 = 0
            for j in 0...m { minimum[j] = .infinity; used[j] = false }
            repeat {
                used[j0] = true
                let i0 = rowOfColumn[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let reduced = costs[(i0 - 1) * m + (j - 1)] - u[i0] - v[j]
                    if reduced < minimum[j] { minimum[j] = reduced; way[j] = j0 }
                    if minimum[j] < delta { delta = minimum[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[rowOfColumn[j]] += delta; v[j] -= delta } else { minimum[j] -= delta }
                }
                j0 = j1
            } while rowOfColumn[j0] != 0
            repeat {
                let j1 = way[j0]
                rowOfColumn[j0] = rowOfColumn[j1]
                j0 = j1
            } while j0 != 0
        }
        var pairs: [(row: Int, column: Int)] = []
        for j in 1...m where rowOfColumn[j] != 0 { pairs.append((row: rowOfColumn[j] - 1, column: j - 1)) }
        return pairs.sorted { $0.row < $1.row }
    }
}
