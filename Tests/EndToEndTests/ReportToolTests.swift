import Foundation
import MicroscopyIO
import Report
import Testing

/// sn-report run as a built binary on a small results tree made by the real tools (sn-synth, sn-segment, sn-score):
/// the Table 2 cells hold the geometric means of the per-image rows, the thumbnails are PNGs libpng reads, missing
/// pieces give '–' and exit 1, and a RESULTS that is not a folder is a usage error.
@Suite struct ReportToolTests {
    static let sn = "a0.2-b0.2-g0.6"

    /// Makes RESULTS under `dir`: test sets `synth-low` (3 images of 200 px) and `real-frames` (a copy), models raw,
    /// SN (its "enhanced" images: copies of the raw ones) and vanilla (SN's scores), methods otsu, star (Otsu labels
    /// copied, to keep the test fast) and gauss2-otsu, plus config, versions, logs and benchmarks.
    static func makeResults(_ dir: URL) throws -> String {
        let r = dir.appendingPathComponent("results").path
        let sn = Self.sn
        let script = """
            set -e -o pipefail
            R='\(r)'
            sn-synth --style source --count 3 --size 200 --seed 4 --out "$R/sets/synth-low" > /dev/null
            mkdir -p "$R/enhanced/\(sn)/synth-low" "$R/scores/raw/otsu" "$R/scores/raw/star" "$R/scores/raw/gauss2-otsu" \
                "$R/scores/\(sn)/otsu" "$R/scores/\(sn)/star" "$R/scores/vanilla/otsu" "$R/scores/vanilla/star" \
                "$R/logs/segment" "$R/benchmarks/segment" "$R/benchmarks/score"
            cp "$R"/sets/synth-low/images/*.tif "$R/enhanced/\(sn)/synth-low/"
            S="$R/sets/synth-low"
            ls "$S"/images/*.tif | sn-segment --method otsu --out "$R/labels/raw/otsu/synth-low" \
                | sn-score --truth "$S/masks" --images "$S/images" > "$R/scores/raw/otsu/synth-low.tsv"
            ls "$S"/images/*.tif | sn-segment --method otsu --smooth 2 --out "$R/labels/raw/gauss2-otsu/synth-low" \
                | sn-score --truth "$S/masks" --images "$S/images" > "$R/scores/raw/gauss2-otsu/synth-low.tsv"
            ls "$R/enhanced/\(sn)/synth-low"/*.tif | sn-segment --method otsu --smooth 1 --out "$R/labels/\(sn)/otsu/synth-low" \
                | sn-score --truth "$S/masks" --images "$R/enhanced/\(sn)/synth-low" > "$R/scores/\(sn)/otsu/synth-low.tsv"
            cp -r "$R/labels/raw/otsu" "$R/labels/raw/star"
            cp -r "$R/labels/\(sn)/otsu" "$R/labels/\(sn)/star"
            ls "$R/labels/raw/star/synth-low"/*.tif | sn-score --truth "$S/masks" > "$R/scores/raw/star/synth-low.tsv"
            ls "$R/labels/\(sn)/star/synth-low"/*.tif | sn-score --truth "$S/masks" > "$R/scores/\(sn)/star/synth-low.tsv"
            cp "$R/scores/\(sn)/otsu/synth-low.tsv" "$R/scores/vanilla/otsu/synth-low.tsv"
            cp "$R/scores/\(sn)/star/synth-low.tsv" "$R/scores/vanilla/star/synth-low.tsv"
            cp -r "$S" "$R/sets/real-frames"
            mkdir -p "$R/enhanced/\(sn)/real-frames"; cp "$R"/enhanced/\(sn)/synth-low/* "$R/enhanced/\(sn)/real-frames/"
            for d in "$R"/labels/*/*; do cp -r "$d/synth-low" "$d/real-frames"; done
            for f in "$R"/scores/*/*/synth-low.tsv; do cp "$f" "$(dirname "$f")/real-frames.tsv"; done
            printf 'seeds: [1, 2]\\ngrid: "<alpha & beta>"\\niterations: 10\\n' > "$R/config.yaml"
            for t in sn-segment sn-score; do $t --version; done > "$R/versions.txt"
            printf '+ sn-segment --method otsu --out x a.tif\\nsn-segment: note\\n+ sn-score --truth m\\n' > "$R/logs/segment/synth-low.log"
            printf 's\\th:m:s\\tmax_rss\\tmax_vms\\tmax_uss\\tmax_pss\\tio_in\\tio_out\\tmean_load\\tcpu_time\\n2.5\\t0:00:02\\t120.5\\t1\\t1\\t1\\t0\\t0\\t0\\t2\\n' > "$R/benchmarks/segment/synth-low.tsv"
            printf 's\\th:m:s\\tmax_rss\\tmax_vms\\tmax_uss\\tmax_pss\\tio_in\\tio_out\\tmean_load\\tcpu_time\\nNA\\t-\\tNA\\t-\\t-\\t-\\t-\\t-\\t-\\t-\\n' > "$R/benchmarks/score/a.tsv"
            """
        let made = try ToolRunner.shell(script)
        guard made.status == 0 else { throw Failure(description: "making the results tree failed: \(made.stderr)") }
        return r
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The per-image IoU and F1 of an sn-score table, recomputed the test's own way.
    static func expectedCell(_ tsvPath: String) throws -> String {
        let lines = try String(contentsOfFile: tsvPath, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let header = lines[0]
        let rows = lines.dropFirst().filter { $0[0] != "summary" }
        let iou = rows.map { Double($0[header.firstIndex(of: "iou")!])! }
        let f1 = rows.map { Double($0[header.firstIndex(of: "f1")!])! }
        let gm = exp(iou.map { log(max($0, 1e-6)) }.reduce(0, +) / Double(iou.count))
        let summaryIoU = Double(lines.first { $0[0] == "summary" }![1])!
        #expect(abs(gm - summaryIoU) < 1e-5, "recomputed \(gm), summary row \(summaryIoU)")
        return "<span class=\"iou\">\(String(format: "%.3f", gm))</span> / <span class=\"f1\">\(String(format: "%.3f", f1.reduce(0, +) / Double(f1.count)))</span><br><span class=\"n\">n = \(iou.count)</span>"
    }

    /// The `<td>` cells of the Table 2 row of `set`.
    static func table2Cells(_ html: String, set: String) throws -> [String] {
        let start = try #require(html.range(of: "<tr><th>\(set)"))
        let end = try #require(html.range(of: "</tr>", range: start.upperBound..<html.endIndex))
        return html[start.upperBound..<end.lowerBound].components(separatedBy: "<td").dropFirst().map { String($0) }
    }

    /// The PNG files embedded in the page, in order.
    static func embeddedPNGs(_ html: String) -> [Data] {
        html.components(separatedBy: "data:image/png;base64,").dropFirst().compactMap { part in
            Data(base64Encoded: String(part.prefix { $0 != "\"" }))
        }
    }

    @Test func completeTreeGivesTable2AndThumbnails() throws {
        let dir = try ToolRunner.temporaryFolder("report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = try Self.makeResults(dir)
        let out = dir.appendingPathComponent("page/report.html").path
        try FileManager.default.createDirectory(atPath: dir.appendingPathComponent("page").path, withIntermediateDirectories: true)
        let r = try ToolRunner.run("sn-report", [results, "--out", out, "--heatmap-method", "otsu", "--strips", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        #expect(r.lines == [out])
        let html = try String(contentsOfFile: out, encoding: .utf8)
        // Table 2: Otsu, SN+Otsu, Star, SN+Star, vanilla+Otsu, Gaussian σ2+Otsu.
        let sn = Self.sn
        let files = ["raw/otsu", "\(sn)/otsu", "raw/star", "\(sn)/star", "vanilla/otsu", "raw/gauss2-otsu"]
        for set in ["synth-low", "real-frames"] {
            let cells = try Self.table2Cells(html, set: set)
            #expect(cells.count == 6)
            for (cell, file) in zip(cells, files) {
                let expected = try Self.expectedCell("\(results)/scores/\(file)/\(set).tsv")
                #expect(cell.contains(expected), "\(set) \(file): \(cell) lacks \(expected)")
            }
        }
        #expect(html.contains("agreement, not accuracy"))
        #expect(html.contains("grid: &quot;&lt;alpha &amp; beta&gt;&quot;"))
        #expect(html.contains("sn-segment --method otsu --out x a.tif"))
        #expect(!html.contains("<script"))
        // 2 sets x 2 images x 5 pictures, each a PNG that libpng reads; 200 px images become 100 px thumbnails.
        let pngs = Self.embeddedPNGs(html)
        #expect(pngs.count == 20)
        let first = dir.appendingPathComponent("raw.png").path, truth = dir.appendingPathComponent("truth.png").path
        try pngs[0].write(to: URL(fileURLWithPath: first))
        try pngs[4].write(to: URL(fileURLWithPath: truth))
        let raw = try ImageFile(path: first).plane()
        #expect(raw.width == 100 && raw.height == 100)
        #expect(raw.pixels.min()! <= 40 && raw.pixels.max()! >= 200, "\(raw.pixels.min()!) \(raw.pixels.max()!)")
        // The truth thumbnail's palette indices are the hashed labels of the mask sampled nearest (factor 2: pixel 2x+1).
        let indices = try ImageFile(path: truth).labels()
        let mask = try ImageFile(path: "\(results)/sets/synth-low/masks/source_0000.tif").labels()
        var agree = true
        for y in 0..<100 { for x in 0..<100 where indices[y, x] != UInt32(LabelColors.index(mask[2 * y + 1, 2 * x + 1])) { agree = false } }
        #expect(agree)
        #expect(indices.labels.contains { $0 != 0 })
    }

    /// With scores of a second, salient-trained star model (`star-salient`, raw and SN), Table 2 gains its two
    /// columns after SN+Star, in that order, and says what they are; without them (the test above) it has six.
    @Test func salientStarColumnsWhenScored() throws {
        let dir = try ToolRunner.temporaryFolder("report-salient")
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = try Self.makeResults(dir)
        let sn = Self.sn
        // Distinct tables: the salient columns get the gauss2-otsu (raw) and otsu (SN) scores.
        let made = try ToolRunner.shell("""
            set -e; R='\(results)'
            mkdir -p "$R/scores/raw/star-salient" "$R/scores/\(sn)/star-salient"
            for s in synth-low real-frames; do
                cp "$R/scores/raw/gauss2-otsu/$s.tsv" "$R/scores/raw/star-salient/$s.tsv"
                cp "$R/scores/\(sn)/otsu/$s.tsv" "$R/scores/\(sn)/star-salient/$s.tsv"
            done
            """)
        #expect(made.status == 0, "\(made.stderr)")
        let r = try ToolRunner.run("sn-report", [results])
        #expect(r.status == 0, "\(r.stderr)")
        let html = r.stdout
        let files = ["raw/otsu", "\(sn)/otsu", "raw/star", "\(sn)/star", "raw/star-salient", "\(sn)/star-salient",
                     "vanilla/otsu", "raw/gauss2-otsu"]
        for set in ["synth-low", "real-frames"] {
            let cells = try Self.table2Cells(html, set: set)
            #expect(cells.count == 8)
            for (cell, file) in zip(cells, files) {
                #expect(cell.contains("title=\"scores/\(file)/\(set).tsv\""), "\(set): \(cell) is not \(file)")
                let expected = try Self.expectedCell("\(results)/scores/\(file)/\(set).tsv")
                #expect(cell.contains(expected), "\(set) \(file): \(cell) lacks \(expected)")
            }
        }
        #expect(html.contains("Star, salient-trained"))
        #expect(html.contains("trained on salient images only"))
    }

    @Test func missingPiecesGiveDashesAndExit1() throws {
        let dir = try ToolRunner.temporaryFolder("report-missing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = try Self.makeResults(dir)
        let fm = FileManager.default
        try fm.removeItem(atPath: "\(results)/scores/vanilla/otsu/synth-low.tsv")
        try fm.removeItem(atPath: "\(results)/enhanced/\(Self.sn)/synth-low/source_0000.tif")
        try fm.removeItem(atPath: "\(results)/config.yaml")
        try "not a table\n".write(toFile: "\(results)/scores/raw/gauss2-otsu/real-frames.tsv", atomically: true, encoding: .utf8)
        let r = try ToolRunner.run("sn-report", [results, "--sets", "synth-low,real-frames"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("<!DOCTYPE html>") && r.stdout.hasSuffix("</html>\n"))
        let errors = r.stderr.split(separator: "\n").map(String.init)
        #expect(errors.contains("sn-report: error: \(results)/scores/vanilla/otsu/synth-low.tsv: missing"), "\(r.stderr)")
        #expect(errors.contains("sn-report: error: \(results)/enhanced/\(Self.sn)/synth-low/source_0000.tif: missing"), "\(r.stderr)")
        #expect(errors.contains("sn-report: error: \(results)/config.yaml: missing"), "\(r.stderr)")
        #expect(errors.contains { $0.hasPrefix("sn-report: error: \(results)/scores/raw/gauss2-otsu/real-frames.tsv: not an sn-score table") }, "\(r.stderr)")
        #expect(errors.count == 4, "\(r.stderr)")
        let synth = try Self.table2Cells(r.stdout, set: "synth-low")
        #expect(synth[4].contains("title=\"scores/vanilla/otsu/synth-low.tsv: missing\">–</td>"), "\(synth[4])")
        #expect(!synth[0].contains("–"))
        let real = try Self.table2Cells(r.stdout, set: "real-frames")
        #expect(real[5].contains(">–</td>") && !real[4].contains("–"))
        #expect(r.stdout.contains("config.yaml is missing"))
        #expect(r.stdout.contains("<div class=\"absent\" title=\"enhanced/\(Self.sn)/synth-low/source_0000.tif: missing\">–</div>"))
        #expect(Self.embeddedPNGs(r.stdout).count == 19)

        // An absent SN model: said once, its columns empty.
        let other = try ToolRunner.run("sn-report", [results, "--sn", "a9-b9-g9", "--strips", "0"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("sn-report: error: the SaliencyNet model 'a9-b9-g9' is not in the results"))
        #expect(!other.stderr.contains("scores/a9-b9-g9/"))
        #expect(other.stdout.contains("The SaliencyNet model <code>a9-b9-g9</code> is not in the results"))
    }

    @Test func usageErrors() throws {
        let dir = try ToolRunner.temporaryFolder("report-usage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("not-a-folder.txt").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for target in [file, dir.appendingPathComponent("absent").path] {
            let r = try ToolRunner.run("sn-report", [target])
            #expect(r.status == 2)
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("sn-report: error: \(target): not a folder"))
        }
        #expect(try ToolRunner.run("sn-report", []).status == 2)
        #expect(try ToolRunner.run("sn-report", [dir.path, "--heatmap-method", "adaptive"]).status == 2)
        #expect(try ToolRunner.run("sn-report", [dir.path, "--strips", "-1"]).status == 2)
        let help = try ToolRunner.run("sn-report", ["--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: sn-report"))
        // An empty folder: a page that says what is missing, exit 1.
        let empty = try ToolRunner.run("sn-report", [dir.path])
        #expect(empty.status == 1 && empty.stdout.contains("</html>"))
    }
}
