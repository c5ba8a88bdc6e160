/// One sn-score TSV table: the per-image rows, read by column name.
///
/// The format (sn-score's TSV output): a header line of tab-separated column names, starting with `name`
/// (`name iou n_true n_pred tp fp fn precision recall f1 accuracy mean_matched_iou panoptic_quality [snr] [...]`),
/// then one row per image, then a row named `summary`. Columns are found by their header name, so extra or
/// reordered columns are fine and a missing one reads as absent (nil), never as a crash.
///
/// Cells: a number as Swift's `Double(_:)` reads it (`0.75`, `1e-6`, `nan`, `inf`); `NA`, `-`, an empty
/// cell, a missing cell (short row) or any other text read as NaN. Blank lines and lines starting with `#`
/// are skipped. A line with fewer cells than the header is padded with NaN.
public struct ScoreTable: Equatable, Sendable {
    /// One per-image row.
    public struct Row: Equatable, Sendable {
        /// The image's file name (the `name` column).
        public var name: String
        /// The row's numbers, one per header column after `name` (NaN where the cell is not a number).
        public var values: [Double]
    }

    /// The column names after `name`, in file order.
    public private(set) var columns: [String]
    /// The per-image rows, in file order (the `summary` row excluded).
    public private(set) var rows: [Row]
    /// The `summary` row, when the table has one.
    public private(set) var summary: Row?

    /// Builds a table from its parts. `values` of every row must have `columns.count` entries.
    public init(columns: [String], rows: [Row], summary: Row? = nil) {
        precondition(rows.allSatisfy { $0.values.count == columns.count }, "row length differs from the header")
        self.columns = columns
        self.rows = rows
        self.summary = summary
    }

    /// Why a text is not an sn-score table.
    public struct FormatError: Error, Equatable, CustomStringConvertible {
        /// One line saying what is wrong, e.g. `no header line`.
        public let message: String
        public var description: String { message }
    }

    /// Parses sn-score's TSV output.
    /// - Throws: ``FormatError`` when there is no header line or its first column is not `name`.
    public init(tsv text: String) throws {
        var lines = text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            .map { String($0) }
            .filter { !$0.trimmingWhitespace().isEmpty && !$0.hasPrefix("#") }
        guard !lines.isEmpty else { throw FormatError(message: "no header line (empty table)") }
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        guard header.first == "name" else {
            throw FormatError(message: "the header's first column is '\(header.first ?? "")', not 'name'")
        }
        columns = Array(header.dropFirst())
        rows = []
        summary = nil
        for line in lines {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            let values = (0..<columns.count).map { i in i + 1 < cells.count ? ScoreTable.number(cells[i + 1]) : .nan }
            let row = Row(name: cells[0], values: values)
            if row.name == "summary" { summary = row } else { rows.append(row) }
        }
    }

    /// A cell's number: `Double(text)`, NaN for `NA`, `-`, empty or other text.
    public static func number(_ text: String) -> Double {
        Double(text) ?? .nan
    }

    /// Whether the table has the column `name`.
    public func hasColumn(_ name: String) -> Bool { columns.contains(name) }

    /// The per-image values of column `name` in row order (NaN where a cell is not a number); nil when the
    /// table has no such column.
    public func column(_ name: String) -> [Double]? {
        guard let i = columns.firstIndex(of: name) else { return nil }
        return rows.map { $0.values[i] }
    }

    /// The summary row's value of column `name`; nil without a summary row or such a column.
    public func summaryValue(_ name: String) -> Double? {
        guard let summary, let i = columns.firstIndex(of: name) else { return nil }
        return summary.values[i]
    }

    /// The per-image values of column `name` by image name (the first row wins for a repeated name);
    /// empty when there is no such column.
    public func valuesByName(_ name: String) -> [String: Double] {
        guard let values = column(name) else { return [:] }
        var result: [String: Double] = [:]
        for (row, value) in zip(rows, values) where result[row.name] == nil { result[row.name] = value }
        return result
    }

    /// The per-image row names, in row order.
    public var names: [String] { rows.map(\.name) }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
