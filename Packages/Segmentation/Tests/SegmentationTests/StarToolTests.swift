import Foundation
import Metrics
import MicroscopyIO
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

    @Test func trainedModelSegmentsThroughTheTool() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("star-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let configuration = StarConfiguration(depth: 2, baseFilters: 8, rays: 16, featuresAfterUNet: 0)
        let train = (0..<8).map { discScene(width: 48, height: 48, seed: 500 + UInt64($0), count: 4) }
        var settings = StarTrainingSettings()
        settings.steps = 400; settings.batchSize = 4; settings.patchSize = 48; settings.learningRate = 3e-3; settings.seed = 3
        let examples = train.map { StarExample(image: $0.0, labels: $0.1, rays: 16) }
        var trainer = StarTrainer(network: StarUNet(configuration, seed: 4), settings: settings, examples: examples)
        for _ in 0..<settings.steps { trainer.step(examples) }
        var model = StarModel(network: trainer.network)
        _ = model.optimizeThresholds((0..<3).map { discScene(width: 48, height: 48, seed: 600 + UInt64($0), count: 4) })
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.tool("sn-segment"))
        process.arguments = ["--method", "star", "--model", modelPath, "--out", out] + inputs
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let printed = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(errors)")
        #expect(printed == "\(out)/img0.tif\n\(out)/img1.tif\n")
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
