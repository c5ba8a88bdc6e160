import CycleGAN
import Foundation
import MicroscopyIO
import NN
import TensorCore
import Testing

/// --diameter and the nuclear-scale tools run as built binaries: sn-diameter's estimates and its
/// degenerate cases, usage errors for bad diameters on every tool, and sn-segment / sn-enhance / sn-train
/// working at the model's diameter on images of another one, with outputs of the input's exact shape.
@Suite struct NuclearScaleToolTests {
    /// The median nucleus diameter written by sn-synth's masks and estimated by sn-diameter agree within 15 %
    /// at 24 px, in both styles; the summary row pools the masks.
    @Test func diameterEstimatesMatchTheMasks() throws {
        let dir = try ToolRunner.temporaryFolder("diameter")
        defer { try? FileManager.default.removeItem(at: dir) }
        for style in ["source", "target"] {
            let out = dir.appendingPathComponent(style).path
            let synth = try ToolRunner.run("sn-synth", ["--style", style, "--count", "2", "--size", "384", "--diameter", "24",
                                                        "--density", "2.6", "--seed", "5", "--out", out])
            #expect(synth.status == 0, "\(synth.stderr)")
            let images = synth.lines.filter { $0.contains("/images/") }
            let estimate = try ToolRunner.run("sn-diameter", images)
            let masks = try ToolRunner.run("sn-diameter", ["--labels"] + images.map { $0.replacingOccurrences(of: "/images/", with: "/masks/") })
            #expect(estimate.status == 0 && masks.status == 0, "\(estimate.stderr) \(masks.stderr)")
            #expect(estimate.lines.first == "name\tdiameter_px\tobjects\tstatus")
            let e = estimate.lines.dropFirst().filter { !$0.hasPrefix("summary") }.map { $0.split(separator: "\t") }
            let m = masks.lines.dropFirst().filter { !$0.hasPrefix("summary") }.map { $0.split(separator: "\t") }
            #expect(e.count == 2 && m.count == 2)
            for (a, b) in zip(e, m) {
                let (got, truth) = (Double(a[1]) ?? 0, Double(b[1]) ?? 0)
                #expect(a[3] == "measured")
                #expect(abs(got / truth - 1) <= 0.15, "\(style): estimated \(got) px, masks \(truth) px")
            }
            #expect(masks.lines.last?.hasPrefix("summary\t") == true)
        }
    }

    /// Constant and all-NaN images have no contrast, pure noise has no nuclei: rows with a status and no
    /// diameter, exit 0; a missing file is a one-line error and exit 1, the rest still measured.
    @Test func degenerateImagesGiveDocumentedRows() throws {
        let dir = try ToolRunner.temporaryFolder("diameter-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let constant = dir.appendingPathComponent("constant.tif").path
        try writeTIFF(ImagePlane(width: 64, height: 64, repeating: 500, sampleType: .uint16), to: constant)
        let nan = dir.appendingPathComponent("nan.tif").path
        try writeTIFF(ImagePlane(width: 64, height: 64, pixels: [Float](repeating: .nan, count: 64 * 64), sampleType: .float32), to: nan)
        let noise = dir.appendingPathComponent("noise.tif").path
        let values = Tensor.normal([128 * 128], mean: 1000, std: 30, seed: 2).scalars
        try writeTIFF(ImagePlane(width: 128, height: 128, pixels: values, sampleType: .float32), to: noise)
        let r = try ToolRunner.run("sn-diameter", [constant, nan, noise])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines.contains("\(constant)\t\t0\tno_contrast"))
        #expect(r.lines.contains("\(nan)\t\t0\tno_contrast"))
        #expect(r.lines.contains { $0.hasPrefix("\(noise)\t\t") && $0.hasSuffix("no_nuclei") }, "\(r.stdout)")
        let missing = dir.appendingPathComponent("missing.tif").path
        let m = try ToolRunner.run("sn-diameter", [missing, constant])
        #expect(m.status == 1)
        #expect(m.stderr.split(separator: "\n").count == 1 && m.stderr.contains(missing))
        #expect(m.lines.contains("\(constant)\t\t0\tno_contrast"))
        // sn-segment --method star on the constant image falls back to the model's diameter, with a note.
        let seg = try ToolRunner.run("sn-segment", ["--method", "star", "--out", dir.appendingPathComponent("seg").path, constant])
        #expect(seg.status == 0, "\(seg.stderr)")
        #expect(seg.stderr.contains("not estimated: the image has no contrast"))
    }

    /// --diameter refuses 0, negatives, NaN, infinities, absurd sizes and words, on every tool that takes it.
    @Test func badDiametersAreUsageErrors() throws {
        let dir = try ToolRunner.temporaryFolder("diameter-usage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let invocations: [(String, String)] = [("sn-segment", "--diameter"), ("sn-enhance", "--diameter"),
                                                ("sn-train", "--source-diameter"), ("sn-train", "--target-diameter"),
                                                ("sn-train-star", "--diameter")]
        for (tool, option) in invocations {
            for bad in ["0", "-3", "nan", "inf", "1e9", "twelve"] {
                let r = try ToolRunner.run(tool, [option, bad, "--out", dir.path, "x.tif"])
                #expect(r.status == 2, "\(tool) \(option) \(bad): \(r.status)")
                #expect(r.stderr.contains(option) && r.stderr.contains(bad), "\(tool): \(r.stderr)")
            }
        }
    }

    /// A synthetic salient image upscaled 2x: sn-segment --method star estimates about twice the model's
    /// diameter, predicts at the model's scale, and writes labels of the input's shape, with the diameter
    /// in the TIFF's description; they match the upscaled masks about as well as at 1x.
    @Test func starSegmentsAnUpscaledImageAtTheModelsScale() throws {
        let dir = try ToolRunner.temporaryFolder("diameter-star")
        defer { try? FileManager.default.removeItem(at: dir) }
        let synth = try ToolRunner.run("sn-synth", ["--style", "target", "--count", "1", "--size", "160", "--seed", "9",
                                                    "--out", dir.appendingPathComponent("s").path])
        let source = try #require(synth.lines.first { $0.contains("/images/") }, "\(synth.stdout)")
        let up = dir.appendingPathComponent("up").path
        let image = try ToolRunner.run("sn-convert", ["--scale", "2", "--out", up + "/images", source])
        let mask = try ToolRunner.run("sn-convert", ["--scale", "2", "--labels", "--out", up + "/masks",
                                                     source.replacingOccurrences(of: "/images/", with: "/masks/")])
        try #require(image.status == 0 && mask.status == 0, "\(image.stderr) \(mask.stderr)")
        let seg = try ToolRunner.run("sn-segment", ["--method", "star", "--out", dir.appendingPathComponent("seg").path, image.lines[0]])
        try #require(seg.status == 0 && seg.lines.count == 1, "\(seg.stderr)")
        #expect(seg.stderr.contains("(estimated from") && (seg.stderr.contains("rescaled by 0.4") || seg.stderr.contains("rescaled by 0.5")),
                "\(seg.stderr)")
        let labels = try readLabels(seg.lines[0])
        #expect(labels.width == 320 && labels.height == 320)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: seg.lines[0]))
        #expect(String(decoding: bytes, as: UTF8.self).contains("nucleus_diameter_px="))
        let score = try ToolRunner.run("sn-score", ["--truth", up + "/masks", seg.lines[0]])
        let summary = score.lines.last?.split(separator: "\t") ?? []
        #expect(summary.count > 9 && (Double(summary[1]) ?? 0) > 0.8 && (Double(summary[9]) ?? 0) > 0.9, "\(score.stdout)")
    }

    /// sn-enhance with a model that records 12 px: an image given as 24 px is enhanced at half size and
    /// comes back at its own shape; given as 12 px it is not resampled and equals the plain run.
    @Test func enhanceRescalesToTheModelsDiameter() throws {
        let dir = try ToolRunner.temporaryFolder("diameter-enhance")
        defer { try? FileManager.default.removeItem(at: dir) }
        let options = GeneratorOptions(filters: 4, residualBlocks: 1)
        var initializer = WeightInitializer(.normal(std: 0.2), seed: 1)
        let g = ResNetGenerator(name: "G", options: options, initializer: &initializer)
        var model = GeneratorModel(generator: g, metadata: ModelMetadata(
            architecture: SaliencyNetFile.architecture, hyperparameters: SaliencyNetFile.hyperparameters(options, discriminatorFilters: nil)))
        model.nucleusDiameter = 12
        let modelPath = dir.appendingPathComponent("g.safetensors").path
        try model.save(to: modelPath)
        let input = dir.appendingPathComponent("in.tif").path
        let pixels = (0..<(90 * 70)).map { i -> Float in Float(200 + (i * 7919) % 300) }
        try writeTIFF(ImagePlane(width: 90, height: 70, pixels: pixels, sampleType: .uint16), to: input)
        let half = try ToolRunner.run("sn-enhance", ["--model", modelPath, "--diameter", "24", "--out", dir.appendingPathComponent("a").path, input])
        try #require(half.status == 0 && half.lines.count == 1, "\(half.stderr)")
        #expect(half.stderr.contains("nucleus diameter 24.0 px (given); rescaled by 0.500 to the model's 12.0 px"), "\(half.stderr)")
        let out = try readImage(half.lines[0])
        #expect(out.width == 90 && out.height == 70)
        let same = try ToolRunner.run("sn-enhance", ["--model", modelPath, "--diameter", "12.3", "--out", dir.appendingPathComponent("b").path, input])
        try #require(same.status == 0 && same.lines.count == 1, "\(same.stderr)")
        #expect(same.stderr.contains("not rescaled"), "\(same.stderr)")
        model.metadata.training.removeValue(forKey: ModelMetadata.nucleusDiameterKey)
        try model.save(to: modelPath)
        let plain = try ToolRunner.run("sn-enhance", ["--model", modelPath, "--out", dir.appendingPathComponent("c").path, input])
        try #require(plain.status == 0 && plain.lines.count == 1, "\(plain.stderr)")
        #expect(plain.stderr.contains("records no training.nucleus_diameter"))
        #expect(try readImage(same.lines[0]).pixels == readImage(plain.lines[0]).pixels)
    }

    /// sn-train brings the source domain to the target's diameter and records it in its checkpoints.
    @Test func trainRecordsTheTargetDiameter() throws {
        let dir = try ToolRunner.temporaryFolder("diameter-train")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TrainToolTests.data(dir)
        let args = TrainToolTests.arguments(dir, out: "run") + ["--source-diameter", "6", "--target-diameter", "12", "--stop-after", "2"]
        let r = try ToolRunner.run("sn-train", args)
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("target nuclei nucleus diameter 12.0 px (given)") && r.stderr.contains("rescaled by 2.000"), "\(r.stderr)")
        let checkpoint = try SafeTensorsFile.read(from: dir.appendingPathComponent("run/last.safetensors").path)
        #expect(checkpoint.metadata["training.nucleus_diameter"] == "12.0")
        #expect(checkpoint.metadata["training.source_diameter"] == "6.0")
        // auto: the masks of the sn-synth folders.
        let auto = try ToolRunner.run("sn-train", TrainToolTests.arguments(dir, out: "auto") + ["--stop-after", "1"])
        #expect(auto.status == 3, "\(auto.stderr)")
        let m = try SafeTensorsFile.read(from: dir.appendingPathComponent("auto/last.safetensors").path).metadata
        let d = Double(m["training.nucleus_diameter"] ?? "") ?? 0
        #expect(d > 8 && d < 16, "\(m["training.nucleus_diameter"] ?? "none")")
        #expect(m["training.target_diameter_from"] == "masks")
        #expect(auto.stderr.contains("(measured on the masks beside the images)"), "\(auto.stderr)")
    }
}
