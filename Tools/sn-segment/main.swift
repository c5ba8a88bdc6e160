// sn-segment: segment nuclei in fluorescence images with fixed parameters and write instance label images.
//
// Methods: global Otsu (the paper's fixed-parameter baseline) and an adaptive local-mean threshold, each
// followed by connected-component labelling; optional hole filling and small-object removal.
import MicroscopyIO
import NuclearScale
import Segmentation
import StarSegmentation
import TensorCore
import ToolSupport

enum MethodOption: String, ArgumentChoice { case otsu, adaptive, star }
/// How the Z slices of a stack are labelled: as one volume (3-D labels) or each on its own.
enum StackModeOption: String, ArgumentChoice { case volume, planes }
enum ConnectivityOption: String, ArgumentChoice, CustomStringConvertible {
    case four = "4", eight = "8"
    var description: String { rawValue }
    var connectivity: Connectivity { self == .four ? .four : .eight }
}
/// `--compression none|lzw|deflate` reads MicroscopyIO's enum directly (its raw values are the spellings).
extension TIFFCompression: @retroactive ArgumentChoice {}

var spec = CommandSpec(
    name: "sn-segment",
    summary: "Segment nuclei with fixed parameters (global Otsu, an adaptive local threshold, or star-convex polygons) into instance labels.",
    positionalUsage: "[IMAGE ...]",
    discussion: """
    INPUTS: images (TIFF, OME-TIFF, ImageJ hyperstacks, PNG) as arguments; with none, or with '-', one path
    a line is read from stdin. Each plane (Z slice, time point) of --channel is segmented; Z stacks are
    labelled in 3-D by default (--stack-mode, below).
    OUTPUTS: DIR/NAME.tif for each input NAME: instance labels, 0 = background, 1..K nuclei numbered in
    raster order of their first pixel; uint16, or uint32 when an image has more than 65535 objects. A
    stack gives a label stack of the same Z/T shape. Each written path is printed on stdout.

    Z stacks (--stack-mode): 'volume' (the default) gives 3-D labels: a nucleus keeps one label through
    the slices it spans. star: each slice is segmented in 2-D, then the slices' labels are stitched by
    overlap (each object takes the label of the object of the slice above with the highest IoU when that
    IoU >= --stitch-threshold, one-to-one, greedy by IoU; otherwise a new label; numbered in order of first
    appearance), so two objects kept apart in a slice are never merged. otsu: one Otsu threshold over the
    whole stack; adaptive: each slice's own local threshold; then (after per-slice --fill-holes) 3-D
    connected components, --connectivity 4 = 6-connected (faces), 8 = 26-connected (faces, edges,
    corners); --min-area / --min-fraction apply to an object's largest cross-section. The time points of
    a Z/T hyperstack are labelled one by one, numbers continuing so that each label is unique in the file.
    'planes' labels every plane on its own (numbers restart in each plane). A 2-D image, or a stack of one
    slice, gets the same labels in both modes.

    Methods (docs/segmentation.md):
      otsu      global Otsu threshold, foreground = pixel > threshold. 8/16-bit images use their exact
                integer histogram (all 65536 levels), float32 images 256 equal bins between min and max
                (scikit-image's threshold_otsu). A constant image has no foreground.
      adaptive  pixel > mean of its BxB neighbourhood (mirrored borders) + C * (p99.8 - p1), with
                B = --block-size, C = --contrast and p the image's intensity percentiles.
      star      star-convex polygons predicted by a U-Net (StarDist-style) from --model FILE (a safetensors
                file holding the network, its probability and NMS thresholds and its 1/99.8 % percentile
                normalization); images larger than 512 px are predicted in overlapping tiles, and taller
                ones strip by strip (one row of tiles at a time), so memory is set by the tile size. Without
                --model, the shipped Models/star-target.safetensors (trained on the synthetic target
                style) is used; $SALIENCYNET_MODELS overrides where it is looked for.
                --prob-thresh and --nms-thresh override the model's stored thresholds (each in [0, 1]).
    For otsu and adaptive: optional Gaussian smoothing first (--smooth SIGMA px; non-finite samples count
    as 0; --smooth 2 --method otsu is the classical baseline that enhancement must beat), connected
    components (--connectivity), optionally hole filling (--fill-holes,
    before labelling); for every method, removal of objects smaller than --min-area pixels, or smaller
    than --min-fraction of a nucleus of the image's diameter (pi d^2 / 4) (labels renumbered 1..K).

    Nucleus size (--diameter, docs/nuclear-scale.md): each image's (or stack's) median nucleus diameter d
    is estimated from the image ('auto', the default) or given in pixels. It sets the scale of every
    size-dependent step:
      star      the plane is resampled so that its nuclei measure the model's own diameter (stored in
                the model file), predicted there, and the polygons are mapped back and drawn at the
                input's resolution; labels have the input's exact shape. Within 5 % nothing is resampled.
      adaptive  the default --block-size is 51 px at d = 11.8 px and scales with d (odd, >= 3).
      otsu      --min-fraction (when set) is relative to d; Otsu itself has no size.
    The diameter used is printed on stderr for each input ('FILE: nucleus diameter 23.4 px (estimated
    ...)') and stored in the output's ImageJ description (nucleus_diameter_px=...). An image where no
    nuclei stand out keeps the model's diameter (nothing rescaled) with that note. Give --diameter when
    the estimate is wrong (check with sn-diameter), e.g. for very sparse or very crowded fields.

    Outputs keep the input's pixel size, unit, Z spacing, frame interval and channel name (ImageJ
    resolution tags and description); X.ome.tif is written as X.tif (no OME-XML).

    EXIT STATUS: 0 all inputs segmented, 1 some inputs failed (reported on stderr, the rest segmented),
    2 usage error.

    EXAMPLE: segment a synthetic set and score it against its masks
      sn-synth --style target --count 20 --out syn | sn-segment --method otsu --out masks | sn-score --truth syn/masks
    """)
spec.extremeValues = """
    otsu: NaN and ±∞ are left out of the threshold (Float64 arithmetic takes over where Float32 over-
    or underflows: ranges wider than 3.4e38, subnormal values); the mask is value > threshold, so +∞ is
    foreground and NaN, −∞ background. adaptive: non-finite pixels count as 0 in the local means.
    star: non-finite pixels enter the network as the low percentile; polygons with non-finite geometry
    are dropped, enormous ones clipped to the image. No finite float32 input makes the tool crash.
    """
let outKey = spec.optionalOption("out", as: String.self, help: "Output folder (created if missing). Required.")
let methodKey = spec.option("method", default: MethodOption.otsu, help: "Threshold method.")
let connectivityKey = spec.option("connectivity", default: ConnectivityOption.eight,
                                  help: "Pixel adjacency of objects: 4 (edges) or 8 (edges and corners).")
let fillKey = spec.flag("fill-holes", help: "Fill background regions enclosed by foreground before labelling.")
let minAreaKey = spec.option("min-area", default: 0, help: "Remove objects with fewer pixels (0 = keep all).")
let smoothKey = spec.option("smooth", default: 0.0,
                             help: "Gaussian smoothing before thresholding, sigma in px (0 = none; 2 = the classical baseline).")
let minFractionKey = spec.option("min-fraction", default: 0.0,
                                 help: "Remove objects smaller than this fraction of a nucleus of the image's diameter (0 = off).")
let blockKey = spec.optionalOption("block-size", as: Int.self,
                                   help: "adaptive: side of the neighbourhood, px (odd, >= 3); default 51 at a 11.8 px diameter, scaled.")
let diameterKey = spec.diameterOption()
let contrastKey = spec.option("contrast", default: 0.15,
                              help: "adaptive: margin above the local mean, as a fraction of the 1-99.8 % intensity range.")
/// The star model trained on the synthetic target style, shipped in the repository's Models/ folder.
let defaultStarModel = "star-target.safetensors"
let modelKey = spec.optionalOption("model", as: String.self,
                                   help: "star: the model file (.safetensors); default: the shipped \(defaultStarModel).")
let probKey = spec.optionalOption("prob-thresh", as: Double.self,
                                  help: "star: object probability threshold in [0, 1]; default: the one stored in the model file.")
let nmsKey = spec.optionalOption("nms-thresh", as: Double.self,
                                 help: "star: NMS overlap threshold in [0, 1] (|A & B| / min(|A|, |B|)); default: the model file's.")
let stackModeKey = spec.option("stack-mode", default: StackModeOption.volume,
                               help: "Z stacks: volume = 3-D labels (one label per nucleus through its slices); planes = each plane on its own.")
/// The IoU at which star's slice labels are stitched across Z (chosen on synthetic stacks, docs/segmentation.md).
let defaultStitchThreshold = 0.1
let stitchKey = spec.option("stitch-threshold", default: defaultStitchThreshold,
                            help: "star, --stack-mode volume: the least IoU in (0, 1] that links an object to an object of the previous slice.")
let channelKey = spec.option("channel", default: 0, help: "Channel index (0-based).")
let compressionKey = spec.option("compression", default: TIFFCompression.deflate, help: "TIFF compression.")
let progressKey = spec.flag("progress", help: "star: show the progress of the tiles of large planes even when stderr is not a terminal.")

let args = spec.parseOrExit()
// Idle OpenBLAS workers must not spin through our own parallel kernels (docs/nn.md); before any BLAS call.
BLAS.setWorkerSpinTimeout(log2Cycles: BLAS.defaultWorkerSpinTimeoutLog2Cycles)
// Reuse freed activation memory instead of faulting fresh pages in for every layer (docs/tensor.md).
Allocation.reuseFreedMemory()
guard let outPath = args[outKey] else { spec.usageExit("--out DIR is required") }
guard args[minAreaKey] >= 0 else { spec.usageExit("--min-area must be 0 or more, got \(args[minAreaKey])") }
guard args[channelKey] >= 0 else { spec.usageExit("--channel must be 0 or more, got \(args[channelKey])") }
if let blockSize = args[blockKey], !(blockSize >= 3 && blockSize % 2 == 1 && blockSize <= 4097) {
    spec.usageExit("--block-size must be odd and 3...4097, got \(blockSize)")
}
let smoothing = args[smoothKey]
guard smoothing.isFinite && smoothing >= 0 && smoothing <= 100 else { spec.usageExit("--smooth must be 0...100 px, got \(smoothing)") }
let minFraction = args[minFractionKey]
guard minFraction.isFinite && minFraction >= 0 && minFraction <= 100 else {
    spec.usageExit("--min-fraction must be 0...100, got \(minFraction)")
}
let contrast = args[contrastKey]
for (key, name) in [(probKey, "prob-thresh"), (nmsKey, "nms-thresh")] {
    if let v = args[key], !(v >= 0 && v <= 1) { spec.usageExit("--\(name) must be in [0, 1], got \(v)") }
}
let stitchThreshold = args[stitchKey]
guard stitchThreshold > 0 && stitchThreshold <= 1 else { spec.usageExit("--stitch-threshold must be in (0, 1], got \(stitchThreshold)") }
guard contrast.isFinite && abs(contrast) <= 10 else { spec.usageExit("--contrast must be a number in [-10, 10], got \(contrast)") }
/// The diameter at which adaptive's default block size (51 px) was chosen: the synthetic and real nuclei's 11.8 px.
let referenceDiameter = 11.8

/// The threshold segmenter for an image of nucleus diameter `d` (nil: not needed).
func thresholdSegmenter(diameter d: Double?) -> ThresholdSegmenter {
    let method: ThresholdMethod
    switch args[methodKey] {
    case .otsu, .star:
        method = .otsu
    case .adaptive:
        var block = args[blockKey] ?? 51
        if args[blockKey] == nil, let d {
            block = min(4097, max(3, Int((51 * d / referenceDiameter / 2).rounded(.down)) * 2 + 1))
        }
        method = .adaptive(LocalMeanThreshold(blockSize: block, contrast: Float(contrast)))
    }
    return ThresholdSegmenter(method: method, connectivity: args[connectivityKey].connectivity,
                              fillHoles: args[fillKey], minimumArea: minimumArea(diameter: d))
}

/// The minimum object area: --min-area px, or --min-fraction of a nucleus of diameter d, whichever is larger.
func minimumArea(diameter d: Double?) -> Int {
    var area = args[minAreaKey]
    if minFraction > 0, let d { area = max(area, Int((minFraction * Double.pi * d * d / 4).rounded(.up))) }
    return area
}
var starModel: StarModel? = nil
if args[methodKey] == .star {
    guard let modelPath = args[modelKey] ?? ShippedModels.locate(defaultStarModel) else {
        spec.usageExit("--method star: no --model given and the shipped \(defaultStarModel) was not found in "
                       + ShippedModels.searchFolders().joined(separator: ", "))
    }
    do {
        starModel = try StarModel.load(from: modelPath)
        // Tiles of one large plane: a progress line on a terminal, or with --progress (ToolSupport's TileProgress).
        let tiles = TileProgress(label: "\(spec.name) tiles", enabled: TileProgress.enabled(flag: args[progressKey]))
        starModel?.progress = tiles.report
    } catch {
        spec.usageExit("\(error)")
    }
    if let p = args[probKey] { starModel?.thresholds.probability = Float(p) }
    if let t = args[nmsKey] { starModel?.thresholds.overlap = t }
} else if args[modelKey] != nil {
    spec.usageExit("--model applies to --method star only")
} else if args[probKey] != nil || args[nmsKey] != nil {
    spec.usageExit("--prob-thresh and --nms-thresh apply to --method star only")
}
if args[methodKey] == .star && smoothing > 0 { spec.usageExit("--smooth applies to --method otsu and adaptive") }

/// Whether the method needs each image's nucleus diameter.
let needsDiameter = args[methodKey] != .otsu || minFraction > 0
if let model = starModel, model.nucleusDiameter == nil, case .auto = args[diameterKey] {
    Diagnostics(tool: spec.name).warning("\(args[modelKey] ?? defaultStarModel): the model records no training.nucleus_diameter; images are segmented at their own scale")
}

/// `plane` after the --smooth Gaussian (non-finite samples as 0, float32), or `plane` itself without it.
func smoothed(_ plane: ImagePlane) -> ImagePlane {
    guard smoothing > 0 else { return plane }
    return ImagePlane(width: plane.width, height: plane.height,
                      pixels: GaussianBlur.blur(plane.pixels.map { $0.isFinite ? $0 : 0 }, width: plane.width, height: plane.height, sigma: smoothing),
                      sampleType: .float32)
}

/// Segments one plane with the chosen method at nucleus diameter `d` (nil: the image's own scale).
func segmentPlane(_ plane: ImagePlane, diameter d: Double?, segmenter: ThresholdSegmenter) -> LabelImage {
    guard let model = starModel else { return segmenter.segment(smoothed(plane)) }
    let labels: LabelImage
    if let d, let md = model.nucleusDiameter {
        labels = model.segment(plane, mapping: ScaleMapping(imageDiameter: d, modelDiameter: md))
    } else {
        labels = model.segment(plane)
    }
    let area = minimumArea(diameter: d)
    return area > 1 ? Morphology.removeSmallObjects(labels, minimumArea: area) : labels
}
/// The labels of one time point's Z slices: 3-D labels (stitched, or 3-D components) in volume mode,
/// else each slice on its own. A single slice is always labelled as a 2-D image.
func segmentSlices(_ slices: [ImagePlane], diameter d: Double?, segmenter: ThresholdSegmenter) -> [LabelImage] {
    guard slices.count > 1 && args[stackModeKey] == .volume else {
        return slices.map { segmentPlane($0, diameter: d, segmenter: segmenter) }
    }
    guard starModel == nil else {
        let planar = slices.map { segmentPlane($0, diameter: d, segmenter: segmenter) }
        let stitched = ZStitching.stitch(planar.map(\.labels), threshold: stitchThreshold)
        return zip(planar, stitched).map { LabelImage(width: $0.width, height: $0.height, labels: $1) }
    }
    return segmenter.segment(volume: slices.map(smoothed))
}
let compression = args[compressionKey]
let inputs = spec.inputsOrExit(args)
var output = spec.outputDirectoryOrExit(outPath)

func segment(_ input: String) throws -> [String] {
    let file = try ImageFile(path: input)
    let dims = file.dimensions
    let channel = args[channelKey]
    try ToolError.checkIndex(channel, option: "channel", size: dims.sizeC, axis: "channels", of: input)
    // T outer, Z inner: the order of an ImageJ hyperstack with one channel.
    var planes: [ImagePlane] = []
    for t in 0..<dims.sizeT {
        for z in 0..<dims.sizeZ { planes.append(try file.plane(channel: channel, z: z, t: t)) }
    }
    var resolved: ResolvedDiameter? = nil
    if needsDiameter {
        let r = ResolvedDiameter.resolve(args[diameterKey], planes: planes.map(\.pixels), width: planes[0].width,
                                         height: planes[0].height, fallback: starModel?.nucleusDiameter ?? referenceDiameter)
        Diagnostics(tool: spec.name).note("\(input): " + r.summary(modelDiameter: starModel?.nucleusDiameter))
        resolved = r
    }
    let segmenter = thresholdSegmenter(diameter: resolved?.diameter)
    var labels: [LabelImage] = []
    for t in 0..<dims.sizeT {   // each time point's Z slices; labels continue across time points
        var slices = segmentSlices(Array(planes[(t * dims.sizeZ)..<((t + 1) * dims.sizeZ)]), diameter: resolved?.diameter, segmenter: segmenter)
        let offset = args[stackModeKey] == .volume && dims.sizeZ > 1 ? labels.map(\.maximumLabel).max() ?? 0 : 0
        if offset > 0 { for k in slices.indices { slices[k].labels = slices[k].labels.map { $0 == 0 ? 0 : $0 + offset } } }
        labels += slices
    }
    let layout: HyperstackLayout? = labels.count > 1
        ? HyperstackLayout(channels: 1, slices: dims.sizeZ, frames: dims.sizeT) : nil
    let destination = try output.destination(for: input, newExtension: "tif")
    // nil sample type: uint16 when every label fits, else uint32.
    try writeLabels(labels, to: destination, compression: compression, layout: layout,
                    metadata: file.metadata(channel: channel).withoutDisplayRange,   // pixel size, unit, channel name
                    annotations: resolved?.annotations(modelDiameter: starModel?.nucleusDiameter) ?? [])
    return [destination]
}

var batch = Batch(tool: spec.name)
for input in inputs {
    batch.process(input) { try segment(input) }
}
batch.exit()
