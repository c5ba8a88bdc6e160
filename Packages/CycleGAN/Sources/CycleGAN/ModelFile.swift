import NN
import TensorCore

/// The SaliencyNet model file: safetensors with ``ModelMetadata`` whose architecture is
/// ``architecture`` and whose hyperparameters describe the networks:
///
/// | key | meaning |
/// | --- | --- |
/// | `hparams.ngf` | generator filters (``GeneratorOptions/filters``) |
/// | `hparams.blocks` | residual blocks |
/// | `hparams.upsampling` | `transposed` or `resize` |
/// | `hparams.ndf` | discriminator filters (full checkpoints) |
/// | `hparams.channels` | image channels (1) |
/// | `normalization.low_percentile`, `normalization.high_percentile` | per-image percentiles mapped to −1 and 1 |
///
/// A *generator file* holds the `G.*` tensors (G: X → Y, the enhancer); a *training checkpoint*
/// (written by `SaliencyTraining`) holds G, F, D_X, D_Y, the Adam moments and the image pools
/// under the same metadata. ``GeneratorModel/load(from:)`` reads G out of either.
public enum SaliencyNetFile {
    /// The architecture name stored in and checked on every SaliencyNet file.
    public static let architecture = "saliencynet-cyclegan"

    /// The hyperparameter entries for a generator's options and a discriminator width.
    public static func hyperparameters(_ options: GeneratorOptions, discriminatorFilters: Int?) -> [String: String] {
        var h = ["ngf": String(options.filters), "blocks": String(options.residualBlocks),
                 "upsampling": options.upsampling == .transposedConvolution ? "transposed" : "resize",
                 "channels": String(options.inputChannels)]
        if let discriminatorFilters { h["ndf"] = String(discriminatorFilters) }
        return h
    }

    /// The generator options described by a file's metadata.
    /// - Throws: ``CheckpointError`` naming `path` and the missing or invalid key.
    public static func generatorOptions(_ metadata: ModelMetadata, path: String) throws -> GeneratorOptions {
        func integer(_ key: String) throws -> Int {
            guard let s = metadata.hyperparameters[key], let v = Int(s), v > 0 else {
                throw CheckpointError(path: path, reason: "metadata 'hparams.\(key)' missing or not a positive integer")
            }
            return v
        }
        let upsampling: GeneratorUpsampling
        switch metadata.hyperparameters["upsampling"] {
        case "transposed": upsampling = .transposedConvolution
        case "resize": upsampling = .resizeConvolution
        case let other:
            throw CheckpointError(path: path, reason: "metadata 'hparams.upsampling' is \(other.map { "'\($0)'" } ?? "missing"), expected 'transposed' or 'resize'")
        }
        let channels = try integer("channels")
        return GeneratorOptions(inputChannels: channels, outputChannels: channels, filters: try integer("ngf"),
                                residualBlocks: try integer("blocks"), upsampling: upsampling)
    }
}

/// A trained enhancer: the generator G: X → Y (low saliency → high saliency) with the metadata of
/// the file it came from.
public struct GeneratorModel {
    /// G: X → Y, input and output `[N, 1, H, W]` in [−1, 1].
    public var generator: ResNetGenerator
    /// The file's metadata (architecture, hyperparameters, normalization, training facts).
    public var metadata: ModelMetadata

    /// The median nucleus diameter of the training data, px (`training.nucleus_diameter`; nil in files
    /// written before it was recorded). Checked when the file is loaded.
    public var nucleusDiameter: Double? {
        get { metadata.training[ModelMetadata.nucleusDiameterKey].flatMap(Double.init) }
        set { metadata.training[ModelMetadata.nucleusDiameterKey] = newValue.map { String($0) } }
    }

    /// Wraps a generator (named `G`) with metadata.
    public init(generator: ResNetGenerator, metadata: ModelMetadata) {
        self.generator = generator
        self.metadata = metadata
    }

    /// The per-image percentiles mapped to −1 and 1 before G (metadata `normalization.*`; 1 and 99.8
    /// when absent).
    public var percentiles: (low: Double, high: Double) {
        (Double(metadata.intensityNormalization["low_percentile"] ?? "") ?? 1,
         Double(metadata.intensityNormalization["high_percentile"] ?? "") ?? 99.8)
    }

    /// Reads G out of a generator file or a full training checkpoint.
    /// - Throws: ``CheckpointError`` (one line naming `path`) for an unreadable or foreign file, another
    ///   architecture or format version, or tensors that do not match the metadata's shapes.
    public static func load(from path: String) throws -> GeneratorModel {
        let file = try SafeTensorsFile.read(from: path)
        let metadata = try ModelMetadata(flattened: file.metadata, path: path)
        guard metadata.architecture == SaliencyNetFile.architecture else {
            throw CheckpointError(path: path, reason: "architecture '\(metadata.architecture)' in file, '\(SaliencyNetFile.architecture)' expected (not a SaliencyNet enhancement model)")
        }
        let options = try SaliencyNetFile.generatorOptions(metadata, path: path)
        _ = try metadata.nucleusDiameter(path: path)
        var initializer = WeightInitializer(.normal(std: 0), seed: 0)
        let generator = ResNetGenerator(name: "G", options: options, initializer: &initializer)
        try Checkpoint.load(into: generator.parameters, from: file, path: path, architecture: SaliencyNetFile.architecture,
                            allowingOtherTensors: true)
        return GeneratorModel(generator: generator, metadata: metadata)
    }

    /// Writes G's tensors and the metadata to `path` atomically.
    public func save(to path: String) throws {
        try Checkpoint.save(generator.parameters, metadata: metadata, to: path)
    }
}
