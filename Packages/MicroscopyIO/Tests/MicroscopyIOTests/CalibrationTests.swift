import Foundation
import Testing
@testable import MicroscopyIO

/// Physical metadata (pixel size, Z spacing, unit, frame interval, channel name, display range): read from
/// files written by tifffile (Fixtures/make_calibration_fixtures.py, expectations in calibration.json) and
/// from the real OME-TIFF, and round trips through MicroscopyIO's own writer.
@Suite("Physical calibration: ImageJ and OME metadata read and written")
struct CalibrationTests {
    /// calibration.json: what tifffile read back from each fixture.
    static func facts(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("calibration.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let files = try #require(root["files"] as? [String: Any])
        return try #require(files[name] as? [String: Any], "calibration.json has no entry \(name)")
    }

    static func close(_ a: Double?, _ b: Double, relative: Double = 1e-6) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= relative * abs(b)
    }

    @Test("an ImageJ hyperstack written by tifffile: pixel size from the resolution tags, unit/spacing/finterval from the description")
    func imageJHyperstack() throws {
        let name = "calibrated_imagej_uint16.tif"
        let facts = try Self.facts(name)
        let imagej = try #require(facts["imagej"] as? [String: Any])
        let file = try ImageFile(path: TestPaths.fixture(name))
        let c = file.calibration
        #expect(Self.close(c.pixelWidth, 1 / (facts["x_resolution"] as! Double)), "\(c)")
        #expect(Self.close(c.pixelHeight, 1 / (facts["y_resolution"] as! Double)), "\(c)")
        #expect(Self.close(c.pixelWidth, 0.325) && Self.close(c.pixelHeight, 0.4))
        #expect(c.unit == "µm" && imagej["unit"] as? String == "um")
        #expect(c.sliceSpacing == imagej["spacing"] as? Double && c.sliceSpacing == 1.5)
        #expect(c.frameInterval == imagej["finterval"] as? Double && c.frameInterval == 30)
        #expect(c.timeUnit == nil)
        // Two channels: the description's min/max is not attributed to either.
        #expect(file.displayRanges == [nil, nil] && file.channelNames == [nil, nil])
    }

    @Test("a 2-D ImageJ image written by tifffile: millimetre pixels and the display range")
    func imageJPlane() throws {
        let name = "calibrated_gray_uint8.tif"
        let facts = try Self.facts(name)
        let imagej = try #require(facts["imagej"] as? [String: Any])
        let file = try ImageFile(path: TestPaths.fixture(name))
        #expect(Self.close(file.calibration.pixelWidth, 1 / (facts["x_resolution"] as! Double)))
        #expect(Self.close(file.calibration.pixelWidth, 0.1))
        #expect(file.calibration.unit == "mm")
        let range = try #require(file.metadata().displayRange)
        #expect(range.lowerBound == imagej["min"] as? Double && range.upperBound == imagej["max"] as? Double)
        #expect(range == 5...200)
    }

    @Test("an OME-TIFF written by tifffile: PhysicalSize*, TimeIncrement and channel names (XML entities undone)")
    func omeFixture() throws {
        let name = "calibrated_ome_uint16.ome.tif"
        let ome = try #require(try Self.facts(name)["ome"] as? [String: Any])
        let file = try ImageFile(path: TestPaths.fixture(name))
        let c = file.calibration
        #expect(c.pixelWidth == ome["PhysicalSizeX"] as? Double && c.pixelHeight == ome["PhysicalSizeY"] as? Double)
        #expect(c.pixelWidth == 0.619 && c.sliceSpacing == 2 && c.unit == "µm")
        #expect(c.frameInterval == ome["TimeIncrement"] as? Double && c.frameInterval == 2.5 && c.timeUnit == "min")
        #expect(file.channelNames == (ome["ChannelNames"] as? [String]))
        #expect(file.channelNames == ["DAPI", "GFP", "A&B <x>"])
        #expect(file.metadata(channel: 1) == ImageMetadata(calibration: c, channelName: "GFP"))
    }

    @Test("the real OME-TIFF: 0.619 µm pixels, Z 1 µm (no unit attribute: OME's default µm), four channel names")
    func realOME() throws {
        let path = RealDataTests.realPath
        try #require(FileManager.default.fileExists(atPath: path), "the real OME-TIFF is missing: looked for \(path)")
        let file = try ImageFile(path: path)
        #expect(file.calibration == PhysicalCalibration(pixelWidth: 0.619, pixelHeight: 0.619, sliceSpacing: 1, unit: "µm", timeUnit: "sec"))
        #expect(file.channelNames == ["H3342", "oblique", "nuclei", "cyto"])
    }

    @Test("written and read back: 2-D and stacks, intensities and labels, every unit kind", arguments: [
        PhysicalCalibration(pixelWidth: 0.325, pixelHeight: 0.325, unit: "µm"),
        PhysicalCalibration(pixelWidth: 0.619, pixelHeight: 0.5, sliceSpacing: 2, unit: "micron", frameInterval: 2.5, timeUnit: "min"),
        PhysicalCalibration(pixelWidth: 65, pixelHeight: 65, unit: "nm", frameInterval: 0.1),
        PhysicalCalibration(pixelWidth: 0.01, pixelHeight: 0.02, unit: "cm"),
        PhysicalCalibration(pixelWidth: 1.0 / 300, pixelHeight: 1.0 / 300, unit: "inch"),
        PhysicalCalibration(frameInterval: 3),
        PhysicalCalibration(),
    ])
    func roundTrip(_ calibration: PhysicalCalibration) throws {
        let directory = try TemporaryDirectory()
        let plane = randomPlane(width: 7, height: 5, type: .uint16, seed: 3)
        let metadata = ImageMetadata(calibration: calibration, channelName: "Hoechst 33342 – µ", displayRange: 12...3400)
        for (name, planes, layout) in [("plane.tif", [plane], nil as HyperstackLayout?),
                                       ("stack.tif", [plane, plane, plane, plane], HyperstackLayout(slices: 2, frames: 2))] {
            let path = directory.path(name)
            try writeTIFF(planes, to: path, compression: .deflate, layout: layout, metadata: metadata)
            let file = try ImageFile(path: path)
            #expect(file.dimensions.kind == .imageJ)
            let read = file.metadata()
            #expect(read.channelName == metadata.channelName && read.displayRange == metadata.displayRange)
            let c = read.calibration
            if let width = calibration.pixelWidth {
                #expect(Self.close(c.pixelWidth, width) && Self.close(c.pixelHeight, calibration.pixelHeight!), "\(c)")
                #expect(c.unit == calibration.unit)
            } else {
                #expect(c.pixelWidth == nil && c.pixelHeight == nil && c.unit == nil)
            }
            #expect(c.sliceSpacing == calibration.sliceSpacing && c.frameInterval == calibration.frameInterval)
            #expect(c.timeUnit == (calibration.timeUnit == "sec" ? nil : calibration.timeUnit))

            let labelsPath = directory.path("labels-" + name)
            try writeLabels(planes.map { LabelImage(width: $0.width, height: $0.height, labels: $0.pixels.map { UInt32($0) }) },
                            to: labelsPath, layout: layout, metadata: metadata.withoutDisplayRange)
            let labels = try ImageFile(path: labelsPath).metadata()
            #expect(labels.calibration == c && labels.channelName == metadata.channelName && labels.displayRange == nil)
        }
    }

    @Test("ImageJ's conventions in the written file: unit=micron, ResolutionUnit none, non-ASCII escaped")
    func writtenDescription() throws {
        let text = imageJDescription(nil, metadata: ImageMetadata(
            calibration: PhysicalCalibration(pixelWidth: 0.5, pixelHeight: 0.5, sliceSpacing: 1.25, unit: "µm", frameInterval: 60, timeUnit: "sec"),
            channelName: "µ=x\ny", displayRange: 0...255), annotations: [("nucleus_diameter_px", "11.7")])
        #expect(text.hasPrefix("ImageJ=1.11a\nimages=1\n"))
        for line in ["unit=micron", "spacing=1.25", "finterval=60.0", "min=0.0", "max=255.0", "channel_name=\\u00B5xy", "nucleus_diameter_px=11.7"] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "missing \(line) in \(text)")
        }
        #expect(!text.contains("tunit") && text.allSatisfy(\.isASCII))
        #expect(resolutionTags(PhysicalCalibration(pixelWidth: 0.25, unit: "µm"))! == (4, 4, 1))
        #expect(resolutionTags(PhysicalCalibration(pixelWidth: 0.5, pixelHeight: 0.25, unit: "cm"))! == (2, 4, 3))
        #expect(resolutionTags(PhysicalCalibration(frameInterval: 1)) == nil)
    }

    @Test("plain TIFFs: a unitless resolution is no calibration; inch and cm resolutions are")
    func plainResolution() {
        let none = FileMetadata.read(description: nil, page: ResolutionTags(x: 72, y: 72, unit: 1), sizeC: 1)
        #expect(none.calibration.isEmpty)
        let inch = FileMetadata.read(description: nil, page: ResolutionTags(x: 300, y: 150, unit: 2), sizeC: 1)
        #expect(Self.close(inch.calibration.pixelWidth, 1.0 / 300) && Self.close(inch.calibration.pixelHeight, 1.0 / 150))
        #expect(inch.calibration.unit == "inch")
        let zero = FileMetadata.read(description: "ImageJ=1.54f\nunit=\\u00B5m\n", page: ResolutionTags(x: 0, y: 0, unit: 1), sizeC: 1)
        #expect(zero.calibration.pixelWidth == nil && zero.calibration.unit == "µm")
    }

    @Test("OME units: Y and Z converted to X's unit; unknown units dropped; odd numbers ignored")
    func omeUnits() {
        let xml = """
        <OME><Image><Pixels SizeX="2" SizeY="2" SizeC="2" SizeZ="1" SizeT="1" PhysicalSizeX="650" PhysicalSizeXUnit="nm"
        PhysicalSizeY="0.65" PhysicalSizeYUnit="µm" PhysicalSizeZ="3" PhysicalSizeZUnit="parsec" TimeIncrement="nan">
        <Channel ID="Channel:0:0"/><Channel Name="b"/></Pixels></Image><Image><Pixels><Channel Name="other image"/></Pixels></Image></OME>
        """
        let metadata = FileMetadata.read(description: xml, page: ResolutionTags(x: 1, y: 1, unit: 1), sizeC: 2)
        #expect(metadata.calibration.pixelWidth == 650 && metadata.calibration.unit == "nm")
        #expect(Self.close(metadata.calibration.pixelHeight, 650))
        #expect(metadata.calibration.sliceSpacing == nil && metadata.calibration.frameInterval == nil)
        #expect(metadata.channelNames == [nil, "b"])
        #expect(StackMetadataParser.unescapeImageJ("\\u00B5m \\u12 \\") == "µm \\u12 \\")
        #expect(StackMetadataParser.unescapeXML("a&amp;b&#181;&#xB5;&bogus;&") == "a&bµµ&bogus;&")
        #expect(StackMetadataParser.parseNumber("1e-3") == 0.001 && StackMetadataParser.parseNumber("inf") == nil)
    }
}
