// sn-train-star: trains the star-convex polygon segmenter (StarSegmentation) on images with instance
// masks and writes a model file for `sn-segment --method star --model FILE`. Training itself is the library's
// `StarTrainer`; this tool parses arguments, loads the folders and reports progress.
import Foundation
import MicroscopyIO
import NuclearScale
import StarSegmentation
import TensorCore
import ToolSupport

/// `--augment`: a preset of crop augmentation ranges (``StarAugmentation``).
enum AugmentChoice: String, ArgumentChoice, CaseIterable {
    case none, varied
    var augmentation: StarAugmentation { self == .none ? .none : .varied }
}

var spec = CommandSpec(
    name: "sn-train-star",
    summary: "Train a star-convex polygon model (StarDist-style U-Net) on images with instance masks.",
    discussion: """
    Folders hold images/NAME.tif and masks/NAME.tif (uint16 instance labels), as sn-synth writes them.
    The probability and NMS thresholds are chosen on the validation folder (mean F1 at IoU 0.5) and stored
    in the model file with the command line, the step count and the final loss. Progress goes to stderr;
    the model's path is printed on stdout.

    The model file records the training nuclei's median diameter (training.nucleus_diameter): with
    --diameter auto, the median equivalent diameter of the training masks; with --diameter D, D px.
    sn-segment brings each image's nuclei to it (docs/nuclear-scale.md).

    Augmentation (docs/segmentation.md): --augment varied draws, per crop, a scale of +-25 % (a window of
    s*z px resampled to s), one of the 8 flips/rotations, gamma in [0.67, 1.5], contrast x(1 +- 0.3), offset
    +-0.1 and Gaussian noise of sd up to 0.05 (normalized units), and computes the targets on the changed
    crop. --scale-jitter, --gamma-jitter, --contrast-jitter, --offset-jitter and --noise-jitter set one
    range each, over the preset. --augment none (the default) crops as earlier versions did.

    EXIT STATUS: 0 model written, 1 training failed (reported on stderr), 2 usage error.

    EXAMPLE: sn-train-star --train synth/train --validation synth/val --out star.safetensors --steps 20000
    """)
spec.extremeValues = """
    Non-finite pixels enter the network as the low percentile (0 after normalisation); a normalised
    value that overflows Float32 is computed in Float64 and clamped to ±1e6.
    """
let trainKey = spec.optionalOption("train", as: String.self, help: "Training folder (images/, masks/).")
let validationKey = spec.optionalOption("validation", as: String.self, help: "Validation folder (images/, masks/).")
let outKey = spec.optionalOption("out", as: String.self, help: "Model file to write.")
let stepsKey = spec.option("steps", default: 1000, help: "Adam steps.")
let batchKey = spec.option("batch", default: 4, help: "Crops per step.")
let patchKey = spec.option("patch", default: 128, help: "Crop side, px.")
let lrKey = spec.option("lr", default: 3e-4, help: "Learning rate.")
let seedKey = spec.option("seed", default: 1, help: "Seed of the weights and the crops.")
let depthKey = spec.option("depth", default: 3, help: "U-Net depth.")
let filtersKey = spec.option("filters", default: 32, help: "Base filters.")
let raysKey = spec.option("rays", default: 32, help: "Rays.")
let afterKey = spec.option("after", default: 128, help: "Features of the convolution after the U-Net (0 = none).")
let limitKey = spec.option("limit", default: 0, help: "Use at most this many images of each folder (0 = all).")
let augmentKey = spec.option("augment", default: AugmentChoice.none, help: "Crop augmentation preset.")
let scaleJitterKey = spec.optionalOption("scale-jitter", as: Double.self, help: "Scale jitter j in [0, 0.9]: crops show nuclei at 1/(1+j)...(1+j) of their size.")
let gammaJitterKey = spec.optionalOption("gamma-jitter", as: Double.self, help: "Gamma jitter g >= 0: x^gamma, gamma in [1/(1+g), 1+g].")
let contrastJitterKey = spec.optionalOption("contrast-jitter", as: Double.self, help: "Contrast jitter c in [0, 1): intensities times [1-c, 1+c].")
let offsetJitterKey = spec.optionalOption("offset-jitter", as: Double.self, help: "Offset jitter o >= 0: intensities plus [-o, o] (normalized units).")
let noiseJitterKey = spec.optionalOption("noise-jitter", as: Double.self, help: "Largest sd of added Gaussian noise (normalized units), >= 0.")
let diameterKey = spec.diameterOption(of: "the training images' nuclei (auto: their masks' median equivalent diameter)")
let args = spec.parseOrExit()
// Idle OpenBLAS workers must not spin through our own parallel kernels (docs/nn.md); before any BLAS call.
BLAS.setWorkerSpinTimeout(log2Cycles: BLAS.defaultWorkerSpinTimeoutLog2Cycles)
guard let train = args[trainKey], let validation = args[validationKey], let out = args[outKey] else {
    spec.usageExit("--train, --validation and --out are required")
}

func pairs(_ folder: String) throws -> [(ImagePlane, LabelImage)] {
    var names = try FileManager.default.contentsOfDirectory(atPath: folder + "/images").filter { $0.hasSuffix(".tif") }.sorted()
    if args[limitKey] > 0 { names = Array(names.prefix(args[limitKey])) }
    return try names.map { (try readImage(folder + "/images/" + $0), try readLabels(folder + "/masks/" + $0)) }
}
var augmentation = args[augmentKey].augmentation
if let v = args[scaleJitterKey] { augmentation.scaleJitter = v }
if let v = args[gammaJitterKey] { augmentation.gamma = v }
if let v = args[contrastJitterKey] { augmentation.contrast = v }
if let v = args[offsetJitterKey] { augmentation.offset = v }
if let v = args[noiseJitterKey] { augmentation.noise = v }
if let reason = augmentation.invalidReason { spec.usageExit(reason) }
do {
    let configuration = StarConfiguration(depth: args[depthKey], baseFilters: args[filtersKey], rays: args[raysKey],
                                          featuresAfterUNet: args[afterKey])
    let trainPairs = try pairs(train), validationPairs = try pairs(validation)
    writeStderr("sn-train-star: \(trainPairs.count) training, \(validationPairs.count) validation images; computing targets\n")
    // The model's nucleus diameter: given, or the training masks' median equivalent diameter.
    var diameter: Double
    switch args[diameterKey] {
    case .fixed(let d): diameter = d
    case .auto:
        guard let d = MaskDiameter.median(trainPairs.map(\.1.labels)) else {
            throw ToolError("\(train)/masks: no labelled nucleus to measure the diameter; give --diameter D")
        }
        diameter = d
    }
    writeStderr(String(format: "sn-train-star: nucleus diameter %.2f px (%@)\n", diameter,
                       args[diameterKey] == .auto ? "the training masks' median" : "given"))
    let examples = trainPairs.map {
        StarExample(image: $0.0, labels: $0.1, rays: configuration.rays, precomputeTargets: !augmentation.isActive)
    }
    var settings = StarTrainingSettings()
    settings.augmentation = augmentation
    settings.steps = args[stepsKey]; settings.batchSize = args[batchKey]; settings.patchSize = args[patchKey]
    settings.learningRate = Float(args[lrKey]); settings.seed = UInt64(args[seedKey])
    var trainer = StarTrainer(network: StarUNet(configuration, seed: UInt64(args[seedKey])), settings: settings, examples: examples)
    var progress = ProgressReporter(label: "sn-train-star", total: settings.steps)
    var recent: [Float] = []
    let start = monotonicSeconds()
    for step in 1...settings.steps {
        let loss = trainer.step(examples)
        recent.append(loss); if recent.count > 50 { recent.removeFirst() }
        progress.update(completed: step, detail: String(format: "loss %.4f", recent.reduce(0, +) / Float(recent.count)))
    }
    progress.finish()
    var model = StarModel(network: trainer.network)
    let best = model.optimizeThresholds(validationPairs)
    model.training = ["command": CommandLine.arguments.dropFirst().joined(separator: " "), "steps": String(settings.steps),
                      "final_loss_mean50": String(recent.reduce(0, +) / Float(max(1, recent.count))),
                      "training_seconds": String(format: "%.0f", monotonicSeconds() - start),
                      "validation_f1_iou0.5": String(format: "%.4f", best.f1),
                      "train_images": String(trainPairs.count), "validation_images": String(validationPairs.count),
                      "augmentation": String(format: "scale %g gamma %g contrast %g offset %g noise %g", augmentation.scaleJitter,
                                             augmentation.gamma, augmentation.contrast, augmentation.offset, augmentation.noise)]
    model.nucleusDiameter = diameter
    try model.save(to: out)
    writeStderr("sn-train-star: validation F1 \(String(format: "%.4f", best.f1)) at probability \(best.thresholds.probability), NMS \(best.thresholds.overlap)\n")
    writeStdout(out + "\n")
} catch {
    Diagnostics(tool: spec.name).error("\(error)")
    exitProcess(.someInputsFailed)
}
