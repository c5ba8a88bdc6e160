// sn-train: trains SaliencyNet (a CycleGAN with the saliency loss) on two unpaired image sets, domain X
// (low saliency) and domain Y (high saliency). The training is the library's `SaliencyNetTraining`; this tool
// parses arguments, reports progress and turns SIGINT/SIGTERM into a checkpointed stop.
#if canImport(Glibc)
import Glibc
#endif
import CycleGAN
import Foundation
import Losses
import NN
import NuclearScale
import SaliencyTraining
import TensorCore
import ToolSupport

enum PlacementChoice: String, ArgumentChoice, CaseIterable {
    case cycle, adversarial, vanilla
    var placement: LossPlacement {
        switch self {
        case .cycle: .cycle
        case .adversarial: .adversarial
        case .vanilla: .vanilla
        }
    }
}

/// The content-preservation term (TrainingOptions.contentPreservation).
enum ContentChoice: String, ArgumentChoice, CaseIterable {
    case none, mask
}

enum UpsamplingChoice: String, ArgumentChoice, CaseIterable {
    case transposed, resize
    var upsampling: GeneratorUpsampling { self == .transposed ? .transposedConvolution : .resizeConvolution }
}

var spec = CommandSpec(
    name: "sn-train",
    summary: "Train SaliencyNet: a CycleGAN that turns low-saliency nuclei images (X) into high-saliency ones (Y).",
    discussion: """
    --source and --target are each a folder of .tif/.tiff/.png images (or its images/ subfolder, as sn-synth
    writes), one image, or a text file listing image paths. The two sets are unpaired. Every Z/T plane of
    --channel is used; each plane is normalized on its own (1st/99.8th percentile -> -1/1). Each iteration takes
    random crops with random flips and 90-degree rotations.

    The generator loss is the paper's: LSGAN adversarial terms, lambda x the saliency loss
    alpha*MSE + beta*MGE + gamma*(1 - SSIM) on the cycles F(G(x)) ~ x and G(F(y)) ~ y, and identity terms
    (--identity x lambda). --placement adversarial puts the saliency loss on the discriminator outputs instead
    (the authors' code, with the correct 1 - SSIM); --placement vanilla is CycleGAN (L1 cycle).

    Adapting to your own data (no masks, no target images): sn-train --source MYDIR --out RUN --init shipped.
    Without --target, --synthetic-targets images of the 'filled' synthetic style (salient, smooth, filled
    nuclei) are written to RUN/synthetic-target at the nucleus diameter of the --init model (else of the
    source) and serve as the target domain. --init shipped|FILE starts G, F, D_X and D_Y from the shipped
    networks (Models/saliencynet-networks.safetensors) or from a run's best-networks.safetensors or
    checkpoint; the architecture is then the file's (--ngf, --blocks, --ndf, --upsampling are ignored), and
    so is the objective recorded in it (--placement, --alpha/--beta/--gamma, --lambda, --identity, --pool,
    --cycle-noise, --cycle-blur, --content and its settings, --scale-jitter, --source-downsample) unless given
    on the command line.
    For real low-light folders with haze or empty regions, add --content-background 24 --content-min-contrast 0.1
    (docs/training.md: the plain content term reads haze as nuclei and asks the generator to invent them).

    Files in --out: losses.csv (every loss, every iteration), validation.csv and samples/epoch-NNNN.png (per
    epoch), last.safetensors (full state: resume with --resume), best.safetensors and best-generator.safetensors
    (the epoch with the best validation score: Otsu IoU minus count errors on --validation, an sn-synth
    source-style folder with masks; without --validation, the last epoch), best-networks.safetensors (its G,
    F, D_X, D_Y: what --init starts from). best-generator.safetensors is the model for sn-enhance, which also
    accepts the run folder itself (sn-enhance --model RUN). All are written atomically. The best generator's path is printed on stdout.

    Nucleus size (docs/nuclear-scale.md): G and F work at the target images' median nucleus diameter, which
    every model file records (training.nucleus_diameter) so that sn-enhance brings each image to it. Each
    domain's diameter is given (--source-diameter D, --target-diameter D, px) or, with 'auto', measured:
    from the masks where the images come with them (an sn-synth folder: images/ and masks/), else
    estimated for each file on its own (up to 3 planes), as sn-enhance does for each image, so that a folder
    mixing magnifications trains at one nucleus scale. Every plane is resampled from its diameter to the
    target's median (anti-aliased), and so is the validation folder (from its masks' diameter). Both
    diameters are printed at the start.

    Progress goes to stderr (a bar on a terminal, lines otherwise). SIGINT or SIGTERM stops after the current
    iteration and writes last.safetensors; --resume continues exactly as if never stopped.

    EXIT STATUS: 0 trained, 1 failed (bad data, non-finite loss: the last good checkpoint is kept),
    2 usage error, 3 stopped on request with a checkpoint.

    EXAMPLE: sn-synth --style source --count 1000 --seed 11 --out X
             sn-synth --style target --count 1000 --seed 12 --out Y
             sn-synth --style source --count 100 --seed 5 --out V
             sn-train --source X --target Y --validation V --out run --epochs 5 --decay-epochs 5
    """)
spec.extremeValues = """
    Each plane's percentiles ignore NaN and ±∞; a normalised value that is not finite (NaN or ±∞
    pixels, or every pixel of a plane whose range is subnormal or overflows) enters the networks as 0.
    """
let sourceKey = spec.optionalOption("source", as: String.self, help: "Domain X (low saliency): folder, image, or list file.")
let targetKey = spec.optionalOption("target", as: String.self,
                                    help: "Domain Y (high saliency): folder, image, or list file (default: synthesized, see below).")
let syntheticTargetsKey = spec.option("synthetic-targets", default: 400,
                                      help: "Without --target: how many 'filled' synthetic target images to make (1...100000).")
let initKey = spec.optionalOption("init", as: String.self,
                                  help: "Start the networks from 'shipped' or a FILE (best-networks.safetensors or a checkpoint).")
let validationKey = spec.optionalOption("validation", as: String.self,
                                        help: "Folder with images/ and masks/ of source-style images, scored each epoch.")
let validationLimitKey = spec.option("validation-limit", default: 50, help: "Validation images used (0 = all).")
let outKey = spec.optionalOption("out", as: String.self, help: "Output folder (checkpoints, logs, samples).")
let resumeKey = spec.flag("resume", help: "Continue the run in --out from last.safetensors (same settings required).")
let channelKey = spec.option("channel", default: 0, help: "Channel of multi-channel images.")
let ngfKey = spec.option("ngf", default: 32, help: "Generator filters (paper: 64).")
let blocksKey = spec.option("blocks", default: 9, help: "Generator residual blocks (paper: 9).")
let ndfKey = spec.option("ndf", default: 64, help: "Discriminator filters (paper: 64).")
let upsamplingKey = spec.option("upsampling", default: UpsamplingChoice.transposed, help: "Generator decoder.")
let placementKey = spec.option("placement", default: PlacementChoice.cycle, help: "Where the saliency loss applies.")
let alphaKey = spec.option("alpha", default: 0.2, help: "Saliency loss: MSE weight.")
let betaKey = spec.option("beta", default: 0.2, help: "Saliency loss: MGE (Sobel gradient) weight.")
let gammaKey = spec.option("gamma", default: 0.6, help: "Saliency loss: 1 - SSIM weight (alpha + beta + gamma = 1).")
let lambdaKey = spec.option("lambda", default: 10.0, help: "Cycle loss weight.")
let identityKey = spec.option("identity", default: 0.5, help: "Identity loss weight as a fraction of lambda (0 = off).")
let poolKey = spec.option("pool", default: 50, help: "Image pool size for the discriminators (0 = none).")
let noiseKey = spec.option("cycle-noise", default: 0.0,
                           help: "Std of Gaussian noise added to G(x) and F(y) before translating back in the cycle (0 = none, the paper).")
let blurKey = spec.option("cycle-blur", default: 0.0,
                          help: "Sigma (px) of a Gaussian blur on both sides of the cycle comparison (0 = none, the paper).")
let contentKey = spec.option("content", default: ContentChoice.none,
                             help: "Content preservation: 'mask' ties the soft Otsu masks of G(x) and of x blurred at the nucleus scale (and of F(y), y), UTOM's saliency constraint; 'none' is the paper's objective.")
let contentWeightKey = spec.option("content-weight", default: 1.0, help: "Weight of the content term (with --content mask).")
let contentBlurKey = spec.option("content-blur", default: 2.0,
                                 help: "Sigma (px, at the target nucleus diameter) of the blur of the low-saliency side's mask (with --content mask).")
let contentSoftnessKey = spec.option("content-softness", default: 0.1,
                                     help: "Sigmoid width of the soft masks, in normalised intensity ([-1, 1]) (with --content mask).")
let contentBackgroundKey = spec.option("content-background", default: 0.0,
                                       help: "Sigma (px, at the target nucleus diameter; about 2 diameters) of the background subtracted from the low-saliency side before its mask, so haze is not read as nuclei (0 = none; with --content mask).")
let contentContrastKey = spec.option("content-min-contrast", default: 0.0,
                                     help: "A crop whose Otsu classes differ by less than this (normalised units) holds no nuclei: its mask is empty (0 = no gate; with --content mask).")
let scaleJitterKey = spec.option("scale-jitter", default: 0.0,
                                 help: "Crop scale jitter j in [0, 0.9]: nuclei vary in size by up to +-j around the target diameter (0 = none).")
let downsampleKey = spec.option("source-downsample", default: 1.0,
                                 help: "Resolution loss D in [1, 4] of the source crops: half are shrunk by up to D and enlarged back, as sn-enhance enlarges images of small nuclei (1 = none).")
let downsampleMinKey = spec.option("source-downsample-min", default: 1.0,
                                   help: "Least resolution loss m in [1, --source-downsample]: with m > 1 every source crop is shrunk by m to D and enlarged back (a model for small nuclei only; 1 = half the crops, from 1 to D).")
let lrKey = spec.option("lr", default: 2e-4, help: "Adam learning rate.")
let beta1Key = spec.option("beta1", default: 0.5, help: "Adam beta1.")
let beta2Key = spec.option("beta2", default: 0.999, help: "Adam beta2.")
let cropKey = spec.option("crop", default: 128, help: "Crop side, px (multiple of 4, >= 32).")
let batchKey = spec.option("batch", default: 1, help: "Crops per iteration.")
let epochsKey = spec.option("epochs", default: 5, help: "Epochs at the base learning rate.")
let decayKey = spec.option("decay-epochs", default: 5, help: "Epochs of linear decay to zero.")
let epochSizeKey = spec.option("epoch-iterations", default: 0, help: "Iterations per epoch (0 = max(|X|, |Y|) planes / batch).")
let seedKey = spec.option("seed", default: 1, help: "Seed of the weights, crops and pools.")
let samplesKey = spec.option("samples", default: 3, help: "Samples per domain in the per-epoch PNG grid (0 = none).")
let stopAfterKey = spec.option("stop-after", default: 0,
                               help: "Stop with a checkpoint after this many iterations in total (0 = never); resume later.")
let threadsKey = spec.option("threads", default: 0, help: "Worker threads (0 = one per core).")
let sourceDiameterKey = spec.diameterOption("source-diameter", of: "the source images' nuclei")
let targetDiameterKey = spec.diameterOption("target-diameter", of: "the target images' nuclei")

let args = spec.parseOrExit()
// Idle OpenBLAS workers must not spin through our own parallel kernels (docs/nn.md); before any BLAS call.
BLAS.setWorkerSpinTimeout(log2Cycles: BLAS.defaultWorkerSpinTimeoutLog2Cycles)
guard let out = args[outKey] else { spec.usageExit("--out DIR is required") }
guard let sourcePath = args[sourceKey] else { spec.usageExit("--source is required") }
let targetPath = args[targetKey]
guard (1...100_000).contains(args[syntheticTargetsKey]) else {
    spec.usageExit("--synthetic-targets must be 1...100000, got \(args[syntheticTargetsKey])")
}
/// The shipped networks that `--init shipped` starts from.
let shippedNetworks = "saliencynet-networks.safetensors"
var initialWeights: String? = nil
if let choice = args[initKey] {
    if choice == "shipped" {
        guard let path = ShippedModels.locate(shippedNetworks) else {
            spec.usageExit("--init shipped: \(shippedNetworks) not found (looked in \(ShippedModels.searchFolders().joined(separator: ", ")))")
        }
        initialWeights = path
    } else {
        guard FileManager.default.fileExists(atPath: choice) else { spec.usageExit("--init \(choice): no such file") }
        initialWeights = choice
    }
}
// A warm start continues with the objective its file was trained with; options given here override it.
var recorded: RecordedObjective? = nil
if let file = initialWeights {
    do { recorded = try RecordedObjective(file: file) } catch { spec.usageExit("--init: \(error)") }
}
/// The option's value when given, else the init file's recorded value, else the option's default.
func objective<V>(_ key: OptionKey<V>, _ fromInit: V?) -> V { (args.wasGiven(key) ? nil : fromInit) ?? args[key] }
let recordedWeights = recorded?.saliencyWeights
let weightsGiven = args.wasGiven(alphaKey) || args.wasGiven(betaKey) || args.wasGiven(gammaKey)
let weights: SaliencyLossWeights
if let w = recordedWeights, !weightsGiven {
    weights = w
} else {
    do {
        weights = try SaliencyLossWeights(alpha: Float(args[alphaKey]), beta: Float(args[betaKey]), gamma: Float(args[gammaKey]))
    } catch {
        spec.usageExit("--alpha, --beta, --gamma: \(error)")
    }
}
// The recorded content term: its choice, and the constraint and weight when it is the mask term.
let recordedChoice = recorded?.contentPreservation.map { $0 == .none ? ContentChoice.none : .mask }
var recordedMask: (constraint: SaliencyConstraint, weight: Float)? = nil
if case .saliencyMask(let c, let w)? = recorded?.contentPreservation { recordedMask = (c, w) }
let placementChoice = objective(placementKey, recorded?.placement.flatMap { p in PlacementChoice.allCases.first { $0.placement == p } })
let lambda = objective(lambdaKey, recorded?.cycleWeight), identity = objective(identityKey, recorded?.identityFraction)
let pool = objective(poolKey, recorded?.poolSize)
let cycleNoise = objective(noiseKey, recorded?.cycleNoise), cycleBlur = objective(blurKey, recorded?.cycleBlur)
let contentChoice = objective(contentKey, recordedChoice)
let contentWeight = objective(contentWeightKey, recordedMask.map { Double($0.weight) })
let contentBlur = objective(contentBlurKey, recordedMask?.constraint.blurSigma)
let contentSoftness = objective(contentSoftnessKey, recordedMask.map { Double($0.constraint.softness) })
let contentBackground = objective(contentBackgroundKey, recordedMask?.constraint.backgroundSigma)
let contentContrast = objective(contentContrastKey, recordedMask.map { Double($0.constraint.minimumContrast) })
let scaleJitter = objective(scaleJitterKey, recorded?.scaleJitter)
let sourceDownsample = objective(downsampleKey, recorded?.sourceDownsample)
let sourceDownsampleMinimum = objective(downsampleMinKey, recorded?.sourceDownsampleMinimum)
for (name, value) in [("ngf", args[ngfKey]), ("blocks", args[blocksKey]), ("ndf", args[ndfKey]), ("batch", args[batchKey])]
where value < 1 { spec.usageExit("--\(name) must be 1 or more, got \(value)") }
for (name, value) in [("epochs", args[epochsKey]), ("decay-epochs", args[decayKey]), ("pool", pool),
                      ("epoch-iterations", args[epochSizeKey]), ("stop-after", args[stopAfterKey]), ("seed", args[seedKey]),
                      ("channel", args[channelKey]), ("samples", args[samplesKey]), ("validation-limit", args[validationLimitKey]),
                      ("threads", args[threadsKey])]
where value < 0 { spec.usageExit("--\(name) must be 0 or more, got \(value)") }
guard args[cropKey] >= 32 && args[cropKey] % 4 == 0 else { spec.usageExit("--crop must be a multiple of 4 and at least 32") }
guard args[epochsKey] + args[decayKey] >= 1 else { spec.usageExit("--epochs plus --decay-epochs must be at least 1") }
for (name, value) in [("lambda", lambda), ("identity", identity), ("lr", args[lrKey]),
                      ("cycle-noise", cycleNoise), ("cycle-blur", cycleBlur), ("content-weight", contentWeight),
                      ("content-background", contentBackground), ("content-min-contrast", contentContrast)]
where !(value.isFinite && value >= 0) { spec.usageExit("--\(name) must be a number >= 0, got \(value)") }
for (name, value) in [("content-blur", contentBlur), ("content-softness", contentSoftness)]
where !(value.isFinite && value > 0) { spec.usageExit("--\(name) must be a number > 0, got \(value)") }
guard scaleJitter >= 0 && scaleJitter <= 0.9 else {
    spec.usageExit("--scale-jitter must be 0...0.9, got \(scaleJitter)")
}
guard sourceDownsample >= 1 && sourceDownsample <= ImageDomain.maximumDownsample else {
    spec.usageExit("--source-downsample must be 1...\(ImageDomain.maximumDownsample), got \(sourceDownsample)")
}
guard sourceDownsampleMinimum >= 1 && sourceDownsampleMinimum <= sourceDownsample else {
    spec.usageExit("--source-downsample-min must be 1...--source-downsample (\(sourceDownsample)), got \(sourceDownsampleMinimum)")
}
let content: ContentPreservation = switch contentChoice {
case .none: .none
case .mask: .saliencyMask(SaliencyConstraint(blurSigma: contentBlur, softness: Float(contentSoftness), backgroundSigma: contentBackground,
                                             minimumContrast: Float(contentContrast)), weight: Float(contentWeight))
}
if args[threadsKey] > 0 { Parallel.threadCount = args[threadsKey] }

let diagnostics = Diagnostics(tool: spec.name)
var options: SaliencyNetTrainingOptions
do {
    options = SaliencyNetTrainingOptions(sourceFiles: try ImageDomain.imageFiles(sourcePath),
                                         targetFiles: try targetPath.map(ImageDomain.imageFiles) ?? [], outputFolder: out)
} catch {
    diagnostics.error("\(error)")
    exitProcess(.someInputsFailed)
}
options.channel = args[channelKey]
options.initialWeights = initialWeights
options.syntheticTargets = args[syntheticTargetsKey]
options.scaleJitter = scaleJitter
options.sourceDownsample = sourceDownsample
options.sourceDownsampleMinimum = sourceDownsampleMinimum
options.validationFolder = args[validationKey]
options.validationLimit = args[validationLimitKey]
options.generator = GeneratorOptions(filters: args[ngfKey], residualBlocks: args[blocksKey], upsampling: args[upsamplingKey].upsampling)
options.discriminatorFilters = args[ndfKey]
options.step = TrainingOptions(placement: placementChoice.placement, saliencyWeights: weights, cycleWeight: Float(lambda),
                               identityFraction: Float(identity), poolSize: pool,
                               cycleNoise: Float(cycleNoise), cycleBlur: Float(cycleBlur), contentPreservation: content, learningRate: Float(args[lrKey]),
                               beta1: Float(args[beta1Key]), beta2: Float(args[beta2Key]))
options.cropSize = args[cropKey]
options.batchSize = args[batchKey]
options.constantEpochs = args[epochsKey]
options.decayEpochs = args[decayKey]
options.iterationsPerEpoch = args[epochSizeKey]
options.seed = UInt64(args[seedKey])
options.sampleCount = args[samplesKey]
options.resume = args[resumeKey]
options.stopAfterIterations = args[stopAfterKey]
options.sourceDiameter = args[sourceDiameterKey]
options.targetDiameter = args[targetDiameterKey]

// SIGINT / SIGTERM: finish the current iteration, write the checkpoint, exit 3.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0
signal(SIGINT) { _ in stopRequested = 1 }
signal(SIGTERM) { _ in stopRequested = 1 }
// A parent may have left them blocked (the mask survives exec); a stop request must get through.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGINT)
sigaddset(&stopSignals, SIGTERM)
sigprocmask(SIG_UNBLOCK, &stopSignals, nil)

if let recorded, let file = initialWeights {
    diagnostics.note("objective of \((file as NSString).lastPathComponent) (options given here override it): \(recorded.summary)")
}
do {
    var training = try SaliencyNetTraining(options: options)
    if let t = training.targetScale, let s = training.sourceScale {
        diagnostics.note("target nuclei " + t.summary(modelDiameter: t.spread == nil ? nil : t.domain.diameter)
                         + "; source nuclei " + s.summary(modelDiameter: t.domain.diameter))
    } else {
        diagnostics.warning("no nuclei stand out in the target images (nor masks beside them) to measure their diameter: "
                            + "nothing is rescaled and the model records no nucleus diameter; give --target-diameter D")
    }
    var progress: ProgressReporter?
    var recent: [StepLosses] = []
    let outcome = try training.run(shouldStop: { stopRequested != 0 }) { event in
        switch event {
        case .started(let xs, let ys, let perEpoch, let total, let start):
            diagnostics.note("\(xs) source and \(ys) target planes; \(total) iterations (\(perEpoch) per epoch)"
                             + (start > 0 ? ", resuming after \(start)" : ""))
            progress = ProgressReporter(label: spec.name, total: total)
        case .iteration(let i, let epoch, let losses):
            recent.append(losses)
            if recent.count > 50 { recent.removeFirst() }
            func mean(_ f: (StepLosses) -> Float) -> Float { recent.map(f).reduce(0, +) / Float(recent.count) }
            progress?.update(completed: i, detail: String(format: "epoch %d  G %.3f  cycle %.3f  D %.3f", epoch,
                                                          mean { $0.adversarialG + $0.adversarialF },
                                                          mean { $0.cycleX + $0.cycleY }, mean { $0.discriminatorX + $0.discriminatorY }))
        case .epochEnded(let epoch, let scores, let isBest, _):
            if let s = scores {
                diagnostics.note(String(format: "epoch %d: Otsu IoU raw %.3f -> enhanced %.3f, nuclei %d -> %d (truth %d, change %+.1f%%), missed %.1f%%, invented %.1f%%%@",
                                        epoch, s.rawIoU, s.enhancedIoU, s.rawCount, s.enhancedCount, s.truthCount, 100 * s.countChange,
                                        100 * s.missedFraction, 100 * s.inventedFraction, isBest ? " (best)" : ""))
            } else {
                diagnostics.note("epoch \(epoch) done")
            }
        case .interrupted(let i, let checkpoint):
            progress?.finish()
            diagnostics.note("stopped after iteration \(i); checkpoint \(checkpoint); continue with --resume")
        }
    }
    switch outcome {
    case .completed:
        progress?.finish()
        writeStdout(training.bestGeneratorPath + "\n")
        exitProcess(.success)
    case .interrupted:
        exitProcess(.interrupted)
    }
} catch {
    diagnostics.error("\(error)")
    exitProcess(.someInputsFailed)
}
