/// The score table of one (model, method, test set): `scores/{model}/{method}/{set}.tsv` of a results tree.
public struct ScoreKey: Hashable, Sendable, Comparable {
    public var model: String, method: String, set: String
    public init(_ model: String, _ method: String, _ set: String) {
        (self.model, self.method, self.set) = (model, method, set)
    }
    /// The file's path relative to the results folder.
    public var relativePath: String { "scores/\(model)/\(method)/\(set).tsv" }
    public static func < (l: ScoreKey, r: ScoreKey) -> Bool { (l.model, l.method, l.set) < (r.model, r.method, r.set) }
}

/// One picture of a before/after strip, or why it is missing.
public struct StripCell: Equatable, Sendable {
    /// What the picture shows (e.g. `raw`, `SN+Otsu labels`).
    public var caption: String
    /// The picture; nil when missing or unreadable.
    public var thumbnail: Thumbnail?
    /// Why it is missing (e.g. the missing file's path), shown instead of the picture.
    public var problem: String?

    public init(caption: String, thumbnail: Thumbnail?, problem: String? = nil) {
        self.caption = caption
        self.thumbnail = thumbnail
        self.problem = problem
    }
}

/// One test image's strip: its pictures left to right.
public struct StripRow: Equatable, Sendable {
    /// The test image's file name.
    public var name: String
    public var cells: [StripCell]
    public init(name: String, cells: [StripCell]) {
        self.name = name
        self.cells = cells
    }
}

/// Everything the page shows, gathered from a results tree by sn-report (which does the file I/O).
public struct ReportContent: Sendable {
    /// The page's title.
    public var title: String
    /// The results folder, as given (shown in the header).
    public var resultsPath: String
    /// The test sets, in table order.
    public var sets: [String]
    /// Every model found, in ``ModelOrder`` order (`raw` first).
    public var models: [String]
    /// The SaliencyNet model of the Table 2 columns (`--sn`).
    public var snModel: String
    /// The vanilla CycleGAN model (`--vanilla`).
    public var vanillaModel: String
    /// The segmentation method of the heatmaps' cells: `star` or `otsu`.
    public var heatmapMethod: String
    /// The method name of a second star model trained on salient images only, as the paper's StarDist was
    /// (the workflow's `star-salient`): when set, Table 2 gains its raw and SN columns. nil: no such columns.
    public var salientStarMethod: String? = nil
    /// The score tables that were read.
    public var scores: [ScoreKey: ScoreTable]
    /// Why a score table is absent (`missing`, or the parse error), for the tooltips of `–` cells.
    public var scoreProblems: [ScoreKey: String]
    /// The test images of each set (file names, sorted): the heatmap columns' order.
    public var imageNames: [String: [String]]
    /// The before/after strips of each set.
    public var strips: [String: [StripRow]]
    /// `versions.txt`, verbatim; nil when missing.
    public var versions: String?
    /// `config.yaml`, verbatim; nil when missing.
    public var config: String?
    /// One summary per workflow rule, sorted by rule name.
    public var rules: [RuleSummary]
    /// Every missing or unreadable input, one line each (also printed on stderr by sn-report).
    public var problems: [String]
    /// sn-report's `--version` line.
    public var generator: String

    public init(title: String, resultsPath: String, sets: [String], models: [String], snModel: String, vanillaModel: String,
                heatmapMethod: String, scores: [ScoreKey: ScoreTable], scoreProblems: [ScoreKey: String] = [:],
                imageNames: [String: [String]] = [:], strips: [String: [StripRow]] = [:], versions: String? = nil,
                config: String? = nil, rules: [RuleSummary] = [], problems: [String] = [], generator: String = "sn-report") {
        self.title = title
        self.resultsPath = resultsPath
        self.sets = sets
        self.models = models
        self.snModel = snModel
        self.vanillaModel = vanillaModel
        self.heatmapMethod = heatmapMethod
        self.scores = scores
        self.scoreProblems = scoreProblems
        self.imageNames = imageNames
        self.strips = strips
        self.versions = versions
        self.config = config
        self.rules = rules
        self.problems = problems
        self.generator = generator
    }
}

/// The summary of one score table: what a Table 2 cell shows.
public struct CellSummary: Equatable, Sendable {
    /// Geometric-mean IoU of the per-image rows (``ReportStatistics/geometricMeanIoU(_:)``); nil without finite IoUs.
    public var geometricMeanIoU: Double?
    /// Mean F1 of the per-image rows (sn-score's matching threshold, 0.5 by default); nil without finite F1s.
    public var meanF1: Double?
    /// The number of per-image rows with a finite IoU.
    public var images: Int
    /// The table's own summary-row IoU, when it has one (a cross-check of the recomputed value).
    public var summaryRowIoU: Double?

    /// Summarizes `table`: recomputes the geometric mean and the mean F1 from the per-image rows.
    public init(_ table: ScoreTable) {
        let iou = table.column("iou") ?? []
        geometricMeanIoU = ReportStatistics.geometricMeanIoU(iou)
        meanF1 = ReportStatistics.mean(table.column("f1") ?? [])
        images = iou.filter(\.isFinite).count
        summaryRowIoU = table.summaryValue("iou").flatMap { $0.isFinite ? $0 : nil }
    }

    /// Whether the recomputed geometric mean and the summary row disagree by more than `tolerance` (both present).
    public func disagreesWithSummaryRow(tolerance: Double = 5e-6) -> Bool {
        guard let g = geometricMeanIoU, let s = summaryRowIoU else { return false }
        return abs(g - s) > tolerance
    }
}

/// The HTML page of a ``ReportContent``: one self-contained document (inline CSS, inline SVG, PNG thumbnails as
/// `data:` URIs; no script, no external file). Sections: 1 Table 2 analog and the model × set table, 2 IoU
/// heatmaps (Figure 5 analog), 3 SNR box plots (Figure 6 analog), 4 before/after strips, 5 provenance, and the
/// list of missing inputs. Every text from the results tree is escaped (``Markup/escape(_:)``).
public struct ReportPage {
    public var content: ReportContent
    public init(_ content: ReportContent) { self.content = content }

    /// The Table 2 columns: heading, model, method.
    public var table2Columns: [(heading: String, model: String, method: String)] {
        Self.table2Columns(snModel: content.snModel, vanillaModel: content.vanillaModel, salientStarMethod: content.salientStarMethod)
    }

    /// The Table 2 columns (heading, model, method) for the SaliencyNet model `snModel`, the vanilla model
    /// and, when set, the salient-trained star method (two more columns): what the page shows and what
    /// sn-report reads.
    public static func table2Columns(snModel sn: String, vanillaModel vanilla: String,
                                     salientStarMethod: String?) -> [(heading: String, model: String, method: String)] {
        let salient = salientStarMethod.map { [("Star, salient-trained", "raw", $0), ("SN+Star, salient-trained", sn, $0)] } ?? []
        return [("Otsu", "raw", "otsu"), ("SN+Otsu", sn, "otsu"), ("Star", "raw", "star"), ("SN+Star", sn, "star")] + salient
            + [("vanilla+Otsu", vanilla, "otsu"), ("Gaussian σ2+Otsu", "raw", "gauss2-otsu")]
    }

    func e(_ s: String) -> String { Markup.escape(s) }

    func summary(_ key: ScoreKey) -> CellSummary? { content.scores[key].map(CellSummary.init) }

    func missingNote(_ key: ScoreKey) -> String {
        "\(key.relativePath): \(content.scoreProblems[key] ?? "missing")"
    }

    /// The whole document.
    public func html() -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>\(e(content.title))</title>\n<style>\n\(ReportPage.css)</style>\n</head>\n<body>\n"
        h += "<h1>\(e(content.title))</h1>\n"
        h += "<p class=\"meta\">Results: <code>\(e(content.resultsPath))</code> · test sets: \(content.sets.isEmpty ? "none found" : e(content.sets.joined(separator: ", "))) · SaliencyNet model (SN): <code>\(e(content.snModel))</code> · vanilla CycleGAN: <code>\(e(content.vanillaModel))</code> · made by \(e(content.generator))</p>\n"
        if !content.problems.isEmpty {
            h += "<p class=\"warning\">\(content.problems.count) input\(content.problems.count == 1 ? " is" : "s are") missing or unreadable: their cells show “–”. <a href=\"#missing\">The list</a>.</p>\n"
        }
        h += "<nav>1 <a href=\"#table2\">Segmentation scores</a> · 2 <a href=\"#heatmaps\">Per-image IoU</a> · 3 <a href=\"#snr\">SNR before and after</a> · 4 <a href=\"#strips\">Before/after strips</a> · 5 <a href=\"#provenance\">Provenance</a></nav>\n"
        h += table2Section()
        h += heatmapSection()
        h += snrSection()
        h += stripSection()
        h += provenanceSection()
        h += missingSection()
        h += "</body>\n</html>\n"
        return h
    }

    // MARK: 1. Table 2

    func table2Section() -> String {
        let models = Set(content.models)
        var h = "<section id=\"table2\">\n<h2>1. Segmentation scores (Table 2 analog)</h2>\n"
        if !models.contains(content.snModel) {
            h += "<p class=\"warning\">The SaliencyNet model <code>\(e(content.snModel))</code> is not in the results: its columns are empty (choose another with <code>--sn</code>).</p>\n"
        }
        if !models.contains(content.vanillaModel) {
            h += "<p class=\"warning\">The vanilla CycleGAN model <code>\(e(content.vanillaModel))</code> is not in the results.</p>\n"
        }
        h += "<table class=\"scores\">\n<thead><tr><th>test set</th>"
        for c in table2Columns {
            let tip = "\(c.model) images, \(c.method) labels"
            h += "<th title=\"\(e(tip))\">\(e(c.heading))<br><span class=\"sub\">\(e(c.model)) / \(e(c.method))</span></th>"
        }
        h += "</tr></thead>\n<tbody>\n"
        var disagreements: [String] = []
        for set in content.sets {
            let keys = table2Columns.map { ScoreKey($0.model, $0.method, set) }
            let summaries = keys.map(summary)
            let best = summaries.compactMap { $0?.geometricMeanIoU }.max()
            h += "<tr><th>\(e(set))\(set.hasPrefix("real") ? "<sup>†</sup>" : "")</th>"
            for (key, s) in zip(keys, summaries) {
                guard let s, let g = s.geometricMeanIoU else {
                    let note = s == nil ? missingNote(key) : "\(key.relativePath): no per-image IoU"
                    h += "<td class=\"missing\" title=\"\(e(note))\">–</td>"
                    continue
                }
                if s.disagreesWithSummaryRow() {
                    disagreements.append("\(key.relativePath): recomputed \(Format.fixed(g, 6)), summary row \(Format.fixed(s.summaryRowIoU, 6))")
                }
                let cls = g == best ? " class=\"best\"" : ""
                h += "<td\(cls) title=\"\(e(key.relativePath))\"><span class=\"iou\">\(Format.fixed(g))</span> / <span class=\"f1\">\(Format.fixed(s.meanF1))</span><br><span class=\"n\">n = \(s.images)</span></td>"
            }
            h += "</tr>\n"
        }
        if content.sets.isEmpty {
            h += "<tr><td colspan=\"\(table2Columns.count + 1)\" class=\"missing\">no test sets found</td></tr>\n"
        }
        h += "</tbody>\n</table>\n"
        h += "<p class=\"caption\">Each cell: geometric-mean foreground IoU over the set's images (an IoU of 0 counts as 10⁻⁶, as sn-score) / mean F1 of the instance matching at IoU 0.5 (sn-score's threshold); n = images scored. Bold: the best IoU of the row. SN = <code>\(e(content.snModel))</code>. Gaussian σ 2 + Otsu is the classical baseline: the bar. “–”: the score file is missing (hover for its path).</p>\n"
        if let m = content.salientStarMethod {
            h += "<p class=\"caption\">Star, salient-trained (<code>\(e(m))</code>): a second star model, trained on salient images only, as the paper's StarDist was; Star is the workflow's own star model.</p>\n"
        }
        if content.sets.contains(where: { $0.hasPrefix("real") }) {
            h += "<p class=\"caption\">† The reference masks of the real frames come from a segmentation pipeline: the scores measure agreement with it, not accuracy.</p>\n"
        }
        if !disagreements.isEmpty {
            h += "<p class=\"warning\">Recomputed geometric means differ from the files' summary rows: \(e(disagreements.joined(separator: "; "))).</p>\n"
        }
        h += modelTable()
        h += "</section>\n"
        return h
    }

    func modelTable() -> String {
        var h = "<h3>Every model on every set</h3>\n<table class=\"scores compact\">\n<thead><tr><th rowspan=\"2\">model</th>"
        for set in content.sets { h += "<th colspan=\"2\">\(e(set))</th>" }
        h += "</tr>\n<tr>"
        for _ in content.sets { h += "<th class=\"sub\">otsu</th><th class=\"sub\">star</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for model in content.models {
            let sn = model == content.snModel ? " <span class=\"tag\">SN</span>" : ""
            h += "<tr><th>\(e(model))\(sn)</th>"
            for set in content.sets {
                for method in ["otsu", "star"] {
                    let key = ScoreKey(model, method, set)
                    if let g = summary(key)?.geometricMeanIoU {
                        h += "<td title=\"\(e(key.relativePath))\">\(Format.fixed(g))</td>"
                    } else {
                        h += "<td class=\"missing\" title=\"\(e(missingNote(key)))\">–</td>"
                    }
                }
            }
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n"
        h += "<p class=\"caption\">Geometric-mean IoU of Otsu and star-convex segmentation of each model's images (<code>raw</code>: not enhanced; grid models <code>aα-bβ-gγ</code> by the saliency-loss weights α·MSE + β·MGE + γ·(1 − SSIM)).</p>\n"
        return h
    }

    // MARK: 2. Heatmaps

    /// The heatmap of `set`: rows = the models, columns = the set's images (``ReportContent/imageNames`` then any
    /// other image scored), cells = per-image IoU of the heatmap method, summaries = geometric means of star and otsu.
    public func heatmapData(set: String) -> HeatmapData {
        let method = content.heatmapMethod
        var columns = content.imageNames[set] ?? []
        let known = Set(columns)
        var extra = Set<String>()
        for model in content.models {
            for m in [method, "otsu", "star"] {
                for name in content.scores[ScoreKey(model, m, set)]?.names ?? [] where !known.contains(name) { extra.insert(name) }
            }
        }
        columns += extra.sorted()
        let values = content.models.map { model -> [Double] in
            let byName = content.scores[ScoreKey(model, method, set)]?.valuesByName("iou") ?? [:]
            return columns.map { byName[$0] ?? .nan }
        }
        let summaries = content.models.map { model in
            ["star", "otsu"].map { summary(ScoreKey(model, $0, set))?.geometricMeanIoU ?? .nan }
        }
        return HeatmapData(rows: content.models, columns: columns, values: values, summaryColumns: ["GM star", "GM otsu"], summaries: summaries)
    }

    func heatmapSection() -> String {
        var h = "<section id=\"heatmaps\">\n<h2>2. Per-image IoU (Figure 5 analog)</h2>\n"
        for set in content.sets {
            let data = heatmapData(set: set)
            h += "<figure>\n<h3>\(e(set))</h3>\n<div class=\"scroll\">\(Charts.heatmap(data))</div>\n"
            var caption = "Foreground IoU of each test image (columns) segmented by <b>\(e(content.heatmapMethod))</b> after each model (rows; <code>raw</code>: no enhancement). Right: the geometric-mean IoU of star and of Otsu over the set. Gray: no score."
            if data.columns.count > Charts.maximumHeatmapColumns {
                caption += " The set has \(data.columns.count) images: the first \(Charts.maximumHeatmapColumns) are shown (the means cover all)."
            }
            if data.columns.isEmpty { caption += " No image of this set was scored." }
            if set.hasPrefix("real") { caption += " The reference masks of the real frames come from a segmentation pipeline: agreement, not accuracy." }
            h += "<figcaption>\(caption)</figcaption>\n</figure>\n"
        }
        h += "</section>\n"
        return h
    }

    // MARK: 3. SNR

    func snrSection() -> String {
        var h = "<section id=\"snr\">\n<h2>3. Saliency before and after enhancement (Figure 6 analog)</h2>\n<div class=\"row\">\n"
        let before = RGB(0x9e, 0x9e, 0x9e), after = SequentialScale.color(0.6)!
        var notes: [String] = []
        for set in content.sets {
            let rawKey = ScoreKey("raw", "otsu", set), snKey = ScoreKey(content.snModel, "otsu", set)
            var groups: [BoxGroup] = []
            for (key, label, color) in [(rawKey, "before (raw)", before), (snKey, "after (\(content.snModel))", after)] {
                if let table = content.scores[key] {
                    if let snr = table.column("snr") {
                        groups.append(BoxGroup(label: label, values: snr, color: color))
                    } else {
                        groups.append(BoxGroup(label: label, values: [], color: color))
                        notes.append("\(key.relativePath) has no snr column (sn-score was run without --images)")
                    }
                } else {
                    groups.append(BoxGroup(label: label, values: [], color: color))
                    notes.append(missingNote(key))
                }
            }
            h += "<figure>\n<h3>\(e(set))</h3>\n\(Charts.boxPlot(groups, axisLabel: "SNR"))\n</figure>\n"
        }
        h += "</div>\n"
        h += "<p class=\"caption\">SNR = (brightest pixel inside the reference nuclei − mean background) / standard deviation of the background, per image: of the raw images (the <code>snr</code> column of <code>scores/raw/otsu</code>) and of the images enhanced by <code>\(e(content.snModel))</code> (<code>scores/\(e(content.snModel))/otsu</code>). Boxes: quartiles and median; whiskers: the furthest values within 1.5 IQR; dots: the values beyond.</p>\n"
        if !notes.isEmpty { h += "<p class=\"warning\">\(e(notes.joined(separator: "; "))).</p>\n" }
        h += "</section>\n"
        return h
    }

    // MARK: 4. Strips

    func stripSection() -> String {
        var h = "<section id=\"strips\">\n<h2>4. Before and after</h2>\n"
        for set in content.sets {
            let rows = content.strips[set] ?? []
            h += "<h3>\(e(set))</h3>\n"
            if rows.isEmpty { h += "<p class=\"missing\">No test image of this set was found.</p>\n"; continue }
            h += "<table class=\"strip\">\n"
            for row in rows {
                h += "<tr><th>\(e(row.name))</th>"
                for cell in row.cells {
                    h += "<td><figure>"
                    if let t = cell.thumbnail {
                        h += "<img src=\"\(t.dataURI)\" width=\"\(t.width)\" height=\"\(t.height)\" alt=\"\(e(cell.caption))\">"
                    } else {
                        h += "<div class=\"absent\" title=\"\(e(cell.problem ?? "missing"))\">–</div>"
                    }
                    h += "<figcaption>\(e(cell.caption))</figcaption></figure></td>"
                }
                h += "</tr>\n"
            }
            h += "</table>\n"
        }
        h += "<p class=\"caption\">The first images of each set: the raw image and its enhancement by <code>\(e(content.snModel))</code> (each scaled from its 1st to its 99.8th percentile), the labels of Otsu and of star-convex segmentation of the enhanced image, and the reference labels (each object a color). Thumbnails at most 192 px, box-averaged; labels nearest-neighbour.</p>\n</section>\n"
        return h
    }

    // MARK: 5. Provenance

    func provenanceSection() -> String {
        var h = "<section id=\"provenance\">\n<h2>5. Provenance</h2>\n<h3>Tool versions (<code>versions.txt</code>)</h3>\n"
        h += content.versions.map { "<pre>\(e($0))</pre>\n" } ?? "<p class=\"missing\">versions.txt is missing.</p>\n"
        h += "<h3>Configuration (<code>config.yaml</code>)</h3>\n"
        h += content.config.map { "<pre>\(e($0))</pre>\n" } ?? "<p class=\"missing\">config.yaml is missing.</p>\n"
        h += "<h3>Jobs</h3>\n"
        if content.rules.isEmpty {
            h += "<p class=\"missing\">No benchmarks or logs found.</p>\n"
        } else {
            h += "<table class=\"jobs\">\n<thead><tr><th>rule</th><th>jobs</th><th>total s</th><th>median s</th><th>max RSS (MB)</th><th>commands</th><th>first command</th></tr></thead>\n<tbody>\n"
            for r in content.rules {
                h += "<tr><th>\(e(r.rule))</th><td>\(r.jobs)</td><td>\(Format.fixed(r.totalSeconds, 1))</td><td>\(Format.fixed(r.medianSeconds, 2))</td><td>\(Format.fixed(r.maxRSS, 1))</td><td>\(r.commandCount)</td><td><code title=\"\(e(r.firstCommand ?? ""))\">\(e(Format.truncated(r.firstCommand ?? "–", 240)))</code></td></tr>\n"
            }
            h += "</tbody>\n</table>\n"
            h += "<p class=\"caption\">Per rule: jobs = benchmark files; time and peak memory from Snakemake's benchmarks (<code>s</code>, <code>max_rss</code>); commands = the <code>+ </code> lines (bash <code>set -x</code>; <code>set</code> itself left out) of the rule's logs, the first shown (cut at 240 characters; hover for all of it).</p>\n"
        }
        h += "</section>\n"
        return h
    }

    func missingSection() -> String {
        guard !content.problems.isEmpty else { return "" }
        var h = "<section id=\"missing\">\n<h2>Missing or unreadable inputs</h2>\n<ul>\n"
        for p in content.problems { h += "<li>\(e(p))</li>\n" }
        h += "</ul>\n</section>\n"
        return h
    }

    /// The page's style sheet.
    static let css = """
    body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 2em auto; max-width: 1200px; padding: 0 1.5em; line-height: 1.45; }
    h1 { font-size: 1.6em; margin-bottom: 0.2em; }
    h2 { font-size: 1.3em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
    h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
    .meta { color: #555; font-size: 0.9em; }
    nav { font-size: 0.9em; margin: 1em 0; }
    table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.92em; }
    th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: center; vertical-align: middle; }
    thead th { background: #f1f1f1; }
    tbody th { text-align: left; background: #fafafa; font-weight: 600; }
    td.best .iou { font-weight: bold; }
    .n, .sub { color: #666; font-size: 0.82em; font-weight: normal; }
    .missing { color: #999; }
    .tag { background: #21908c; color: #fff; border-radius: 3px; padding: 0 0.3em; font-size: 0.75em; }
    .warning { background: #fff6e0; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; }
    .caption, figcaption { color: #444; font-size: 0.88em; max-width: 60em; }
    figure { margin: 0.6em 1.2em 1em 0; }
    .row { display: flex; flex-wrap: wrap; }
    .scroll { overflow-x: auto; }
    table.strip td, table.strip th { border: none; padding: 0.2em; background: none; }
    table.strip figure { margin: 0; }
    table.strip figcaption { text-align: center; font-size: 0.78em; }
    table.strip img { image-rendering: pixelated; display: block; background: #000; }
    .absent { width: 96px; height: 96px; display: flex; align-items: center; justify-content: center; background: #eee; color: #999; }
    pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
    table.jobs td:last-child { text-align: left; max-width: 40em; overflow-wrap: anywhere; }
    code { font-size: 0.92em; }

    """
}
