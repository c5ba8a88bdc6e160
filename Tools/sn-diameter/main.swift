// sn-diameter: measure the median nucleus diameter of fluorescence images (estimated from the image alone)
// or of instance masks (equivalent diameters), and print one TSV row per input.
import Foundation
import MicroscopyIO
import NuclearScale
import ToolSupport

var spec = CommandSpec(
    name: "sn-diameter",
    summary: "Print the median nucleus diameter of images (estimated from the image alone) or of label images.",
    positionalUsage: "[IMAGE ...]",
    discussion: """
    INPUTS: images (TIFF, OME-TIFF, ImageJ hyperstacks, PNG) as arguments; with none, or with '-', one path
    a line is read from stdin. A stack (Z or T) gets one estimate from up to 5 evenly spaced planes of
    --channel.

    OUTPUT (stdout): a TSV table with a header, one row per input:
      name  diameter_px  objects  status
    (objects: those measured at the chosen smoothing level)
    status 'measured', or 'no_contrast' (constant or non-finite image) or 'no_nuclei' (too few objects stand
    out); diameter_px is empty then. With --labels the inputs are instance label images and
    diameter_px is the median equivalent diameter 2*sqrt(area/pi) of their objects (objects = labels).
    A last row named 'summary' gives, for images, the median of the measured estimates, and for labels
    the median over all objects of all inputs (what sn-train and sn-train-star record for their data).

    The estimator (docs/nuclear-scale.md): at Gaussian smoothing levels sigma = 1, 1.4, 2, 2.8, ... px,
    objects above a global Otsu threshold, each measured at 30 % of its own peak above the background
    (stopping at saddles between touching nuclei);
    the median equivalent diameter at the level(s) where it holds across smoothing and is large against
    sigma. --levels shows each level's figures. It is what --diameter auto does in sn-enhance,
    sn-segment, sn-train and sn-train-star.

    EXIT STATUS: 0 all inputs measured (or reported as no_contrast/no_nuclei), 1 some inputs could not be
    read (reported on stderr, the rest measured), 2 usage error.

    EXAMPLES:
      sn-diameter raw/*.tif
      sn-synth --style source --diameter 24 --count 4 --out syn | sn-diameter
      sn-diameter --labels syn/masks/*.tif
    """)
spec.extremeValues = """
    NaN and ±∞ pixels are ignored by the percentiles and the threshold and count as background; a
    plane whose percentile range is zero, subnormal or not finite has status no_contrast.
    """
let labelsKey = spec.flag("labels", help: "Inputs are instance label images: print their median equivalent diameter.")
let channelKey = spec.option("channel", default: 0, help: "Channel index (0-based).")
let timeKey = spec.flag("time", help: "Add a column 'seconds': the estimation's wall time (reading excluded).")
let levelsKey = spec.flag("levels", help: "Print each smoothing level's measurement instead (name, sigma_px, objects, median_px).")

let args = spec.parseOrExit()
guard args[channelKey] >= 0 else { spec.usageExit("--channel must be 0 or more, got \(args[channelKey])") }
let inputs = spec.inputsOrExit(args)
let estimator = DiameterEstimator()

func row(_ name: String, _ diameter: Double?, _ count: Int, _ status: String) -> String {
    let d = diameter.map { String(format: "%.2f", $0) } ?? ""
    return "\(name)\t\(d)\t\(count)\t\(status)"
}

writeStdout(args[levelsKey] ? "name\tsigma_px\tobjects\tmedian_px\n"
            : "name\tdiameter_px\tobjects\tstatus" + (args[timeKey] ? "\tseconds\n" : "\n"))
var batch = Batch(tool: spec.name)
var pooled: [Double] = [], estimates: [Double] = []
for input in inputs {
    batch.process(input) {
        let file = try ImageFile(path: input)
        let dims = file.dimensions
        let channel = args[channelKey]
        try ToolError.checkIndex(channel, option: "channel", size: dims.sizeC, axis: "channels", of: input)
        if args[labelsKey] {
            var all: [[UInt32]] = []
            for t in 0..<dims.sizeT { for z in 0..<dims.sizeZ { all.append(try file.labels(channel: channel, z: z, t: t).labels) } }
            let diameters = all.flatMap(MaskDiameter.equivalentDiameters)
            pooled += diameters
            let median = MaskDiameter.median(values: diameters)
            return [row(input, median, diameters.count, median == nil ? "no_objects" : "measured")]
        }
        var planes: [[Float]] = []
        var (w, h) = (0, 0)
        for t in 0..<dims.sizeT {
            for z in 0..<dims.sizeZ {
                let p = try file.plane(channel: channel, z: z, t: t)
                (w, h) = (p.width, p.height)
                planes.append(p.pixels)
            }
        }
        if args[levelsKey] {
            let levels = estimator.levelDiameters(stack: planes, width: w, height: h)
            return (levels ?? []).map { l in
                String(format: "%@\t%.2f\t%d\t%@", input, l.sigma, l.diameters.count, MaskDiameter.median(values: l.diameters).map { String(format: "%.2f", $0) } ?? "")
            }
        }
        let start = monotonicSeconds()
        let e = estimator.estimate(stack: planes, width: w, height: h)
        let seconds = monotonicSeconds() - start
        if let d = e.diameter { estimates.append(d) }
        return [row(input, e.diameter, e.objectCount, e.status.rawValue) + (args[timeKey] ? String(format: "\t%.4f", seconds) : "")]
    }
}
let summary = args[labelsKey] ? pooled : estimates
if !args[levelsKey] {
    writeStdout(row("summary", MaskDiameter.median(values: summary), summary.count, summary.isEmpty ? "none" : "measured") + (args[timeKey] ? "\t\n" : "\n"))
}
batch.exit()
