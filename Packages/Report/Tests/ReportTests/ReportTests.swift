import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ImageCore
import Testing
@testable import Report

/// Whether `text` is well-formed XML (Foundation's XMLParser, libxml2 on Linux); the parser's error otherwise.
func xmlProblem(_ text: String) -> String? {
    let parser = XMLParser(data: Data(text.utf8))
    return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "parse failed") at line \(parser.lineNumber)"
}

@Suite struct ScoreTableTests {
    let snScore = """
        name\tiou\tn_true\tn_pred\ttp\tfp\tfn\tprecision\trecall\tf1\taccuracy\tmean_matched_iou\tpanoptic_quality\tsnr
        a.tif\t0.500000\t10\t9\t8\t1\t2\t0.888889\t0.800000\t0.842105\t0.727273\t0.700000\t0.589474\t3.500000
        b.tif\t0.000000\t4\t0\t0\t0\t4\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\t0.000000\tNA
        summary\t0.000707\t14\t9\t8\t1\t6\t0.444444\t0.400000\t0.421053\t0.363636\t0.350000\t0.294737\t3.500000

        """

    @Test func readsColumnsByName() throws {
        let t = try ScoreTable(tsv: snScore)
        #expect(t.names == ["a.tif", "b.tif"])
        #expect(t.column("iou") == [0.5, 0])
        #expect(t.column("f1") == [0.842105, 0])
        let snr = try #require(t.column("snr"))
        #expect(snr[0] == 3.5 && snr[1].isNaN)
        #expect(t.summaryValue("iou") == 0.000707)
        #expect(t.column("estimated_diameter_px") == nil)
        #expect(!t.hasColumn("nope") && t.hasColumn("snr"))
    }

    @Test func reorderedAndMissingColumnsAndShortRows() throws {
        let t = try ScoreTable(tsv: "# comment\nname\tf1\tiou\r\nx.tif\t0.5\t0.25\r\ny.tif\t-\r\n\nz.tif\tnan\t\n")
        #expect(t.columns == ["f1", "iou"])
        let iou = try #require(t.column("iou"))
        #expect(iou[0] == 0.25 && iou[1].isNaN && iou[2].isNaN)
        let f1 = try #require(t.column("f1"))
        #expect(f1[0] == 0.5 && f1[1].isNaN && f1[2].isNaN)
        #expect(t.summary == nil && t.summaryValue("iou") == nil)
        #expect(t.column("snr") == nil)
        #expect(t.valuesByName("iou")["x.tif"] == 0.25)
    }

    @Test func rejectsWhatIsNotATable() {
        #expect(throws: ScoreTable.FormatError.self) { try ScoreTable(tsv: "") }
        #expect(throws: ScoreTable.FormatError.self) { try ScoreTable(tsv: "\n# only a comment\n") }
        #expect(throws: ScoreTable.FormatError.self) { try ScoreTable(tsv: "image\tiou\na\t1\n") }
    }

    @Test func headerOnly() throws {
        let t = try ScoreTable(tsv: "name\tiou\tf1\n")
        #expect(t.rows.isEmpty)
        #expect(t.column("iou") == [])
        #expect(CellSummary(t).geometricMeanIoU == nil && CellSummary(t).images == 0)
    }
}

@Suite struct StatisticsTests {
    /// sn-score's summary IoU: exp(mean log max(IoU, 1e-6)) (Metrics.Scores.geometricMean), here as the n-th root of a product.
    @Test func geometricMeanIsSnScoresDefinition() {
        var rng = TestRandom(state: 11)
        for _ in 0..<200 {
            let n = 1 + rng.int(12)
            let v = (0..<n).map { _ in rng.uniform() < 0.15 ? 0 : rng.uniform() }
            let product = v.map { max($0, 1e-6) }.reduce(1, *)
            let expected = pow(product, 1 / Double(n))
            let g = ReportStatistics.geometricMeanIoU(v)!
            #expect(abs(g - expected) <= 1e-12 * max(1, expected), "\(v)")
        }
        #expect(ReportStatistics.geometricMeanIoU([]) == nil)
        #expect(ReportStatistics.geometricMeanIoU([.nan, .infinity]) == nil)
        #expect(ReportStatistics.geometricMeanIoU([0.5]) == 0.5)
        #expect(abs(ReportStatistics.geometricMeanIoU([0, 1])! - 1e-3) < 1e-15)
        // NaN (a missing cell) is left out, not counted as 0.
        #expect(ReportStatistics.geometricMeanIoU([0.25, .nan, 1]) == 0.5)
    }

    @Test func summaryOfAnSnScoreTableMatchesItsSummaryRow() throws {
        let t = try ScoreTable(tsv: ScoreTableTests().snScore)
        let s = CellSummary(t)
        #expect(abs(s.geometricMeanIoU! - 0.000707) < 5e-7)
        #expect(!s.disagreesWithSummaryRow(tolerance: 1e-6))
        #expect(abs(s.meanF1! - 0.4210525) < 1e-9)
        #expect(s.images == 2)
    }

    @Test func meanMedianQuantileDegenerate() {
        #expect(ReportStatistics.mean([]) == nil)
        #expect(ReportStatistics.median([.nan]) == nil)
        #expect(ReportStatistics.median([3]) == 3)
        #expect(ReportStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(ReportStatistics.quantile(0.25, of: [1, 2, 3, 4, 5]) == 2)
        #expect(ReportStatistics.quantile(0.1, of: [0, 10]) == 1)
        #expect(ReportStatistics.quantile(2, of: [0, 10]) == 10)
        #expect(ReportStatistics.mean([1, .nan, 3]) == 2)
    }

    /// The obviously correct twin: sort, then interpolate between the ranks around (n − 1)·q.
    func slowQuantile(_ values: [Double], _ q: Double) -> Double {
        let s = values.sorted()
        let position = q * Double(s.count - 1)
        let below = Int(position), above = min(below + 1, s.count - 1)
        let weight = position - Double(below)
        return s[below] * (1 - weight) + s[above] * weight
    }

    @Test func boxStatisticsAgreeWithSlowTwin() throws {
        var rng = TestRandom(state: 99)
        for trial in 0..<500 {
            let n = 1 + rng.int(40)
            var v = (0..<n).map { _ in (rng.uniform() * 20).rounded() / 2 }
            if trial % 3 == 0 { v += [100, -50].prefix(rng.int(3)) }  // outliers
            if trial % 5 == 0 { v.append(.nan) }
            let finite = v.filter(\.isFinite)
            let b = try #require(BoxStatistics(v))
            let q1 = slowQuantile(finite, 0.25), med = slowQuantile(finite, 0.5), q3 = slowQuantile(finite, 0.75)
            #expect(abs(b.q1 - q1) < 1e-9 && abs(b.median - med) < 1e-9 && abs(b.q3 - q3) < 1e-9, "\(finite)")
            let iqr = q3 - q1
            var lower = Double.infinity, upper = -Double.infinity
            for x in finite {
                if x >= q1 - 1.5 * iqr { lower = min(lower, x) }
                if x <= q3 + 1.5 * iqr { upper = max(upper, x) }
            }
            lower = min(lower, q1)
            upper = max(upper, q3)
            #expect(b.lowerWhisker == lower && b.upperWhisker == upper, "\(finite)")
            #expect(b.outliers == finite.filter { $0 < lower || $0 > upper }.sorted())
            #expect(b.count == finite.count && b.excluded == v.count - finite.count)
            #expect(b.lowerWhisker <= b.q1 && b.q1 <= b.median + 1e-12 && b.median <= b.q3 + 1e-12 && b.q3 <= b.upperWhisker, "\(finite)")
        }
        #expect(BoxStatistics([]) == nil)
        #expect(BoxStatistics([.nan, -.infinity]) == nil)
        let one = try #require(BoxStatistics([7]))
        #expect(one.q1 == 7 && one.q3 == 7 && one.lowerWhisker == 7 && one.upperWhisker == 7 && one.outliers.isEmpty)
        let skewed = try #require(BoxStatistics([0, 0, 10, 100]))
        #expect(skewed.q3 == 32.5 && skewed.upperWhisker == 32.5 && skewed.outliers == [100])
    }

    @Test func niceTicksCoverTheRangeWithRoundSteps() {
        var rng = TestRandom(state: 3)
        for _ in 0..<300 {
            let a = (rng.uniform() - 0.5) * pow(10, Double(rng.int(8)) - 3), b = a + rng.uniform() * pow(10, Double(rng.int(8)) - 3)
            let t = ReportStatistics.niceTicks(low: a, high: b, count: 6)
            #expect(t.count >= 2 && t.count <= 13, "\(a) \(b) \(t)")
            #expect(t.first! <= a + 1e-9 * abs(a) && t.last! >= b - 1e-9 * abs(b), "\(a) \(b) \(t)")
            let step = t[1] - t[0]
            let mantissa = step / pow(10, log10(step).rounded(.down))
            #expect([1.0, 2, 5, 10].contains { abs(mantissa - $0) < 1e-6 }, "\(t)")
        }
        #expect(ReportStatistics.niceTicks(low: 3, high: 3).count >= 2)
        #expect(ReportStatistics.niceTicks(low: .nan, high: 1) == ReportStatistics.niceTicks(low: 0, high: 1))
        #expect(ReportStatistics.niceTicks(low: 0, high: 1, count: 6) == [0, 0.2, 0.4, 0.6, 0.8, 1])
    }
}

@Suite struct EncodingTests {
    @Test func base64AgreesWithFoundation() {
        var rng = TestRandom(state: 7)
        for n in 0..<200 {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString(), "n = \(n)")
        }
        #expect(Base64.dataURI([0xFF]) == "data:image/png;base64,/w==")
    }

    @Test func escapingCoversMarkupAndControls() {
        #expect(Markup.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;")
        #expect(Markup.escape("x\u{01}y\tz\n") == "x\u{FFFD}y\tz\n")
        #expect(Markup.escape("σ2 – ü") == "σ2 – ü")
    }

    @Test func checksumsMatchKnownValues() {
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGEncoder.crc32([]) == 0)
        #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNGEncoder.adler32([]) == 1)
        let big = [UInt8](repeating: 255, count: 100_000)
        // Slow Adler-32: reduce after every byte.
        var a: UInt32 = 1, b: UInt32 = 0
        for x in big { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        #expect(PNGEncoder.adler32(big) == b << 16 | a)
    }

    @Test func deflateRoundTripsThroughAnIndependentInflater() throws {
        var rng = TestRandom(state: 21)
        var inputs: [[UInt8]] = [[], [0], Array("abcabcabcabcabcabc".utf8), [UInt8](repeating: 9, count: 1000),
                                 (0..<70_000).map { UInt8($0 % 251) }]
        for _ in 0..<30 {
            let n = rng.int(5000)
            let alphabet = 1 + rng.int(256)
            inputs.append((0..<n).map { _ in UInt8(rng.int(alphabet)) })
        }
        // Long runs and long-distance repeats (matches of 258, distances near 32 KiB).
        let block = (0..<30_000).map { _ in UInt8(rng.int(256)) }
        inputs.append(block + [UInt8](repeating: 1, count: 600) + block)
        for input in inputs {
            let packed = PNGEncoder.deflate(input)
            #expect(try SlowPNGDecoder.inflate(packed) == input, "n = \(input.count)")
        }
        #expect(PNGEncoder.deflate([UInt8](repeating: 0, count: 10_000)).count < 200)
    }

    @Test func grayAndPalettePNGsDecode() throws {
        var rng = TestRandom(state: 5)
        for (w, h) in [(1, 1), (3, 2), (17, 9), (64, 64)] {
            let gray = (0..<(w * h)).map { i in UInt8(truncatingIfNeeded: (i % w) * 7 + (i / w) * 3 + rng.int(4)) }
            let g = try SlowPNGDecoder.decode(PNGEncoder.gray(gray, width: w, height: h))
            #expect(g.width == w && g.height == h && g.colorType == 0 && g.samples == gray)
            let indices = (0..<(w * h)).map { _ in UInt8(rng.int(256)) }
            let p = try SlowPNGDecoder.decode(PNGEncoder.palette(indices, width: w, height: h, palette: LabelColors.palette))
            #expect(p.colorType == 3 && p.samples == indices && p.palette == LabelColors.palette)
        }
    }
}

@Suite struct ColorAndThumbnailTests {
    @Test func sequentialScaleEndsAndRisesInBrightness() {
        #expect(SequentialScale.color(0) == SequentialScale.stops.first)
        #expect(SequentialScale.color(1) == SequentialScale.stops.last)
        #expect(SequentialScale.color(-3) == SequentialScale.stops.first)
        #expect(SequentialScale.color(7) == SequentialScale.stops.last)
        #expect(SequentialScale.color(.nan) == nil)
        let b = (0...100).map { SequentialScale.color(Double($0) / 100)!.brightness }
        #expect(zip(b, b.dropFirst()).allSatisfy { $0 <= $1 + 0.01 }, "\(b)")
        #expect(RGB(255, 0, 16).hex == "#ff0010")
    }

    @Test func labelColors() {
        #expect(LabelColors.index(0) == 0 && LabelColors.color(0) == RGB(0, 0, 0))
        #expect(LabelColors.palette.count == 256)
        var used = Set<UInt8>()
        for l in UInt32(1)...2000 {
            let i = LabelColors.index(l)
            #expect(i >= 1)
            used.insert(i)
        }
        #expect(used.count > 240)
        #expect(LabelColors.palette.dropFirst().allSatisfy { $0.brightness > 0.25 })
        #expect(LabelColors.index(1) != LabelColors.index(2))
    }

    @Test func thumbnailSizes() {
        #expect(Thumbnail.factor(width: 100, height: 50, maxSide: 192) == 1)
        #expect(Thumbnail.factor(width: 192, height: 192, maxSide: 192) == 1)
        #expect(Thumbnail.factor(width: 193, height: 10, maxSide: 192) == 2)
        #expect(Thumbnail.factor(width: 500, height: 1200, maxSide: 192) == 7)
        let t = Thumbnail.intensity(ImagePlane(width: 500, height: 300, repeating: 1))
        #expect(t.width == 167 && t.height == 100)
    }

    @Test func intensityThumbnailIsNormalizedBoxAverage() throws {
        // 4 x 2 image, maxSide 2: f = 2, blocks of 2 x 2.
        let plane = ImagePlane(width: 4, height: 2, pixels: [0, 0, 10, 10, 0, .nan, 10, 10])
        let t = Thumbnail.intensity(plane, maxSide: 2)
        let d = try SlowPNGDecoder.decode(t.png)
        #expect(d.width == 2 && d.height == 1)
        let n = IntensityNormalization.percentiles(of: plane.pixels, low: 1, high: 99.8)
        let expected = [0.0, 10.0].map { UInt8((min(max(($0 - Double(n.low)) / Double(n.high - n.low), 0), 1) * 255).rounded()) }
        #expect(d.samples == expected)
        // Constant and all-NaN images are black, not a crash.
        #expect(try SlowPNGDecoder.decode(Thumbnail.intensity(ImagePlane(width: 3, height: 3, repeating: 5)).png).samples.allSatisfy { $0 == 0 })
        #expect(try SlowPNGDecoder.decode(Thumbnail.intensity(ImagePlane(width: 2, height: 1, pixels: [.nan, .nan])).png).samples == [0, 0])
    }

    @Test func labelThumbnailIsNearest() throws {
        let image = LabelImage(width: 4, height: 4, labels: [1, 1, 2, 2, 1, 1, 2, 2, 0, 0, 3, 3, 0, 0, 3, 3])
        let d = try SlowPNGDecoder.decode(Thumbnail.labels(image, maxSide: 2).png)
        #expect(d.width == 2 && d.height == 2)
        #expect(d.samples == [1, 2, 0, 3].map { LabelColors.index($0) })
    }
}

@Suite struct ProvenanceTests {
    @Test func benchmarks() {
        let text = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n12.5\t0:00:12\t150.2\t300\tNA\t-\t0\t0\t0\t11\n"
        #expect(BenchmarkRecord.parse(text) == [BenchmarkRecord(seconds: 12.5, maxRSS: 150.2)])
        #expect(BenchmarkRecord.parse("s\tmax_rss\nNA\t-\n") == [BenchmarkRecord(seconds: nil, maxRSS: nil)])
        #expect(BenchmarkRecord.parse("") == [])
        #expect(BenchmarkRecord.parse("s\tmax_rss\n") == [])
        #expect(BenchmarkRecord.parse("max_rss\n5\n") == [BenchmarkRecord(seconds: nil, maxRSS: 5)])
    }

    @Test func logsAndRules() {
        let log = "+ set -euo pipefail\n+ sn-segment --method otsu --out x a.tif\nsn-segment: note\n++ date\n+ sn-score --truth m\n+ settle\n+ set +x\n"
        #expect(JobLog.commands(log) == ["sn-segment --method otsu --out x a.tif", "sn-score --truth m", "settle"])
        let r = RuleSummary(rule: "segment", benchmarks: [[BenchmarkRecord(seconds: 2, maxRSS: 10)], [BenchmarkRecord(seconds: 4, maxRSS: nil)],
                                                          [BenchmarkRecord(seconds: nil, maxRSS: 30)]],
                            logs: ["no commands\n", log, "+ other\n"])
        #expect(r.jobs == 3 && r.logs == 3 && r.totalSeconds == 6 && r.medianSeconds == 3 && r.maxRSS == 30)
        #expect(r.firstCommand == "sn-segment --method otsu --out x a.tif" && r.commandCount == 4)
        let empty = RuleSummary(rule: "x", benchmarks: [], logs: [])
        #expect(empty.totalSeconds == nil && empty.medianSeconds == nil && empty.maxRSS == nil && empty.firstCommand == nil)
    }

    @Test func modelOrder() {
        #expect(ModelOrder.gridWeights("a0.2-b0.2-g0.6")! == (0.2, 0.2, 0.6))
        #expect(ModelOrder.gridWeights("a0.2-b0.2") == nil)
        #expect(ModelOrder.gridWeights("a0.2-bx-g1") == nil)
        #expect(ModelOrder.gridWeights("vanilla") == nil)
        let models = ["shipped", "a1-b0-g0", "vanilla", "a0.2-b0.2-g0.6", "raw", "a0.2-b0-g0.8", "a0.05-b0.5-g0.45", "zzz", "raw"]
        #expect(ModelOrder.sorted(models) == ["raw", "vanilla", "a0.05-b0.5-g0.45", "a0.2-b0-g0.8", "a0.2-b0.2-g0.6", "a1-b0-g0", "shipped", "zzz"])
        #expect(ModelOrder.sorted(["b", "cyc", "raw"], vanilla: "cyc") == ["raw", "cyc", "b"])
        #expect(ModelOrder.sorted([]) == [])
    }
}

@Suite struct PageTests {
    static func table(_ ious: [Double], f1: [Double], snr: [Double]? = nil, names: [String]? = nil) -> ScoreTable {
        let names = names ?? ious.indices.map { "img\($0).tif" }
        let columns = ["iou", "f1"] + (snr == nil ? [] : ["snr"])
        let rows = ious.indices.map { i in ScoreTable.Row(name: names[i], values: [ious[i], f1[i]] + (snr.map { [$0[i]] } ?? [])) }
        return ScoreTable(columns: columns, rows: rows)
    }

    static func content(problems: [String] = []) -> ReportContent {
        let sn = "a0.2-b0.2-g0.6"
        var scores: [ScoreKey: ScoreTable] = [:]
        scores[ScoreKey("raw", "otsu", "synth-low")] = table([0.5, 0.125], f1: [0.4, 0.6], snr: [1, 2])
        scores[ScoreKey(sn, "otsu", "synth-low")] = table([0.8, 0.8], f1: [0.9, 0.7], snr: [5, 6])
        scores[ScoreKey(sn, "star", "synth-low")] = table([0.9, .nan], f1: [1, .nan])
        scores[ScoreKey("raw", "gauss2-otsu", "synth-low")] = table([0.6, 0.6], f1: [0.5, 0.5])
        scores[ScoreKey("raw", "star", "real<x>")] = table([0.7], f1: [0.75], names: ["f&1.tif"])
        return ReportContent(
            title: "Report <&>", resultsPath: "/r", sets: ["real<x>", "synth-low"], models: ["raw", "vanilla", sn],
            snModel: sn, vanillaModel: "vanilla", heatmapMethod: "star", scores: scores,
            imageNames: ["synth-low": ["img0.tif", "img1.tif"]],
            strips: ["synth-low": [StripRow(name: "img0.tif", cells: [
                StripCell(caption: "raw", thumbnail: Thumbnail.intensity(ImagePlane(width: 8, height: 8, repeating: 1))),
                StripCell(caption: "truth", thumbnail: nil, problem: "sets/synth-low/masks/img0.tif: missing"),
            ])]],
            versions: "sn-score 0.1.0 (commit x)\n", config: "seeds: [1, 2]\nname: \"<a>\"\n",
            rules: [RuleSummary(rule: "score", benchmarks: [[BenchmarkRecord(seconds: 1, maxRSS: 2)]], logs: ["+ sn-score --truth <m>\n"])],
            problems: problems)
    }

    @Test func table2CellsHoldTheRecomputedNumbers() {
        let html = ReportPage(Self.content()).html()
        // raw/otsu synth-low: sqrt(0.5 · 0.125) = 0.25, mean F1 0.5.
        #expect(html.contains("<span class=\"iou\">0.250</span> / <span class=\"f1\">0.500</span><br><span class=\"n\">n = 2</span>"))
        #expect(html.contains("<span class=\"iou\">0.800</span> / <span class=\"f1\">0.800</span>"))
        // A NaN row is left out: one image.
        #expect(html.contains("<span class=\"iou\">0.900</span> / <span class=\"f1\">1.000</span><br><span class=\"n\">n = 1</span>"))
        #expect(html.contains("title=\"scores/vanilla/otsu/synth-low.tsv: missing\">–</td>"))
        #expect(html.contains("Gaussian σ 2 + Otsu is the classical baseline: the bar"))
        #expect(html.contains("agreement, not accuracy"))
    }

    @Test func pageIsBalancedAndEscaped() throws {
        let html = ReportPage(Self.content(problems: ["scores/vanilla/otsu/synth-low.tsv: missing"])).html()
        #expect(tagBalanceProblem(html) == nil, "\(tagBalanceProblem(html) ?? "")")
        #expect(!html.contains("<&>") && html.contains("Report &lt;&amp;&gt;"))
        #expect(!html.contains("real<x>") && html.contains("real&lt;x&gt;"))
        #expect(html.contains("name: &quot;&lt;a&gt;&quot;"))
        #expect(html.contains("sn-score --truth &lt;m&gt;"))
        #expect(html.contains("data:image/png;base64,iVBORw0KGgo"))
        #expect(html.contains("id=\"missing\""))
        #expect(!html.contains("<script"))
        // Self-contained: no link to anything but the SVG namespace.
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        // Every inline SVG is well-formed XML.
        var svgs = 0
        var rest = Substring(html)
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            let svg = String(rest[start.lowerBound..<end.upperBound])
            #expect(xmlProblem(svg) == nil, "\(xmlProblem(svg) ?? "")")
            svgs += 1
            rest = rest[end.upperBound...]
        }
        #expect(svgs == 4)  // two heatmaps, two box plots
    }

    @Test func heatmapData() {
        let page = ReportPage(Self.content())
        let d = page.heatmapData(set: "synth-low")
        #expect(d.rows == ["raw", "vanilla", "a0.2-b0.2-g0.6"])
        #expect(d.columns == ["img0.tif", "img1.tif"])
        #expect(d.values[2][0] == 0.9 && d.values[2][1].isNaN && d.values[0].allSatisfy(\.isNaN))
        #expect(d.summaries[0][1] == 0.25 && d.summaries[2][0] == 0.9 && d.summaries[1][0].isNaN)
        // Images scored but not listed in the set come after the listed ones.
        let real = page.heatmapData(set: "real<x>")
        #expect(real.columns == ["f&1.tif"] && real.values[0] == [0.7])
    }

    @Test func chartsAreWellFormedOnDegenerateInput() {
        let nasty = "<&\"'>"
        let cases = [
            Charts.heatmap(HeatmapData(rows: [], columns: [], values: [], summaryColumns: [], summaries: [])),
            Charts.heatmap(HeatmapData(rows: [nasty], columns: [nasty], values: [[.nan]], summaryColumns: [nasty], summaries: [[0.5]])),
            Charts.boxPlot([], axisLabel: nasty),
            Charts.boxPlot([BoxGroup(label: nasty, values: [], color: RGB(0, 0, 0)), BoxGroup(label: "one", values: [3], color: RGB(1, 2, 3))], axisLabel: "SNR"),
            Charts.boxPlot([BoxGroup(label: "nan", values: [.nan, .infinity], color: RGB(0, 0, 0))], axisLabel: "SNR"),
        ]
        for svg in cases {
            #expect(xmlProblem(svg) == nil, "\(xmlProblem(svg) ?? "")\n\(svg)")
            #expect(!svg.contains("nan\"") && !svg.contains("inf\""), "\(svg)")
        }
    }

    @Test func heatmapCapsColumns() {
        let columns = (0..<75).map { "i\($0).tif" }
        let svg = Charts.heatmap(HeatmapData(rows: ["raw"], columns: columns, values: [columns.map { _ in 0.5 }], summaryColumns: ["GM"], summaries: [[0.5]]))
        #expect(svg.components(separatedBy: ": 0.50</title></rect>").count - 1 == 60)
        #expect(svg.contains("i59.tif") && !svg.contains("i60.tif"))
        #expect(xmlProblem(svg) == nil)
    }

    @Test func boxPlotMarksOutliers() {
        let svg = Charts.boxPlot([BoxGroup(label: "b", values: [1, 2, 3, 4, 5, 100], color: RGB(0, 0, 0))], axisLabel: "SNR")
        #expect(svg.components(separatedBy: "<circle").count - 1 == 1)
        #expect(svg.contains("n = 6"))
    }
}
