import Foundation
import MicroscopyIO
import Testing

/// sn-convert run as a built binary: the shared input/output conventions and correct pixels.
@Suite struct ConvertToolTests {
    /// A 16-bit plane whose pixel (y, x) is `base + 7y + x`.
    func ramp(width: Int, height: Int, base: Float) -> ImagePlane {
        ImagePlane(width: width, height: height,
                   pixels: (0..<(width * height)).map { base + Float(7 * ($0 / width) + $0 % width) },
                   sampleType: .uint16)
    }

    @Test func argumentsStdinAndDashKeepNamesAndPrintPaths() throws {
        let dir = try ToolRunner.temporaryFolder("convert-io")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["a", "b", "c"] {
            try writeTIFF(ramp(width: 5, height: 4, base: 100), to: dir.appendingPathComponent("\(name).tif").path)
        }
        let a = dir.appendingPathComponent("a.tif").path
        let b = dir.appendingPathComponent("b.tif").path
        let c = dir.appendingPathComponent("c.tif").path

        // Paths as arguments.
        let out1 = dir.appendingPathComponent("out1").path
        let r1 = try ToolRunner.run("sn-convert", ["--out", out1, a, b])
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(r1.lines == [out1 + "/a.tif", out1 + "/b.tif"])
        #expect(r1.stderr.isEmpty)

        // No arguments: paths from stdin, blank lines ignored.
        let out2 = dir.appendingPathComponent("out2").path
        let r2 = try ToolRunner.run("sn-convert", ["--out", out2], stdin: "\(a)\n\n\(c)\n")
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(r2.lines == [out2 + "/a.tif", out2 + "/c.tif"])

        // '-' splices stdin in place between arguments.
        let out3 = dir.appendingPathComponent("out3").path
        let r3 = try ToolRunner.run("sn-convert", ["--out", out3, c, "-", a], stdin: b + "\n")
        #expect(r3.status == 0, "\(r3.stderr)")
        #expect(r3.lines == [out3 + "/c.tif", out3 + "/b.tif", out3 + "/a.tif"])

        // The pixels survive unchanged (same type, lossless deflate).
        let original = try readImage(b)
        let converted = try readImage(out3 + "/b.tif")
        #expect(converted == original)
    }

    @Test func failedInputsAreReportedSkippedAndExitOne() throws {
        let dir = try ToolRunner.temporaryFolder("convert-fail")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.tif").path
        try writeTIFF(ramp(width: 8, height: 3, base: 0), to: good)
        let missing = dir.appendingPathComponent("missing.tif").path
        let corrupt = dir.appendingPathComponent("corrupt.tif").path
        // A TIFF header that promises a directory beyond the end of the file.
        try Data([0x49, 0x49, 0x2A, 0x00, 0xFF, 0xFF, 0x00, 0x00, 1, 2, 3]).write(to: URL(fileURLWithPath: corrupt))
        let out = dir.appendingPathComponent("out").path

        let r = try ToolRunner.run("sn-convert", ["--out", out, missing, good, corrupt])
        #expect(r.status == 1)
        #expect(r.lines == [out + "/good.tif"])
        let errors = r.stderr.split(separator: "\n").map(String.init)
        #expect(errors.count == 2, "one line per failed input: \(r.stderr)")
        #expect(errors.first?.hasPrefix("sn-convert: error: \(missing):") == true)
        #expect(errors.last?.hasPrefix("sn-convert: error: \(corrupt):") == true)
        // Only the good output is there: nothing half-written, no temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["good.tif"])
    }

    @Test func noInputsIsAUsageError() throws {
        let dir = try ToolRunner.temporaryFolder("convert-none")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try ToolRunner.run("sn-convert", ["--out", dir.path], stdin: "\n")
        #expect(r.status == 2)
        #expect(r.stderr.contains("no input paths"))
        let r2 = try ToolRunner.run("sn-convert", [dir.path + "/x.tif"])
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("--out DIR is required"))
    }

    @Test func selectsChannelAndTimeFromAHyperstack() throws {
        let dir = try ToolRunner.temporaryFolder("convert-stack")
        defer { try? FileManager.default.removeItem(at: dir) }
        // C=2, Z=3, T=2 in ImageJ order (C fastest, then Z, then T); plane (c,z,t) holds base 1000c+100z+10t.
        var planes: [ImagePlane] = []
        for t in 0..<2 { for z in 0..<3 { for c in 0..<2 {
            planes.append(ramp(width: 6, height: 5, base: Float(1000 * c + 100 * z + 10 * t)))
        } } }
        let input = dir.appendingPathComponent("hyper.tif").path
        try writeTIFF(planes, to: input, layout: HyperstackLayout(channels: 2, slices: 3, frames: 2))
        let out = dir.appendingPathComponent("out").path

        let r = try ToolRunner.run("sn-convert", ["--out", out, "--channel", "1", "--t", "1", input])
        #expect(r.status == 0, "\(r.stderr)")
        let result = try ImageFile(path: out + "/hyper.tif")
        #expect(result.dimensions.sizeZ == 3)
        #expect(result.dimensions.sizeC == 1 && result.dimensions.sizeT == 1)
        for z in 0..<3 {
            #expect(try result.plane(z: z) == ramp(width: 6, height: 5, base: Float(1000 + 100 * z + 10)))
        }

        let bad = try ToolRunner.run("sn-convert", ["--out", out, "--t", "2", input])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--t 2 is out of range (the file has T 0...1)"))
    }

    @Test func regionCutsPlanesAndLabelsBeforeScaling() throws {
        let dir = try ToolRunner.temporaryFolder("convert-region")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("img.tif").path
        let plane = ramp(width: 9, height: 6, base: 100)
        try writeTIFF(plane, to: input)
        let labelsPath = dir.appendingPathComponent("labels.tif").path
        let labels = LabelImage(width: 9, height: 6, labels: (0..<54).map { UInt32($0 % 9 < 4 ? 3 : 70_000) })
        try writeLabels(labels, to: labelsPath)
        let out = dir.appendingPathComponent("out").path

        let r = try ToolRunner.run("sn-convert", ["--out", out, "--region", "2,1,5,4", input])
        #expect(r.status == 0, "\(r.stderr)")
        // Pixel (y, x) of the cut is pixel (y + 1, x + 2) of the input: base + 7(y + 1) + x + 2.
        #expect(try readImage(out + "/img.tif") == ramp(width: 5, height: 4, base: 100 + 7 + 2))
        let rl = try ToolRunner.run("sn-convert", ["--out", out, "--labels", "--region", "2,1,5,4", "--scale", "2", labelsPath])
        #expect(rl.status == 0, "\(rl.stderr)")
        let cut = try readLabels(out + "/labels.tif")
        #expect(cut.width == 10 && cut.height == 8)
        // Columns 2, 3 of the input are label 3, columns 4...6 label 70,000: 4 and 6 output columns.
        #expect((0..<8).allSatisfy { y in (0..<10).allSatisfy { x in cut[y, x] == (x < 4 ? 3 : 70_000) } })

        // A region that does not fit fails that input (exit 1, one line naming it); a malformed one is a usage error.
        let misfit = try ToolRunner.run("sn-convert", ["--out", out, "--region", "5,0,5,6", input])
        #expect(misfit.status == 1 && misfit.lines.isEmpty)
        #expect(misfit.stderr == "sn-convert: error: \(input): --region 5,0,5,6 does not fit in the 9 x 6 image\n")
        let malformed = try ToolRunner.run("sn-convert", ["--out", out, "--region", "1,1,0,2", input])
        #expect(malformed.status == 2 && malformed.stderr.contains("--region takes X,Y,W,H"))
    }

    @Test func integerTypeChangeRescalesMinMax() throws {
        let dir = try ToolRunner.temporaryFolder("convert-type")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("img.tif").path
        let plane = ramp(width: 4, height: 3, base: 1000)   // values 1000 ... 1017
        try writeTIFF(plane, to: input)
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-convert", ["--out", out, "--type", "uint8", "--format", "png", input])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == [out + "/img.png"])
        let png = try readImage(out + "/img.png")
        #expect(png.sampleType == .uint8)
        for (v, o) in zip(png.pixels, plane.pixels) {
            let expected = ((o - 1000) * 255 / 17).rounded()
            #expect(abs(v - expected) <= 1, "\(o) -> \(v), expected \(expected)")
        }
        #expect(png.pixels.min() == 0 && png.pixels.max() == 255)
    }

    @Test func labelsStayExactAbove2To24() throws {
        let dir = try ToolRunner.temporaryFolder("convert-labels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let big: UInt32 = (1 << 24) + 1   // not representable in Float
        let labels = LabelImage(width: 3, height: 2, labels: [0, 1, big, big, 70000, 0])
        let input = dir.appendingPathComponent("labels.tif").path
        try writeLabels(labels, to: input)
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-convert", ["--labels", "--out", out, input])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try readLabels(out + "/labels.tif") == labels)
    }

    @Test func chainsInAPipeline() throws {
        let dir = try ToolRunner.temporaryFolder("convert-pipe")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("x.tif").path
        try writeTIFF(ramp(width: 9, height: 9, base: 5), to: input)
        let stage1 = try ToolRunner.run("sn-convert", ["--out", dir.path + "/f32", "--type", "float32", input])
        #expect(stage1.status == 0)
        // The next tool reads the previous tool's stdout as its stdin.
        let stage2 = try ToolRunner.run("sn-convert", ["--out", dir.path + "/u16", "--type", "uint16"], stdin: stage1.stdout)
        #expect(stage2.status == 0, "\(stage2.stderr)")
        #expect(stage2.lines == [dir.path + "/u16/x.tif"])
        #expect(try readImage(dir.path + "/f32/x.tif").pixels == ramp(width: 9, height: 9, base: 5).pixels)
    }

    @Test func extractsTheRealHoechstChannel() throws {
        let real = ToolRunner.sharedFolder.appendingPathComponent("data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff")
        try #require(FileManager.default.fileExists(atPath: real.path),
                     "the real OME-TIFF is missing: looked for \(real.path) (see ../shared/README.md)")
        let dir = try ToolRunner.temporaryFolder("convert-real")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try ToolRunner.run("sn-convert", ["--out", dir.path, "--channel", "0", real.path])
        #expect(r.status == 0, "\(r.stderr)")
        let source = try ImageFile(path: real.path)
        let extracted = try ImageFile(path: try #require(r.lines.first))
        #expect(extracted.dimensions.sizeT == 10)
        #expect(extracted.dimensions.width == 576 && extracted.dimensions.height == 210)
        for t in [0, 9] {
            #expect(try extracted.plane(t: t) == source.plane(channel: 0, t: t))
        }
    }
}
