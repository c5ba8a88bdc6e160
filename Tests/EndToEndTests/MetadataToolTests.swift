import Foundation
import MicroscopyIO
import Testing

/// Physical metadata through the tools: pixel size, unit, Z spacing, frame interval and the OME channel name
/// survive `sn-convert | sn-enhance | sn-segment` for an ImageJ input and an OME-TIFF input; --scale divides
/// the pixel size; outputs of X.ome.tif are named X.tif and hold no OME-XML.
@Suite struct MetadataToolTests {
    /// The tifffile-written OME-TIFF of MicroscopyIO's tests (3 channels DAPI, GFP, "A&B <x>"; 0.619 µm; 2 frames).
    static let omeFixture = ToolRunner.repositoryRoot
        .appendingPathComponent("Packages/MicroscopyIO/Tests/MicroscopyIOTests/Fixtures/calibrated_ome_uint16.ome.tif").path

    static func close(_ a: Double?, _ b: Double) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= 1e-6 * abs(b)
    }

    /// A 2-channel, 2-frame ImageJ hyperstack of blobs, 0.325 µm pixels, written by MicroscopyIO.
    static func writeImageJInput(_ path: String) throws {
        let (w, h) = (48, 40)
        var planes: [ImagePlane] = []
        for plane in 0..<4 {
            var pixels = [Float](repeating: 100, count: w * h)
            for (cx, cy) in [(12, 10), (34, 28), (30, 9)] {
                for y in 0..<h { for x in 0..<w where (x - cx) * (x - cx) + (y - cy) * (y - cy) < 25 {
                    pixels[y * w + x] = 2000 + Float(100 * plane)
                } }
            }
            planes.append(ImagePlane(width: w, height: h, pixels: pixels, sampleType: .uint16))
        }
        let calibration = PhysicalCalibration(pixelWidth: 0.325, pixelHeight: 0.325, unit: "micron", frameInterval: 30)
        try writeTIFF(planes, to: path, layout: HyperstackLayout(channels: 2, slices: 1, frames: 2),
                      metadata: ImageMetadata(calibration: calibration))
    }

    @Test func pixelSizeAndUnitSurviveConvertEnhanceSegment() throws {
        let dir = try ToolRunner.temporaryFolder("metadata-pipeline")
        defer { try? FileManager.default.removeItem(at: dir) }
        let imagej = dir.appendingPathComponent("hyper.tif").path
        try Self.writeImageJInput(imagej)
        let d = dir.path
        let r = try ToolRunner.shell("""
            set -o pipefail
            sn-convert --channel 1 --out '\(d)/c' '\(imagej)' '\(Self.omeFixture)' \
              | sn-enhance --out '\(d)/e' --diameter 10 | sn-segment --out '\(d)/s'
            """)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == ["\(d)/s/hyper.tif", "\(d)/s/calibrated_ome_uint16.tif"], "outputs of X.ome.tif are named X.tif")
        for stage in ["c", "e", "s"] {
            let fromImageJ = try ImageFile(path: "\(d)/\(stage)/hyper.tif")
            #expect(fromImageJ.dimensions.sizeT == 2 && fromImageJ.dimensions.sizeC == 1)
            let c = fromImageJ.calibration
            #expect(Self.close(c.pixelWidth, 0.325) && Self.close(c.pixelHeight, 0.325) && c.unit == "µm", "\(stage): \(c)")
            #expect(c.frameInterval == 30, "\(stage): \(c)")

            let omePath = "\(d)/\(stage)/calibrated_ome_uint16.tif"
            let fromOME = try ImageFile(path: omePath)
            #expect(fromOME.dimensions.kind == .imageJ, "an OME input's output is an ImageJ TIFF, not an OME-TIFF")
            let o = fromOME.calibration
            #expect(Self.close(o.pixelWidth, 0.619) && Self.close(o.pixelHeight, 0.619) && o.unit == "µm", "\(stage): \(o)")
            #expect(o.sliceSpacing == 2 && o.frameInterval == 2.5 && o.timeUnit == "min", "\(stage): \(o)")
            #expect(fromOME.channelNames == ["GFP"], "\(stage): the extracted channel keeps its OME name")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: omePath))
            #expect(bytes.range(of: Data("<OME".utf8)) == nil, "\(stage): no OME-XML in the output")
        }
    }

    @Test func scaleDividesThePixelSizeAndKeepsTheDisplayRange() throws {
        let dir = try ToolRunner.temporaryFolder("metadata-scale")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("gray.tif").path
        let plane = ImagePlane(width: 30, height: 21, pixels: (0..<630).map { Float($0 % 200) }, sampleType: .uint8)
        try writeTIFF([plane], to: input, metadata: ImageMetadata(
            calibration: PhysicalCalibration(pixelWidth: 0.5, pixelHeight: 0.5, unit: "µm"), displayRange: 5...180))
        let out = dir.appendingPathComponent("out").path
        let r = try ToolRunner.run("sn-convert", ["--scale", "2", "--out", out, input])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try ImageFile(path: out + "/gray.tif")
        #expect(file.dimensions.width == 60 && file.dimensions.height == 42)
        #expect(Self.close(file.calibration.pixelWidth, 0.25) && Self.close(file.calibration.pixelHeight, 0.25))
        #expect(file.displayRanges == [5...180])
        // To 16 bits the values are spread over 0...65535 (min 0 -> 0, max 199 -> 65535); the range follows.
        let r16 = try ToolRunner.run("sn-convert", ["--type", "uint16", "--out", out + "16", input])
        #expect(r16.status == 0, "\(r16.stderr)")
        let range = try #require(try ImageFile(path: out + "16/gray.tif").displayRanges[0])
        #expect(abs(range.lowerBound - 5 * 65535 / 199) < 1e-6 && abs(range.upperBound - 180 * 65535 / 199) < 1e-6)
    }
}
