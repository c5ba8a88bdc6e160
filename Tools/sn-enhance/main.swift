// sn-enhance: apply a trained SaliencyNet generator G (low saliency → high saliency) to fluorescence images.
//
// Each plane (2-D image, Z slice, time point) of the chosen channel is normalised by its own percentiles
// (the model's, default 1 and 99.8 %), passed through G whole or in exact tiles (CycleGAN's TiledGenerator:
// global instance-norm statistics, so tiling changes nothing but memory), and mapped back to the input's
// intensities. docs/enhancement.md.
import CycleGAN
import SaliencyTraining
import MicroscopyIO
import NN
import NuclearScale
import Segmentation
import TensorCore
import ToolSupport

enum OutputFormat: String, ArgumentChoice { case tif, png }
enum OutputType: String, ArgumentChoice { case same, uint8, uint16, float32 }
enum OutputRange: String, ArgumentChoice { case input, normalized }
/// `--compression none|lzw|deflate` reads MicroscopyIO's enum directly (its raw values are the spellings).
extension TIFFCompression: @retroactive ArgumentChoice {}

/// The generator shipped in the repository's Models/ folder.
let defaultModel = "saliencynet.safetensors"
/// The shipped generator for small nuclei (`scripts/train_small_nuclei_model.sh`: every source crop softened
/// by 1.41–2.83×, `sn-train --source-downsample 2.83 --source-downsample-min 1.41`; docs/training.md), used
/// without --model for inputs that must be enlarged by more than ``smallNucleusEnlargement``.
let smallNucleusModel = "saliencynet-small-nuclei.safetensors"
/// √2: nuclei under 0.71 × the model's diameter (8.3 px for 11.7 px). The default model leads at the
/// model's scale, the small-nucleus model at half of it (docs/nuclear-scale.md); this is their geometric middle.
let smallNucleusEnlargement = 2.0.squareRoot()

var spec = CommandSpec(
    name: "sn-enhance",
    summary: "Enhance low-light fluorescence images with a trained SaliencyNet generator (G: low → high saliency).",
    positionalUsage: "[IMAGE ...]",
    discussion: """
    INPUTS: images (TIFF, OME-TIFF, ImageJ hyperstacks, PNG) of any size as arguments; with none, or with
    '-', one path a line is read from stdin. Every plane (Z slice, time point) of --channel is enhanced on
    its own.
    OUTPUTS: DIR/NAME.tif (or .png) for each input NAME; a stack gives a stack of the same Z/T shape (one
    channel). Each written path is printed on stdout.

    Per plane: the intensities at the model's low and high percentiles (stored in the model file; 1 and
    99.8 % by default) map to -1 and 1, G runs on the result (padded by reflection to a multiple of 4),
    and its output in (-1, 1) maps back with the same two intensities (-1 -> low, 1 -> high).
    A constant plane is written unchanged (no contrast to enhance).

    Nucleus size (--diameter, docs/nuclear-scale.md): G works at the nucleus diameter of its training data
    (stored in the model file, 11.7 px for the shipped model). Each image's (or stack's) median nucleus
    diameter is estimated from the image ('auto', the default) or given in pixels; every plane is then
    resampled so that its nuclei match the model's (anti-aliased when shrinking, interpolated when
    growing; nothing is resampled within 5 %), enhanced, and resampled back onto its own grid: the output
    has exactly the input's shape. The diameter used is printed on stderr for each input and stored in
    the output TIFF's ImageJ description (nucleus_diameter_px=...). Where no nuclei stand out, the
    model's own diameter is used (nothing rescaled) with a note. Check an estimate with sn-diameter, and
    give --diameter D when it is wrong.
    Without --model, inputs whose nuclei are below 0.71 x the model's diameter (enlarged more than
    sqrt(2)) are enhanced by the shipped small-nucleus generator (saliencynet-small-nuclei.safetensors,
    trained on softened source crops: it draws 6 px nuclei closer to their size), the rest by
    saliencynet.safetensors; stderr names the generator used when it is the small-nucleus one.
    --tile N runs G on N x N tiles with the whole image's instance-norm statistics: the result equals the
    whole-image pass (to ~1e-5 of the [-1, 1] range) with far less memory; --tile 0 runs whole images.
    Below full resolution it keeps whole Float32 feature maps (3 x ngf bytes per pixel: 1.6 GB for a
    4096 x 4096 plane with ngf 32) while they fit in --map-memory MiB (default 2048). A larger plane
    streams: one Float16 map at a quarter of the resolution (ngf/2 bytes per pixel) and every layer tile by
    tile, about twice the time, the result equal to the whole pass to Float16 rounding (~1e-3).

    Values written (--range): 'input' keeps the input's intensity scale, clamped to the output type;
    'normalized' writes G's own output: float32 in (-1, 1), integers spread over the type's range
    (-1 -> 0, 1 -> 255 or 65535). The default is 'input' when the output type holds the input's
    (--type same, float32, uint16 from 8/16-bit, uint8 from 8-bit), otherwise 'normalized'.
    --type same writes the input's sample type (uint16 for 16-bit microscopy).
    TIFF outputs keep the input's pixel size, unit, Z spacing, frame interval and channel name (ImageJ
    resolution tags and description); X.ome.tif is written as X.tif (no OME-XML).

    Trust report (--report FILE.tsv, docs/enhancement.md): per plane, the nucleus candidates of the input
    (blobs at the estimated diameter standing out from the noise) and the nuclei of the enhanced image (Otsu
    components), the candidates the enhanced foreground does not cover (erased), the enhanced nuclei with
    no blob beneath them (invented), and the foreground fraction before and after. A warning on stderr names
    every plane where more than 10 % of the candidates were erased or invented (and at least 2).

    EXIT STATUS: 0 all inputs enhanced, 1 some inputs failed (reported on stderr, the rest enhanced),
    2 usage error (including an unreadable or foreign model file).

    EXAMPLES:
      sn-enhance --model g.safetensors --out enhanced raw/*.tif
      ls raw/*.tif | sn-enhance --out enhanced | sn-segment --method otsu --out masks
      sn-enhance --format png --type uint8 --out previews movie.tif     (a single plane only)
    """)
spec.extremeValues = """
    NaN and ±∞ pixels enter G as the low percentile. A plane without finite range (constant, or no
    finite value) is written unchanged. Ranges of subnormal values or wider than 3.4e38 are normalised
    and mapped back in Float64, so the output stays finite and within the input's range.
    """
let outKey = spec.optionalOption("out", as: String.self, help: "Output folder (created if missing). Required.")
let modelKey = spec.optionalOption("model", as: String.self,
                                   help: "The generator file (.safetensors from sn-train), or a run folder of sn-train (its best-generator.safetensors, else its last.safetensors); default: the shipped \(defaultModel).")
let tileKey = spec.option("tile", default: 512, help: "Tile side in pixels (rounded up to a multiple of 4); 0 = whole image.")
let mapMemoryKey = spec.option("map-memory", default: TiledGenerator.defaultMapBudget >> 20,
                               help: "MiB of whole Float32 feature maps a tiled plane may hold; larger planes stream through one Float16 map (see below). 0 = always stream.")
let channelKey = spec.option("channel", default: 0, help: "Channel index (0-based).")
let typeKey = spec.option("type", default: OutputType.same, help: "Output sample type.")
let rangeKey = spec.optionalOption("range", as: OutputRange.self,
                                   help: "Value scale written (see below); default from --type.")
let formatKey = spec.option("format", default: OutputFormat.tif, help: "Output container (PNG: one plane, 8/16-bit).")
let compressionKey = spec.option("compression", default: TIFFCompression.deflate, help: "TIFF compression.")
let threadsKey = spec.option("threads", default: 0, help: "Threads for the network (0 = one per core).")
let diameterKey = spec.diameterOption()
let progressKey = spec.flag("progress", help: "Show the progress of the tiles of large planes even when stderr is not a terminal.")
let reportKey = spec.optionalOption("report", as: String.self,
                                    help: "Write the trust report (TSV, one row per plane: erased and invented nuclei) to this file.")

let args = spec.parseOrExit()
// Idle OpenBLAS workers must not spin through our own parallel kernels (docs/nn.md); before any BLAS call.
BLAS.setWorkerSpinTimeout(log2Cycles: BLAS.defaultWorkerSpinTimeoutLog2Cycles)
// Reuse freed activation memory instead of faulting fresh pages in for every layer (docs/tensor.md).
Allocation.reuseFreedMemory()
guard let outPath = args[outKey] else { spec.usageExit("--out DIR is required") }
guard args[tileKey] >= 0 && args[tileKey] <= 1 << 20 else { spec.usageExit("--tile must be 0 (whole image) or a positive size, got \(args[tileKey])") }
guard args[mapMemoryKey] >= 0 && args[mapMemoryKey] <= 1 << 30 else { spec.usageExit("--map-memory must be 0 or more MiB, got \(args[mapMemoryKey])") }
guard args[channelKey] >= 0 else { spec.usageExit("--channel must be 0 or more, got \(args[channelKey])") }
guard args[threadsKey] >= 0 && args[threadsKey] <= 256 else { spec.usageExit("--threads must be 0...256, got \(args[threadsKey])") }
let format = args[formatKey]
let outputType = args[typeKey]
if format == .png && outputType == .float32 {
    spec.usageExit("PNG stores 8- or 16-bit integers; use --format tif for --type float32")
}
if args[threadsKey] > 0 { Parallel.threadCount = args[threadsKey] }

guard let modelArgument = args[modelKey] ?? ShippedModels.locate(defaultModel) else {
    spec.usageExit("no --model given and the shipped \(defaultModel) was not found in "
                   + ShippedModels.searchFolders().joined(separator: ", "))
}
guard let modelPath = RunFolder.modelFile(modelArgument) else {
    spec.usageExit("\(modelArgument): a folder without best-generator.safetensors or last.safetensors (not an sn-train run)")
}
// Tiles of one large plane: a progress line on a terminal, or with --progress (ToolSupport's TileProgress).
let tileProgress = TileProgress(label: "\(spec.name) tiles", enabled: TileProgress.enabled(flag: args[progressKey]))

/// The generator file at `path` as an enhancer with the options' tiling, map budget and progress, and the
/// model's nucleus diameter. Throws for an unreadable, foreign or multi-channel file (the message names it).
func loadEnhancer(_ path: String) throws -> (enhancer: Enhancer, diameter: Double?) {
    let model = try GeneratorModel.load(from: path)
    let channels = model.generator.options.inputChannels
    guard channels == 1 && model.generator.options.outputChannels == 1 else {
        throw ToolError("\(path): the generator maps \(channels) channels; sn-enhance applies one-channel models")
    }
    var enhancer = Enhancer(model: model, tileSize: args[tileKey])
    enhancer.generator.mapStorage = .automatic(budget: args[mapMemoryKey] << 20)
    enhancer.generator.progress = tileProgress.report
    return (enhancer, model.nucleusDiameter)
}

let enhancer: Enhancer, modelDiameter: Double?
do {
    (enhancer, modelDiameter) = try loadEnhancer(modelPath)
} catch {
    spec.usageExit("\(error)")
}
if modelDiameter == nil {
    Diagnostics(tool: spec.name).warning("\(modelPath): the model records no training.nucleus_diameter; images are enhanced at their own scale")
}
/// Without --model: the shipped small-nucleus generator's path when it is there (loaded on first use).
let smallModelPath: String? = args[modelKey] == nil ? ShippedModels.locate(smallNucleusModel) : nil
/// The small-nucleus enhancer: loaded when an input first needs it, or unusable (warned once).
enum SmallNucleusEnhancer { case notLoaded, loaded(Enhancer, diameter: Double), unusable }
nonisolated(unsafe) var smallEnhancer = SmallNucleusEnhancer.notLoaded

/// The enhancer for an input whose nuclei are `diameter` px: the small-nucleus one when the input must be
/// enlarged by more than √2 and no --model was given, else the model's; with its nucleus diameter.
func enhancerFor(diameter: Double) -> (enhancer: Enhancer, diameter: Double?, small: Bool) {
    guard let path = smallModelPath, let md = modelDiameter, md / diameter > smallNucleusEnlargement else {
        return (enhancer, modelDiameter, false)
    }
    if case .notLoaded = smallEnhancer {
        do {
            let small = try loadEnhancer(path)
            guard let d = small.diameter else { throw ToolError("\(path): the model records no training.nucleus_diameter") }
            smallEnhancer = .loaded(small.enhancer, diameter: d)
        } catch {
            Diagnostics(tool: spec.name).warning("\(error); enhancing small nuclei with \(defaultModel)")
            smallEnhancer = .unusable
        }
    }
    guard case let .loaded(small, d) = smallEnhancer else { return (enhancer, modelDiameter, false) }
    return (small, d, true)
}
let compression = args[compressionKey]
let inputs = spec.inputsOrExit(args)
var output = spec.outputDirectoryOrExit(outPath)

/// The largest value of an integer sample type.
func maximum(_ type: SampleType) -> Float? {
    switch type {
    case .uint8: 255
    case .uint16: 65535
    case .float32: nil
    }
}

/// Enhances one plane into values of `type` on `range`'s scale, at the model's nucleus scale (`mapping`).
func enhance(_ plane: ImagePlane, as type: SampleType, range: OutputRange, mapping: ScaleMapping,
             with enhancer: Enhancer) -> ImagePlane {
    let p = enhancer.percentiles
    let bounds = IntensityNormalization.percentiles(of: plane.pixels, low: p.low, high: p.high)
    let scaled = mapping.toModel(plane.pixels, width: plane.width, height: plane.height)
    var values: [Float]
    switch range {
    case .input:
        values = enhancer.enhance(scaled.pixels, width: scaled.width, height: scaled.height, low: bounds.low, high: bounds.high,
                                  clampedTo: maximum(type).map { 0...$0 })
    case .normalized:
        values = enhancer.enhance(scaled.pixels, width: scaled.width, height: scaled.height, low: bounds.low, high: bounds.high,
                                  scale: .normalized, clampedTo: -1...1)
    }
    values = mapping.fromModel(values, scaledWidth: scaled.width, scaledHeight: scaled.height, width: plane.width, height: plane.height)
    if range == .normalized, let top = maximum(type) {
        for i in values.indices { values[i] = (values[i] + 1) * (top / 2) }
    }
    return ImagePlane(width: plane.width, height: plane.height, pixels: values, sampleType: type)
}

/// Whether `wide` holds every value of `narrow`.
func holds(_ wide: SampleType, _ narrow: SampleType) -> Bool {
    switch wide {
    case .float32: true
    case .uint16: narrow != .float32
    case .uint8: narrow == .uint8
    }
}

/// Rows of the --report table, in input and plane order.
var reportRows: [String] = []

/// The trust report of one file's planes (--report): a row each, and a warning for each flagged plane.
func assessTrust(_ input: String, inputs: [ImagePlane], outputs: [ImagePlane], diameter: Double, sizeZ: Int) -> [String] {
    var rows: [String] = []
    for (i, (before, after)) in zip(inputs, outputs).enumerated() {
        let trust = EnhancementTrust.assess(input: before, enhanced: after, diameter: diameter)
        let (z, t) = (i % sizeZ, i / sizeZ)
        rows.append(EnhancementTrustTable.row(file: input, plane: i, z: z, t: t, trust))
        if trust.flag != "none" {
            let percent = { (v: Double) in String(Int((100 * v).rounded())) + " %" }
            Diagnostics(tool: spec.name).warning("\(input): plane \(i) (z \(z), t \(t)): enhancement \(trust.flag): "
                + "\(trust.erased) of \(trust.inputCandidates) nucleus candidates erased (\(percent(trust.erasedFraction))), "
                + "\(trust.invented) nuclei invented (\(percent(trust.inventedFraction)))")
        }
    }
    return rows
}

var progress: ProgressReporter? = inputs.count > 1 ? ProgressReporter(label: spec.name, total: inputs.count) : nil

func enhanceFile(_ input: String) throws -> [String] {
    let file = try ImageFile(path: input)
    let dims = file.dimensions
    let channel = args[channelKey]
    try ToolError.checkIndex(channel, option: "channel", size: dims.sizeC, axis: "channels", of: input)
    let planeCount = dims.sizeZ * dims.sizeT
    if format == .png && planeCount > 1 {
        throw ToolError("\(input): PNG holds one plane but the file has \(planeCount) (Z \(dims.sizeZ), T \(dims.sizeT)); use --format tif")
    }
    guard let sourceType = file.sampleType(page: try file.pageIndex(channel: channel)) else {
        throw ToolError("\(input): unsupported sample type")
    }
    let type: SampleType = switch outputType {
    case .same: sourceType
    case .uint8: .uint8
    case .uint16: .uint16
    case .float32: .float32
    }
    let range = args[rangeKey] ?? (holds(type, sourceType) ? .input : .normalized)
    let destination = try output.destination(for: input, newExtension: format.rawValue)
    // T outer, Z inner: the order of an ImageJ hyperstack with one channel.
    var inputs: [ImagePlane] = []
    for t in 0..<dims.sizeT {
        for z in 0..<dims.sizeZ { inputs.append(try file.plane(channel: channel, z: z, t: t)) }
    }
    // Without a model diameter there is nothing to bring the image to: it is enhanced at its own scale.
    var resolved: ResolvedDiameter? = nil
    var mapping = ScaleMapping(imageDiameter: 1, modelDiameter: 1)
    var chosen: (enhancer: Enhancer, diameter: Double?, small: Bool) = (enhancer, modelDiameter, false)
    if let modelDiameter {
        let r = ResolvedDiameter.resolve(args[diameterKey], planes: inputs.map(\.pixels), width: inputs[0].width,
                                         height: inputs[0].height, fallback: modelDiameter)
        chosen = enhancerFor(diameter: r.diameter)
        let used = chosen.diameter ?? modelDiameter   // the chosen generator's own diameter (set whenever the model's is)
        Diagnostics(tool: spec.name).note("\(input): " + r.summary(modelDiameter: used)
                                          + (chosen.small ? "; small nuclei: \(smallNucleusModel)" : ""))
        mapping = ScaleMapping(imageDiameter: r.diameter, modelDiameter: used)
        resolved = r
    }
    var planes: [ImagePlane] = []
    var planeProgress = progress == nil && planeCount > 1 ? ProgressReporter(label: "\(spec.name) \(PathName.fileName(input))", total: planeCount) : nil
    for plane in inputs {
        planes.append(enhance(plane, as: type, range: range, mapping: mapping, with: chosen.enhancer))
        planeProgress?.update(completed: planes.count)
    }
    planeProgress?.finish()
    var trustRows: [String] = []
    if args[reportKey] != nil {
        let d = resolved?.diameter ?? ResolvedDiameter.resolve(args[diameterKey], planes: inputs.map(\.pixels), width: inputs[0].width,
                                                               height: inputs[0].height, fallback: 11.7).diameter
        trustRows = assessTrust(input, inputs: inputs, outputs: planes, diameter: d, sizeZ: dims.sizeZ)
    }
    switch format {
    case .tif:
        let layout: HyperstackLayout? = planes.count > 1 ? HyperstackLayout(channels: 1, slices: dims.sizeZ, frames: dims.sizeT) : nil
        try writeTIFF(planes, to: destination, sampleType: type, compression: compression, layout: layout,
                      metadata: file.metadata(channel: channel).withoutDisplayRange,   // pixel size, unit, channel name
                      annotations: (resolved?.annotations(modelDiameter: chosen.diameter) ?? [])
                        + (chosen.small ? [(key: "generator", value: smallNucleusModel)] : []))
    case .png:
        guard type != .float32 else {
            throw ToolError("\(input): the image holds float32 samples; PNG needs --type uint8 or uint16")
        }
        try writePNG(planes[0], to: destination, sampleType: type == .uint8 ? .uint8 : .uint16)
    }
    reportRows += trustRows   // only for written outputs
    return [destination]
}

var batch = Batch(tool: spec.name)
for (i, input) in inputs.enumerated() {
    batch.process(input) { try enhanceFile(input) }
    progress?.update(completed: i + 1)
}
progress?.finish()
if let reportPath = args[reportKey] {
    let text = ([EnhancementTrustTable.header] + reportRows).joined(separator: "\n") + "\n"
    do {
        try writeFileAtomically(Array(text.utf8), to: reportPath)
    } catch {
        batch.diagnostics.error("\(reportPath): cannot write the trust report: \(error)")
        exitProcess(.someInputsFailed)
    }
}
batch.exit()
