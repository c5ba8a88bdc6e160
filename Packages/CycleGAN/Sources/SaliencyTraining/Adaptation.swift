import CycleGAN
import Foundation
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
