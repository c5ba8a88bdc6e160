import Foundation
import MicroscopyIO
import Testing

/// sn-synth run as a built binary: outputs, determinism, stacks and option errors.
@Suite struct SynthToolTests {
    func files(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func writesImagesMasksAndManifestAndPrintsOnlyImagePaths() throws {
        let dir = try ToolRunner.temporaryFolder("synth-out")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("set").path
        let r = try ToolRunner.run("sn-synth", ["--style", "target", "--count", "3", "--size", "64", "--seed", "9", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == (0..<3).map { "\(out)/images/target_000\($0).tif" })
        #expect(try files(out) == ["images", "manifest.tsv", "masks"])
        #expect(try files(out + "/masks") == ["target_0000.tif", "target_0001.tif", "target_0002.tif"])
        for line in r.lines {
            let image = try ImageFile(path: line)
            #expect(image.sampleType() == .uint16)
            #expect(image.dimensions.width == 64 && image.dimensions.height == 64 && image.dimensions.sizeZ == 1)
            let maskPath = line.replacingOccurrences(of: "/images/", with: "/masks/")
            let mask = try ImageFile(path: maskPath)
            #expect(mask.sampleType() == .uint16)
            let labels = try mask.labels()
            let plane = try image.plane()
            // Each label's pixels are brighter on average than the background's.
            var nucleus = 0.0, nucleusCount = 0.0, background = 0.0, backgroundCount = 0.0
            for (v, l) in zip(plane.pixels, labels.labels) {
                if l > 0 { nucleus += Double(v); nucleusCount += 1 } else { background += Double(v); backgroundCount += 1 }
            }
            #expect(labels.maximumLabel > 0)
            #expect(nucleus / nucleusCount > 2 * background / backgroundCount)
        }
        let manifest = try String(contentsOfFile: out + "/manifest.tsv", encoding: .utf8)
        #expect(manifest.contains("# seed\t9\n"))
        #expect(manifest.contains("# style\ttarget\n"))
        #expect(manifest.contains("\nname\timage\tmask\timageSeed\tnuclei\tsnr\t"))
        let rows = manifest.split(separator: "\n").filter { $0.hasPrefix("target_") }
        #expect(rows.count == 3)
        for row in rows {
            let fields = row.split(separator: "\t")
            #expect(Double(fields[5]) ?? 0 > 5, "SNR column of \(row)")
        }
    }

    @Test func sameSeedGivesByteIdenticalFilesWhateverTheThreads() throws {
        let dir = try ToolRunner.temporaryFolder("synth-det")
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["--style", "source", "--count", "4", "--size", "48", "--seed", "123"]
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        let c = dir.appendingPathComponent("c").path
        #expect(try ToolRunner.run("sn-synth", common + ["--threads", "1", "--out", a]).status == 0)
        #expect(try ToolRunner.run("sn-synth", common + ["--threads", "3", "--out", b]).status == 0)
        #expect(try ToolRunner.run("sn-synth", ["--style", "source", "--count", "4", "--size", "48", "--seed", "124", "--out", c]).status == 0)
        for folder in ["images", "masks"] {
            for name in try files(a + "/" + folder) {
                #expect(try bytes("\(a)/\(folder)/\(name)") == bytes("\(b)/\(folder)/\(name)"), "\(folder)/\(name)")
                if folder == "images" {
                    #expect(try bytes("\(a)/\(folder)/\(name)") != bytes("\(c)/\(folder)/\(name)"), "another seed, another image")
                }
            }
        }
        #expect(try bytes(a + "/manifest.tsv") == bytes(b + "/manifest.tsv"))
        #expect(try bytes(a + "/manifest.tsv") != bytes(c + "/manifest.tsv"))
    }

    @Test func stackWritesZStacksWithLabelsPerSlice() throws {
        let dir = try ToolRunner.temporaryFolder("synth-stack")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.path
        let r = try ToolRunner.run("sn-synth", ["--stack", "4", "--count", "1", "--width", "40", "--height", "32",
                                                "--prefix", "organoid", "--style", "target", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == ["\(out)/images/organoid_0000.tif"])
        let image = try ImageFile(path: r.lines[0])
        #expect(image.dimensions.sizeZ == 4 && image.dimensions.width == 40 && image.dimensions.height == 32)
        let masks = try ImageFile(path: "\(out)/masks/organoid_0000.tif")
        #expect(masks.dimensions.sizeZ == 4)
        let slices = try (0..<4).map { try image.plane(z: $0).pixels }
        #expect(Set(slices.map { $0.reduce(0, +) }).count == 4, "the slices differ")
        #expect(try (0..<4).contains { try masks.labels(z: $0).maximumLabel > 0 })
    }

    @Test(arguments: [
        (["--count", "0"], "--count must be 1...1000000, got 0"),
        (["--count", "-2"], "--count must be 1...1000000, got -2"),
        (["--count", "many"], "option '--count': 'many' is not a valid int"),
        (["--size", "8"], "--size must be 16...8192 px, got 8"),
        (["--width", "100000"], "--width must be 16...8192 px, got 100000"),
        (["--stack", "0"], "--stack must be 1...256 slices, got 0"),
        (["--style", "bright"], "option '--style': 'bright' is not a valid source|target|lowlight|filled"),
        (["--seed", "-1"], "--seed must be 0 or more, got -1"),
        (["--density", "0"], "--density must be in (0, 60] nuclei per 10^4 px^2, got 0.0"),
        (["--density", "nan"], "option '--density': 'nan' is not a valid number"),
        (["--diameter", "2"], "--diameter must be 3...100 px, got 2.0"),
        (["--diameter", "40", "--size", "64"], "--diameter 40.0 px is more than half the image (64 x 64)"),
        (["--prefix", "a/b"], "--prefix must be a non-empty file name without '/', tabs or newlines, not starting with '.'"),
        (["--threads", "-1"], "--threads must be 0...256, got -1"),
        (["--compression", "zip"], "option '--compression': 'zip' is not a valid none|lzw|deflate"),
    ])
    func badOptionValuesAreUsageErrors(arguments: [String], message: String) throws {
        let dir = try ToolRunner.temporaryFolder("synth-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("never").path
        let r = try ToolRunner.run("sn-synth", arguments + ["--out", out])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "sn-synth: error: \(message)", "\(r.stderr)")
        #expect(lines.count == 2, "one error line and the --help hint: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is written on a usage error")
    }

    @Test func missingOutIsAUsageError() throws {
        let r = try ToolRunner.run("sn-synth", ["--count", "1"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("sn-synth: error: --out DIR is required\n"))
    }

    @Test func unwritableOutputIsAUsageErrorNamingTheFolder() throws {
        let dir = try ToolRunner.temporaryFolder("synth-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain-file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let r = try ToolRunner.run("sn-synth", ["--count", "1", "--out", file])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("sn-synth: error: \(file): exists and is not a folder\n"), "\(r.stderr)")
    }
}
