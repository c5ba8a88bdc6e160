import CycleGAN
import Foundation
import Losses
import MicroscopyIO
import NN
import NuclearScale
import Synthesis
import TensorCore

/// Adapting SaliencyNet to a user's own data without annotation and without target images (issue 16):
/// the target domain is synthesized, and the networks can start from a trained model.
///
/// ```sh
/// sn-train --source MYDIR --out RUN --init shipped     # targets synthesized, warm start
/// sn-enhance --model RUN MYDIR/*.tif --out enhanced     # RUN's best generator (or its last)
/// ```
public enum Adaptation {
    /// Side of each synthesized target image, px.
    public static let syntheticSide = 256
    /// Ratio of a synthetic set's label diameter to its outline diameter (sn-synth's 12.2 px outlines give
    /// 11.8 px masks: cross-sections and borders), used to aim the outline at a wanted mask diameter.
    public static let maskToOutline = 12.2 / 11.8

    /// Writes `count` synthetic target-style images (``SynthesisStyle/filled``: filled, uniformly salient
    /// nuclei with smooth interiors) whose masks measure about `diameter` px into `folder/images` and
    /// `folder/masks` (uint16 TIFF, `filled_0000.tif`, …), seeded by `seed`, and returns the image paths.
    /// Files already there are kept (a resumed run finds the same set: the images are a pure function of
    /// the seed, the index and the diameter).
    /// - Throws: ``TrainingError/data(_:)`` naming the file that cannot be written.
    public static func synthesizeTargets(count: Int, diameter: Double, seed: UInt64, folder: String) throws -> [String] {
        var parameters = SynthesisStyle.filled.parameters
        parameters.nuclei.diameter = min(100, max(3, diameter * maskToOutline))
        let side = max(syntheticSide, Int((16 * diameter).rounded(.up) / 16) * 16)
        let generator = SyntheticImageGenerator(parameters: parameters, width: side, height: side, seed: seed)
        let images = (folder as NSString).appendingPathComponent("images"), masks = (folder as NSString).appendingPathComponent("masks")
        try OutputDirectoryMaker.make(images)
        try OutputDirectoryMaker.make(masks)
        _ = removeStaleTemporaryFiles(in: images)
        _ = removeStaleTemporaryFiles(in: masks)
        var paths: [String] = []
        for index in 0..<count {
            let name = String(format: "filled_%04d.tif", index)
            let imagePath = (images as NSString).appendingPathComponent(name), maskPath = (masks as NSString).appendingPathComponent(name)
            paths.append(imagePath)
            if FileManager.default.fileExists(atPath: imagePath) && FileManager.default.fileExists(atPath: maskPath) { continue }
            let image = generator.image(at: index)
            let plane = ImagePlane(width: image.width, height: image.height, pixels: image.slicePixels(0).map(Float.init), sampleType: .uint16)
            let labels = LabelImage(width: image.width, height: image.height, labels: Array(image.sliceLabels(0)))
            do {
                try writeFilesAtomically(to: [imagePath, maskPath]) { t in
                    try writeTIFF([plane], to: t[0], sampleType: .uint16)
                    try writeLabels([labels], to: t[1], sampleType: .uint16)
                }
            } catch {
                throw TrainingError.data("\(imagePath): cannot write a synthetic target image (\(error))")
            }
        }
        return paths
    }

    /// The networks of a file written by sn-train (a training checkpoint, or `best-networks.safetensors`):
    /// G, F, D_X and D_Y with the generator options and discriminator width of its metadata, and its
    /// metadata (for the nucleus diameter).
    /// - Throws: ``TrainingError/checkpoint(_:)`` naming `path` for an unreadable or foreign file, or one that
    ///   holds only a generator (a shipped `saliencynet.safetensors`: it has no F, D_X, D_Y to start from).
    public static func loadNetworks(from path: String) throws -> (model: CycleGANModel, metadata: ModelMetadata, discriminatorFilters: Int) {
        do {
            let file = try SafeTensorsFile.read(from: path)
            let metadata = try ModelMetadata(flattened: file.metadata, path: path)
            guard metadata.architecture == SaliencyNetFile.architecture else {
                throw TrainingError.checkpoint("\(path): architecture '\(metadata.architecture)', expected '\(SaliencyNetFile.architecture)'")
            }
            let generator = try SaliencyNetFile.generatorOptions(metadata, path: path)
            guard let ndf = metadata.hyperparameters["ndf"].flatMap({ Int($0) }), ndf > 0,
                  file.tensors.keys.contains(where: { $0.hasPrefix("D_Y.") }) else {
                throw TrainingError.checkpoint("\(path): holds only a generator; --init needs G, F, D_X and D_Y "
                                               + "(a training checkpoint, best-networks.safetensors, or 'shipped')")
            }
            _ = try metadata.nucleusDiameter(path: path)
            let model = CycleGANModel(generator: generator, discriminatorFilters: ndf, seed: 0)
            try Checkpoint.load(into: model.parameters, from: file, path: path, architecture: SaliencyNetFile.architecture,
                                allowingOtherTensors: true)
            return (model, metadata, ndf)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.checkpoint("\(error)")
        }
    }
}

/// The objective a file written by sn-train was trained with, read back from its `training.*` metadata:
/// what `sn-train --init FILE` continues with unless the command line says otherwise, so that a warm start
/// keeps the loss that made the model (the content term, the cycle's noise and blur, the scale jitter).
///
/// A field is nil where the file does not record it (a file from before the setting existed); the
/// content term and the scale jitter are recorded only when used, so a file that records an objective
/// but neither of them was trained without them.
public struct RecordedObjective: Sendable, Equatable {
    /// `training.placement`.
    public var placement: LossPlacement?
    /// `training.alpha`, `training.beta`, `training.gamma` (α + β + γ = 1).
    public var saliencyWeights: SaliencyLossWeights?
    /// `training.lambda_cycle`, `training.identity_fraction`.
    public var cycleWeight: Double?, identityFraction: Double?
    /// `training.pool`.
    public var poolSize: Int?
    /// `training.cycle_noise`, `training.cycle_blur`.
    public var cycleNoise: Double?, cycleBlur: Double?
    /// `training.content`, `content_weight`, `content_blur`, `content_softness`, `content_background` and
    /// `content_min_contrast` (0 when absent).
    public var contentPreservation: ContentPreservation?
    /// `training.scale_jitter`.
    public var scaleJitter: Double?
    /// `training.source_downsample` (1 when the file records an objective without it).
    public var sourceDownsample: Double?
    /// `training.source_downsample_min` (1 when the file records an objective without it).
    public var sourceDownsampleMinimum: Double?

    /// Reads the objective of `metadata` (of the file at `path`, for errors).
    /// - Throws: ``TrainingError/checkpoint(_:)`` naming `path` and the key whose value is not a valid setting.
    public init(metadata: ModelMetadata, path: String) throws {
        let t = metadata.training
        func number(_ key: String, _ valid: (Double) -> Bool = { $0 >= 0 }) throws -> Double? {
            guard let text = t[key] else { return nil }
            guard let v = Double(text), v.isFinite, valid(v) else {
                throw TrainingError.checkpoint("\(path): training.\(key) '\(text)' is not a valid setting")
            }
            return v
        }
        if let text = t["placement"] {
            guard let p = LossPlacement.allCases.first(where: { "\($0)" == text }) else {
                throw TrainingError.checkpoint("\(path): training.placement '\(text)' is not a loss placement")
            }
            placement = p
        }
        if let a = try number("alpha"), let b = try number("beta"), let g = try number("gamma") {
            do {
                saliencyWeights = try SaliencyLossWeights(alpha: Float(a), beta: Float(b), gamma: Float(g))
            } catch {
                throw TrainingError.checkpoint("\(path): \(error)")
            }
        }
        cycleWeight = try number("lambda_cycle")
        identityFraction = try number("identity_fraction")
        poolSize = try number("pool").map { Int($0) }
        cycleNoise = try number("cycle_noise")
        cycleBlur = try number("cycle_blur")
        let recordsObjective = placement != nil
        switch t["content"] {
        case "saliency_mask":
            guard let w = try number("content_weight"), let b = try number("content_blur", { $0 > 0 }),
                  let s = try number("content_softness", { $0 > 0 }) else {
                throw TrainingError.checkpoint("\(path): training.content is saliency_mask without its weight, blur and softness")
            }
            let background = try number("content_background") ?? 0, gate = try number("content_min_contrast") ?? 0
            contentPreservation = .saliencyMask(SaliencyConstraint(blurSigma: b, softness: Float(s), backgroundSigma: background,
                                                                   minimumContrast: Float(gate)), weight: Float(w))
        case nil:
            contentPreservation = recordsObjective ? ContentPreservation.none : nil
        case let other?:
            throw TrainingError.checkpoint("\(path): training.content '\(other)' is not a content term")
        }
        scaleJitter = try number("scale_jitter", { $0 <= 0.9 }) ?? (recordsObjective ? 0 : nil)
        sourceDownsample = try number("source_downsample", { $0 >= 1 && $0 <= ImageDomain.maximumDownsample })
            ?? (recordsObjective ? 1 : nil)
        sourceDownsampleMinimum = try number("source_downsample_min", { $0 >= 1 && $0 <= ImageDomain.maximumDownsample })
            ?? (recordsObjective ? 1 : nil)
    }

    /// Reads the objective recorded in the file at `path`.
    /// - Throws: ``TrainingError/checkpoint(_:)`` naming `path` when it cannot be read or holds an invalid setting.
    public init(file path: String) throws {
        let metadata: ModelMetadata
        do {
            metadata = try ModelMetadata(flattened: try SafeTensorsFile.read(from: path).metadata, path: path)
        } catch {
            throw TrainingError.checkpoint("\(error)")
        }
        try self.init(metadata: metadata, path: path)
    }

    /// One line for a diagnostic: the recorded settings (absent ones left out).
    public var summary: String {
        var parts: [String] = []
        if let p = placement { parts.append("placement \(p)") }
        if let w = saliencyWeights { parts.append("alpha \(w.alpha) beta \(w.beta) gamma \(w.gamma)") }
        if let v = cycleWeight { parts.append("lambda \(v)") }
        if let v = identityFraction { parts.append("identity \(v)") }
        if let v = poolSize { parts.append("pool \(v)") }
        if let v = cycleNoise { parts.append("cycle noise \(v)") }
        if let v = cycleBlur { parts.append("cycle blur \(v)") }
        switch contentPreservation {
        case .saliencyMask(let c, let w)?:
            parts.append("content mask (weight \(w), blur \(c.blurSigma), softness \(c.softness)"
                         + (c.backgroundSigma > 0 ? ", background \(c.backgroundSigma)" : "")
                         + (c.minimumContrast > 0 ? ", min contrast \(c.minimumContrast)" : "") + ")")
        case ContentPreservation.none?: parts.append("content none")
        case nil: break
        }
        if let v = scaleJitter { parts.append("scale jitter \(v)") }
        if let v = sourceDownsample, v > 1 { parts.append("source downsample \(v)") }
        if let v = sourceDownsampleMinimum, v > 1 { parts.append("source downsample minimum \(v) (every crop)") }
        return parts.isEmpty ? "none recorded" : parts.joined(separator: ", ")
    }
}

/// A training run's output folder, as a model for the tools (`sn-enhance --model RUN`).
public enum RunFolder {
    /// The generator file a run folder offers, best first: `best-generator.safetensors` (the best epoch),
    /// else `last.safetensors` (the latest checkpoint; G is read out of it); nil when `folder` holds neither.
    public static func generatorFile(in folder: String) -> String? {
        for name in ["best-generator.safetensors", "last.safetensors"] {
            let path = (folder as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// `path` itself when it is a file; for a folder, ``generatorFile(in:)``; nil for a folder without either.
    public static func modelFile(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return path }
        return generatorFile(in: path)
    }
}
