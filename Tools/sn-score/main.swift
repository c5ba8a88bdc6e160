// sn-score: score predicted instance label images against ground-truth labels (foreground IoU, instance
// matching at an IoU threshold) and, optionally, the images' SNR; prints a TSV table or JSON.
import Foundation
import Metrics
import MicroscopyIO
import NuclearScale
import ToolSupport

var spec = CommandSpec(
    name: "sn-score",
    summary: "Score predicted label images against the truth: foreground IoU, F1 at an IoU threshold, panoptic quality, SNR.",
    positionalUsage: "[PREDICTION ...]",
    discussion: """
    INPUTS: predicted label images as arguments; with none, or with '-', one path a line is read from stdin
    (so sn-segment ... | sn-score --truth DIR works). Each prediction NAME is paired with the truth
    DIR/NAME (or, failing that, DIR/STEM.tif, .tiff or .png); with --images IDIR, also with the intensity
    image IDIR/NAME (same rule) for the SNR column. Prediction and truth are both 2-D label images of one
    size, or both Z stacks (one channel, one time point) of the same size and slice count.

    Z stacks are scored in 3-D: an object is a label value across all slices (as sn-segment's default
    --stack-mode volume and sn-synth's masks write them), IoU is over voxels, and each row is one stack.
    Do not score per-plane labels (sn-segment --stack-mode planes) this way: their numbers restart in
    every slice. With --images, the SNR is over the stack's voxels; with --diameters, the diameters are
    those of the objects' cross-sections in every slice (the estimate: sn-diameter's, of the stack).

    OUTPUT (stdout): a TSV table, one row per scored image in input order, then a row named 'summary':
      name iou n_true n_pred tp fp fn precision recall f1 accuracy mean_matched_iou panoptic_quality [snr]
    iou = |S & G| / |S | G| of the foregrounds (1 when both are empty). Matching: one-to-one, maximising
    the number of pairs with IoU >= --threshold and then their summed IoU (as stardist.matching);
    precision, recall, f1, accuracy = TP/(TP+FP+FN), mean_matched_iou (over TP), panoptic_quality; every
    ratio is 0 when TP = 0. snr = (max inside the truth's nuclei - mean background) / std background.
    With --diameters: truth_diameter_px and pred_diameter_px, the median equivalent diameter 2*sqrt(area/pi)
    of the truth's and the prediction's objects, and with --images estimated_diameter_px, the image's
    nucleus diameter as --diameter auto estimates it (docs/nuclear-scale.md); medians in the summary.
    With --z-merges: z_merges, the predicted 3-D objects whose part in each slice lies mostly (> 1/2) in
    one true nucleus but not always the same one: nuclei joined across Z although every slice kept them
    apart, e.g. by stitching (0 for 2-D images; the summary gives the total), and z_merges_side, those of
    them joining two nuclei that lie side by side in some slice (the rest join nuclei that follow each
    other in Z, one ending where the next begins), and z_merges_kept_apart, those joining two nuclei that
    each own a predicted part of their own in every slice they share (kept apart wherever both appear, and
    joined by the linking across Z alone).
    With --counts (SaliencyNet's erased/invented check, docs/enhancement.md): missed, the true nuclei less
    than half covered by the prediction's foreground (erased), and invented, the predicted objects with no
    pixel on a true nucleus, with missed_fraction and invented_fraction (of n_true; the summary pools all
    images: totals over total n_true; invented_fraction is inf when n_true is 0 and something was predicted).
    Summary row: iou = geometric mean of the per-image IoUs (an IoU of 0 counts as 1e-6), f1 = mean F1,
    snr = median SNR; counts are totals; the other ratios are means over the images. With --json, the
    same as one JSON object instead.

    Errors (missing truth, different sizes, unreadable files) are reported on stderr, one line naming the
    file(s), and the image is left out of the table and the summary.

    EXIT STATUS: 0 all images scored, 1 some failed (reported, the rest scored), 2 usage error.

    EXAMPLE:
      sn-segment --method otsu --out pred syn/images/*.tif | sn-score --truth syn/masks --images syn/images
    """)
spec.extremeValues = """
    Labels are integers. In --images, NaN and ±∞ pixels are left out of the SNR statistics.
    """
let truthKey = spec.optionalOption("truth", as: String.self, help: "Folder of ground-truth label images. Required.")
let imagesKey = spec.optionalOption("images", as: String.self, help: "Folder of the intensity images: adds the SNR column.")
let thresholdKey = spec.option("threshold", default: 0.5, help: "IoU threshold of a match, in (0, 1].")
let jsonKey = spec.flag("json", help: "Print JSON instead of TSV.")
let zMergesKey = spec.flag("z-merges", help: "Add z_merges: predicted 3-D objects whose slices lie each mostly in one true nucleus, but not all in the same one.")
let countsKey = spec.flag("counts", help: "Add missed, invented, missed_fraction, invented_fraction: true nuclei less than half covered by the prediction's foreground (erased), predicted objects touching no true nucleus (invented), as counts and as fractions of n_true.")
let diametersKey = spec.flag("diameters", help: "Add nucleus diameter columns: truth_diameter_px, pred_diameter_px (medians of the objects' equivalent diameters) and, with --images, estimated_diameter_px (sn-diameter's estimate).")

let args = spec.parseOrExit()
guard let truthDir = args[truthKey] else { spec.usageExit("--truth DIR is required") }
let threshold = args[thresholdKey]
guard threshold > 0 && threshold <= 1 else { spec.usageExit("--threshold must be in (0, 1], got \(threshold)") }
// Read the inputs first: in a pipeline (sn-synth | sn-segment | sn-score --truth synth/masks) stdin reaches
// its end only when the upstream tools have finished, so the folders they write exist by then.
let inputs = spec.inputsOrExit(args)
for (name, dir) in [("truth", truthDir), ("images", args[imagesKey])] {
    guard let dir else { continue }
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        spec.usageExit("--\(name) \(dir): no such folder")
    }
}

/// The file in `dir` that pairs with `input`: same file name, else same stem with .tif/.tiff/.png.
func partner(of input: String, in dir: String, role: String) throws -> String {
    if let path = PathName.partner(of: input, in: dir) { return path }
    throw ToolError("\(input): no \(role) \(PathName.join(dir, PathName.fileName(input))) (nor \(PathName.stem(input)).tif/.tiff/.png)")
}

/// The planes of `path` in Z order: one for a 2-D image, the slices of a Z stack; refuses channels and time series.
func planesOf(_ file: ImageFile, _ path: String, kind: String) throws -> [Int] {
    let d = file.dimensions
    guard d.planeCount == 1 || (d.sizeC == 1 && d.sizeT == 1) else {
        throw ToolError("\(path): has \(d.sizeC) channels x \(d.sizeZ) slices x \(d.sizeT) time points; sn-score compares 2-D \(kind) or Z stacks of one channel and one time point (extract one with sn-convert --z/--t)")
    }
    return Array(0..<d.sizeZ)
}

/// The label image (one element) or Z stack of label images of `path`.
func labelStack(_ path: String) throws -> [LabelImage] {
    let file = try ImageFile(path: path)
    return try planesOf(file, path, kind: "label images").map { try file.labels(z: $0) }
}

/// `W x H px`, or `W x H px x D slices` for a stack.
func sizeText(_ s: [LabelImage]) -> String {
    "\(s[0].width) x \(s[0].height) px" + (s.count > 1 ? " x \(s.count) slices" : "")
}

struct Row: Codable {
    var name: String
    var iou: Double
    var n_true: Int, n_pred: Int, tp: Int, fp: Int, fn: Int
    var precision: Double, recall: Double, f1: Double, accuracy: Double
    var mean_matched_iou: Double, panoptic_quality: Double
    var snr: Double?
    var truth_diameter_px: Double?, pred_diameter_px: Double?, estimated_diameter_px: Double?
    var z_merges: Int?, z_merges_side: Int?, z_merges_kept_apart: Int?
    var missed: Int?, invented: Int?, missed_fraction: Double?, invented_fraction: Double?
}

func score(_ input: String) throws -> Row {
    let prediction = try labelStack(input)
    let truthPath = try partner(of: input, in: truthDir, role: "truth")
    let truth = try labelStack(truthPath)
    guard prediction.count == truth.count && prediction[0].width == truth[0].width && prediction[0].height == truth[0].height else {
        throw ToolError("\(input): prediction is \(sizeText(prediction)) but truth \(truthPath) is \(sizeText(truth))")
    }
    let iou = try Scores.foregroundIoU(prediction: prediction, truth: truth)
    let m = try InstanceMatching.match(prediction: prediction, truth: truth, threshold: threshold)
    let truthVoxels = truth.flatMap(\.labels)
    let zMerges = try args[zMergesKey]
        ? StackMerges.find(prediction: prediction.flatMap(\.labels), truth: truthVoxels, sliceSize: truth[0].labels.count) : nil
    let counts = try args[countsKey] ? NucleusCounts.of(prediction: prediction.flatMap(\.labels), truth: truthVoxels) : nil
    var snr: Double? = nil
    var estimated: Double? = nil
    if let imagesDir = args[imagesKey] {
        let imagePath = try partner(of: input, in: imagesDir, role: "image")
        let file = try ImageFile(path: imagePath)
        let images = try planesOf(file, imagePath, kind: "images").map { try file.plane(z: $0) }
        guard images.count == truth.count && images[0].width == truth[0].width && images[0].height == truth[0].height else {
            let shape = "\(images[0].width) x \(images[0].height) px" + (images.count > 1 ? " x \(images.count) slices" : "")
            throw ToolError("\(imagePath): image is \(shape) but truth \(truthPath) is \(sizeText(truth))")
        }
        let pixels = images.flatMap(\.pixels)
        snr = Scores.signalToNoise(labels: truthVoxels) { Double(pixels[$0]) }
        if args[diametersKey] {
            estimated = images.count == 1
                ? DiameterEstimator().estimate(pixels, width: images[0].width, height: images[0].height).diameter
                : DiameterEstimator().estimate(stack: images.map(\.pixels), width: images[0].width, height: images[0].height).diameter
        }
    }
    let diameters = args[diametersKey]
    return Row(name: PathName.fileName(input), iou: iou, n_true: m.nTrue, n_pred: m.nPred, tp: m.tp, fp: m.fp, fn: m.fn,
               precision: m.precision, recall: m.recall, f1: m.f1, accuracy: m.accuracy,
               mean_matched_iou: m.meanMatchedIoU, panoptic_quality: m.panopticQuality, snr: snr,
               truth_diameter_px: diameters ? MaskDiameter.median(truth.map(\.labels)) : nil,
               pred_diameter_px: diameters ? MaskDiameter.median(prediction.map(\.labels)) : nil, estimated_diameter_px: estimated,
               z_merges: zMerges?.count, z_merges_side: zMerges?.filter(\.ownersShareASlice).count,
               z_merges_kept_apart: zMerges?.filter(\.ownersKeptApartInEverySharedSlice).count,
               missed: counts?.missed, invented: counts?.invented, missed_fraction: counts?.missedFraction,
               invented_fraction: counts?.inventedFraction)
}

var rows: [Row] = []
var batch = Batch(tool: spec.name)
for input in inputs {
    batch.process(input) {
        rows.append(try score(input))
        return []
    }
}

struct Summary: Codable {
    var images: Int
    var geometric_mean_iou: Double?
    var mean_f1: Double?
    var median_snr: Double?
    var n_true: Int, n_pred: Int, tp: Int, fp: Int, fn: Int
    var mean_precision: Double?, mean_recall: Double?, mean_accuracy: Double?
    var mean_matched_iou: Double?, mean_panoptic_quality: Double?
    var median_truth_diameter_px: Double?, median_pred_diameter_px: Double?, median_estimated_diameter_px: Double?
    var z_merges: Int?, z_merges_side: Int?, z_merges_kept_apart: Int?
    var missed: Int?, invented: Int?, missed_fraction: Double?, invented_fraction: Double?
}
/// The images' nucleus counts pooled (`--counts`): fractions of all true nuclei.
let pooledCounts: NucleusCounts? = args[countsKey]
    ? rows.reduce(NucleusCounts(truthNuclei: 0, predictedObjects: 0, missed: 0, invented: 0)) {
        $0 + NucleusCounts(truthNuclei: $1.n_true, predictedObjects: $1.n_pred, missed: $1.missed ?? 0, invented: $1.invented ?? 0)
    } : nil
let summary = Summary(
    images: rows.count,
    geometric_mean_iou: Scores.geometricMean(rows.map(\.iou)),
    mean_f1: Scores.mean(rows.map(\.f1)),
    median_snr: Scores.median(rows.compactMap(\.snr)),
    n_true: rows.reduce(0) { $0 + $1.n_true }, n_pred: rows.reduce(0) { $0 + $1.n_pred },
    tp: rows.reduce(0) { $0 + $1.tp }, fp: rows.reduce(0) { $0 + $1.fp }, fn: rows.reduce(0) { $0 + $1.fn },
    mean_precision: Scores.mean(rows.map(\.precision)), mean_recall: Scores.mean(rows.map(\.recall)),
    mean_accuracy: Scores.mean(rows.map(\.accuracy)), mean_matched_iou: Scores.mean(rows.map(\.mean_matched_iou)),
    mean_panoptic_quality: Scores.mean(rows.map(\.panoptic_quality)),
    median_truth_diameter_px: Scores.median(rows.compactMap(\.truth_diameter_px)),
    median_pred_diameter_px: Scores.median(rows.compactMap(\.pred_diameter_px)),
    median_estimated_diameter_px: Scores.median(rows.compactMap(\.estimated_diameter_px)),
    z_merges: args[zMergesKey] ? rows.reduce(0) { $0 + ($1.z_merges ?? 0) } : nil,
    z_merges_side: args[zMergesKey] ? rows.reduce(0) { $0 + ($1.z_merges_side ?? 0) } : nil,
    z_merges_kept_apart: args[zMergesKey] ? rows.reduce(0) { $0 + ($1.z_merges_kept_apart ?? 0) } : nil,
    missed: pooledCounts?.missed, invented: pooledCounts?.invented, missed_fraction: pooledCounts?.missedFraction,
    invented_fraction: pooledCounts?.inventedFraction)

struct Report: Codable {
    var threshold: Double
    var images: [Row]
    var summary: Summary
}

if args[jsonKey] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do {
        let data = try encoder.encode(Report(threshold: threshold, images: rows, summary: summary))
        writeStdout(String(decoding: data, as: UTF8.self) + "\n")
    } catch {
        batch.diagnostics.error("cannot encode the JSON report: \(error)")
        exitProcess(.someInputsFailed)
    }
} else {
    let withSNR = args[imagesKey] != nil
    func f(_ v: Double?) -> String { v.map { String(format: "%.6f", $0) } ?? "NA" }
    var header = ["name", "iou", "n_true", "n_pred", "tp", "fp", "fn", "precision", "recall", "f1", "accuracy",
                  "mean_matched_iou", "panoptic_quality"]
    if withSNR { header.append("snr") }
    let withDiameters = args[diametersKey]
    if withDiameters { header += ["truth_diameter_px", "pred_diameter_px"] + (withSNR ? ["estimated_diameter_px"] : []) }
    let withMerges = args[zMergesKey]
    if withMerges { header += ["z_merges", "z_merges_side", "z_merges_kept_apart"] }
    let withCounts = args[countsKey]
    if withCounts { header += ["missed", "invented", "missed_fraction", "invented_fraction"] }
    var text = header.joined(separator: "\t") + "\n"
    for r in rows {
        var cells = [r.name, f(r.iou), "\(r.n_true)", "\(r.n_pred)", "\(r.tp)", "\(r.fp)", "\(r.fn)", f(r.precision),
                     f(r.recall), f(r.f1), f(r.accuracy), f(r.mean_matched_iou), f(r.panoptic_quality)]
        if withSNR { cells.append(f(r.snr)) }
        if withDiameters { cells += [f(r.truth_diameter_px), f(r.pred_diameter_px)] + (withSNR ? [f(r.estimated_diameter_px)] : []) }
        if withMerges { cells += [r.z_merges, r.z_merges_side, r.z_merges_kept_apart].map { $0.map(String.init) ?? "NA" } }
        if withCounts { cells += [r.missed, r.invented].map { $0.map(String.init) ?? "NA" } + [f(r.missed_fraction), f(r.invented_fraction)] }
        text += cells.joined(separator: "\t") + "\n"
    }
    var cells = ["summary", f(summary.geometric_mean_iou), "\(summary.n_true)", "\(summary.n_pred)", "\(summary.tp)",
                 "\(summary.fp)", "\(summary.fn)", f(summary.mean_precision), f(summary.mean_recall), f(summary.mean_f1),
                 f(summary.mean_accuracy), f(summary.mean_matched_iou), f(summary.mean_panoptic_quality)]
    if withSNR { cells.append(f(summary.median_snr)) }
    if withDiameters {
        cells += [f(summary.median_truth_diameter_px), f(summary.median_pred_diameter_px)]
            + (withSNR ? [f(summary.median_estimated_diameter_px)] : [])
    }
    if withMerges { cells += [summary.z_merges, summary.z_merges_side, summary.z_merges_kept_apart].map { $0.map(String.init) ?? "NA" } }
    if withCounts {
        cells += [summary.missed, summary.invented].map { $0.map(String.init) ?? "NA" }
            + [f(summary.missed_fraction), f(summary.invented_fraction)]
    }
    text += cells.joined(separator: "\t") + "\n"
    writeStdout(text)
}
batch.exit()
