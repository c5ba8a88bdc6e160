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
        #expect(usage.status == 2 && usage.stderr.contains("--source and --target are required"))
        let crop = try ToolRunner.run("sn-train", Self.arguments(dir, out: "run") + ["--crop", "30"])
        #expect(crop.status == 2 && crop.stderr.contains("--crop"))
        let weights = try ToolRunner.run("sn-train", Self.arguments(dir, out: "run") + ["--alpha", "0.5"])
        #expect(weights.status == 2 && weights.stderr.contains("--alpha"))

        // A crop larger than the images names the image.
        let big = try ToolRunner.run("sn-train", Self.arguments(dir, out: "run") + ["--crop", "128"])
        #expect(big.status == 1 && big.stderr.contains("smaller than the 128 px crop") && big.stderr.contains("source_0000.tif"))
        // Resuming a run that does not exist names the checkpoint.
        let noRun = try ToolRunner.run("sn-train", Self.arguments(dir, out: "fresh") + ["--resume"])
        #expect(noRun.status == 1 && noRun.stderr.contains("last.safetensors"), "\(noRun.stderr)")
    }
}
