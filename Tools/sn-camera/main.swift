// sn-camera: render clean fluorescence images as low-light acquisitions (photon budget, haze, uneven
// illumination, Poisson photon noise, read noise, gain, offset; uint16 counts), deterministic from a seed.
// The physics is Synthesis's LowLightCamera (docs/synthetic-data.md, "Real shapes in low light").
import MicroscopyIO
import Synthesis
import ToolSupport

/// `--compression none|lzw|deflate` reads MicroscopyIO's enum directly (its raw values are the spellings).
extension TIFFCompression: @retroactive ArgumentChoice {}

var spec = CommandSpec(
    name: "sn-camera",
    summary: "Render clean fluorescence images as low-light camera acquisitions (photon and read noise, haze, uneven illumination).",
    positionalUsage: "[IMAGE ...]",
    discussion: """
    INPUTS: images (TIFF, OME-TIFF, ImageJ hyperstacks, PNG) as arguments; with none, or with '-', one
    path a line is read from stdin. Every plane (Z slice, time point) of --channel is rendered on its own.
    OUTPUTS: DIR/NAME.tif for each input NAME: uint16 camera counts, a stack of the same Z/T shape for a
    stack. Each written path is printed on stdout.

    Per plane (docs/synthetic-data.md):
      n = max(0, (x - low) / (high - low))     low, high = the plane's --low / --high percentiles;
                                               the brightest nucleus pixels (high) get signal 1
      E = I * (n + H)                          H = haze * (1 + 0.5 L): a smooth additive background
                                               (L in [-1, 1], 4 random plane waves of <= 1.5 cycles
                                               per image); I = max(0.05, 1 - f r^2): illumination
                                               falling off by f at the corners around a random centre
      counts = round(gain * (Poisson(P * E) + N(0, read^2)) + offset), clipped to 0...65535
    P = --photons: photoelectrons at signal 1 (the brightest nucleus pixel); the issue's range is about
    2 to 60 (sn-synth's source style: 12-50). Values above the high percentile are not clipped.

    Determinism: plane k of file NAME uses the seed derived from (--seed, FNV-1a hash of NAME's file
    name, k): the same command writes byte-identical files, whatever the order or number of inputs.
    The haze and illumination fields are the same pattern relative to the image at any size, so a frame
    brought to 2x (sn-convert --scale 2) keeps them, with the noise drawn per pixel at the new size.

    EXIT STATUS: 0 all inputs rendered, 1 some inputs failed (e.g. a constant plane: no intensity range;
    reported on stderr, the rest rendered), 2 usage error.

    EXAMPLE: a real frame at 15 photons with haze and uneven illumination
      sn-camera --photons 15 --haze 0.3 --illumination 0.3 --seed 1 --out lowlight frame_0.tif
    """)
spec.extremeValues = """
    NaN and ±∞ pixels count as the low percentile (no signal) and are left out of the percentiles.
    Finite extremes (±3.4e38, subnormal ranges) are normalized in Float64; a plane whose percentiles
    coincide (constant) is refused with a one-line error.
    """
let outKey = spec.optionalOption("out", as: String.self, help: "Output folder (created if missing). Required.")
let photonsKey = spec.optionalOption("photons", as: Double.self,
                                     help: "Photon budget P: photoelectrons at the brightest nucleus pixel, (0, 1e7]. Required.")
let hazeKey = spec.option("haze", default: 0.0, help: "Mean smooth additive background, fraction of the peak signal, [0, 100].")
let illuminationKey = spec.option("illumination", default: 0.0, help: "Illumination fall-off at the corners, [0, 0.95] (0 = even).")
let readNoiseKey = spec.option("read-noise", default: 2.5, help: "Gaussian read noise, electrons rms, [0, 1e4].")
let gainKey = spec.option("gain", default: 2.0, help: "Gain, ADU per electron, (0, 1000].")
let offsetKey = spec.option("offset", default: 100.0, help: "Camera offset (bias), ADU, [0, 65535].")
let seedKey = spec.option("seed", default: 1, help: "Seed (0 or more).")
let lowKey = spec.option("low", default: 1.0, help: "Percentile of the clean plane that becomes signal 0.")
let highKey = spec.option("high", default: 99.8, help: "Percentile of the clean plane that becomes signal 1 (the brightest nucleus pixels).")
let channelKey = spec.option("channel", default: 0, help: "Channel index (0-based).")
let compressionKey = spec.option("compression", default: TIFFCompression.deflate, help: "TIFF compression.")

let args = spec.parseOrExit()
guard let outPath = args[outKey] else { spec.usageExit("--out DIR is required") }
guard let photons = args[photonsKey] else { spec.usageExit("--photons P is required") }
let parameters = LowLightCameraParameters(photons: photons, haze: args[hazeKey], illumination: args[illuminationKey],
                                          readNoise: args[readNoiseKey], gain: args[gainKey], offset: args[offsetKey])
if let problem = parameters.problem { spec.usageExit("--" + problem) }
guard args[seedKey] >= 0 else { spec.usageExit("--seed must be 0 or more, got \(args[seedKey])") }
guard args[channelKey] >= 0 else { spec.usageExit("--channel must be 0 or more, got \(args[channelKey])") }
let lowPercentile = args[lowKey], highPercentile = args[highKey]
guard lowPercentile.isFinite, highPercentile.isFinite, 0 <= lowPercentile, lowPercentile < highPercentile, highPercentile <= 100 else {
    spec.usageExit("--low and --high must be percentiles with 0 <= low < high <= 100, got \(lowPercentile) and \(highPercentile)")
}
let seed = UInt64(args[seedKey])
let inputs = spec.inputsOrExit(args)
var output = spec.outputDirectoryOrExit(outPath)

/// FNV-1a (64-bit) of a file name: a per-file seed stream that does not depend on the order of inputs.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return hash
}

func render(_ input: String) throws -> [String] {
    let file = try ImageFile(path: input)
    let dims = file.dimensions
    let channel = args[channelKey]
    try ToolError.checkIndex(channel, option: "channel", size: dims.sizeC, axis: "channels", of: input)
    let destination = try output.destination(for: input, newExtension: "tif")
    let fileSeed = SplitMix64.derived(seed, fnv1a(PathName.fileName(input)))
    var planes: [ImagePlane] = []
    // T outer, Z inner: the order of an ImageJ hyperstack with one channel.
    for t in 0..<dims.sizeT {
        for z in 0..<dims.sizeZ {
            let plane = try file.plane(channel: channel, z: z, t: t)
            let n = IntensityNormalization.percentiles(of: plane.pixels, low: lowPercentile, high: highPercentile)
            do {
                let counts = try LowLightCamera.render(plane.pixels, width: plane.width, height: plane.height, low: n.low,
                                                       high: n.high, parameters: parameters,
                                                       seed: SplitMix64.derived(fileSeed, UInt64(planes.count)))
                planes.append(ImagePlane(width: plane.width, height: plane.height, pixels: counts.map(Float.init), sampleType: .uint16))
            } catch {
                let which = dims.sizeZ * dims.sizeT > 1 ? " (plane z \(z), t \(t))" : ""
                throw ToolError("\(input)\(which): \(error)")
            }
        }
    }
    let layout: HyperstackLayout? = planes.count > 1 ? HyperstackLayout(channels: 1, slices: dims.sizeZ, frames: dims.sizeT) : nil
    try writeTIFF(planes, to: destination, sampleType: .uint16, compression: args[compressionKey], layout: layout)
    return [destination]
}

var batch = Batch(tool: spec.name)
for input in inputs {
    batch.process(input) { try render(input) }
}
batch.exit()
