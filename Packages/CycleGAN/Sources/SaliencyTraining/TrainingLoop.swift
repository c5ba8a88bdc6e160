import CycleGAN
import Foundation
import Losses
import MicroscopyIO
import NN
import NuclearScale
import TensorCore

/// Everything that defines a SaliencyNet training run (sn-train's options). Two runs with equal
/// options and data give the same weights, whether or not one was interrupted and resumed.
public struct SaliencyNetTrainingOptions: Sendable, Equatable {
    /// Domain X (low saliency) and domain Y (high saliency) image files (see ``ImageDomain/imageFiles(_:)``).
    public var sourceFiles: [String]
    public var targetFiles: [String]
    /// Channel of multi-channel images.
    public var channel: Int = 0
    /// Optional validation folder (`images/`, `masks/` of synthetic source-style images) and how many of
    /// its images to score each epoch (0 = all).
    public var validationFolder: String?
    public var validationLimit: Int = 50
    /// Output folder: checkpoints, `losses.csv`, `validation.csv`, `samples/`.
    public var outputFolder: String
    /// The generators' shape (the paper: ngf 64, 9 blocks) and the discriminators' width (ndf).
    public var generator: GeneratorOptions = GeneratorOptions(filters: 32, residualBlocks: 9)
    public var discriminatorFilters: Int = 64
    /// Losses, pool, Adam (the schedule is set from the epochs below).
    public var step: TrainingOptions = TrainingOptions()
    /// Crop side (a multiple of 4, at least 32 so that the PatchGAN has a 2 × 2 output) and crops per batch.
    public var cropSize: Int = 128
    public var batchSize: Int = 1
    /// Epochs at the base learning rate, then epochs of linear decay towards 0 (CycleGAN's schedule).
    public var constantEpochs: Int = 5
    public var decayEpochs: Int = 5
    /// Iterations per epoch; 0 = CycleGAN's choice, max(|X|, |Y|) planes ÷ batch.
    public var iterationsPerEpoch: Int = 0
    /// Seed of the weights, the crops and the pools.
    public var seed: UInt64 = 1
    /// The domains' median nucleus diameters (``DomainScale``): both are brought to the target's, which
    /// model files record as `training.nucleus_diameter`.
    public var sourceDiameter: DiameterSetting = .auto
    public var targetDiameter: DiameterSetting = .auto
    /// Per-image normalization percentiles (→ −1, 1).
    public var lowPercentile: Double = 1, highPercentile: Double = 99.8
    /// Samples (rows of X and of Y) in the per-epoch PNG grid; 0 = no grid.
    public var sampleCount: Int = 3
    /// Continue from `OUT/last.safetensors` instead of starting afresh.
    public var resume: Bool = false
    /// Scale jitter j of the crops (0 = none): each crop's window is c · s px with s log-uniform in
    /// [1/(1+j), 1+j], resampled to c (``ImageDomain/batch(count:crop:scaleJitter:random:)``), so the
    /// networks see nuclei within ±j of the domain's diameter.
    public var scaleJitter: Double = 0
    /// Resolution loss of the source crops, D in [1, 4] (1 = none): half of them are shrunk by r
    /// log-uniform in [1, D] and enlarged back (``ImageDomain/batch(count:crop:scaleJitter:downsample:random:)``),
    /// as the tools enlarge planes whose nuclei are below the model's diameter. The target crops stay sharp.
    public var sourceDownsample: Double = 1
    /// The least resolution loss m in [1, ``sourceDownsample``] (1 = as described there). With m > 1 the model is
    /// for small nuclei only: **every** source crop is shrunk by r log-uniform in [m, D] and enlarged back.
    public var sourceDownsampleMinimum: Double = 1
    /// A file to start the four networks from (``Adaptation/loadNetworks(from:)``: a training checkpoint or
    /// `best-networks.safetensors`); its architecture replaces ``generator`` and ``discriminatorFilters``.
    /// nil: fresh weights from ``seed``.
    public var initialWeights: String?
    /// With no ``targetFiles``: how many target-style images to synthesize (``Adaptation/synthesizeTargets(count:diameter:seed:folder:)``)
    /// into `OUT/synthetic-target`, at the nucleus diameter of ``initialWeights``'s model, else of the source.
    public var syntheticTargets: Int = 400
    /// Stop (with a checkpoint) after this many iterations in total, 0 = run to the end (tests use it to
    /// interrupt a run at a chosen point).
    public var stopAfterIterations: Int = 0

    /// Options with the required inputs and sn-train's defaults for the rest.
    public init(sourceFiles: [String], targetFiles: [String], outputFolder: String) {
        self.sourceFiles = sourceFiles
        self.targetFiles = targetFiles
        self.outputFolder = outputFolder
    }

    /// The settings that must not change when a run is resumed, as stored in checkpoints.
    var fingerprint: [String: String] {
        let w = step.saliencyWeights
        return ["placement": "\(step.placement)", "alpha": "\(w.alpha)", "beta": "\(w.beta)", "gamma": "\(w.gamma)",
                "lambda_cycle": "\(step.cycleWeight)", "identity_fraction": "\(step.identityFraction)", "pool": "\(step.poolSize)",
                "cycle_noise": "\(step.cycleNoise)", "cycle_blur": "\(step.cycleBlur)",
                "lr": "\(step.learningRate)", "beta1": "\(step.beta1)", "beta2": "\(step.beta2)",
                "crop": "\(cropSize)", "batch": "\(batchSize)", "epochs": "\(constantEpochs)", "decay_epochs": "\(decayEpochs)",
                "seed": "\(seed)", "channel": "\(channel)",
                "source_diameter_setting": "\(sourceDiameter)", "target_diameter_setting": "\(targetDiameter)"]
            .merging(contentFingerprint) { a, _ in a }
            .merging(initialWeights.map { ["init": ($0 as NSString).lastPathComponent] } ?? [:]) { a, _ in a }
            .merging(scaleJitter > 0 ? ["scale_jitter": "\(scaleJitter)"] : [:]) { a, _ in a }
            .merging(sourceDownsample > 1 ? ["source_downsample": "\(sourceDownsample)"] : [:]) { a, _ in a }
            .merging(sourceDownsampleMinimum > 1 ? ["source_downsample_min": "\(sourceDownsampleMinimum)"] : [:]) { a, _ in a }
    }

    /// The content-preservation settings (none for the paper's objective, so earlier runs still resume).
    var contentFingerprint: [String: String] {
        guard case let .saliencyMask(c, weight) = step.contentPreservation else { return [:] }
        return ["content": "saliency_mask", "content_weight": "\(weight)", "content_blur": "\(c.blurSigma)",
                "content_softness": "\(c.softness)"]
            .merging(c.backgroundSigma > 0 ? ["content_background": "\(c.backgroundSigma)"] : [:]) { a, _ in a }
            .merging(c.minimumContrast > 0 ? ["content_min_contrast": "\(c.minimumContrast)"] : [:]) { a, _ in a }
    }
}

/// Something a running training reports (for progress displays).
public enum TrainingEvent {
    /// Data loaded; `iterations` in total, `startIteration` already done (resume).
    case started(sourcePlanes: Int, targetPlanes: Int, iterationsPerEpoch: Int, iterations: Int, startIteration: Int)
    /// One iteration done (1-based count), its losses.
    case iteration(Int, epoch: Int, StepLosses)
    /// An epoch ended: its validation (nil without a validation folder), whether it is the best so far,
    /// and the files written.
    case epochEnded(Int, ValidationScores?, isBest: Bool, files: [String])
    /// The run stopped early (a stop request or ``SaliencyNetTrainingOptions/stopAfterIterations``) after
    /// writing the checkpoint.
    case interrupted(iteration: Int, checkpoint: String)
}

/// How a run ended.
public enum TrainingOutcome: Equatable {
    /// All epochs done.
    case completed
    /// Stopped early with a checkpoint at this iteration count.
    case interrupted(iteration: Int)
}

/// The training loop of SaliencyNet (paper §3, Fig. 1): CycleGAN with the saliency loss, on random
/// augmented crops of two unpaired image sets.
///
/// Each iteration `i` (0-based, global) draws the X batch, the Y batch and the pools' coin flips from
/// Philox streams `4i`, `4i + 1`, `4i + 2` of the seed, so the data order is a pure function of
/// (seed, i) and a resumed run repeats exactly what an uninterrupted run does. Per iteration:
/// forward → losses → backward → Adam step for G and F, then for D_X and D_Y
/// (``CycleGAN/CycleGANTrainer/trainStep(realX:realY:random:)``).
///
/// Files in ``SaliencyNetTrainingOptions/outputFolder``:
/// - `losses.csv`: one row per iteration, every loss term;
/// - `validation.csv`: one row per epoch (with a validation folder);
/// - `samples/epoch-NNNN.png`: rows of X → G(X) → F(G(X)) and Y → F(Y) → G(F(Y));
/// - `last.safetensors`: the full state (networks, Adam moments, pools, iteration) after the last
///   epoch or interruption; `best.safetensors`: the same at the best validation score;
///   `best-generator.safetensors`: G alone at the best score (the file to ship / give sn-enhance).
///
/// All files are written atomically. A non-finite loss stops the run with
/// ``TrainingError/nonFiniteLoss(iteration:loss:lastGoodCheckpoint:)`` without writing the bad state.
public struct SaliencyNetTraining {
    /// The options.
    public let options: SaliencyNetTrainingOptions
    /// The step state (networks, optimizers, pools).
    public private(set) var trainer: CycleGANTrainer
    /// Completed iterations.
    public private(set) var iteration: Int = 0
    /// Best validation score so far.
    public private(set) var bestScore: Double = -.infinity
    let source: ImageDomain, target: ImageDomain
    /// The source and target domains' nucleus diameters, the domain's and each plane's (each plane was
    /// resampled to the target's median); nil where `auto` found no nuclei and the other domain gave none either.
    public let sourceScale: DomainDiameters?, targetScale: DomainDiameters?
    /// The source and target domains' median nucleus diameters (the model works at the target's).
    public var sourceDiameter: ResolvedDiameter? { sourceScale?.domain }
    public var targetDiameter: ResolvedDiameter? { targetScale?.domain }
    let validation: [ValidationImage]
    /// Iterations per epoch and in total.
    public let iterationsPerEpoch: Int
    public var totalIterations: Int { iterationsPerEpoch * (options.constantEpochs + options.decayEpochs) }

    /// Paths of the output files.
    public var lastCheckpointPath: String { path("last.safetensors") }
    public var bestCheckpointPath: String { path("best.safetensors") }
    public var bestGeneratorPath: String { path("best-generator.safetensors") }
    /// G, F, D_X, D_Y of the best epoch without optimizer state: what `--init` starts another run from.
    public var bestNetworksPath: String { path("best-networks.safetensors") }
    public var lossesPath: String { path("losses.csv") }
    public var validationPath: String { path("validation.csv") }
    func path(_ name: String) -> String { (options.outputFolder as NSString).appendingPathComponent(name) }

    /// Loads the data, builds (or, with ``SaliencyNetTrainingOptions/resume``, restores) the state.
    /// - Throws: ``TrainingError`` for unusable data, options or checkpoint.
    public init(options: SaliencyNetTrainingOptions) throws {
        guard options.cropSize >= 32 && options.cropSize % 4 == 0 else {
            throw TrainingError.data("the crop size must be a multiple of 4 and at least 32 (the PatchGAN needs it), got \(options.cropSize)")
        }
        guard options.batchSize >= 1, options.constantEpochs >= 0, options.decayEpochs >= 0,
              options.constantEpochs + options.decayEpochs >= 1 else {
            throw TrainingError.data("batch size must be ≥ 1 and there must be at least one epoch")
        }
        var options = options
        // A warm start takes the architecture of its file.
        var initial: (model: CycleGANModel, metadata: ModelMetadata, discriminatorFilters: Int)? = nil
        if let file = options.initialWeights {
            let loaded = try Adaptation.loadNetworks(from: file)
            options.generator = loaded.model.G.options
            options.discriminatorFilters = loaded.discriminatorFilters
            initial = loaded
        }
        let sourceData = try ImageDomain.load(files: options.sourceFiles, channel: options.channel, low: options.lowPercentile,
                                              high: options.highPercentile, minimumSide: 1)
        var sourceD = try DomainScale.resolve(options.sourceDiameter, domain: sourceData, files: options.sourceFiles, name: "source")
        // No target images: synthesize them at the warm start's nucleus diameter, else at the source's.
        if options.targetFiles.isEmpty {
            guard options.syntheticTargets > 0 else { throw TrainingError.data("no target images, and none to synthesize") }
            let fromModel = try initial.flatMap { try $0.metadata.nucleusDiameter(path: options.initialWeights ?? "") }
            let diameter = fromModel ?? sourceD?.domain.diameter ?? 11.8
            options.targetFiles = try Adaptation.synthesizeTargets(
                count: options.syntheticTargets, diameter: diameter, seed: options.seed &+ 0x5eed,
                folder: (options.outputFolder as NSString).appendingPathComponent("synthetic-target"))
        }
        self.options = options
        let targetData = try ImageDomain.load(files: options.targetFiles, channel: options.channel, low: options.lowPercentile,
                                              high: options.highPercentile, minimumSide: 1)
        let targetD = try DomainScale.resolve(options.targetDiameter, domain: targetData, files: options.targetFiles, name: "target")
        // A domain whose diameter cannot be estimated takes the other's (nothing is rescaled); with neither,
        // the model records no diameter.
        if sourceD == nil, let t = targetD {
            sourceD = DomainDiameters(domain: ResolvedDiameter(diameter: t.domain.diameter, source: .fallback, estimate: nil),
                                      planes: Array(repeating: t.domain.diameter, count: sourceData.slices.count))
        }
        (targetScale, sourceScale) = (targetD, sourceD)
        // Every plane of both domains is brought to the target's median diameter from its own.
        func mappings(_ d: DomainDiameters?, _ count: Int) -> [ScaleMapping] {
            guard let d, let m = targetD?.domain.diameter else { return Array(repeating: ScaleMapping(imageDiameter: 1, modelDiameter: 1), count: count) }
            return d.planes.map { ScaleMapping(imageDiameter: $0, modelDiameter: m) }
        }
        source = try sourceData.rescaled(mappings(sourceD, sourceData.slices.count), minimumSide: options.cropSize)
        target = try targetData.rescaled(mappings(targetD, targetData.slices.count), minimumSide: options.cropSize)
        let modelDiameter = targetD?.domain.diameter
        validation = try options.validationFolder.map {
            try Validation.load(folder: $0, limit: options.validationLimit, low: options.lowPercentile, high: options.highPercentile,
                                modelDiameter: modelDiameter)
        } ?? []
        iterationsPerEpoch = options.iterationsPerEpoch > 0
            ? options.iterationsPerEpoch : max(1, max(source.slices.count, target.slices.count) / options.batchSize)
        var step = options.step
        step.schedule = .linearDecay(constantEpochs: options.constantEpochs, decayEpochs: options.decayEpochs)
        let model = CycleGANModel(generator: options.generator, discriminatorFilters: options.discriminatorFilters, seed: options.seed)
        if let initial {
            for (p, q) in zip(model.parameters, initial.model.parameters) { p.value = q.value }
        }
        trainer = CycleGANTrainer(model: model, options: step)
        try OutputDirectoryMaker.make(options.outputFolder)
        // Temporary files of writes a killed run left behind (ours are named `.<file>.tmp-<pid>-<random>`).
        removeStaleTemporaryFiles(in: options.outputFolder)
        removeStaleTemporaryFiles(in: path("samples"))
        if FileManager.default.fileExists(atPath: lastCheckpointPath) {
            guard options.resume else {
                throw TrainingError.data("\(lastCheckpointPath) exists: \(options.outputFolder) holds an earlier run (use --resume to continue it, or another --out)")
            }
            try restore(from: lastCheckpointPath)
        } else if options.resume && !FileManager.default.fileExists(atPath: lossesPath) {
            throw TrainingError.checkpoint("\(lastCheckpointPath): nothing to resume (no checkpoint and no log of an earlier run in \(options.outputFolder))")
        }
        // Logs without a checkpoint (a run killed before its first one): nothing to resume, so start at
        // iteration 0, with or without --resume, dropping the log rows of the killed run.
        try TrainingLog.truncate(lossesPath, keepingRowsUpTo: iteration)
        try TrainingLog.truncate(validationPath, keepingRowsUpTo: iteration / iterationsPerEpoch, column: 0)
    }

    // MARK: The loop

    /// Runs the remaining iterations. `shouldStop` is polled after every iteration (a signal handler sets
    /// it); a stop writes `last.safetensors` first.
    public mutating func run(shouldStop: () -> Bool = { false }, report: (TrainingEvent) -> Void = { _ in }) throws -> TrainingOutcome {
        report(.started(sourcePlanes: source.slices.count, targetPlanes: target.slices.count,
                        iterationsPerEpoch: iterationsPerEpoch, iterations: totalIterations, startIteration: iteration))
        let log = try TrainingLog(lossesPath: lossesPath, validationPath: validationPath)
        var lastGood: String? = FileManager.default.fileExists(atPath: lastCheckpointPath) ? lastCheckpointPath : nil
        let start = monotonicClock()
        while iteration < totalIterations {
            let epoch = iteration / iterationsPerEpoch + 1
            trainer.epoch = epoch
            let i = UInt64(iteration)
            var xRandom = PhiloxGenerator(seed: options.seed, stream: 4 * i)
            var yRandom = PhiloxGenerator(seed: options.seed, stream: 4 * i + 1)
            var poolRandom = PhiloxGenerator(seed: options.seed, stream: 4 * i + 2)
            let x = source.batch(count: options.batchSize, crop: options.cropSize, scaleJitter: options.scaleJitter,
                                 downsample: options.sourceDownsample, downsampleMinimum: options.sourceDownsampleMinimum,
                                 random: &xRandom)
            let y = target.batch(count: options.batchSize, crop: options.cropSize, scaleJitter: options.scaleJitter, random: &yRandom)
            let learningRate = trainer.generatorOptimizer.learningRate
            let losses = trainer.trainStep(realX: x, realY: y, random: &poolRandom)
            if let bad = zip(TrainingLog.lossNames, losses.all).first(where: { !$0.1.isFinite }) {
                throw TrainingError.nonFiniteLoss(iteration: iteration + 1, loss: bad.0, lastGoodCheckpoint: lastGood)
            }
            iteration += 1
            try log.appendLosses(iteration: iteration, epoch: epoch, learningRate: learningRate, losses: losses,
                                 seconds: monotonicClock() - start)
            report(.iteration(iteration, epoch: epoch, losses))
            if iteration % iterationsPerEpoch == 0 {
                var files: [String] = []
                var scores: ValidationScores?
                var isBest = false
                if !validation.isEmpty {
                    let s = Validation.evaluate(trainer.model.G, on: validation)
                    scores = s
                    isBest = s.score > bestScore
                    if isBest { bestScore = s.score }
                    try log.appendValidation(epoch: epoch, iteration: iteration, scores: s, isBest: isBest)
                }
                if options.sampleCount > 0 {
                    let grid = path("samples/epoch-\(String(format: "%04d", epoch)).png")
                    try SampleGrid.write(model: trainer.model, source: source, target: target, count: options.sampleCount,
                                         crop: min(256, options.cropSize * 2), to: grid)
                    files.append(grid)
                }
                try checkWeights(lastGood: lastGood)
                try saveState(to: lastCheckpointPath)
                files.append(lastCheckpointPath)
                lastGood = lastCheckpointPath
                if isBest || validation.isEmpty {
                    try saveState(to: bestCheckpointPath)
                    try saveGenerator(to: bestGeneratorPath, scores: scores)
                    try saveNetworks(to: bestNetworksPath)
                    files += [bestCheckpointPath, bestGeneratorPath, bestNetworksPath]
                }
                report(.epochEnded(epoch, scores, isBest: isBest, files: files))
            }
            if iteration < totalIterations
                && (shouldStop() || (options.stopAfterIterations > 0 && iteration >= options.stopAfterIterations)) {
                try checkWeights(lastGood: lastGood)
                try saveState(to: lastCheckpointPath)
                report(.interrupted(iteration: iteration, checkpoint: lastCheckpointPath))
                return .interrupted(iteration: iteration)
            }
        }
        return .completed
    }

    // MARK: Checkpoints

    /// Throws ``TrainingError/nonFiniteLoss(iteration:loss:lastGoodCheckpoint:)`` when an update left a
    /// non-finite weight although the losses were finite: such a state is never written.
    func checkWeights(lastGood: String?) throws {
        if let bad = trainer.model.parameters.first(where: { p in p.value.scalars.contains { !$0.isFinite } }) {
            throw TrainingError.nonFiniteLoss(iteration: iteration, loss: "(weights of \(bad.name) after the update)",
                                              lastGoodCheckpoint: lastGood)
        }
    }

    /// The metadata every file of this run carries.
    func metadata(extra: [String: String] = [:]) -> ModelMetadata {
        var training = options.fingerprint
        training["iteration"] = String(iteration)
        training["iterations_per_epoch"] = String(iterationsPerEpoch)
        training["best_score"] = bestScore.isFinite ? String(bestScore) : "none"
        training["source_planes"] = String(source.slices.count)
        training["target_planes"] = String(target.slices.count)
        if let t = targetDiameter {
            training[ModelMetadata.nucleusDiameterKey] = String(t.diameter)
            training["target_diameter_from"] = t.source.rawValue
        }
        if let s = sourceDiameter {
            training["source_diameter"] = String(s.diameter)
            training["source_diameter_from"] = s.source.rawValue
        }
        if let r = sourceScale?.spread { training["source_diameter_range"] = "\(r.lowerBound)-\(r.upperBound)" }
        if let r = targetScale?.spread { training["target_diameter_range"] = "\(r.lowerBound)-\(r.upperBound)" }
        for (k, v) in extra { training[k] = v }
        return ModelMetadata(architecture: SaliencyNetFile.architecture,
                             hyperparameters: SaliencyNetFile.hyperparameters(options.generator,
                                                                              discriminatorFilters: options.discriminatorFilters),
                             intensityNormalization: ["low_percentile": String(options.lowPercentile),
                                                      "high_percentile": String(options.highPercentile),
                                                      "range": "[-1, 1]"],
                             training: training)
    }

    /// Writes the full state: the four networks, both Adam states (`adam.<player>.m|v.<parameter>`,
    /// step counts in metadata) and the pools (`pool.X`, `pool.Y`, `[n, 1, c, c]`).
    public func saveState(to file: String) throws {
        var tensors: [String: Tensor] = [:]
        for p in trainer.model.parameters { tensors[p.name] = p.value }
        for (player, adam) in [("generators", trainer.generatorOptimizer), ("discriminators", trainer.discriminatorOptimizer)] {
            for (k, p) in adam.parameters.enumerated() {
                tensors["adam.\(player).m.\(p.name)"] = adam.firstMoments[k]
                tensors["adam.\(player).v.\(p.name)"] = adam.secondMoments[k]
            }
        }
        for (name, pool) in [("X", trainer.poolX), ("Y", trainer.poolY)] where !pool.images.isEmpty {
            tensors["pool.\(name)"] = Tensor(shape: [pool.images.count] + pool.images[0].shape.dropFirst(),
                                              scalars: pool.images.flatMap(\.scalars))
        }
        let m = metadata(extra: ["adam.generators.step": String(trainer.generatorOptimizer.stepCount),
                                 "adam.discriminators.step": String(trainer.discriminatorOptimizer.stepCount)])
        do {
            try SafeTensorsFile(tensors: tensors, metadata: m.flattened).write(to: file)
        } catch {
            throw TrainingError.checkpoint("\(error)")
        }
    }

    /// Writes G, F, D_X and D_Y (no optimizer state, no pools) with the run's metadata.
    public func saveNetworks(to file: String) throws {
        do {
            try Checkpoint.save(trainer.model.parameters, metadata: metadata(), to: file)
        } catch {
            throw TrainingError.checkpoint("\(error)")
        }
    }

    /// Writes G alone with the run's metadata (and the validation scores that selected it).
    public func saveGenerator(to file: String, scores: ValidationScores?) throws {
        var extra: [String: String] = [:]
        if let s = scores {
            extra["validation_otsu_iou_raw"] = String(format: "%.4f", s.rawIoU)
            extra["validation_otsu_iou_enhanced"] = String(format: "%.4f", s.enhancedIoU)
            extra["validation_count_change"] = String(format: "%.4f", s.countChange)
        }
        do {
            try GeneratorModel(generator: trainer.model.G, metadata: metadata(extra: extra)).save(to: file)
        } catch {
            throw TrainingError.checkpoint("\(error)")
        }
    }

    /// Restores the full state written by ``saveState(to:)`` after checking that the run's settings match.
    mutating func restore(from file: String) throws {
        do {
            let f = try SafeTensorsFile.read(from: file)
            let m = try ModelMetadata(flattened: f.metadata, path: file)
            guard m.architecture == SaliencyNetFile.architecture else {
                throw TrainingError.checkpoint("\(file): architecture '\(m.architecture)', expected '\(SaliencyNetFile.architecture)'")
            }
            let expected = SaliencyNetFile.hyperparameters(options.generator, discriminatorFilters: options.discriminatorFilters)
            var differences: [String] = []
            for (k, v) in expected.sorted(by: { $0.key < $1.key }) where m.hyperparameters[k] != v {
                differences.append("\(k) \(m.hyperparameters[k] ?? "missing") in the checkpoint, \(v) now")
            }
            for (k, v) in options.fingerprint.sorted(by: { $0.key < $1.key }) where m.training[k] != v {
                differences.append("\(k) \(m.training[k] ?? "missing") in the checkpoint, \(v) now")
            }
            guard differences.isEmpty else {
                throw TrainingError.checkpoint("\(file): cannot resume with other settings: " + differences.joined(separator: "; "))
            }
            try Checkpoint.load(into: trainer.model.parameters, from: f, path: file, architecture: SaliencyNetFile.architecture,
                                allowingOtherTensors: true)
            func moments(_ player: String, _ adam: Adam, _ kind: String) throws -> [Tensor] {
                try adam.parameters.map { p in
                    guard let t = f.tensors["adam.\(player).\(kind).\(p.name)"] else {
                        throw TrainingError.checkpoint("\(file): no optimizer state for '\(p.name)' (not a training checkpoint)")
                    }
                    return t
                }
            }
            for player in ["generators", "discriminators"] {
                guard let s = m.training["adam.\(player).step"], let steps = Int(s) else {
                    throw TrainingError.checkpoint("\(file): no 'training.adam.\(player).step' (not a training checkpoint)")
                }
                var adam = player == "generators" ? trainer.generatorOptimizer : trainer.discriminatorOptimizer
                try adam.restore(stepCount: steps, firstMoments: moments(player, adam, "m"),
                                 secondMoments: moments(player, adam, "v"), path: file)
                if player == "generators" { trainer.generatorOptimizer = adam } else { trainer.discriminatorOptimizer = adam }
            }
            func pool(_ name: String) -> ImagePool {
                guard let t = f.tensors["pool.\(name)"] else { return ImagePool(capacity: options.step.poolSize) }
                let n = t.shape[0], item = t.count / max(1, n)
                let itemShape = [1] + Array(t.shape.dropFirst())
                let s = t.scalars
                return ImagePool(capacity: options.step.poolSize,
                                 images: (0..<n).map { Tensor(shape: itemShape, scalars: Array(s[(item * $0)..<(item * ($0 + 1))])) })
            }
            trainer.poolX = pool("X")
            trainer.poolY = pool("Y")
            guard let it = m.training["iteration"].flatMap({ Int($0) }) else {
                throw TrainingError.checkpoint("\(file): no 'training.iteration' in metadata")
            }
            iteration = it
            bestScore = m.training["best_score"].flatMap { Double($0) } ?? -.infinity
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.checkpoint("\(error)")
        }
    }
}

/// Seconds on a monotonic clock.
func monotonicClock() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

enum OutputDirectoryMaker {
    static func make(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.data("\(path): cannot create the output folder (\(error.localizedDescription))")
        }
    }
}
