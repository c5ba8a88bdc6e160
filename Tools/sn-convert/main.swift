// sn-convert: extract planes from microscopy files and convert them between TIFF/PNG and bit depths.
//
// Reads TIFF (plain, multi-page, OME-TIFF, ImageJ hyperstacks) and PNG; writes TIFF (8/16-bit, float32,
// stacks) or gray PNG (8/16-bit), one output per input, named like the input, into --out DIR.
import MicroscopyIO
import NuclearScale
import ToolSupport

enum OutputFormat: String, ArgumentChoice { case tif, png }
enum OutputType: String, ArgumentChoice { case same, uint8, uint16, float32 }
/// `--compression none|lzw|deflate` reads MicroscopyIO's enum directly (its raw values are the spellings).
extension TIFFCompression: @retroactive ArgumentChoice {}

var spec = CommandSpec(
    name: "sn-convert",
    summary: "Extract a channel's planes from microscopy images and write them as TIFF or PNG.",
    positionalUsage: "[IMAGE ...]",
    discussion: """
    INPUTS: paths as arguments; with none, or with '-', one path a line is read from stdin.
    OUTPUTS: DIR/NAME.tif or DIR/NAME.png for each input NAME; each written path is printed on stdout.

    Selection: one channel (--channel), and every Z slice and time point unless --z or --t picks one.
    Several selected planes are written as a TIFF stack (T outer, Z inner, with an ImageJ hyperstack
    description); PNG holds exactly one plane.

    Intensities: with --type same (default), or float32, values are copied unchanged. Converting to
    a different integer type rescales linearly so that the selected planes' minimum and maximum map
    to 0 and the type's maximum (255 or 65535); a constant image maps to 0.
    With --labels, planes are read and written as instance labels: exact integers, never rescaled.

    Region: --region X,Y,W,H keeps only columns X..X+W-1 and rows Y..Y+H-1 (0-based, row 0 at the top)
    of every plane, before any --scale; labels keep their values. A region outside an image is an error
    for that input. The pixel size is unchanged.

    Size: --scale F resamples every plane by F (each side rounded): intensities with an anti-aliased tent
    filter (shrinking averages each output pixel's footprint, growing interpolates bilinearly; integer
    outputs are rounded and clamped to the type), labels by nearest neighbour. Use it to bring images to
    another nucleus size, e.g. to test a model at 2x or 3x magnification.

    Metadata: pixel size (X, Y, Z spacing), unit and frame interval of ImageJ and OME-TIFF inputs are
    written to every TIFF output (ImageJ resolution tags and description: unit=, spacing=, finterval=),
    with --scale F dividing the X/Y pixel size by F (exactly: by new size / old size of each side). The
    channel's OME name (channel_name=) and ImageJ display range (min=/max=, mapped like the values) are
    kept. Outputs are ImageJ TIFFs without OME-XML: X.ome.tif is written as X.tif.

    EXIT STATUS: 0 all inputs converted, 1 some inputs failed (reported on stderr, the rest converted),
    2 usage error.

    EXAMPLE: extract the Hoechst channel of every frame of an OME-TIFF time-lapse as 16-bit TIFF
      sn-convert --channel 0 --out hoechst movie.ome.tif
    """)
spec.extremeValues = """
    NaN and ±∞ pixels become 0 in integer outputs and stay as they are in float32 outputs; the rescale
    to an integer type uses the finite minimum and maximum and is computed in Float64, so ranges of
    subnormal values or wider than 3.4e38 convert without overflow. Values are rounded and clamped.
    """
let outKey = spec.optionalOption("out", as: String.self, help: "Output folder (created if missing). Required.")
let formatKey = spec.option("format", default: OutputFormat.tif, help: "Output container.")
let typeKey = spec.option("type", default: OutputType.same, help: "Output sample type.")
let channelKey = spec.option("channel", default: 0, help: "Channel index (0-based).")
let zKey = spec.optionalOption("z", as: Int.self, help: "Only this Z slice (0-based); default: all.")
let tKey = spec.optionalOption("t", as: Int.self, help: "Only this time point (0-based); default: all.")
let compressionKey = spec.option("compression", default: TIFFCompression.deflate, help: "TIFF compression.")
let labelsKey = spec.flag("labels", help: "Treat planes as instance labels (lossless uint16/uint32).")
let scaleKey = spec.option("scale", default: 1.0, help: "Resample each plane by this factor, (0, 16] (labels: nearest neighbour).")
let regionKey = spec.optionalOption("region", as: String.self, help: "Keep only this rectangle X,Y,W,H (px, 0-based; before --scale).")

let args = spec.parseOrExit()
guard let outPath = args[outKey] else { spec.usageExit("--out DIR is required") }
for (name, value) in [("channel", args[channelKey]), ("z", args[zKey] ?? 0), ("t", args[tKey] ?? 0)] where value < 0 {
    spec.usageExit("--\(name) must be 0 or more, got \(value)")
}
let format = args[formatKey]
let outputType = args[typeKey]
if args[labelsKey] && outputType != .same {
    spec.usageExit("--labels keeps label values exact; it cannot be combined with --type \(outputType.rawValue)")
}
if format == .png && outputType == .float32 {
    spec.usageExit("PNG stores 8- or 16-bit integers; use --format tif for --type float32")
}
let scale = args[scaleKey]
guard scale.isFinite && scale > 0 && scale <= 16 else { spec.usageExit("--scale must be in (0, 16], got \(args[scaleKey])") }
let compression = args[compressionKey]
var region: PixelRegion?
if let text = args[regionKey] {
    guard let r = PixelRegion(parsing: text) else {
        spec.usageExit("--region takes X,Y,W,H: four integers, X and Y >= 0, W and H >= 1; got '\(text)'")
    }
    region = r
}
let inputs = spec.inputsOrExit(args)

var output = spec.outputDirectoryOrExit(outPath)

/// The (z, t) pairs selected in `dims`, T outer and Z inner.
func selectedPlanes(_ dims: StackDimensions, file: String) throws -> [(z: Int, t: Int)] {
    func range(_ pick: Int?, size: Int, axis: String) throws -> [Int] {
        guard let p = pick else { return Array(0..<size) }
        try ToolError.checkIndex(p, option: axis, size: size, axis: axis.uppercased(), of: file)
        return [p]
    }
    try ToolError.checkIndex(args[channelKey], option: "channel", size: dims.sizeC, axis: "channels", of: file)
    let zs = try range(args[zKey], size: dims.sizeZ, axis: "z")
    let ts = try range(args[tKey], size: dims.sizeT, axis: "t")
    return ts.flatMap { t in zs.map { z in (z: z, t: t) } }
}

/// Rescales planes linearly from their joint [min, max] to [0, maximum of `type`]; `range` (a display
/// range) is mapped the same way.
func rescale(_ planes: [ImagePlane], to type: SampleType, range: inout ClosedRange<Double>?) -> [ImagePlane] {
    let top: Float = type == .uint8 ? 255 : 65535
    var lo = Float.infinity, hi = -Float.infinity
    for p in planes { for v in p.pixels where v.isFinite { lo = min(lo, v); hi = max(hi, v) } }
    // In Float64: hi − lo overflows Float32 beyond ±1.7e38 and top / (hi − lo) for subnormal ranges.
    let scale = hi > lo ? Double(top) / (Double(hi) - Double(lo)) : 0
    if let r = range {
        let a = (r.lowerBound - Double(lo)) * scale, b = (r.upperBound - Double(lo)) * scale
        range = a.isFinite && b.isFinite && a <= b ? a...b : nil
    }
    return planes.map { p in
        ImagePlane(width: p.width, height: p.height,
                   pixels: p.pixels.map { $0.isFinite ? Float((Double($0) - Double(lo)) * scale) : 0 }, sampleType: type)
    }
}

/// A plane cut to --region and resampled by --scale (intensities rounded and clamped for integer types).
func resized(_ plane: ImagePlane) -> ImagePlane {
    let p = region.map { plane.cropped(to: $0) } ?? plane
    guard scale != 1 else { return p }
    let s = Resampling.scaledSize(width: p.width, height: p.height, factor: scale)
    var pixels = Resampling.resample(p.pixels, width: p.width, height: p.height, toWidth: s.width, toHeight: s.height)
    if p.sampleType != .float32 {
        let top: Float = p.sampleType == .uint8 ? 255 : 65535
        for i in pixels.indices { pixels[i] = pixels[i].isFinite ? min(top, max(0, pixels[i].rounded())) : 0 }
    }
    return ImagePlane(width: s.width, height: s.height, pixels: pixels, sampleType: p.sampleType)
}

/// Labels cut to --region and resampled by --scale (nearest neighbour).
func resized(_ labels: LabelImage) -> LabelImage {
    let l = region.map { labels.cropped(to: $0) } ?? labels
    guard scale != 1 else { return l }
    let s = Resampling.scaledSize(width: l.width, height: l.height, factor: scale)
    return LabelImage(width: s.width, height: s.height,
                      labels: Resampling.resampleLabels(l.labels, width: l.width, height: l.height, toWidth: s.width, toHeight: s.height))
}

func convert(_ input: String) throws -> [String] {
    let file = try ImageFile(path: input)
    let picks = try selectedPlanes(file.dimensions, file: input)
    var (width, height) = (file.dimensions.width, file.dimensions.height)
    if let r = region {
        guard r.fits(width: width, height: height) else {
            throw ToolError("\(input): --region \(r) does not fit in the \(width) x \(height) image")
        }
        (width, height) = (r.width, r.height)
    }
    if format == .png && picks.count != 1 {
        throw ToolError("\(input): PNG holds one plane but \(picks.count) are selected; pick one with --z and --t, or use --format tif")
    }
    let channel = args[channelKey]
    let layout: HyperstackLayout? = picks.count > 1
        ? HyperstackLayout(channels: 1, slices: args[zKey] == nil ? file.dimensions.sizeZ : 1,
                           frames: args[tKey] == nil ? file.dimensions.sizeT : 1)
        : nil
    let destination = try output.destination(for: input, newExtension: format.rawValue)
    // Pixel size follows the resampling: the same field of view over the new number of pixels.
    var metadata = file.metadata(channel: channel)
    let newSize = Resampling.scaledSize(width: width, height: height, factor: scale)
    metadata.calibration = metadata.calibration.resampled(width: width, height: height,
                                                          toWidth: newSize.width, toHeight: newSize.height)

    if args[labelsKey] {
        let images = try picks.map { try resized(file.labels(channel: channel, z: $0.z, t: $0.t)) }
        switch format {
        case .tif: try writeLabels(images, to: destination, compression: compression, layout: layout,
                                   metadata: metadata.withoutDisplayRange)
        case .png: try writeLabelsPNG(images[0], to: destination)
        }
        return [destination]
    }

    var planes = try picks.map { try resized(file.plane(channel: channel, z: $0.z, t: $0.t)) }
    let sourceType = planes[0].sampleType
    let targetType: SampleType = switch outputType {
    case .same: sourceType
    case .uint8: .uint8
    case .uint16: .uint16
    case .float32: .float32
    }
    if targetType != sourceType && targetType != .float32 {
        planes = rescale(planes, to: targetType, range: &metadata.displayRange)
    }
    switch format {
    case .tif:
        try writeTIFF(planes, to: destination, sampleType: targetType, compression: compression, layout: layout,
                      metadata: metadata)
    case .png:
        guard targetType != .float32 else {
            throw ToolError("\(input): the image holds float32 samples; PNG needs --type uint8 or uint16")
        }
        try writePNG(planes[0], to: destination, sampleType: targetType == .uint8 ? .uint8 : .uint16)
    }
    return [destination]
}

var batch = Batch(tool: spec.name)
for input in inputs {
    batch.process(input) { try convert(input) }
}
batch.exit()
