import Foundation

/// Number formatting of the report.
public enum Format {
    /// `x` with `digits` decimals (`String(format: "%.*f")`); "–" for nil, NaN or ±∞.
    public static func fixed(_ x: Double?, _ digits: Int = 3) -> String {
        guard let x, x.isFinite else { return "–" }
        return String(format: "%.\(max(0, digits))f", x)
    }

    /// A tick label: the shortest of `%g`-style text with up to 6 significant digits (`0.5`, `12`, `1e+06`).
    public static func tick(_ x: Double) -> String {
        guard x.isFinite else { return "–" }
        return String(format: "%g", x == 0 ? 0 : x)
    }

    /// `text` cut to `limit` characters, the last replaced by `…` when it is longer.
    public static func truncated(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(max(limit - 1, 0))) + "…"
    }
}

/// The data of one IoU heatmap (the Figure 5 analog): a value per (row, column), and per row a few summary
/// values drawn in extra columns at the right.
public struct HeatmapData: Equatable, Sendable {
    /// Row names (models), top to bottom.
    public var rows: [String]
    /// Column names (images), left to right.
    public var columns: [String]
    /// `values[r][c]` in [0, 1]; NaN where missing. `rows.count` arrays of `columns.count` values.
    public var values: [[Double]]
    /// Names of the summary columns (e.g. `GM star`, `GM otsu`).
    public var summaryColumns: [String]
    /// `summaries[r][k]` in [0, 1]; NaN where missing. `rows.count` arrays of `summaryColumns.count` values.
    public var summaries: [[Double]]

    public init(rows: [String], columns: [String], values: [[Double]], summaryColumns: [String], summaries: [[Double]]) {
        precondition(values.count == rows.count && values.allSatisfy { $0.count == columns.count }, "heatmap: values do not fit")
        precondition(summaries.count == rows.count && summaries.allSatisfy { $0.count == summaryColumns.count }, "heatmap: summaries do not fit")
        self.rows = rows
        self.columns = columns
        self.values = values
        self.summaryColumns = summaryColumns
        self.summaries = summaries
    }
}

/// A named sample of one box in a box plot.
public struct BoxGroup: Equatable, Sendable {
    /// The box's label under the axis.
    public var label: String
    /// The values (NaN and ±∞ left out by ``BoxStatistics``).
    public var values: [Double]
    /// The box's fill color.
    public var color: RGB

    public init(label: String, values: [Double], color: RGB) {
        self.label = label
        self.values = values
        self.color = color
    }
}

/// The report's figures as standalone `<svg>` elements (inline in the page; no ids, so several can share it).
/// Every text is escaped with ``Markup/escape(_:)``; coordinates are in CSS pixels.
public enum Charts {
    /// The most columns a heatmap draws; the rest are left out (the caption says so).
    public static let maximumHeatmapColumns = 60

    static func n(_ x: Double) -> String { String(format: "%.1f", x) }

    /// An IoU heatmap: one cell per (row, column) colored by ``SequentialScale`` on [0, 1] (light gray with `–`
    /// where missing), the summary columns at the right with their values written in, and a color legend
    /// below. Cell width: 720 / columns, clamped to 10…36 px (values written in the cells from 30 px on);
    /// cell height 20 px. Only the first ``maximumHeatmapColumns`` columns are drawn. Each cell has a tooltip
    /// (`<title>`) with its row, column and value.
    public static func heatmap(_ data: HeatmapData) -> String {
        let columns = Array(data.columns.prefix(maximumHeatmapColumns))
        let cellW = min(max(720.0 / Double(max(columns.count, 1)), 10), 36), cellH = 20.0
        let labelChars = min(data.rows.map(\.count).max() ?? 4, 24)
        let left = Double(labelChars) * 6.6 + 12
        let columnChars = min(columns.map(\.count).max() ?? 4, 18)
        let top = max(Double(columnChars) * 5.6 + 14, 40)
        let summaryW = 50.0, gap = 10.0
        let gridW = cellW * Double(columns.count)
        let summaryX = left + gridW + gap
        let width = summaryX + summaryW * Double(data.summaryColumns.count) + 10
        let gridBottom = top + cellH * Double(data.rows.count)
        let legendY = gridBottom + 18
        let height = legendY + 44
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        // Column labels, rotated.
        for (c, name) in columns.enumerated() {
            let x = left + cellW * (Double(c) + 0.5), y = top - 6
            s += "<text x=\"\(n(x))\" y=\"\(n(y))\" transform=\"rotate(-60 \(n(x)) \(n(y)))\" font-size=\"9\"><title>\(Markup.escape(name))</title>\(Markup.escape(Format.truncated(name, 18)))</text>\n"
        }
        for (k, name) in data.summaryColumns.enumerated() {
            let x = summaryX + summaryW * (Double(k) + 0.5)
            s += "<text x=\"\(n(x))\" y=\"\(n(top - 6))\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"10\">\(Markup.escape(name))</text>\n"
        }
        for (r, row) in data.rows.enumerated() {
            let y = top + cellH * Double(r)
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(y + cellH / 2 + 4))\" text-anchor=\"end\"><title>\(Markup.escape(row))</title>\(Markup.escape(Format.truncated(row, 24)))</text>\n"
            for (c, column) in columns.enumerated() {
                s += cell(x: left + cellW * Double(c), y: y, w: cellW, h: cellH, value: data.values[r][c],
                          tooltip: "\(row) · \(column)", writeValue: cellW >= 30, digits: 2)
            }
            for (k, name) in data.summaryColumns.enumerated() {
                s += cell(x: summaryX + summaryW * Double(k), y: y, w: summaryW, h: cellH, value: data.summaries[r][k],
                          tooltip: "\(row) · \(name)", writeValue: true, digits: 3)
            }
        }
        // Frame around the grid.
        if !columns.isEmpty && !data.rows.isEmpty {
            s += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(gridW))\" height=\"\(n(gridBottom - top))\" fill=\"none\" stroke=\"#888\" stroke-width=\"0.5\"/>\n"
        }
        s += legend(x: left, y: legendY, width: 200, label: "IoU")
        s += "</svg>"
        return s
    }

    static func cell(x: Double, y: Double, w: Double, h: Double, value: Double, tooltip: String, writeValue: Bool, digits: Int) -> String {
        let color = SequentialScale.color(value)
        let fill = color?.hex ?? "#e6e6e6"
        let text = Format.fixed(value, digits)
        var s = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill)\" stroke=\"#fff\" stroke-width=\"0.5\"><title>\(Markup.escape(tooltip)): \(color == nil ? "missing" : text)</title></rect>\n"
        if writeValue || color == nil {
            let ink = color.map { $0.brightness < 0.5 ? "#fff" : "#000" } ?? "#777"
            s += "<text x=\"\(n(x + w / 2))\" y=\"\(n(y + h / 2 + 3.5))\" text-anchor=\"middle\" font-size=\"9\" fill=\"\(ink)\" pointer-events=\"none\">\(text)</text>\n"
        }
        return s
    }

    /// A horizontal color legend of ``SequentialScale`` on [0, 1]: 50 adjacent rectangles, ticks at 0, 0.25, …, 1,
    /// `label` at the right, and a light-gray swatch meaning "missing".
    static func legend(x: Double, y: Double, width: Double, label: String) -> String {
        var s = ""
        let steps = 50
        for i in 0..<steps {
            let t = (Double(i) + 0.5) / Double(steps)
            s += "<rect x=\"\(n(x + width * Double(i) / Double(steps)))\" y=\"\(n(y))\" width=\"\(n(width / Double(steps) + 0.3))\" height=\"12\" fill=\"\(SequentialScale.color(t)!.hex)\"/>\n"
        }
        for t in [0, 0.25, 0.5, 0.75, 1.0] {
            let tx = x + width * t
            s += "<line x1=\"\(n(tx))\" y1=\"\(n(y + 12))\" x2=\"\(n(tx))\" y2=\"\(n(y + 16))\" stroke=\"#333\"/>\n"
            s += "<text x=\"\(n(tx))\" y=\"\(n(y + 27))\" text-anchor=\"middle\" font-size=\"9\">\(Format.tick(t))</text>\n"
        }
        s += "<text x=\"\(n(x + width + 8))\" y=\"\(n(y + 10))\" font-size=\"10\">\(Markup.escape(label))</text>\n"
        let mx = x + width + 40
        s += "<rect x=\"\(n(mx))\" y=\"\(n(y))\" width=\"14\" height=\"12\" fill=\"#e6e6e6\"/>\n"
        s += "<text x=\"\(n(mx + 18))\" y=\"\(n(y + 10))\" font-size=\"10\">missing</text>\n"
        return s
    }

    /// A vertical box plot, one box per group (``BoxStatistics``): box from Q1 to Q3 with the median as a thick
    /// line, whiskers to the most extreme values within 1.5 IQR, the values beyond as open dots; a y axis with
    /// round ticks (``ReportStatistics/niceTicks(low:high:count:)``) labelled `axisLabel`; under each box its label
    /// and n. A group without finite values gets "no data" in its place.
    public static func boxPlot(_ groups: [BoxGroup], axisLabel: String) -> String {
        let stats = groups.map { BoxStatistics($0.values) }
        let all = stats.compactMap { $0 }.flatMap { [$0.minimum, $0.maximum] }
        let ticks = ReportStatistics.niceTicks(low: all.min() ?? 0, high: all.max() ?? 1, count: 6)
        let lo = ticks.first!, hi = ticks.last!
        let slot = 140.0, left = 58.0, top = 14.0, plotH = 200.0, bottom = 44.0
        let width = left + slot * Double(max(groups.count, 1)) + 10, height = top + plotH + bottom
        func y(_ v: Double) -> Double { top + plotH * (1 - (v - lo) / (hi - lo)) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"boxplot\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        for t in ticks {
            let ty = y(t)
            s += "<line x1=\"\(n(left))\" y1=\"\(n(ty))\" x2=\"\(n(width - 10))\" y2=\"\(n(ty))\" stroke=\"#e4e4e4\"/>\n"
            s += "<line x1=\"\(n(left - 4))\" y1=\"\(n(ty))\" x2=\"\(n(left))\" y2=\"\(n(ty))\" stroke=\"#333\"/>\n"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(ty + 3.5))\" text-anchor=\"end\" font-size=\"10\">\(Format.tick(t))</text>\n"
        }
        s += "<line x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(top + plotH))\" stroke=\"#333\"/>\n"
        let ay = top + plotH / 2
        s += "<text x=\"14\" y=\"\(n(ay))\" transform=\"rotate(-90 14 \(n(ay)))\" text-anchor=\"middle\">\(Markup.escape(axisLabel))</text>\n"
        for (g, group) in groups.enumerated() {
            let cx = left + slot * (Double(g) + 0.5), half = 24.0
            s += "<text x=\"\(n(cx))\" y=\"\(n(top + plotH + 16))\" text-anchor=\"middle\"><title>\(Markup.escape(group.label))</title>\(Markup.escape(Format.truncated(group.label, 24)))</text>\n"
            guard let b = stats[g] else {
                s += "<text x=\"\(n(cx))\" y=\"\(n(top + plotH / 2))\" text-anchor=\"middle\" fill=\"#777\">no data</text>\n"
                s += "<text x=\"\(n(cx))\" y=\"\(n(top + plotH + 30))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">n = 0</text>\n"
                continue
            }
            s += "<text x=\"\(n(cx))\" y=\"\(n(top + plotH + 30))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">n = \(b.count)</text>\n"
            let tip = "\(group.label): median \(Format.fixed(b.median, 2)), Q1 \(Format.fixed(b.q1, 2)), Q3 \(Format.fixed(b.q3, 2)), n = \(b.count)"
            s += "<line x1=\"\(n(cx))\" y1=\"\(n(y(b.upperWhisker)))\" x2=\"\(n(cx))\" y2=\"\(n(y(b.q3)))\" stroke=\"#333\"/>\n"
            s += "<line x1=\"\(n(cx))\" y1=\"\(n(y(b.q1)))\" x2=\"\(n(cx))\" y2=\"\(n(y(b.lowerWhisker)))\" stroke=\"#333\"/>\n"
            for w in [b.upperWhisker, b.lowerWhisker] {
                s += "<line x1=\"\(n(cx - half / 2))\" y1=\"\(n(y(w)))\" x2=\"\(n(cx + half / 2))\" y2=\"\(n(y(w)))\" stroke=\"#333\"/>\n"
            }
            s += "<rect x=\"\(n(cx - half))\" y=\"\(n(y(b.q3)))\" width=\"\(n(2 * half))\" height=\"\(n(max(y(b.q1) - y(b.q3), 0.5)))\" fill=\"\(group.color.hex)\" fill-opacity=\"0.55\" stroke=\"#333\"><title>\(Markup.escape(tip))</title></rect>\n"
            s += "<line x1=\"\(n(cx - half))\" y1=\"\(n(y(b.median)))\" x2=\"\(n(cx + half))\" y2=\"\(n(y(b.median)))\" stroke=\"#000\" stroke-width=\"2\"/>\n"
            for o in b.outliers {
                s += "<circle cx=\"\(n(cx))\" cy=\"\(n(y(o)))\" r=\"2.5\" fill=\"none\" stroke=\"#333\"><title>\(Format.fixed(o, 2))</title></circle>\n"
            }
        }
        s += "</svg>"
        return s
    }
}
