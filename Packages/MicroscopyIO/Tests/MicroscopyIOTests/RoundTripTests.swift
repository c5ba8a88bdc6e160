import Foundation
import Testing
@testable import MicroscopyIO

@Suite("Round trips through the MicroscopyIO writers and readers")
struct RoundTripTests {
    @Test("TIFF single page at every sample type and compression",
          arguments: SampleType.allCases, TIFFCompression.allCases)
    func tiffSinglePage(type: SampleType, compression: TIFFCompression) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("single-\(type)-\(compression).tif")
        let plane = randomPlane(width: 67, height: 45, type: type, seed: 7)
        try writeTIFF(plane, to: path, compression: compression)
        let file = try ImageFile(path: path)
        #expect(file.format == .tiff)
        #expect(file.pageCount == 1)
        #expect(file.dimensions == StackDimensions(width: 67, height: 45, sizeC: 1, sizeZ: 1, sizeT: 1, order: .xyzct, kind: .plain))
        #expect(file.sampleType() == type)
        let read = try file.plane()
        #expect(read == plane)  // exact, element by element (and width, height, sample type)
        #expect(try readImage(path) == plane)
        #expect(try directory.contents() == [fileName(of: path)])  // no temporary file left
    }

    @Test("TIFF stacks (several strips per page) at every sample type and compression",
          arguments: SampleType.allCases, TIFFCompression.allCases)
    func tiffStack(type: SampleType, compression: TIFFCompression) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("stack.tif")
        // 300 x 500 x 4 bytes = 600 KB per float page: several 256 KiB strips per page.
        let planes = (0..<3).map { randomPlane(width: 300, height: 500, type: type, seed: UInt64(100 + $0)) }
        try writeTIFF(planes, to: path, sampleType: type, compression: compression)
        let file = try ImageFile(path: path)
        #expect(file.pageCount == 3)
        #expect(file.dimensions.sizeZ == 3 && file.dimensions.kind == .plain)
        for z in 0..<3 {
            #expect(try file.plane(z: z) == planes[z])
            #expect(try file.plane(page: z) == planes[z])
        }
        // Pages can be read in any order.
        #expect(try file.plane(z: 0) == planes[0])
    }

    @Test("ImageJ hyperstack written with a layout reads back by channel, z and t")
    func hyperstack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("hyper.tif")
        let layout = HyperstackLayout(channels: 2, slices: 3, frames: 4)
        var planes: [ImagePlane] = []
        for t in 0..<4 {
            for z in 0..<3 {
                for c in 0..<2 {
                    planes.append(ImagePlane(width: 5, height: 4, repeating: Float(c * 100 + z * 10 + t), sampleType: .uint16))
                }
            }
        }
        try writeTIFF(planes, to: path, compression: .deflate, layout: layout)
        let file = try ImageFile(path: path)
        #expect(file.dimensions == StackDimensions(width: 5, height: 4, sizeC: 2, sizeZ: 3, sizeT: 4, order: .xyczt, kind: .imageJ))
        for t in 0..<4 {
            for z in 0..<3 {
                for c in 0..<2 {
                    #expect(try file.plane(channel: c, z: z, t: t).pixels.allSatisfy { $0 == Float(c * 100 + z * 10 + t) })
                }
            }
        }
        let error = expectImageIOError(path) { _ = try file.plane(channel: 2) }
        #expect(error?.kind == .indexOutOfRange)
        #expect(error?.reason.contains("0...1") == true)
        expectImageIOError(path) { _ = try file.plane(t: 4) }
        expectImageIOError(path) { _ = try file.plane(z: -1) }
        expectImageIOError(path) { _ = try file.plane(page: 24) }
    }

    @Test("labels round trip losslessly through TIFF (uint16 and uint32, labels above 2^24)",
          arguments: [LabelSampleType.uint16, .uint32], TIFFCompression.allCases)
    func labelsTIFF(type: LabelSampleType, compression: TIFFCompression) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("labels.tif")
        var generator = SeededGenerator(seed: 99)
        let maximum = type == .uint16 ? UInt32(UInt16.max) : UInt32.max
        let images = (0..<2).map { _ in
            var image = LabelImage(width: 31, height: 23)
            for i in image.labels.indices { image.labels[i] = UInt32.random(in: 0...maximum, using: &generator) }
            return image
        }
        var stack = images
        if type == .uint32 {
            stack[0].labels[0] = 16_777_217       // 2^24 + 1: not representable in Float
            stack[0].labels[1] = 4_294_967_295
            stack[1].labels[5] = 16_777_219
        } else {
            stack[0].labels[0] = 65535
        }
        try writeLabels(stack, to: path, sampleType: type, compression: compression)
        let file = try ImageFile(path: path)
        #expect(file.pageCount == 2)
        #expect(try file.labels(z: 0) == stack[0])
        #expect(try file.labels(z: 1) == stack[1])
        #expect(try readLabels(path) == stack[0])
        if type == .uint32 {
            #expect(try file.labels().labels[0] == 16_777_217)
            // A uint32 page is not an intensity image.
            let error = expectImageIOError(path) { _ = try file.plane() }
            #expect(error?.kind == .unsupportedFormat)
        }
    }

    @Test("writeLabels picks uint16 or uint32 automatically and refuses labels that do not fit")
    func labelTypes() throws {
        let directory = try TemporaryDirectory()
        var image = LabelImage(width: 4, height: 3)
        image[1, 2] = 65535
        try writeLabels(image, to: directory.path("small.tif"))
        #expect(try ImageFile(path: directory.path("small.tif")).labels() == image)
        image[2, 3] = 70000
        try writeLabels(image, to: directory.path("large.tif"), compression: .lzw)
        #expect(try ImageFile(path: directory.path("large.tif")).labels() == image)
        let error = expectImageIOError(directory.path("bad.tif")) {
            try writeLabels(image, to: directory.path("bad.tif"), sampleType: .uint16)
        }
        #expect(error?.kind == .invalidArgument)
        #expect(!FileManager.default.fileExists(atPath: directory.path("bad.tif")))
        #expect(try directory.contents() == ["large.tif", "small.tif"])
    }

    @Test("PNG 8- and 16-bit gray round trips", arguments: [PNGSampleType.uint8, .uint16])
    func png(type: PNGSampleType) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("gray.png")
        let plane = randomPlane(width: 53, height: 41, type: type == .uint8 ? .uint8 : .uint16, seed: 3)
        try writePNG(plane, to: path)
        let file = try ImageFile(path: path)
        #expect(file.format == .png)
        #expect(file.pageCount == 1)
        #expect(file.dimensions.width == 53 && file.dimensions.height == 41)
        #expect(try file.plane() == plane)
        #expect(try readImage(path) == plane)
        // Labels from a gray PNG are the stored values.
        #expect(try readLabels(path).labels == plane.pixels.map { UInt32($0) })
        try writePNG(plane, to: directory.path("explicit.png"), sampleType: type)
        #expect(try readImage(directory.path("explicit.png")) == plane)
    }

    @Test("label PNGs round trip (8- and 16-bit)")
    func labelsPNG() throws {
        let directory = try TemporaryDirectory()
        var image = LabelImage(width: 9, height: 7)
        image[3, 4] = 200
        try writeLabelsPNG(image, to: directory.path("l8.png"))
        #expect(try readLabels(directory.path("l8.png")) == image)
        image[0, 0] = 65535
        try writeLabelsPNG(image, to: directory.path("l16.png"))
        #expect(try readLabels(directory.path("l16.png")) == image)
        image[0, 1] = 65536
        let error = expectImageIOError(directory.path("l32.png")) { try writeLabelsPNG(image, to: directory.path("l32.png")) }
        #expect(error?.kind == .invalidArgument)
    }

    @Test("writing converts Float to integers by rounding and clamping; NaN becomes 0")
    func conversion() throws {
        let directory = try TemporaryDirectory()
        let plane = ImagePlane(width: 8, height: 1, pixels: [-3, 0.49, 0.5, 1.5, 254.5, 300, .nan, .infinity])
        try writeTIFF(plane, to: directory.path("u8.tif"), sampleType: .uint8)
        #expect(try readImage(directory.path("u8.tif")).pixels == [0, 0, 1, 2, 255, 255, 0, 255])
        try writePNG(plane, to: directory.path("u16.png"), sampleType: .uint16)
        #expect(try readImage(directory.path("u16.png")).pixels == [0, 0, 1, 2, 255, 300, 0, 65535])
        let floatError = expectImageIOError(directory.path("f.png")) { try writePNG(plane, to: directory.path("f.png")) }
        #expect(floatError?.kind == .invalidArgument)
    }

    @Test("writers reject empty, mismatched and inconsistent input with errors naming the file")
    func invalidInput() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("out.tif")
        #expect(expectImageIOError(path) { try writeTIFF([], to: path) }?.kind == .invalidArgument)
        #expect(expectImageIOError(path) { try writeTIFF(ImagePlane(width: 0, height: 3, pixels: []), to: path) }?.kind == .invalidArgument)
        let a = ImagePlane(width: 2, height: 2, repeating: 1)
        let b = ImagePlane(width: 3, height: 2, repeating: 1)
        #expect(expectImageIOError(path) { try writeTIFF([a, b], to: path) }?.kind == .invalidArgument)
        var c = a
        c.pixels.append(5)
        #expect(expectImageIOError(path) { try writeTIFF(c, to: path) }?.kind == .invalidArgument)
        #expect(expectImageIOError(path) {
            try writeTIFF([a, a], to: path, layout: HyperstackLayout(channels: 3))
        }?.kind == .invalidArgument)
        let missingDirectory = directory.path("no/such/dir/out.tif")
        #expect(expectImageIOError(missingDirectory) { try writeTIFF(a, to: missingDirectory) }?.kind == .writeFailed)
        #expect(try directory.contents().isEmpty)
    }

    @Test("overwriting replaces the file atomically")
    func overwrite() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("x.tif")
        try writeTIFF(ImagePlane(width: 3, height: 3, repeating: 1, sampleType: .uint8), to: path)
        try writeTIFF(ImagePlane(width: 4, height: 2, repeating: 2, sampleType: .uint16), to: path, compression: .lzw)
        let plane = try readImage(path)
        #expect(plane.width == 4 && plane.height == 2 && plane.sampleType == .uint16 && plane.pixels == Array(repeating: 2, count: 8))
        #expect(try directory.contents() == ["x.tif"])
    }
}
