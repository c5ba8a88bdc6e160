import Foundation
import Metrics
import MicroscopyIO
import NuclearScale
import Segmentation
import TensorCore
import Testing
@testable import StarSegmentation

/// The built `sn-segment --method star` with a model file written by this library: the path from a
/// trained model to label files on disk. (The tool is looked up like the end-to-end tests do:
/// `$SN_TOOLS_DIR`, beside the test executable, then the repository's `.build/release` and `.build/debug`.)
/// The tool belongs to the root package, so only the root's SegmentationTests target compiles this file.
@Suite struct StarToolTests {
    static func tool(_ name: String) throws -> String {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["SN_TOOLS_DIR"] { candidates.append(dir) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 { candidates.append(dir.path); dir = dir.deletingLastPathComponent() }
        // Packages/Segmentation/Tests/SegmentationTests/<file>: the repository root is five levels up.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { root = root.deletingLastPathComponent() }
        candidates += [root.appendingPathComponent(".build/release").path, root.appendingPathComponent(".build/debug").path]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c + "/" + name) { return c + "/" + name }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(name) was not built; looked in \(candidates)"])
    }

    /// A tiny model trained on discs (depth 2, 8 filters, 16 rays; ≈ 5 s), trained once for the suite.
    nonisolated(unsafe) static let model: StarModel = {
        let configuration = StarConfiguration(depth: 2, baseFilters: 8, rays: 16, featuresAfterUNet: 0)
        let train = (0..<8).map { discScene(width: 48, height: 48, seed: 500 + UInt64($0), count: 4) }
        var settings = StarTrainingSettings()
        settings.steps = 400; settings.batchSize = 4; settings.patchSize = 48; settings.learningRate = 3e-3; settings.seed = 3
        let examples = train.map { StarExample(image: $0.0, labels: $0.1, rays: 16) }
        var trainer = StarTrainer(network: StarUNet(configuration, seed: 4), settings: settings, examples: examples)
        for _ in 0..<settings.steps { trainer.step(examples) }
        var model = StarModel(network: trainer.network)
        _ = model.optimizeThresholds((0..<3).map { discScene(width: 48, height: 48, seed: 600 + UInt64($0), count: 4) })
        return model
    }()

    /// Runs the built sn-segment; returns its exit status, stdout and stderr.
    static func segment(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tool("sn-segment"))
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let printed = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, printed, errors)
    }

    /// Every Z slice of a label file.
    static func slices(_ path: String) throws -> [LabelImage] {
        let file = try ImageFile(path: path)
        return try (0..<file.dimensions.sizeZ).map { try file.labels(z: $0) }
    }

    /// A fresh folder holding the shared model; removed by the caller.
    static func folderWithModel(_ label: String) throws -> (dir: URL, model: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("discs.safetensors").path
        try model.save(to: path)
        return (dir, path)
    }

    @Test func trainedModelSegmentsThroughTheTool() throws {
        // Bit-identical comparisons: no test of another module changes the thread count meanwhile.
        try Parallel.withSteadyThreadCount {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("star-tool-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let model = Self.model
            let modelPath = dir.appendingPathComponent("discs.safetensors").path
            try model.save(to: modelPath)

            // Two unseen images, one larger than a tile so that tiling is exercised in the tool.
            let scenes = [discScene(width: 48, height: 48, seed: 700, count: 4), discScene(width: 600, height: 40, seed: 701, count: 12)]
            var inputs: [String] = []
            for (k, scene) in scenes.enumerated() {
                let path = dir.appendingPathComponent("img\(k).tif").path
                try writeTIFF(scene.0, to: path)
                inputs.append(path)
            }
            let out = dir.appendingPathComponent("labels").path
            let run = try Self.segment(["--method", "star", "--model", modelPath, "--out", out] + inputs)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "\(out)/img0.tif\n\(out)/img1.tif\n")
            var tp = 0, fp = 0, fn = 0
            for (k, scene) in scenes.enumerated() {
                let labels = try readLabels("\(out)/img\(k).tif")
                // The tool's labels are the library's, exactly.
                #expect(labels == model.segment(scene.0))
                let m = try InstanceMatching.match(prediction: labels, truth: scene.1)
                tp += m.tp; fp += m.fp; fn += m.fn
            }
            // And they find the discs (the model's quality itself is StarModelTests.tinyModelTrains' business).
            let f1 = Double(2 * tp) / Double(2 * tp + fp + fn)
            #expect(f1 > 0.6, "F1 \(f1): TP \(tp), FP \(fp), FN \(fn)")
        }
    }

    /// A trained model on an image of several rows of tiles: strip-wise prediction (memory bounded by the tile
    /// size) gives exactly the labels of whole-image NMS on the same network outputs, natively and mapped onto
    /// another grid; and the progress reports count every tile once.
    @Test func stripsGiveTheWholeImageLabels() throws {
        try Parallel.withSteadyThreadCount {
            var model = Self.model
            model.tileSize = 48
            let (image, truth) = discScene(width: 150, height: 230, seed: 720, count: 60)
            final class Calls { var list: [Int] = [] }
            let calls = Calls()
            model.progress = { done, total in calls.list.append(done); #expect(total == 4 * 5) }
            let strips = model.segment(image)
            #expect(calls.list == Array(1...20))
            model.progress = nil
            let (p, d) = model.outputs(image)
            let whole = StarModel.labels(probability: p, distances: d, width: 150, height: 230, rays: model.configuration.rays,
                                         thresholds: model.thresholds)
            #expect(strips == whole)
            let f1 = try InstanceMatching.match(prediction: strips, truth: truth).f1
            #expect(f1 > 0.6)
            // Mapped: the model runs on a 1.5× grid (225 × 345), labels at the input's 150 × 230.
            let mapping = ScaleMapping(imageDiameter: 8, modelDiameter: 12)
            let mapped = model.segment(image, mapping: mapping)
            let scaled = mapping.toModel(image.pixels, width: 150, height: 230)
            let (sp, sd) = model.outputs(ImagePlane(width: scaled.width, height: scaled.height, pixels: scaled.pixels, sampleType: .float32))
            let wholeMapped = StarModel.labels(probability: sp, distances: sd, width: scaled.width, height: scaled.height,
                                               rays: model.configuration.rays, thresholds: model.thresholds, outputWidth: 150, outputHeight: 230)
            #expect(mapped == wholeMapped && mapped.maximumLabel > 0)
        }
    }

    /// --prob-thresh and --nms-thresh replace the model file's thresholds; without them the file's stay.
    @Test func thresholdOverrides() throws {
        // Bit-identical comparisons: no test of another module changes the thread count meanwhile.
        try Parallel.withSteadyThreadCount {
            let (dir, modelPath) = try Self.folderWithModel("star-thresholds")
            defer { try? FileManager.default.removeItem(at: dir) }
            let scene = discScene(width: 64, height: 48, seed: 702, count: 5)
            let image = dir.appendingPathComponent("img.tif").path
            try writeTIFF(scene.0, to: image)
            let cases: [(Double?, Double?)] = [(nil, nil), (0.2, 0.1), (0.9, 0.7), (1.0, 0.0)]
            for (k, (p, t)) in cases.enumerated() {
                let out = dir.appendingPathComponent("out\(k)").path
                var arguments = ["--method", "star", "--model", modelPath, "--out", out, image]
                if let p { arguments += ["--prob-thresh", "\(p)"] }
                if let t { arguments += ["--nms-thresh", "\(t)"] }
                let r = try Self.segment(arguments)
                #expect(r.status == 0, "\(r.stderr)")
                var expected = Self.model
                if let p { expected.thresholds.probability = Float(p) }
                if let t { expected.thresholds.overlap = t }
                let labels = try readLabels(out + "/img.tif")
                #expect(labels == expected.segment(scene.0), "--prob-thresh \(String(describing: p)) --nms-thresh \(String(describing: t))")
                if p == 1 { #expect(labels.maximumLabel == 0) }           // no probability exceeds 1
                if p == nil { #expect(labels.maximumLabel > 0) }
            }
            // Outside [0, 1], NaN, or with another method: usage errors, nothing written.
            let bad: [[String]] = [["--prob-thresh", "-0.01"], ["--prob-thresh", "1.5"], ["--prob-thresh", "nan"],
                                   ["--nms-thresh", "NaN"], ["--nms-thresh", "-1"], ["--nms-thresh", "inf"], ["--prob-thresh", "x"]]
            for extra in bad {
                let out = dir.appendingPathComponent("bad").path
                let r = try Self.segment(["--method", "star", "--model", modelPath, "--out", out, image] + extra)
                #expect(r.status == 2, "\(extra): \(r.stderr)")
                #expect(r.stderr.contains(extra[0]), "\(r.stderr)")
                #expect(!FileManager.default.fileExists(atPath: out + "/img.tif"))
            }
            let otsu = try Self.segment(["--method", "otsu", "--prob-thresh", "0.5", "--out", dir.appendingPathComponent("o").path, image])
            #expect(otsu.status == 2 && otsu.stderr.contains("--method star"), "\(otsu.stderr)")
        }
    }

    /// Z stacks: by default the slices' labels are stitched across Z (the library's ZStitching of the
    /// library's slice labels); --stack-mode planes gives each slice's own labels; a stack of one slice gives
    /// the 2-D image's labels.
    @Test func stacksAreStitchedAcrossZ() throws {
        // Bit-identical comparisons: no test of another module changes the thread count meanwhile.
        try Parallel.withSteadyThreadCount {
            let (dir, modelPath) = try Self.folderWithModel("star-stack")
            defer { try? FileManager.default.removeItem(at: dir) }
            let a = discScene(width: 56, height: 48, seed: 710, count: 5).0, b = discScene(width: 56, height: 48, seed: 711, count: 5).0
            let stack = [a, a, b, b]
            let stackPath = dir.appendingPathComponent("stack.tif").path
            try writeTIFF(stack, to: stackPath, layout: HyperstackLayout(channels: 1, slices: 4, frames: 1))
            let single = dir.appendingPathComponent("single.tif").path, plane = dir.appendingPathComponent("plane.tif").path
            try writeTIFF([a], to: single, layout: HyperstackLayout(channels: 1, slices: 1, frames: 1))
            try writeTIFF(a, to: plane)
            let planar = stack.map { Self.model.segment($0) }
            for (mode, expected) in [("volume", ZStitching.stitch(planar.map(\.labels), threshold: 0.1)), ("planes", planar.map(\.labels))] {
                let out = dir.appendingPathComponent(mode).path
                let r = try Self.segment(["--method", "star", "--model", modelPath, "--stack-mode", mode, "--out", out, stackPath, single, plane])
                #expect(r.status == 0, "\(r.stderr)")
                let labels = try Self.slices(out + "/stack.tif")
                #expect(labels.map(\.labels) == expected, "\(mode)")
                if mode == "volume" {
                    // Identical slices keep their IDs.
                    #expect(labels[0] == labels[1] && labels[0].maximumLabel > 0)
                }
                #expect(try Self.slices(out + "/single.tif") == [Self.model.segment(a)])
                #expect(try Self.slices(out + "/plane.tif") == [Self.model.segment(a)])
            }
            let bad = try Self.segment(["--method", "star", "--model", modelPath, "--stitch-threshold", "0", "--out", dir.path + "/x", stackPath])
            #expect(bad.status == 2 && bad.stderr.contains("--stitch-threshold"), "\(bad.stderr)")
        }
    }
}
