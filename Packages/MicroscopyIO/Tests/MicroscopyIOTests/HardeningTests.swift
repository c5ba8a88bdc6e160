import Foundation
import Testing
@testable import MicroscopyIO

/// Issue 12: headers are checked against the file size before any pixel buffer is made, and written
/// TIFFs use predictors every common reader decodes.
@Suite("Allocation before validation, portable predictors")
struct HardeningTests {
    /// The value of `tag` in the first directory of a classic little-endian TIFF (SHORT or LONG), or nil.
    static func firstDirectoryTag(_ bytes: [UInt8], _ tag: UInt16) -> UInt32? {
        func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 }
        guard bytes.count >= 8, bytes[0] == 0x49, bytes[2] == 42 else { return nil }
        let ifd = Int(u32(4))
        for i in 0..<Int(u16(ifd)) {
            let entry = ifd + 2 + 12 * i
            guard u16(entry) == tag else { continue }
            return u16(entry + 2) == 3 ? UInt32(u16(entry + 8)) : u32(entry + 8)
        }
        return nil
    }

    @Test("float32 is written without a predictor; integers use predictor 2 with LZW only",
          arguments: [(SampleType.float32, TIFFCompression.deflate, UInt32(1)), (.float32, .lzw, 1),
                      (.uint16, .deflate, 1), (.uint16, .lzw, 2), (.uint8, .deflate, 1), (.uint8, .lzw, 2),
                      (.float32, .none, 1)])
    func predictorTag(type: SampleType, compression: TIFFCompression, predictor: UInt32) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("p.tif")
        let pixels = (0..<(37 * 29)).map { Float(($0 * 7919) % 251) + (type == .float32 ? 0.25 : 0) }
        let plane = ImagePlane(width: 37, height: 29, pixels: pixels, sampleType: type)
        try writeTIFF(plane, to: path, compression: compression)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Absent means 1 (no predictor).
        #expect((Self.firstDirectoryTag(bytes, 317) ?? 1) == predictor)
        #expect(try readImage(path).pixels == pixels)
    }

    @Test("a header claiming 32768² float32 pixels in a tiny file fails before allocating, naming the claim")
    func claimedSizeCheckedAgainstFileSize() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("big.tif")
        let bytes = CorruptFileTests.craftTIFF([
            (256, 4, 32768), (257, 4, 32768), (258, 3, 32), (259, 3, 8), (262, 3, 1),
            (273, 4, 8 + 2 + 10 * 12 + 4), (277, 3, 1), (278, 4, 32768), (279, 4, 16), (339, 3, 3),
        ], data: [UInt8](repeating: 7, count: 16))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = expectImageIOError(path) { _ = try readImage(path) }
        #expect(error?.kind == .truncated, "\(String(describing: error))")
        #expect(error?.reason.contains("claims 32768 x 32768 pixels, 4294967296 bytes decoded") == true,
                "\(String(describing: error))")
        #expect(error?.description.hasPrefix(path + ": ") == true)
        #expect(!(error?.description.contains("\n") ?? true))
        // The same claim as uint32 labels.
        let labelsPath = directory.path("big-labels.tif")
        try Data(CorruptFileTests.craftTIFF([
            (256, 4, 32768), (257, 4, 32768), (258, 3, 32), (259, 3, 8), (262, 3, 1),
            (273, 4, 8 + 2 + 10 * 12 + 4), (277, 3, 1), (278, 4, 32768), (279, 4, 16), (339, 3, 1),
        ], data: [UInt8](repeating: 7, count: 16))).write(to: URL(fileURLWithPath: labelsPath))
        let labels = expectImageIOError(labelsPath) { _ = try readLabels(labelsPath) }
        #expect(labels?.reason.contains("claims 32768 x 32768 pixels") == true, "\(String(describing: labels))")
    }

    @Test("a PNG header claiming more pixels than its file can decode to fails before allocating")
    func pngClaimCheckedAgainstFileSize() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("big.png")
        // Signature and IHDR, then an IDAT chunk (libpng reads the header up to the first IDAT), then IEND.
        var bytes = CorruptFileTests.pngWithHeader(width: 30_000, height: 30_000)
        let idat: [UInt8] = Array("IDAT".utf8) + [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        let crc = CorruptFileTests.crc32(idat)
        let chunk: [UInt8] = [0, 0, 0, 8] + idat + [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        bytes.insert(contentsOf: chunk, at: bytes.count - 12)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = expectImageIOError(path) { _ = try readImage(path) }
        #expect(error?.kind == .truncated, "\(String(describing: error))")
        #expect(error?.reason.contains("claims 30000 x 30000 pixels") == true, "\(String(describing: error))")
    }

    @Test("expansion bounds: uncompressed 1:1, every codec finite")
    func expansionBounds() {
        #expect(ImageLimits.maximumExpansion(tiffCompression: 1) == 1)
        #expect(ImageLimits.maximumExpansion(tiffCompression: 8) >= 1032)
        #expect(ImageLimits.maximumExpansion(tiffCompression: 5) >= 2600)
        #expect(ImageLimits.maximumExpansion(tiffCompression: 12345) == 4096)
        #expect(ImageLimits.maximumPNGPixels(fileSize: .max) == .max)
    }
}
