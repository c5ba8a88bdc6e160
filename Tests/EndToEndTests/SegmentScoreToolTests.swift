import Foundation
import MicroscopyIO
import Testing

/// sn-segment and sn-score run as built binaries: the synth → segment → score chain, the output label
/// types, and the error paths.
@Suite struct SegmentScoreToolTests {
    /// The TSV printed by sn-score: header cells and rows keyed by name.
    struct Table {
        var header: [String]
        var rows: [String: [String: String]]
        var order: [String]
        init(_ text: String) {
            let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            header = lines.first ?? []
            rows = [:]
            order = []
            for cells in lines.dropFirst() {
                rows[cells[0]] = Dictionary(uniqueKeysWithValues: zip(header, cells))
                order.append(cells[0])
            }
        }
        func value(_ row: String, _ column: String) -> Double? { rows[row]?[column].flatMap(Double.init) }
    }

    /// The manifest's SNR column by image name.
    func manifestSNR(_ folder: String) throws -> [String: Double] {
        let text = try String(contentsOfFile: folder + "/manifest.tsv", encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t").map(String.init) }
        let header = lines[0]
        let name = header.firstIndex(of: "name")!, snr = header.firstIndex(of: "snr")!
        return Dictionary(uniqueKeysWithValues: lines.dropFirst().map { ($0[name] + ".tif", Double($0[snr])!) })
    }

    /// The README's chain as one real shell pipeline: all stages start together, and sn-score's --truth folder
    /// is written by the first stage while sn-score is already running.
    @Test func synthSegmentScoreShellPipeline() throws {
        let dir = try ToolRunner.temporaryFolder("segment-pipe")
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = dir.path
        let r = try ToolRunner.shell(
            "set -o pipefail; sn-synth --style target --count 4 --size 96 --seed 3 --out '\(d)/syn' "
                + "| sn-segment --method otsu --out '\(d)/masks' "
                + "| sn-score --truth '\(d)/syn/masks' --images '\(d)/syn/images'")
        #expect(r.status == 0, "\(r.stderr)")
        let table = Table(r.stdout)
        #expect(table.order == (0..<4).map { "target_000\($0).tif" } + ["summary"], "\(r.stdout)\n\(r.stderr)")
        #expect((table.value("summary", "iou") ?? 0) > 0.85)
    }

    @Test func synthSegmentScoreChain() throws {
        let dir = try ToolRunner.temporaryFolder("segment-chain")
        defer { try? FileManager.default.removeItem(at: dir) }
        let syn = dir.appendingPathComponent("syn").path, masks = dir.appendingPathComponent("masks").path
        let synth = try ToolRunner.run("sn-synth", ["--style", "target", "--count", "6", "--size", "128", "--seed", "3", "--out", syn])
        #expect(synth.status == 0, "\(synth.stderr)")
        let segment = try ToolRunner.run("sn-segment", ["--method", "otsu", "--out", masks], stdin: synth.stdout)
        #expect(segment.status == 0, "\(segment.stderr)")
        #expect(segment.lines == (0..<6).map { "\(masks)/target_000\($0).tif" })
        for path in segment.lines {
            let file = try ImageFile(path: path)
            #expect(file.sampleType() == .uint16)
            #expect(try file.labels().maximumLabel > 0)
        }
        let score = try ToolRunner.run("sn-score", ["--truth", syn + "/masks", "--images", syn + "/images"], stdin: segment.stdout)
        #expect(score.status == 0, "\(score.stderr)")
        #expect(score.stderr.isEmpty)
        let table = Table(score.stdout)
        #expect(table.header == ["name", "iou", "n_true", "n_pred", "tp", "fp", "fn", "precision", "recall", "f1",
                                 "accuracy", "mean_matched_iou", "panoptic_quality", "snr"])
        #expect(table.order == (0..<6).map { "target_000\($0).tif" } + ["summary"])
        // Target-style images are easy for Otsu (docs/synthetic-data.md: geometric-mean IoU ≈ 0.92).
        let gm = try #require(table.value("summary", "iou"))
        #expect(gm > 0.85 && gm <= 1, "\(score.stdout)")
        let ious = (0..<6).compactMap { table.value("target_000\($0).tif", "iou") }
        #expect(abs(exp(ious.map(log).reduce(0, +) / 6) - gm) < 1e-5)
        let f1s = (0..<6).compactMap { table.value("target_000\($0).tif", "f1") }
        #expect(abs(f1s.reduce(0, +) / 6 - table.value("summary", "f1")!) < 1e-5)
        // SNR agrees with sn-synth's manifest (same definition; the manifest has 3 decimals).
        let manifest = try manifestSNR(syn)
        var snrs: [Double] = []
        for name in table.order.dropLast() {
            let snr = try #require(table.value(name, "snr"))
            #expect(abs(snr - manifest[name]!) < 1.5e-3, "\(name): \(snr) vs manifest \(manifest[name]!)")
            snrs.append(snr)
        }
        snrs.sort()
        #expect(abs(table.value("summary", "snr")! - (snrs[2] + snrs[3]) / 2) < 1e-5)

        // --json carries the same numbers.
        let json = try ToolRunner.run("sn-score", ["--truth", syn + "/masks", "--json"], stdin: segment.stdout)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let images = try #require(object["images"] as? [[String: Any]])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(images.count == 6)
        #expect(images.first?["name"] as? String == "target_0000.tif")
        #expect(abs((summary["geometric_mean_iou"] as? Double ?? -1) - gm) < 1e-5)
        #expect(summary["median_snr"] == nil)

        // Adaptive thresholding runs on the same images and finds the nuclei too.
        let adaptive = try ToolRunner.run("sn-segment", ["--method", "adaptive", "--out", dir.appendingPathComponent("adaptive").path],
                                          stdin: synth.stdout)
        #expect(adaptive.status == 0, "\(adaptive.stderr)")
        let adaptiveScore = try ToolRunner.run("sn-score", ["--truth", syn + "/masks"], stdin: adaptive.stdout)
        #expect(Table(adaptiveScore.stdout).value("summary", "iou")! > 0.6, "\(adaptiveScore.stdout)")
    }

    @Test func sizeMismatchNamesBothFilesAndOtherImagesAreScored() throws {
        let dir = try ToolRunner.temporaryFolder("score-size")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pred = dir.appendingPathComponent("pred").path, truth = dir.appendingPathComponent("truth").path
        try FileManager.default.createDirectory(atPath: pred, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: truth, withIntermediateDirectories: true)
        var a = LabelImage(width: 20, height: 10)
        a.labels[5] = 1
        try writeLabels(a, to: pred + "/a.tif")
        try writeLabels(LabelImage(width: 10, height: 20), to: truth + "/a.tif")
        try writeLabels(a, to: pred + "/b.tif")
        try writeLabels(a, to: truth + "/b.tif")
        try writeLabels(a, to: pred + "/c.tif")            // no truth
        let r = try ToolRunner.run("sn-score", ["--truth", truth, pred + "/a.tif", pred + "/b.tif", pred + "/c.tif"])
        #expect(r.status == 1)
        let errors = r.stderr.split(separator: "\n").map(String.init)
        #expect(errors.count == 2, "\(r.stderr)")
        #expect(errors[0] == "sn-score: error: \(pred)/a.tif: prediction is 20 x 10 px but truth \(truth)/a.tif is 10 x 20 px")
        #expect(errors[1].hasPrefix("sn-score: error: \(pred)/c.tif: no truth \(truth)/c.tif"))
        let table = Table(r.stdout)
        #expect(table.order == ["b.tif", "summary"])
        #expect(table.value("b.tif", "iou") == 1 && table.value("b.tif", "f1") == 1)
    }

    /// Z stacks: sn-segment labels them in 3-D by default (Otsu: 3-D components), --stack-mode planes slice by
    /// slice; sn-score matches 3-D objects over voxels, so per-plane labels (numbers restarting in every
    /// slice) score far worse than 3-D labels, and the truth against itself scores 1 without Z merges.
    @Test func stacksAreLabelledAndScoredIn3D() throws {
        let dir = try ToolRunner.temporaryFolder("segment-stack")
        defer { try? FileManager.default.removeItem(at: dir) }
        let syn = dir.appendingPathComponent("syn").path
        let synth = try ToolRunner.run("sn-synth", ["--style", "target", "--count", "2", "--size", "96", "--stack", "6", "--seed", "4", "--out", syn])
        #expect(synth.status == 0, "\(synth.stderr)")
        var f1: [String: Double] = [:]
        for mode in ["volume", "planes"] {
            let out = dir.appendingPathComponent(mode).path
            let segment = try ToolRunner.run("sn-segment", ["--method", "otsu", "--stack-mode", mode, "--out", out], stdin: synth.stdout)
            #expect(segment.status == 0, "\(segment.stderr)")
            let score = try ToolRunner.run("sn-score", ["--truth", syn + "/masks", "--z-merges"], stdin: segment.stdout)
            #expect(score.status == 0, "\(score.stderr)")
            let table = Table(score.stdout)
            #expect(table.header.suffix(3) == ["z_merges", "z_merges_side", "z_merges_kept_apart"])
            f1[mode] = table.value("summary", "f1")
            let file = try ImageFile(path: out + "/target_0000.tif")
            #expect(file.dimensions.sizeZ == 6)
            // In 3-D labels, nuclei keep their label through several slices.
            let slices = try (0..<6).map { Set(try file.labels(z: $0).labels).subtracting([0]) }
            let spanning = Set(slices.joined()).filter { l in slices.filter { $0.contains(l) }.count >= 2 }
            if mode == "volume" { #expect(spanning.count > 5) }
        }
        #expect((f1["volume"] ?? 0) > 0.5, "\(f1)")
        #expect((f1["volume"] ?? 0) > (f1["planes"] ?? 1) + 0.2, "\(f1)")
        let truth = try ToolRunner.run("sn-score", ["--truth", syn + "/masks", "--z-merges", syn + "/masks/target_0000.tif"])
        let table = Table(truth.stdout)
        #expect(table.value("target_0000.tif", "f1") == 1 && table.value("target_0000.tif", "z_merges") == 0
                && table.value("target_0000.tif", "z_merges_side") == 0 && table.value("target_0000.tif", "z_merges_kept_apart") == 0, "\(truth.stdout)")
        // A stack against a 2-D truth: an error naming both shapes.
        let flat = dir.appendingPathComponent("flat").path
        try FileManager.default.createDirectory(atPath: flat, withIntermediateDirectories: true)
        try writeLabels(try readLabels(syn + "/masks/target_0000.tif"), to: flat + "/target_0000.tif")
        let mismatch = try ToolRunner.run("sn-score", ["--truth", flat, syn + "/masks/target_0000.tif"])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("is 96 x 96 px x 6 slices but truth \(flat)/target_0000.tif is 96 x 96 px"), "\(mismatch.stderr)")
    }

    /// --counts: the truth against itself erases and invents nothing; another image's mask in its place
    /// erases and invents, and the summary pools the images (totals, fractions of all true nuclei).
    @Test func countsOfErasedAndInventedNuclei() throws {
        let dir = try ToolRunner.temporaryFolder("score-counts")
        defer { try? FileManager.default.removeItem(at: dir) }
        let syn = dir.appendingPathComponent("syn").path, pred = dir.appendingPathComponent("pred").path
        let synth = try ToolRunner.run("sn-synth", ["--style", "target", "--count", "2", "--size", "128", "--seed", "6", "--out", syn])
        #expect(synth.status == 0, "\(synth.stderr)")
        try FileManager.default.createDirectory(atPath: pred, withIntermediateDirectories: true)
        try writeLabels(try readLabels(syn + "/masks/target_0000.tif"), to: pred + "/target_0000.tif")
        try writeLabels(try readLabels(syn + "/masks/target_0000.tif"), to: pred + "/target_0001.tif")
        let r = try ToolRunner.run("sn-score", ["--truth", syn + "/masks", "--counts", pred + "/target_0000.tif", pred + "/target_0001.tif"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = Table(r.stdout)
        #expect(t.header.suffix(4) == ["missed", "invented", "missed_fraction", "invented_fraction"], "\(r.stdout)")
        #expect(t.value("target_0000.tif", "missed") == 0 && t.value("target_0000.tif", "invented") == 0)
        let (missed, invented) = (t.value("target_0001.tif", "missed") ?? 0, t.value("target_0001.tif", "invented") ?? 0)
        let nTrue = t.value("target_0001.tif", "n_true") ?? 0
        #expect(missed > 0 && invented > 0 && nTrue > missed, "\(r.stdout)")
        #expect(abs((t.value("target_0001.tif", "missed_fraction") ?? 0) - missed / nTrue) < 1e-5)
        #expect(t.value("summary", "missed") == missed && t.value("summary", "invented") == invented)
        let allTrue = t.value("summary", "n_true") ?? 0
        #expect(abs((t.value("summary", "invented_fraction") ?? 0) - invented / allTrue) < 1e-5, "\(r.stdout)")
    }

    @Test func moreThan65535ObjectsAreWrittenAsUInt32() throws {
        let dir = try ToolRunner.temporaryFolder("segment-uint32")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Isolated bright pixels on a 2-px grid: 260 x 256 = 66,560 objects (not 8-adjacent).
        let w = 520, h = 512
        var pixels = [Float](repeating: 100, count: w * h)
        for y in stride(from: 0, to: h, by: 2) { for x in stride(from: 0, to: w, by: 2) { pixels[y * w + x] = 1000 } }
        let input = dir.appendingPathComponent("dots.tif").path
        try writeTIFF(ImagePlane(width: w, height: h, pixels: pixels, sampleType: .uint16), to: input)
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-segment", ["--out", out, input])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == [out + "/dots.tif"])
        let file = try ImageFile(path: out + "/dots.tif")
        #expect(file.sampleType() == nil)        // not an 8/16-bit intensity page: 32-bit labels
        let labels = try file.labels()
        #expect(labels.maximumLabel == 66_560)
        #expect(labels.labels[0] == 1 && labels.labels[2] == 2 && labels.labels[1] == 0)
    }

    @Test func constantAndBadInputs() throws {
        let dir = try ToolRunner.temporaryFolder("segment-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let flat = dir.appendingPathComponent("flat.tif").path
        try writeTIFF(ImagePlane(width: 16, height: 8, repeating: 500, sampleType: .uint16), to: flat)
        let junk = dir.appendingPathComponent("junk.tif").path
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: junk))
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-segment", ["--out", out, junk, flat])
        #expect(r.status == 1)
        #expect(r.lines == [out + "/flat.tif"])
        #expect(r.stderr.hasPrefix("sn-segment: error: \(junk): "))
        #expect(try readLabels(out + "/flat.tif").maximumLabel == 0)   // a constant image has no foreground
        #expect(!FileManager.default.fileExists(atPath: out + "/junk.tif"))

        let usage = try ToolRunner.run("sn-segment", ["--out", out, "--method", "adaptive", "--block-size", "8", flat])
        #expect(usage.status == 2)
        #expect(usage.stderr.hasPrefix("sn-segment: error: --block-size must be odd"))
        let noTruth = try ToolRunner.run("sn-score", [flat])
        #expect(noTruth.status == 2)
    }

    /// `--method star` needs a readable model file; problems are usage errors naming the file, and
    /// nothing is written.
    @Test func starMethodModelErrors() throws {
        let dir = try ToolRunner.temporaryFolder("segment-star")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("a.tif").path
        try writeTIFF(ImagePlane(width: 16, height: 16, repeating: 5, sampleType: .uint16), to: image)
        let out = dir.appendingPathComponent("out").path
        let bogus = dir.appendingPathComponent("bogus.safetensors").path
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: bogus))
        // Without --model the shipped model is looked up, $SALIENCYNET_MODELS first: a broken file there is
        // found (and refused, naming it) before the repository's Models/.
        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let shadow = models.appendingPathComponent("star-target.safetensors").path
        try FileManager.default.copyItem(atPath: bogus, toPath: shadow)
        let shadowed = try ToolRunner.run("sn-segment", ["--method", "star", "--out", out, image],
                                          environment: ["SALIENCYNET_MODELS": models.path])
        #expect(shadowed.status == 2)
        #expect(shadowed.stderr.hasPrefix("sn-segment: error: \(shadow): "), "\(shadowed.stderr)")
        let bad = try ToolRunner.run("sn-segment", ["--method", "star", "--model", bogus, "--out", out, image])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("sn-segment: error: \(bogus): "), "\(bad.stderr)")
        let missing = try ToolRunner.run("sn-segment", ["--method", "star", "--model", bogus + ".none", "--out", out, image])
        #expect(missing.status == 2 && missing.stderr.contains(bogus + ".none"))
        let wrong = try ToolRunner.run("sn-segment", ["--method", "otsu", "--model", bogus, "--out", out, image])
        #expect(wrong.status == 2)
        #expect(!FileManager.default.fileExists(atPath: out + "/a.tif"))
    }

    /// `--method star` without `--model` uses the shipped Models/star-target.safetensors (trained on the
    /// synthetic target style) and finds most nuclei of a target-style image.
    @Test func shippedStarModelSegmentsTargetStyle() throws {
        let dir = try ToolRunner.temporaryFolder("segment-default-star")
        defer { try? FileManager.default.removeItem(at: dir) }
        let syn = dir.appendingPathComponent("syn").path, masks = dir.appendingPathComponent("masks").path
        let synth = try ToolRunner.run("sn-synth", ["--style", "target", "--count", "2", "--size", "128", "--seed", "21", "--out", syn])
        #expect(synth.status == 0, "\(synth.stderr)")
        let segment = try ToolRunner.run("sn-segment", ["--method", "star", "--out", masks], stdin: synth.stdout)
        #expect(segment.status == 0, "\(segment.stderr)")
        let score = try ToolRunner.run("sn-score", ["--truth", syn + "/masks"], stdin: segment.stdout)
        #expect(score.status == 0, "\(score.stderr)")
        let table = Table(score.stdout)
        let f1 = try #require(table.value("summary", "f1"))
        #expect(f1 > 0.6, "the shipped star model should find most target-style nuclei: \(score.stdout)")
    }
}
