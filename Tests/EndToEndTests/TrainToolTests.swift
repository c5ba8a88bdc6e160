import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NN
import Testing

/// sn-train run as a program: data from sn-synth, errors, and an interruption by SIGINT followed by
/// `--resume`, which must end where an uninterrupted run ends.
@Suite(.serialized) struct TrainToolTests {
    /// Tiny source- and target-style sets and a validation folder made by sn-synth.
    static func data(_ dir: URL) throws {
        for (style, seed, name, count) in [("source", "1", "X", "3"), ("target", "2", "Y", "3"), ("source", "3", "V", "2")] {
            let r = try ToolRunner.run("sn-synth", ["--style", style, "--count", count, "--size", "64", "--seed", seed,
                                                    "--out", dir.appendingPathComponent(name).path])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    static func arguments(_ dir: URL, out: String) -> [String] {
        ["--source", dir.appendingPathComponent("X").path, "--target", dir.appendingPathComponent("Y").path,
         "--validation", dir.appendingPathComponent("V").path, "--out", dir.appendingPathComponent(out).path,
         "--ngf", "8", "--blocks", "1", "--ndf", "8", "--crop", "64", "--epoch-iterations", "40", "--epochs", "1",
         "--decay-epochs", "1", "--pool", "3", "--samples", "1", "--seed", "4"]
    }

    @Test func interruptedRunResumesToTheSameModel() throws {
        let dir = try ToolRunner.temporaryFolder("train")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.data(dir)

        // Uninterrupted.
        let straight = try ToolRunner.run("sn-train", Self.arguments(dir, out: "straight"))
        #expect(straight.status == 0, "\(straight.stderr)")
        let bestPath = dir.appendingPathComponent("straight/best-generator.safetensors").path
        #expect(straight.lines == [bestPath])
        #expect(straight.stderr.contains("epoch 2: Otsu IoU raw"))

        // SIGINT once a few iterations are logged: exit 3 with a checkpoint.
        let process = Process()
        process.executableURL = try ToolRunner.toolURL("sn-train")
        process.arguments = Self.arguments(dir, out: "resumed")
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = Pipe()
        try process.run()
        let log = dir.appendingPathComponent("resumed/losses.csv").path
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let rows = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if rows >= 6 { break }
            usleep(5_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 3, "\(stderr)")
        #expect(stderr.contains("continue with --resume"))
        let checkpoint = dir.appendingPathComponent("resumed/last.safetensors").path
        let stopped = try SafeTensorsFile.read(from: checkpoint)
        let stoppedAt = Int(stopped.metadata["training.iteration"] ?? "") ?? 0
        #expect(stoppedAt >= 5 && stoppedAt < 80, "stopped at \(stoppedAt)")

        // Resume: the final state equals the uninterrupted run's, tensor for tensor.
        let resumed = try ToolRunner.run("sn-train", Self.arguments(dir, out: "resumed") + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming after \(stoppedAt)"))
        let a = try SafeTensorsFile.read(from: dir.appendingPathComponent("straight/last.safetensors").path)
        let b = try SafeTensorsFile.read(from: checkpoint)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for (name, t) in a.tensors { #expect(b.tensors[name] == t, "\(name) differs after resume") }
        for name in ["losses.csv", "validation.csv", "samples/epoch-0002.png", "best.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("resumed/" + name).path), "\(name)")
        }
    }

    @Test func badInputsAreReportedWithTheirNames() throws {
        let dir = try ToolRunner.temporaryFolder("train-errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.data(dir)
        let missing = dir.appendingPathComponent("nothing").path
        var args = Self.arguments(dir, out: "run")
        args[1] = missing
        let r = try ToolRunner.run("sn-train", args)
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr == "sn-train: error: \(missing): no such file or folder\n")

        let usage = try ToolRunner.run("sn-train", ["--out", dir.path])
        #expect(usage.status == 2 && usage.stderr.contains("--source is required"))
        let badCount = try ToolRunner.run("sn-train", ["--source", dir.path, "--out", dir.path, "--synthetic-targets", "0"])
        #expect(badCount.status == 2 && badCount.stderr.contains("--synthetic-targets"))
        let crop = try ToolRunner.run("sn-train", Self.arguments(dir, out: "run") + ["--crop", "30"])
        #expect(crop.status == 2 && crop.stderr.contains("--crop"))
        for bad in ["0.5", "5", "nan"] {
            let soft = try ToolRunner.run("sn-train", ["--source", dir.path, "--out", dir.path, "--source-downsample", bad])
            #expect(soft.status == 2 && soft.stderr.contains("--source-downsample"), "\(bad): \(soft.stderr)")
        }
        for (d, least) in [("2", "0.5"), ("2", "2.5"), ("2", "nan")] {
            let soft = try ToolRunner.run("sn-train", ["--source", dir.path, "--out", dir.path, "--source-downsample", d,
                                                       "--source-downsample-min", least])
            #expect(soft.status == 2 && soft.stderr.contains("--source-downsample-min"), "\(least): \(soft.stderr)")
        }
        let weights = try ToolRunner.run("sn-train", Self.arguments(dir, out: "run") + ["--alpha", "0.5"])
        #expect(weights.status == 2 && weights.stderr.contains("--alpha"))

        // A crop larger than the images names the image.
        let big = try ToolRunner.run("sn-train", Self.arguments(dir, out: "run") + ["--crop", "128"])
        #expect(big.status == 1 && big.stderr.contains("smaller than the 128 px crop") && big.stderr.contains("source_0000.tif"))
        // Resuming a run that does not exist names the checkpoint.
        let noRun = try ToolRunner.run("sn-train", Self.arguments(dir, out: "fresh") + ["--resume"])
        #expect(noRun.status == 1 && noRun.stderr.contains("last.safetensors"), "\(noRun.stderr)")
    }
    /// `--init shipped` finds Models/saliencynet-networks.safetensors, the networks of the shipped generator
    /// Models/saliencynet.safetensors (the same G, bit for bit), and continues from them with their
    /// architecture.
    @Test func initShippedStartsFromTheShippedNetworks() throws {
        let dir = try ToolRunner.temporaryFolder("init-shipped")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.data(dir)
        let models = ToolRunner.repositoryRoot.appendingPathComponent("Models")
        let networks = try SafeTensorsFile.read(from: models.appendingPathComponent("saliencynet-networks.safetensors").path)
        let generator = try SafeTensorsFile.read(from: models.appendingPathComponent("saliencynet.safetensors").path)
        for (name, tensor) in generator.tensors {
            #expect(networks.tensors[name] == tensor, "the shipped G and the networks' G differ at \(name)")
        }
        #expect(networks.metadata["training.nucleus_diameter"] == generator.metadata["training.nucleus_diameter"])
        let run = dir.appendingPathComponent("run").path
        let r = try ToolRunner.run("sn-train", ["--source", dir.appendingPathComponent("X").path, "--out", run, "--init", "shipped",
                                                "--epoch-iterations", "1", "--epochs", "1", "--decay-epochs", "0", "--crop", "32",
                                                "--samples", "0", "--synthetic-targets", "2", "--seed", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let warm = try SafeTensorsFile.read(from: run + "/best-networks.safetensors")
        #expect(warm.metadata["training.init"] == "saliencynet-networks.safetensors", "\(warm.metadata)")
        #expect(warm.metadata["hparams.ngf"] == networks.metadata["hparams.ngf"] && warm.metadata["hparams.blocks"] == networks.metadata["hparams.blocks"])
    }

    /// Adaptation without annotation and without target images: `--source` alone synthesizes the target
    /// domain into the run; `--init FILE` starts all four networks from another run's best networks (its
    /// architecture is taken, the explicit flags ignored); `sn-enhance --model RUN` takes the run folder.
    /// A generator-only file is refused for --init with its name.
    @Test func adaptationWithoutTargetsWarmStartsAndEnhancesFromTheRunFolder() throws {
        let dir = try ToolRunner.temporaryFolder("adapt")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.data(dir)
        let source = dir.appendingPathComponent("X").path
        let common = ["--epoch-iterations", "3", "--epochs", "1", "--decay-epochs", "0", "--crop", "32", "--samples", "0",
                      "--synthetic-targets", "3", "--seed", "2"]
        let first = try ToolRunner.run("sn-train", ["--source", source, "--out", dir.appendingPathComponent("first").path,
                                                    "--ngf", "4", "--blocks", "1", "--ndf", "4", "--content", "mask",
                                                    "--content-weight", "2", "--cycle-noise", "0.1", "--scale-jitter", "0.2",
                                                    "--source-downsample", "2", "--source-downsample-min", "1.5"] + common)
        #expect(first.status == 0, "\(first.stderr)")
        let synthetic = dir.appendingPathComponent("first/synthetic-target/images").path
        let made = try FileManager.default.contentsOfDirectory(atPath: synthetic).sorted()
        #expect(made == ["filled_0000.tif", "filled_0001.tif", "filled_0002.tif"])
        let networks = dir.appendingPathComponent("first/best-networks.safetensors").path
        let file = try SafeTensorsFile.read(from: networks)
        #expect(["G.", "F.", "D_X.", "D_Y."].allSatisfy { p in file.tensors.keys.contains { $0.hasPrefix(p) } })
        #expect(!file.tensors.keys.contains { $0.hasPrefix("adam.") })
        #expect(file.metadata["training.content"] == "saliency_mask")

        // Warm start: the defaults (ngf 32, 9 blocks) give way to the file's 4 filters and 1 block, and the
        // default objective to the file's (content term, cycle noise, scale jitter).
        let second = try ToolRunner.run("sn-train", ["--source", source, "--out", dir.appendingPathComponent("second").path,
                                                     "--init", networks] + common)
        #expect(second.status == 0, "\(second.stderr)")
        let warm = try SafeTensorsFile.read(from: dir.appendingPathComponent("second/best-networks.safetensors").path)
        #expect(warm.metadata["hparams.ngf"] == "4" && warm.metadata["hparams.blocks"] == "1")
        #expect(warm.metadata["training.init"] == "best-networks.safetensors")
        #expect(warm.tensors.keys.sorted() == file.tensors.keys.sorted())
        for key in ["content", "content_weight", "content_blur", "cycle_noise", "scale_jitter", "source_downsample",
                    "source_downsample_min", "alpha", "lambda_cycle"] {
            #expect(warm.metadata["training." + key] != nil && warm.metadata["training." + key] == file.metadata["training." + key],
                    "\(key): \(warm.metadata["training." + key] ?? "none") vs \(file.metadata["training." + key] ?? "none")")
        }
        #expect(second.stderr.contains("objective of best-networks.safetensors") && second.stderr.contains("content mask (weight 2.0"),
                "\(second.stderr)")
        // Options given on the command line override the recorded objective.
        let overridden = try ToolRunner.run("sn-train", ["--source", source, "--out", dir.appendingPathComponent("overridden").path,
                                                         "--init", networks, "--content", "none", "--cycle-noise", "0"] + common
                                                         + ["--stop-after", "1"])
        #expect(overridden.status == 3, "\(overridden.stderr)")
        let o = try SafeTensorsFile.read(from: dir.appendingPathComponent("overridden/last.safetensors").path).metadata
        #expect(o["training.content"] == nil && o["training.cycle_noise"] == "0.0" && o["training.scale_jitter"] == "0.2", "\(o)")

        let enhanced = try ToolRunner.run("sn-enhance", ["--model", dir.appendingPathComponent("second").path,
                                                         "--out", dir.appendingPathComponent("enhanced").path,
                                                         dir.appendingPathComponent("X/images/source_0000.tif").path])
        #expect(enhanced.status == 0, "\(enhanced.stderr)")
        #expect(enhanced.lines == [dir.appendingPathComponent("enhanced/source_0000.tif").path])

        let generatorOnly = dir.appendingPathComponent("first/best-generator.safetensors").path
        let refused = try ToolRunner.run("sn-train", ["--source", source, "--out", dir.appendingPathComponent("third").path,
                                                      "--init", generatorOnly] + common)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(generatorOnly) && refused.stderr.contains("holds only a generator"))
        let notRun = try ToolRunner.run("sn-enhance", ["--model", dir.path, "--out", dir.appendingPathComponent("e2").path,
                                                       dir.appendingPathComponent("X/images/source_0000.tif").path])
        #expect(notRun.status == 2 && notRun.stderr.contains("not an sn-train run"))
    }
}
