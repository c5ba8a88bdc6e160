import Foundation
import Testing
@testable import MicroscopyIO

@Suite("OME-XML and ImageJ description parsing")
struct MetadataParserTests {
    @Test("the <Pixels> attributes are found with prefixes, either quote and odd spacing")
    func omeAttributes() {
        let xml = """
        <?xml version="1.0"?><ome:OME xmlns:ome="x"><ome:Image ID='Image:0'>
        <ome:Pixels  DimensionOrder = 'XYCZT' ID="Pixels:0" SizeC="3"
           SizeT='4' SizeX="10" SizeY="20" SizeZ="5" Type="uint16" ome:Extra="a>b"/></ome:Image></ome:OME>
        """
        #expect(StackMetadataParser.isOME(xml))
        let pixels = StackMetadataParser.omePixels(xml)
        #expect(pixels == OMEPixels(sizeX: 10, sizeY: 20, sizeC: 3, sizeZ: 5, sizeT: 4, dimensionOrder: "XYCZT", type: "uint16"))
    }

    @Test("odd input never traps", arguments: [
        "", "<", "<OME", "<OME><Pixels", "<OME><Pixels SizeC=", "<OME><Pixels SizeC=\"", "<OME><Pixels SizeC=\"3",
        "<OME><PixelsX SizeC=\"3\"/>", "<OME><Pixels SizeC=\"-1\" SizeZ=\"99999999999999999999\"/>",
        "<OME><Pixels SizeC=3 SizeZ=\"2\"/>", "<OME><Pixels =\"2\" SizeZ\"2\"/>", "\u{0}\u{FFFF}<OME ü=\"ä\"><Pixels SizeT=\"٣\"/>",
    ])
    func oddXML(_ text: String) {
        _ = StackMetadataParser.isOME(text)
        let pixels = StackMetadataParser.omePixels(text)
        if let pixels {
            #expect(pixels.sizeC == nil || pixels.sizeC! >= 0)
            #expect(pixels.sizeT == nil)
        }
    }

    @Test("ImageJ descriptions")
    func imageJ() {
        let text = "ImageJ=1.53t\nimages=24\nchannels=2\nslices=3\nframes=4\nhyperstack=true\nmode=composite\n"
        #expect(StackMetadataParser.imageJ(text) == ImageJDescription(images: 24, channels: 2, slices: 3, frames: 4))
        #expect(StackMetadataParser.imageJ("ImageJ=\r\nimages = 7 \r\nspacing=0.5\r\n") == ImageJDescription(images: 7, spacing: 0.5))
        #expect(StackMetadataParser.imageJ("{\"shape\": [2, 3]}") == nil)
        #expect(StackMetadataParser.imageJ("ImageJ=1\nchannels=x\nslices=-3\n") == ImageJDescription())
    }

    @Test("OME metadata that contradicts the pages is an error naming the file")
    func contradictions() throws {
        let directory = try TemporaryDirectory()
        // Write a 2-page stack whose (hand-written) ImageJ description claims 3 channels x 2 slices.
        let path = directory.path("lying.tif")
        try writeTIFF([ImagePlane(width: 2, height: 2, repeating: 1), ImagePlane(width: 2, height: 2, repeating: 2)],
                      to: path, sampleType: .uint8, layout: HyperstackLayout(channels: 2))
        #expect(try ImageFile(path: path).dimensions.sizeC == 2)
        // Patch "images=2\nchannels=2" into "images=6\nchannels=6" (same length) to make the metadata lie.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = Array("channels=2".utf8)
        let index = try #require((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        bytes[index + needle.count - 1] = UInt8(ascii: "6")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = expectImageIOError(path) { _ = try ImageFile(path: path) }
        #expect(error?.reason.contains("ImageJ metadata describes 6 planes") == true, "\(String(describing: error))")
    }
}
