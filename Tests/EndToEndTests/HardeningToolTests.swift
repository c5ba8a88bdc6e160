import Foundation
import MicroscopyIO
import NN
import Testing

/// Issue 12: finite float32 extremes never crash a tool, every tool answers --version, and the fuzz
/// harness runs (bounded) as part of the suite.
@Suite struct HardeningToolTests {
    /// A 64×64 float32 image: `left` in columns 0..<32 and `right` in 32..<64, or `pixel` at (10, 10) of noise.
    static func write(_ pixels: [Float], to path: String) throws {
        try writeTIFF(ImagePlane(width: 64, height: 64, pixels: pixels, sampleType: .float32), to: path)
    }

    static func halves(_ left: Float, _ right: Float) -> [Float] {
        (0..<(64 * 64)).map { $0 % 64 < 32 ? left : right }
    }

    /// Was SIGILL (Float → Int trap in Otsu's histogram) for −3e38 | +3e38 and for subnormal values.
    @Test func otsuOnExtremeAndSubnormalValues() throws {
        let dir = try ToolRunner.temporaryFolder("otsu-extreme")
        defer { try? FileManager.default.removeItem(at: dir) }
        let extreme = dir.appendingPathComponent("extreme.tif").path
        try Self.write(Self.halves(-3e38, 3e38), to: extreme)
        let subnormal = dir.appendingPathComponent("subnormal.tif").path
        try Self.write(Self.halves(Float(1e-40 as Double), Float(1.2e-40 as Double)), to: subnormal)
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-segment", ["--method", "otsu", "--min-area", "0", "--out", out, extreme, subnormal])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["extreme.tif", "subnormal.tif"] {
            let labels = try readLabels(out + "/" + name)
            // The bright right half is the one object.
            let foreground = labels.labels.indices.filter { labels.labels[$0] != 0 }
            #expect(foreground == labels.labels.indices.filter { $0 % 64 >= 32 }, "\(name)")
        }
    }

    /// Was SIGILL (Double → Int trap rasterizing a polygon with an enormous distance) for one 3.4e38 pixel.
    @Test func starOnAHugeValue() throws {
        let dir = try ToolRunner.temporaryFolder("star-huge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("huge.tif").path
        var pixels = (0..<(64 * 64)).map { Float(($0 * 7919) % 101) }
        pixels[10 * 64 + 10] = 3.4e38
        try Self.write(pixels, to: image)
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-segment", ["--method", "star", "--out", out, image])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try readLabels(out + "/huge.tif").labels.count == 64 * 64)
    }

    /// Was exit 0 with an all-NaN output: a plane of subnormal values (and one spanning ±3e38) is now
    /// enhanced with the normalisation in Float64, so the output is finite and within the input's range.
    @Test func enhanceOnSubnormalAndExtremePlanes() throws {
        let dir = try ToolRunner.temporaryFolder("enhance-subnormal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let subnormal = dir.appendingPathComponent("subnormal.tif").path
        try Self.write((0..<(64 * 64)).map { Float(1e-40 as Double) + Float(($0 * 7919) % 23) * Float(1e-42 as Double) }, to: subnormal)
        let extreme = dir.appendingPathComponent("extreme.tif").path
        try Self.write(Self.halves(-3e38, 3e38), to: extreme)
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-enhance", ["--out", out, subnormal, extreme])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["subnormal.tif", "extreme.tif"] {
            let input = try readImage(dir.appendingPathComponent(name).path).pixels
            let output = try readImage(out + "/" + name).pixels
            #expect(output.allSatisfy { $0.isFinite }, "\(name): non-finite output")
            #expect(output.min()! >= input.min()! && output.max()! <= input.max()!, "\(name)")
        }
    }

    /// Every tool prints `NAME VERSION (commit C, model format F)` on stdout and exits 0.
    @Test(arguments: allTools + ["sn-diameter", "sn-model"])
    func versionOnStdout(tool: String) throws {
        let r = try ToolRunner.run(tool, ["--version"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let version = try String(contentsOf: ToolRunner.repositoryRoot.appendingPathComponent("VERSION"), encoding: .utf8)
            .split(separator: "\n").first.map(String.init) ?? ""
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", ToolRunner.repositoryRoot.path, "rev-parse", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        try git.run()
        git.waitUntilExit()
        let commit = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(12)
        #expect(commit.count == 12, "git rev-parse HEAD failed in \(ToolRunner.repositoryRoot.path)")
        #expect(r.stdout == "\(tool) \(version) (commit \(commit), model format \(ModelMetadata.currentFormatVersion))\n")
    }

    /// Tools that read pixel data document what NaN, ±∞ and extreme values do.
    @Test(arguments: ["sn-convert", "sn-segment", "sn-score", "sn-train-star", "sn-train", "sn-enhance", "sn-diameter", "sn-report"])
    func helpDocumentsExtremeValues(tool: String) throws {
        let r = try ToolRunner.run(tool, ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("NON-FINITE AND EXTREME VALUES:\n"), "\(tool) --help")
    }

    /// A bounded run of every fuzz target in CI, 10 s each (a minute of fuzzing per CI run; scripts/fuzz.sh 60
    /// runs each for a minute): no crash, no broken invariant.
    @Test func fuzzHarnessBoundedRun() throws {
        let r = try ToolRunner.run("sn-fuzz", ["--seconds", "10"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.lines
        #expect(lines.count == 7, "\(r.stdout)")
        for target in ["tiff", "png", "otsu", "star", "model", "diameter"] {
            let line = lines.first { $0.hasPrefix(target + ": ") } ?? ""
            let inputs = Int(line.dropFirst(target.count + 2).prefix { $0.isNumber }) ?? 0
            #expect(inputs >= 100, "\(target): \(line)")
            #expect(line.contains(" 0 failures"), "\(line)")
        }
    }
}
