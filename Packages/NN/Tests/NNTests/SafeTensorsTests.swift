import Foundation
import Testing
import TensorCore
@testable import NN

/// Values shared with Fixtures/make_safetensors.py: element j of the tensor with seed k is
/// `((j·7 + k) mod 17 − 8)/4` (exactly representable, so both languages agree bit for bit).
let interopShapes: [(String, [Int], Int)] = [
    ("G.c1.weight", [4, 1, 7, 7], 1), ("G.c1.bias", [4], 2), ("G.res0.conv1.weight", [4, 4, 3, 3], 3),
    ("D.scalar", [], 4), ("D.empty", [0, 3], 5),
]
let interopMetadata: [String: String] = [
    "format_version": "1", "architecture": "interop-test", "hparams.ngf": "4",
    "normalization.low_percentile": "1.0", "training.lr": "0.0002",
    "training.note": "quote \" backslash \\ unicode µm",
]

func interopValues(_ shape: [Int], _ seed: Int) -> Tensor {
    let n = Tensor.elementCount(of: shape)
    return Tensor(shape: shape, scalars: (0..<n).map { Float((($0 * 7 + seed) % 17) - 8) / 4 })
}

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

extension NNTests {
    @Test func pythonWrittenFileLoads() throws {
        let path = fixturesDirectory.appendingPathComponent("from_python.safetensors").path
        let file = try SafeTensorsFile.read(from: path)
        #expect(file.metadata == interopMetadata)
        #expect(Set(file.tensors.keys) == Set(interopShapes.map(\.0)))
        for (name, shape, seed) in interopShapes {
            #expect(file.tensors[name] == interopValues(shape, seed), "tensor \(name)")
        }
        let metadata = try ModelMetadata(flattened: file.metadata, path: path)
        #expect(metadata.architecture == "interop-test" && metadata.hyperparameters == ["ngf": "4"])
        #expect(metadata.training["lr"] == "0.0002" && metadata.intensityNormalization["low_percentile"] == "1.0")
    }

    /// from_swift.safetensors is regenerated here and must equal the checked-in copy byte for byte
    /// (which make_safetensors.py verifies with the Python package). NN_REGENERATE_FIXTURES=1
    /// rewrites the checked-in copy instead.
    @Test func swiftFileIsReproducible() throws {
        var tensors: [String: Tensor] = [:]
        for (name, shape, seed) in interopShapes { tensors[name] = interopValues(shape, seed) }
        let bytes = SafeTensorsFile(tensors: tensors, metadata: interopMetadata).encoded()
        let path = fixturesDirectory.appendingPathComponent("from_swift.safetensors").path
        if ProcessInfo.processInfo.environment["NN_REGENERATE_FIXTURES"] == "1" {
            try SafeTensorsFile(tensors: tensors, metadata: interopMetadata).write(to: path)
        }
        let stored = try #require(FileManager.default.contents(atPath: path), "missing fixture \(path)")
        #expect([UInt8](stored) == bytes, "from_swift.safetensors differs from the encoder's output")
        #expect(bytes.count % 4 == 0 && (bytes.count - 8) >= 0)
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        #expect(try SafeTensorsFile.decode(bytes, path: path).tensors == tensors)
    }

    @Test func checkpointRoundTripAndMismatchMessages() throws {
        var initializer = WeightInitializer(seed: 9)
        let model = Sequential(
            Conv2d(name: "G.res3.conv1", inputChannels: 4, outputChannels: 4, kernelSize: 3, padding: 1, initializer: &initializer),
            InstanceNorm2d(name: "G.res3.norm1", channels: 4, affine: true))
        let metadata = ModelMetadata(architecture: "toy", hyperparameters: ["ngf": "4"],
                                     intensityNormalization: ["high_percentile": "99.8"], training: ["epochs": "3"])
        let path = temporaryPath("toy.safetensors")
        try Checkpoint.save(model.parameters, metadata: metadata, to: path)
        let contents = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(!contents.contains { $0.contains(".tmp-") }, "temporary file left behind: \(contents)")

        var fresh = WeightInitializer(seed: 10)
        let other = Sequential(
            Conv2d(name: "G.res3.conv1", inputChannels: 4, outputChannels: 4, kernelSize: 3, padding: 1, initializer: &fresh),
            InstanceNorm2d(name: "G.res3.norm1", channels: 4, affine: true))
        #expect(other.parameters[0].value != model.parameters[0].value)
        let loaded = try Checkpoint.load(into: other.parameters, from: path, architecture: "toy")
        #expect(loaded == metadata)
        for (a, b) in zip(model.parameters, other.parameters) { #expect(a.value == b.value) }

        // Shape mismatch: the exact message.
        var i3 = WeightInitializer(seed: 11)
        let wide = Conv2d(name: "G.res3.conv1", inputChannels: 8, outputChannels: 8, kernelSize: 3, initializer: &i3)
        let wideNorm = InstanceNorm2d(name: "G.res3.norm1", channels: 4, affine: true)
        let before = wide.weight.value
        #expect(throws: CheckpointError(path: path, reason: "tensor 'G.res3.conv1.weight': shape [4,4,3,3] in file, [8,8,3,3] expected; tensor 'G.res3.conv1.bias': shape [4] in file, [8] expected")) {
            try Checkpoint.load(into: wide.parameters + wideNorm.parameters, from: path)
        }
        #expect(wide.weight.value == before, "a failed load must not modify parameters")
        // Missing and unexpected names.
        let extra = Parameter(name: "G.extra", value: Tensor.zeros([1]))
        #expect(throws: CheckpointError(path: path, reason: "tensor 'G.extra' missing from file; unexpected tensor 'G.res3.norm1.bias' in file; unexpected tensor 'G.res3.norm1.weight' in file")) {
            try Checkpoint.load(into: model.parameters.prefix(2) + [extra], from: path)
        }
        #expect(throws: CheckpointError(path: path, reason: "architecture 'toy' in file, 'cyclegan' expected")) {
            try Checkpoint.load(into: model.parameters, from: path, architecture: "cyclegan")
        }
        // Version mismatch.
        var future = metadata
        future.formatVersion = 2
        try Checkpoint.save(model.parameters, metadata: future, to: path)
        #expect(throws: CheckpointError(path: path, reason: "format version 2 in file, 1 expected")) {
            try Checkpoint.load(into: model.parameters, from: path)
        }
    }

    @Test func truncatedAndForeignFilesGiveOneLineErrors() throws {
        var tensors: [String: Tensor] = [:]
        for (name, shape, seed) in interopShapes { tensors[name] = interopValues(shape, seed) }
        let bytes = SafeTensorsFile(tensors: tensors, metadata: interopMetadata).encoded()
        let path = "model.safetensors"
        for cut in [0, 5, 8, 20, bytes.count / 2, bytes.count - 1] {
            do {
                _ = try SafeTensorsFile.decode(Array(bytes.prefix(cut)), path: path)
                Issue.record("truncated to \(cut) bytes: no error")
            } catch let error as CheckpointError {
                #expect(error.description.hasPrefix("model.safetensors: ") && !error.description.contains("\n"), "\(error)")
            }
        }
        let foreign = Array("II*\0 this is a TIFF file, not a checkpoint".utf8)
        #expect(throws: CheckpointError.self) { try SafeTensorsFile.decode(foreign, path: path) }
        let tiffPath = temporaryPath("image.tif")
        #expect(FileManager.default.createFile(atPath: tiffPath, contents: Data(foreign)))
        do {
            _ = try Checkpoint.load(into: [], from: tiffPath)
            Issue.record("foreign file loaded")
        } catch let error as CheckpointError {
            #expect(error.description.hasPrefix(tiffPath + ": not a safetensors file"), "\(error)")
        }
        #expect(throws: CheckpointError(path: "/nonexistent/x.safetensors", reason: "cannot read file")) {
            try SafeTensorsFile.read(from: "/nonexistent/x.safetensors")
        }
        // A safetensors file that is not a SaliencyNet checkpoint (no format_version).
        let plain = temporaryPath("plain.safetensors")
        try SafeTensorsFile(tensors: ["a": Tensor.ones([2])]).write(to: plain)
        #expect(throws: CheckpointError(path: plain, reason: "no format_version in metadata (not a SaliencyNet checkpoint)")) {
            try Checkpoint.load(into: [], from: plain)
        }
    }

    /// Issue 12: checkpoints are written by NN's own temp file + fsync + rename (no Foundation `.atomic`
    /// write and its hidden `.dat.nosync*` files), and errors carry the OS reason.
    @Test func checkpointWriteLeavesOnlyTheFileAndReportsTheOSReason() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nn-write-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = SafeTensorsFile(tensors: ["w": Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])], metadata: ["k": "v"])
        try file.write(to: folder + "/a.safetensors")
        try file.write(to: folder + "/a.safetensors")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["a.safetensors"])
        #expect(try SafeTensorsFile.read(from: folder + "/a.safetensors") == file)
        do {
            try file.write(to: folder + "/missing/a.safetensors")
            Issue.record("no error")
        } catch let error as CheckpointError {
            #expect(error.reason.contains("No such file or directory"), "\(error)")
            #expect(error.path == folder + "/missing/a.safetensors")
        }
    }
}
