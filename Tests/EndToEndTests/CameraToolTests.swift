import Foundation
import MicroscopyIO
import Testing

/// sn-camera (low-light rendering of clean images) and sn-enhance --report (the trust report), run as built
/// binaries.
@Suite struct CameraToolTests {
    /// A clean 16-bit plane: background 500 with bright disks of diameter 12 on a grid.
    func clean(width: Int = 120, height: Int = 90) -> ImagePlane {
        let pixels = (0..<(width * height)).map { i -> Float in
            let (x, y) = (i % width, i / width)
            let (dx, dy) = (x % 30 - 15, y % 30 - 15)
            return dx * dx + dy * dy <= 36 ? 2500 : 500
        }
        return ImagePlane(width: width, height: height, pixels: pixels, sampleType: .uint16)
    }

    @Test func rendersDeterministicallyKeepingNamesAndShapes() throws {
        let dir = try ToolRunner.temporaryFolder("camera")
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = dir.appendingPathComponent("frame.tif").path
        try writeTIFF(clean(), to: one)
        let stack = dir.appendingPathComponent("stack.tif").path
        try writeTIFF([clean(), clean(), clean()], to: stack, layout: HyperstackLayout(channels: 1, slices: 3, frames: 1))
        let args = ["--photons", "20", "--haze", "0.2", "--illumination", "0.3", "--seed", "4"]
        let a = try ToolRunner.run("sn-camera", args + ["--out", dir.path + "/a", one, stack])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.lines == [dir.path + "/a/frame.tif", dir.path + "/a/stack.tif"])
        // Same command in the other order, paths on stdin: byte-identical files.
        let b = try ToolRunner.run("sn-camera", args + ["--out", dir.path + "/b"], stdin: stack + "\n" + one + "\n")
        #expect(b.status == 0, "\(b.stderr)")
        for name in ["frame.tif", "stack.tif"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/a/" + name))
            let y = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/b/" + name))
            #expect(x == y, "\(name) differs between runs")
        }
        let c = try ToolRunner.run("sn-camera", ["--photons", "20", "--haze", "0.2", "--illumination", "0.3", "--seed", "5",
                                                 "--out", dir.path + "/c", one])
        #expect(c.status == 0)
        #expect(try readImage(dir.path + "/c/frame.tif") != (try readImage(dir.path + "/a/frame.tif")))

        let rendered = try readImage(dir.path + "/a/frame.tif")
        #expect(rendered.sampleType == .uint16 && rendered.width == 120 && rendered.height == 90)
        // Disks at about 20 photons (×2 ADU, less where the illumination falls off) above a hazy background.
        let source = clean()
        let inside = zip(rendered.pixels, source.pixels).filter { $0.1 > 1000 }.map { Double($0.0) }
        let outside = zip(rendered.pixels, source.pixels).filter { $0.1 < 1000 }.map { Double($0.0) }
        let contrast = inside.reduce(0, +) / Double(inside.count) - outside.reduce(0, +) / Double(outside.count)
        #expect(contrast > 15 && contrast < 45, "disk contrast \(contrast) ADU")
        let s = try ImageFile(path: dir.path + "/a/stack.tif")
        #expect(s.dimensions.sizeZ == 3)
        #expect(try s.plane(z: 0) != (try s.plane(z: 1)), "each plane has its own noise")
    }

    @Test func badInputsAndOptions() throws {
        let dir = try ToolRunner.temporaryFolder("camera-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.tif").path
        try writeTIFF(clean(), to: good)
        let flat = dir.appendingPathComponent("flat.tif").path
        try writeTIFF(ImagePlane(width: 20, height: 20, pixels: [Float](repeating: 7, count: 400), sampleType: .uint16), to: flat)
        let missing = dir.appendingPathComponent("missing.tif").path
        let r = try ToolRunner.run("sn-camera", ["--photons", "10", "--out", dir.path + "/out", flat, missing, good])
        #expect(r.status == 1)
        #expect(r.lines == [dir.path + "/out/good.tif"])
        let errors = r.stderr.split(separator: "\n")
        #expect(errors.count == 2, "\(r.stderr)")
        #expect(errors.contains { $0.hasPrefix("sn-camera: error: \(flat): no intensity range") })
        #expect(errors.contains { $0.hasPrefix("sn-camera: error: \(missing)") })

        for bad in [[String](), ["--photons", "0"], ["--photons", "5", "--illumination", "1"], ["--photons", "5", "--read-noise", "-1"],
                    ["--photons", "5", "--low", "50", "--high", "10"], ["--photons", "5", "--seed", "-1"]] {
            let u = try ToolRunner.run("sn-camera", bad + ["--out", dir.path + "/u", good])
            #expect(u.status == 2, "\(bad): \(u.stderr)")
            #expect(u.stdout.isEmpty)
        }
    }

    /// The shipped model on salient synthetic images raises no flag, and the report has a row per plane.
    @Test func enhanceReportOnSalientImages() throws {
        let dir = try ToolRunner.temporaryFolder("enhance-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let synth = try ToolRunner.run("sn-synth", ["--style", "target", "--count", "2", "--size", "128", "--seed", "3",
                                                    "--out", dir.path + "/syn"])
        #expect(synth.status == 0)
        let report = dir.path + "/trust.tsv"
        let r = try ToolRunner.run("sn-enhance", ["--report", report, "--out", dir.path + "/enh"] + synth.lines)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("warning"), "\(r.stderr)")
        let rows = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.count == 3)
        #expect(rows[0].first == "file" && rows[0].last == "flag")
        for row in rows.dropFirst() {
            #expect(row.count == rows[0].count)
            #expect(row.last == "none")
            #expect((Int(row[5]) ?? 0) >= 3, "candidates: \(row)")   // 128² images hold 6–20 nuclei
        }
        // A missing input gives no row; an unwritable report path is an error (exit 1).
        let bad = try ToolRunner.run("sn-enhance", ["--report", dir.path + "/no/such/dir/t.tsv", "--out", dir.path + "/enh2", synth.lines[0]])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("sn-enhance: error: \(dir.path)/no/such/dir/t.tsv: cannot write the trust report"), "\(bad.stderr)")
    }
}
