// sn-synth: make synthetic fluorescence nuclei images with instance masks, in the low-light "source"
// style or the high-saliency "target" style, as 16-bit TIFFs (2-D or Z stacks) plus a manifest.
import Foundation
import MicroscopyIO
import Synthesis
import ToolSupport

/// The `--style` spellings (mapped onto `SynthesisStyle`).
enum StyleOption: String, ArgumentChoice {
    case source, target, lowlight, filled
    var style: SynthesisStyle {
        switch self {
        case .source: .source
        case .target: .target
        case .lowlight: .lowLight
        case .filled: .filled
        }
    }
}
/// `--compression none|lzw|deflate` reads MicroscopyIO's enum directly (its raw values are the spellings).
extension TIFFCompression: @retroactive ArgumentChoice {}

var spec = CommandSpec(
    name: "sn-synth",
    summary: "Make synthetic fluorescence nuclei images with instance masks (low-light source or salient target style).",
    positionalUsage: "",
    discussion: """
    sn-synth takes no inputs. It writes, for each image NAME (PREFIX_0000, PREFIX_0001, ...):
      DIR/images/NAME.tif   16-bit camera counts (a Z stack with --stack N)
      DIR/masks/NAME.tif    uint16 instance labels, 0 = background, 1..K nuclei (per slice for stacks;
                            a nucleus keeps its label in every slice that cuts it)
      DIR/manifest.tsv      the seed, every style parameter, and per image its seed, nucleus count,
                            SNR = (max in nuclei - mean background) / std background, and the drawn
                            conditions (photons, density factor, PSF, haze, illumination, autofluorescence)
    STDOUT: each written IMAGE path, one a line, in index order (not the mask paths), so that
      sn-synth --style source --out syn | sn-enhance --out enhanced
    works. Progress and diagnostics go to stderr.

    Styles (parameters in docs/synthetic-data.md): 'source' is low light: 12-50 photons, haze, uneven
    illumination, nucleus brightness spread over 0.3-1 (log-uniform); SNR about 11-20, Otsu fails.
    'target' is salient: 150-600 photons, little haze, brightness 0.5-1; SNR about 24-43.
    'lowlight' spans what users have: 2-60 photons, brightness over a decade, coarser texture, haze 0.3-1,
    sparse to dense fields; 'filled' is salient with smooth, filled interiors (no texture, no nucleoli).
    The same seed gives the same nucleus layout in both styles (paired sets); use different seeds
    for the unpaired training sets.
    Images are a pure function of (style, size, stack, density, diameter, seed, index): the same command
    writes byte-identical files, whatever --threads.

    EXIT STATUS: 0 all written, 1 some images could not be written (reported, the rest written),
    2 usage error (nothing written).

    EXAMPLE: the paper's DS_synth and TS_synth sets
      sn-synth --style source --count 1500 --seed 1 --out data/DS_synth
      sn-synth --style target --count 2000 --seed 2 --out data/TS_synth
    """)
let outKey = spec.optionalOption("out", as: String.self, help: "Output folder (created if missing). Required.")
let styleKey = spec.option("style", default: StyleOption.source, help: "Look of the images.")
let countKey = spec.option("count", default: 100, help: "Number of images (1...1000000).")
let sizeKey = spec.option("size", default: 256, help: "Image width and height, px (16...8192).")
let widthKey = spec.optionalOption("width", as: Int.self, help: "Image width, px (16...8192); default: --size.")
let heightKey = spec.optionalOption("height", as: Int.self, help: "Image height, px (16...8192); default: --size.")
let seedKey = spec.option("seed", default: 1, help: "Global seed (0 or more); image i uses a seed derived from it and i.")
let densityKey = spec.optionalOption("density", as: Double.self,
                                     help: "Mean in-focus nuclei per 10^4 px^2 (0...60]; each image draws 0.35-1.65x of it (default: 10, as the real Hoechst frames where cells grow; 13 gives the paper's 86 per 256x256 image).")
let diameterKey = spec.optionalOption("diameter", as: Double.self,
                                      help: "Median nucleus outline equivalent diameter, px [3, 100] (default: 12.2, whose masks measure 11.8 px like the real nuclei).")
let stackKey = spec.option("stack", default: 1, help: "Z slices per image (1 = 2-D; 2...256 = Z stack whose focus varies from slice to slice).")
let prefixKey = spec.optionalOption("prefix", as: String.self, help: "File name prefix (default: the style, e.g. source_0000.tif).")
let threadsKey = spec.option("threads", default: 0, help: "Worker threads (0 = one per core).")
let compressionKey = spec.option("compression", default: TIFFCompression.deflate, help: "TIFF compression.")

let args = spec.parseOrExit()
guard let outPath = args[outKey] else { spec.usageExit("--out DIR is required") }
let style = args[styleKey].style
let count = args[countKey]
guard (1...1_000_000).contains(count) else { spec.usageExit("--count must be 1...1000000, got \(count)") }
let width = args[widthKey] ?? args[sizeKey]
let height = args[heightKey] ?? args[sizeKey]
for (name, value) in [("size", args[sizeKey]), ("width", width), ("height", height)] where !(16...8192).contains(value) {
    spec.usageExit("--\(name) must be 16...8192 px, got \(value)")
}
guard args[seedKey] >= 0 else { spec.usageExit("--seed must be 0 or more, got \(args[seedKey])") }
let seed = UInt64(args[seedKey])
let slices = args[stackKey]
guard (1...256).contains(slices) else { spec.usageExit("--stack must be 1...256 slices, got \(slices)") }
var parameters = style.parameters
if let density = args[densityKey] {
    guard density > 0 && density <= 60 else { spec.usageExit("--density must be in (0, 60] nuclei per 10^4 px^2, got \(density)") }
    parameters.nuclei.density = density
}
if let diameter = args[diameterKey] {
    guard diameter >= 3 && diameter <= 100 else { spec.usageExit("--diameter must be 3...100 px, got \(diameter)") }
    guard diameter <= Double(min(width, height)) / 2 else {
        spec.usageExit("--diameter \(diameter) px is more than half the image (\(width) x \(height))")
    }
    parameters.nuclei.diameter = diameter
}
let prefix = args[prefixKey] ?? style.rawValue
guard !prefix.isEmpty, !prefix.contains("/"), !prefix.hasPrefix("."), !prefix.contains("\n"), !prefix.contains("\t") else {
    spec.usageExit("--prefix must be a non-empty file name without '/', tabs or newlines, not starting with '.'")
}
guard args[threadsKey] >= 0 && args[threadsKey] <= 256 else { spec.usageExit("--threads must be 0...256, got \(args[threadsKey])") }
let threads = min(count, args[threadsKey] == 0 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : args[threadsKey])
let compression = args[compressionKey]

let imagesFolder = PathName.join(outPath, "images")
let masksFolder = PathName.join(outPath, "masks")
do {
    try OutputDirectory.makeDirectories(imagesFolder)
    try OutputDirectory.makeDirectories(masksFolder)
    for folder in [imagesFolder, masksFolder] { removeStaleTemporaryFiles(in: folder) }   // left by a killed run
} catch {
    spec.usageExit("\(error)")
}

/// One run's settings; `make` is called from the worker threads.
struct Job: Sendable {
    let generator: SyntheticImageGenerator
    let imagesFolder: String
    let masksFolder: String
    let prefix: String
    let digits: Int
    let compression: TIFFCompression

    func name(_ index: Int) -> String {
        let number = String(index)
        return prefix + "_" + String(repeating: "0", count: max(0, digits - number.count)) + number
    }

    func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    /// Makes and writes image `index`; returns its path and manifest row, or the write error.
    func make(_ index: Int) -> Outcome {
        let base = name(index)
        let imagePath = PathName.join(imagesFolder, base + ".tif")
        let maskPath = PathName.join(masksFolder, base + ".tif")
        let image = generator.image(at: index)
        let (width, height, slices) = (image.width, image.height, image.slices)
        let layout: HyperstackLayout? = slices > 1 ? HyperstackLayout(channels: 1, slices: slices, frames: 1) : nil
        let planes = (0..<slices).map { k in
            ImagePlane(width: width, height: height, pixels: image.slicePixels(k).map(Float.init), sampleType: .uint16)
        }
        let masks = (0..<slices).map { k in
            LabelImage(width: width, height: height, labels: Array(image.sliceLabels(k)))
        }
        let c = image.conditions
        let row = [base, "images/\(base).tif", "masks/\(base).tif", String(generator.imageSeed(index)),
                   String(image.nucleusCount), image.signalToNoise.map { format($0, 3) } ?? "NA",
                   format(c.photons, 2), format(c.densityFactor, 3), format(c.psfSigma, 3), format(c.haze, 3),
                   format(c.illuminationFalloff, 3), format(c.illuminationGradient, 3), format(c.autofluorescence, 3)]
            .joined(separator: "\t")
        do {
            guard image.nucleusCount <= Int(UInt16.max) else {
                throw ToolError("\(maskPath): \(image.nucleusCount) nuclei do not fit uint16 labels; lower --density or the size")
            }
            try writeFilesAtomically(to: [imagePath, maskPath]) { t in   // both or neither (e.g. on a full disk)
                try writeTIFF(planes, to: t[0], sampleType: .uint16, compression: compression, layout: layout)
                try writeLabels(masks, to: t[1], sampleType: .uint16, compression: compression, layout: layout)
            }
            return Outcome(imagePath: imagePath, row: row, error: nil)
        } catch {
            return Outcome(imagePath: imagePath, row: row, error: "\(error)")
        }
    }
}

/// What a worker reports for one image.
struct Outcome: Sendable {
    var imagePath: String
    var row: String
    /// The one-line error, when the image could not be written.
    var error: String?
}

/// Results handed from the workers to the main thread, which prints them in index order.
final class Results: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [Outcome?]
    private var nextIndex = 0
    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// The next index to make, or nil when all are taken.
    func claim() -> Int? {
        condition.lock(); defer { condition.unlock() }
        guard nextIndex < slots.count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    /// Stores the outcome of image `index`.
    func put(_ index: Int, _ outcome: Outcome) {
        condition.lock()
        slots[index] = outcome
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for, and removes, the outcome of image `index`.
    func take(_ index: Int) -> Outcome {
        condition.lock(); defer { condition.unlock() }
        while slots[index] == nil { condition.wait() }
        let outcome = slots[index]!
        slots[index] = nil
        return outcome
    }
}

let job = Job(generator: SyntheticImageGenerator(parameters: parameters, width: width, height: height,
                                                 slices: slices, seed: seed),
              imagesFolder: imagesFolder, masksFolder: masksFolder, prefix: prefix,
              digits: max(4, String(count - 1).count), compression: compression)
let results = Results(count: count)
for _ in 0..<threads {
    Thread.detachNewThread { [job, results] in
        while let index = results.claim() {
            results.put(index, job.make(index))
        }
    }
}

var batch = Batch(tool: spec.name)
var progress = ProgressReporter(label: "sn-synth \(style.rawValue)", total: count)
var rows: [String] = []
for index in 0..<count {
    let outcome = results.take(index)
    batch.process(outcome.imagePath) {
        if let error = outcome.error { throw ToolError(error) }
        rows.append(outcome.row)
        return [outcome.imagePath]
    }
    progress.update(completed: index + 1)
}
progress.finish()

// The manifest: global settings as '# key<TAB>value' lines, then one row per written image.
var manifest = "# sn-synth synthetic nuclei\n"
for (key, value) in [("style", style.rawValue), ("seed", String(seed)), ("count", String(count)),
                     ("width", String(width)), ("height", String(height)), ("slices", String(slices)),
                     ("prefix", prefix),
                     ("snr", "(max intensity in nuclei - mean background) / std background, over all slices"),
                     ("imageSeed", "SplitMix64.derived(seed, index)")] + parameters.entries {
    manifest += "# \(key)\t\(value)\n"
}
manifest += ["name", "image", "mask", "imageSeed", "nuclei", "snr", "photons", "densityFactor", "psfSigma", "haze",
             "illuminationFalloff", "illuminationGradient", "autofluorescence"].joined(separator: "\t") + "\n"
for row in rows { manifest += row + "\n" }
let manifestPath = PathName.join(outPath, "manifest.tsv")
do {
    try writeFileAtomically(Array(manifest.utf8), to: manifestPath)
} catch {
    batch.diagnostics.error("\(error)")
    exitProcess(.someInputsFailed)
}
batch.exit()
