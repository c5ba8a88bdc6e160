// sn-report: turn the results tree of the evaluation workflow into one self-contained HTML page: the Table 2
// analog, per-image IoU heatmaps, SNR box plots, before/after thumbnails and the provenance of the run.
// The file I/O is here; parsing, statistics, figures and the page are the Report package's pure functions.
import Foundation
import MicroscopyIO
import Report
import ToolSupport

enum HeatmapMethod: String, ArgumentChoice { case star, otsu }

var spec = CommandSpec(
    name: "sn-report",
    summary: "Make one self-contained HTML page of an evaluation results tree: scores, heatmaps, SNR, thumbnails, provenance.",
    positionalUsage: "RESULTS",
    discussion: """
    INPUT: RESULTS, the folder the evaluation workflow writes (any part may be missing):
      config.yaml, versions.txt                  shown verbatim
      sets/SET/images/NAME.tif, sets/SET/masks/NAME.tif         test images and reference labels
      enhanced/MODEL/SET/NAME.tif                images enhanced by MODEL
      labels/MODEL/METHOD/SET/NAME.tif           label images (MODEL 'raw': not enhanced)
      scores/MODEL/METHOD/SET.tsv                sn-score tables (per-image rows, summary row)
      logs/RULE/*.log, benchmarks/RULE/*.tsv     job logs (bash 'set -x': '+ ' lines) and Snakemake benchmarks
    MODEL: raw, vanilla, grid models aA-bB-gG (saliency-loss weights) or any name; METHOD: otsu, star,
    gauss2-otsu (Gaussian sigma 2 then Otsu, the classical baseline, with raw only), star-salient (a
    second star model trained on salient images only, as the paper's StarDist; optional).

    OUTPUT: one HTML page (inline CSS, inline SVG figures, PNG thumbnails as data: URIs; no script, no
    external file), on stdout, or written atomically to --out FILE (its path is then printed on stdout):
      1. Table 2 analog: rows = test sets; Otsu, SN+Otsu, Star, SN+Star, (with scores/raw/star-salient:
         the same two with the salient-trained star model), vanilla+Otsu and Gaussian sigma 2 + Otsu; each cell the geometric-mean IoU / mean F1 and the image count, recomputed from the
         per-image rows (IoU 0 counts as 1e-6, as sn-score). Then every model x set, Otsu and star.
      2. Per set, a heatmap of per-image IoU (rows = models: raw, vanilla, grid models, others; columns
         = images, at most 60 drawn; --heatmap-method picks the method), with the geometric means of
         star and Otsu at the right.
      3. Per set, box plots of the per-image SNR (the snr column) of raw/otsu (before) and SN/otsu (after).
      4. The first --strips images of each set: raw, SN-enhanced, SN+Otsu and SN+Star labels, truth
         (plane 0, at most 192 px).
      5. versions.txt, config.yaml, and per rule: jobs, total and median seconds, peak max_rss, commands.
    Missing or unreadable inputs show as '–' in the page, are listed at its end, and each is named on
    stderr (one line: sn-report: error: PATH: reason).

    EXIT STATUS: 0 report written from complete inputs, 1 report written but some inputs missing or
    unreadable (or the report could not be written), 2 usage error (RESULTS not a folder).

    EXAMPLE:
      sn-report results --out results/report.html
      sn-report results --sn a0.5-b0.2-g0.3 --sets synth-low,real --strips 3 > report.html
    """)
spec.extremeValues = """
    Thumbnails: NaN and ±∞ pixels are left out of the percentiles and of the box averages (a block
    without a finite pixel is black). Score cells that are not numbers (NA, nan) are left out of the means.
    """
let outKey = spec.optionalOption("out", as: String.self, help: "Write the page to this file (atomically) instead of stdout.")
let snKey = spec.option("sn", default: "a0.2-b0.2-g0.6", help: "The SaliencyNet model of the Table 2 columns, strips and SNR plots.")
let vanillaKey = spec.option("vanilla", default: "vanilla", help: "The vanilla CycleGAN model.")
let heatmapKey = spec.option("heatmap-method", default: HeatmapMethod.star, help: "Segmentation method of the heatmap cells.")
let setsKey = spec.optionalOption("sets", as: String.self, help: "Test sets to show, comma-separated, in this order (default: all found, sorted).")
let stripsKey = spec.option("strips", default: 2, help: "Images per set in the before/after strips (0...100).")
let titleKey = spec.option("title", default: "SaliencyNet evaluation report", help: "The page's title.")

let args = spec.parseOrExit()
guard args.positionals.count == 1 else {
    spec.usageExit(args.positionals.isEmpty ? "give the RESULTS folder" : "give one RESULTS folder, got \(args.positionals.count) arguments")
}
let results = args.positionals[0]
var isDirectory: ObjCBool = false
guard FileManager.default.fileExists(atPath: results, isDirectory: &isDirectory), isDirectory.boolValue else {
    writeStderr("sn-report: error: \(results): not a folder (RESULTS must be the results tree of the evaluation workflow)\n")
    exitProcess(.usage)
}
guard (0...100).contains(args[stripsKey]) else { spec.usageExit("--strips must be in 0...100, got \(args[stripsKey])") }
var selectedSets: [String]? = nil
if let text = args[setsKey] {
    let sets = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !sets.isEmpty else { spec.usageExit("--sets needs at least one set name") }
    selectedSets = sets
}
let snModel = args[snKey], vanillaModel = args[vanillaKey]
let diagnostics = Diagnostics(tool: spec.name)

/// Missing or unreadable inputs, as `RELATIVE/PATH: reason` (stderr names them under RESULTS), and other notes.
var problems: [(text: String, isPath: Bool)] = []
func problem(_ text: String, isPath: Bool = true) { problems.append((text, isPath)) }

func path(_ relative: String) -> String { PathName.join(results, relative) }

/// The visible entries of a folder (relative to RESULTS), sorted; nil when it is not a folder.
func entries(_ relative: String, directories: Bool) -> [String]? {
    let full = path(relative)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), isDir.boolValue,
          let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return nil }
    return names.filter { name in
        guard !name.hasPrefix(".") else { return false }
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: PathName.join(full, name), isDirectory: &d) && d.boolValue == directories
    }.sorted()
}

func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

func readText(_ relative: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path(relative)) else { return nil }
    return String(decoding: data, as: UTF8.self)
}

/// The files under a folder, recursively (relative to RESULTS), with extension `ext`, sorted.
func files(under relative: String, ext: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: path(relative)) else { return [] }
    var found: [String] = []
    while let item = enumerator.nextObject() as? String {
        guard !PathName.fileName(item).hasPrefix("."), PathName.fileExtension(item) == ext else { continue }
        found.append(PathName.join(relative, item))
    }
    return found.sorted()
}

// MARK: what the tree holds

let imageExtensions: Set<String> = ["tif", "tiff", "png"]
var modelNames: Set<String> = ["raw"]
for folder in ["scores", "enhanced", "labels"] { modelNames.formUnion(entries(folder, directories: true) ?? []) }
var foundSets = Set(entries("sets", directories: true) ?? [])
for model in entries("scores", directories: true) ?? [] {
    for method in entries("scores/\(model)", directories: true) ?? [] {
        for file in entries("scores/\(model)/\(method)", directories: false) ?? [] where PathName.fileExtension(file) == "tsv" {
            foundSets.insert(PathName.stem(file))
        }
    }
}
let sets = selectedSets ?? foundSets.sorted()
for set in sets where !foundSets.contains(set) { problem("sets/\(set): no such test set in the results") }
let models = ModelOrder.sorted(Array(modelNames), vanilla: vanillaModel)
if !modelNames.contains(snModel) {
    problem("the SaliencyNet model '\(snModel)' is not in the results (no scores/, enhanced/ or labels/ folder of that name; choose one with --sn)", isPath: false)
}

// MARK: scores

/// A second star model trained on salient images only (the workflow's `star-salient` method), when the raw images
/// were scored with it: Table 2 then shows its raw and SN columns.
let salientStar: String? = (entries("scores/raw", directories: true) ?? []).contains("star-salient") ? "star-salient" : nil
var scores: [ScoreKey: ScoreTable] = [:]
var scoreProblems: [ScoreKey: String] = [:]
var expected: [ScoreKey] = []
let table2 = ReportPage.table2Columns(snModel: snModel, vanillaModel: vanillaModel, salientStarMethod: salientStar)
for set in sets {
    expected += table2.map { ScoreKey($0.model, $0.method, set) }
    for model in models { expected += ["otsu", "star"].map { ScoreKey(model, $0, set) } }
    for model in models {
        for method in entries("scores/\(model)", directories: true) ?? [] { expected.append(ScoreKey(model, method, set)) }
    }
}
var seenKeys = Set<ScoreKey>()
for key in expected where seenKeys.insert(key).inserted {
    let snAbsent = key.model == snModel && !modelNames.contains(snModel)
    guard let text = readText(key.relativePath) else {
        scoreProblems[key] = exists(key.relativePath) ? "unreadable" : "missing"
        if !snAbsent { problem("\(key.relativePath): \(scoreProblems[key]!)") }  // the absent SN model is reported once
        continue
    }
    do {
        scores[key] = try ScoreTable(tsv: text)
        if !scores[key]!.hasColumn("iou") { problem("\(key.relativePath): no iou column") }
    } catch {
        scoreProblems[key] = "not an sn-score table (\(error))"
        problem("\(key.relativePath): \(scoreProblems[key]!)")
    }
}

// MARK: images and strips

/// The file in folder `relative` that pairs with image `name`: the same name, else the same stem with .tif/.tiff/.png.
func partner(_ name: String, in relative: String) -> String? {
    PathName.partner(of: name, in: relative, exists: exists)
}

enum Picture { case intensity, labels }

/// The strip picture of image `name` in `folder`; a missing file is a problem, except one of an absent SN model
/// (`reportMissing` false: that is said once).
func thumbnail(_ caption: String, _ name: String, in folder: String, as kind: Picture, reportMissing: Bool = true) -> StripCell {
    guard let relative = partner(name, in: folder) else {
        let missing = "\(PathName.join(folder, name)): missing"
        if reportMissing { problem(missing) }
        return StripCell(caption: caption, thumbnail: nil, problem: missing)
    }
    do {
        let file = try ImageFile(path: path(relative))
        let t: Thumbnail
        switch kind {
        case .intensity: t = Thumbnail.intensity(try file.plane(channel: 0, z: 0, t: 0))
        case .labels: t = Thumbnail.labels(try file.labels(channel: 0, z: 0, t: 0))
        }
        return StripCell(caption: caption, thumbnail: t)
    } catch let error as ImageIOError {
        let text = "\(relative): \(error.reason)"
        problem(text)
        return StripCell(caption: caption, thumbnail: nil, problem: text)
    } catch {
        let text = "\(relative): \(error)"
        problem(text)
        return StripCell(caption: caption, thumbnail: nil, problem: text)
    }
}

var imageNames: [String: [String]] = [:]
var strips: [String: [StripRow]] = [:]
for set in sets {
    guard let names = entries("sets/\(set)/images", directories: false) else {
        if foundSets.contains(set) && exists("sets") { problem("sets/\(set)/images: missing") }
        continue
    }
    let images = names.filter { imageExtensions.contains(PathName.fileExtension($0)) }
    imageNames[set] = images
    let snPresent = modelNames.contains(snModel)
    strips[set] = images.prefix(args[stripsKey]).map { name in
        StripRow(name: name, cells: [
            thumbnail("raw", name, in: "sets/\(set)/images", as: .intensity),
            thumbnail("SN-enhanced", name, in: "enhanced/\(snModel)/\(set)", as: .intensity, reportMissing: snPresent),
            thumbnail("SN+Otsu labels", name, in: "labels/\(snModel)/otsu/\(set)", as: .labels, reportMissing: snPresent),
            thumbnail("SN+Star labels", name, in: "labels/\(snModel)/star/\(set)", as: .labels, reportMissing: snPresent),
            thumbnail("truth", name, in: "sets/\(set)/masks", as: .labels),
        ])
    }
}
if !exists("sets") { problem("sets: missing (no test images: no strips, heatmap columns from the score tables)") }

// MARK: provenance

let versions = readText("versions.txt")
if versions == nil { problem("versions.txt: missing") }
let config = readText("config.yaml")
if config == nil { problem("config.yaml: missing") }
for folder in ["logs", "benchmarks"] where entries(folder, directories: true) == nil { problem("\(folder): missing") }
let ruleNames = Set((entries("logs", directories: true) ?? []) + (entries("benchmarks", directories: true) ?? [])).sorted()
let rules = ruleNames.map { rule in
    let benchmarks = files(under: "benchmarks/\(rule)", ext: "tsv").map { file -> [BenchmarkRecord] in
        guard let text = readText(file) else { problem("\(file): unreadable"); return [] }
        return BenchmarkRecord.parse(text)
    }
    let logs = files(under: "logs/\(rule)", ext: "log").compactMap { file -> String? in
        guard let text = readText(file) else { problem("\(file): unreadable"); return nil }
        return text
    }
    return RuleSummary(rule: rule, benchmarks: benchmarks, logs: logs)
}

// MARK: the page

var content = ReportContent(
    title: args[titleKey], resultsPath: results, sets: sets, models: models, snModel: snModel, vanillaModel: vanillaModel,
    heatmapMethod: args[heatmapKey].rawValue, scores: scores, scoreProblems: scoreProblems, imageNames: imageNames,
    strips: strips, versions: versions, config: config, rules: rules, problems: problems.map(\.text),
    generator: ToolVersion.line(tool: spec.name))
content.salientStarMethod = salientStar
let html = ReportPage(content).html()

for p in problems { diagnostics.error(p.isPath ? PathName.join(results, p.text) : p.text) }
if let out = args[outKey] {
    do {
        try writeFileAtomically(Array(html.utf8), to: out)
        writeStdout(out + "\n")
    } catch {
        diagnostics.error("\(out): cannot write the report (\(error))")
        exitProcess(.someInputsFailed)
    }
} else {
    writeStdout(html)
}
exitProcess(problems.isEmpty ? .success : .someInputsFailed)
