import Foundation
import Testing
@testable import MicroscopyIO

/// Bad input: every case must throw an `ImageIOError` whose one-line message starts with the
/// path (and so names the file); nothing may crash.
@Suite("Corrupt, truncated and non-image files")
struct CorruptFileTests {
    /// Opens and reads every page as intensities and as labels; returns the first error.
    @discardableResult
    static func readEverything(_ path: String) throws -> Int {
        let file = try ImageFile(path: path)
        var read = 0
        for page in 0..<file.pageCount {
            do {
                _ = try file.plane(page: page)
                read += 1
            } catch let error as ImageIOError where error.kind == .unsupportedFormat {
                _ = try file.labels(page: page)
                read += 1
            }
        }
        return read
    }

    static func truncate(_ source: String, to length: Int, in directory: TemporaryDirectory, name: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        let path = directory.path(name)
        try data.prefix(length).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func cutPoints(size: Int) -> [Int] {
        Array(Set([1, 2, 3, 4, 6, 7, 8, 9, 12, 15, 20, 40, 100, size / 3, size / 2, (2 * size) / 3, size - 100, size - 10, size - 2, size - 1]
            .filter { $0 > 0 && $0 < size })).sorted()
    }

    @Test("truncated TIFFs from tifffile (inside the header, the directory and the strip data)",
          arguments: ["deflate_uint16.tif", "lzw_float32.tif", "tiled_uint16.tif", "imagej_hyperstack_uint16.tif",
                      "ome_xyztc_float32.ome.tif", "bigtiff_float32.tif", "bigendian_uint16.tif"])
    func truncatedFixtures(_ name: String) throws {
        let directory = try TemporaryDirectory()
        let source = TestPaths.fixture(name)
        let size = try #require(FileManager.default.attributesOfItem(atPath: source)[.size] as? Int)
        for cut in Self.cutPoints(size: size) {
            let path = try Self.truncate(source, to: cut, in: directory, name: "cut-\(cut)-\(name)")
            let error = expectImageIOError(path) { try Self.readEverything(path) }
            #expect(error != nil, "cut at \(cut) of \(size)")
            if cut < 8 {
                #expect(error?.kind == .truncated, "cut at \(cut): \(String(describing: error))")
            }
        }
    }

    @Test("a cut inside the strip data of a single-page TIFF reports a truncated strip")
    func truncatedStrip() throws {
        let directory = try TemporaryDirectory()
        let source = TestPaths.fixture("deflate_uint16.tif")
        let size = try #require(FileManager.default.attributesOfItem(atPath: source)[.size] as? Int)
        let path = try Self.truncate(source, to: size - 10, in: directory, name: "cut.tif")
        let error = expectImageIOError(path) { _ = try readImage(path) }
        #expect(error?.kind == .truncated)
        #expect(error?.reason.contains("truncated file") == true)
        #expect(error?.reason.contains("strip 3 (of 4)") == true, "\(String(describing: error))")
    }

    @Test("truncated TIFFs written by MicroscopyIO (directory at the end, several strips and pages)")
    func truncatedOwnFiles() throws {
        let directory = try TemporaryDirectory()
        let source = directory.path("source.tif")
        let planes = (0..<3).map { randomPlane(width: 200, height: 700, type: .uint16, seed: UInt64($0)) }
        try writeTIFF(planes, to: source, compression: .none)
        let size = try #require(FileManager.default.attributesOfItem(atPath: source)[.size] as? Int)
        for cut in Self.cutPoints(size: size) + [size / 6, size / 5] {
            let path = try Self.truncate(source, to: cut, in: directory, name: "cut-\(cut).tif")
            let error = expectImageIOError(path) { try Self.readEverything(path) }
            #expect(error != nil, "cut at \(cut) of \(size)")
        }
        // libtiff writes each page's directory after its data: a cut in page 1's data loses its directory.
        let path = try Self.truncate(source, to: size / 2, in: directory, name: "half.tif")
        let error = expectImageIOError(path) { _ = try ImageFile(path: path) }
        #expect(error?.kind == .truncated, "\(String(describing: error))")
    }

    @Test("truncated PNGs (signature, header, image data, end chunk)",
          arguments: ["gray16.png", "rgba8.png", "palette4.png"])
    func truncatedPNG(_ name: String) throws {
        let directory = try TemporaryDirectory()
        let source = TestPaths.fixture(name)
        let size = try #require(FileManager.default.attributesOfItem(atPath: source)[.size] as? Int)
        for cut in Self.cutPoints(size: size) {
            let path = try Self.truncate(source, to: cut, in: directory, name: "cut-\(cut)-\(name)")
            let error = expectImageIOError(path) {
                let file = try ImageFile(path: path)
                _ = try file.plane()
            }
            #expect(error?.kind == .truncated, "cut at \(cut) of \(size): \(String(describing: error))")
        }
    }

    @Test("random bytes, text named .tif, an empty file, a missing file, a directory")
    func notImages() throws {
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 1234)
        let random = directory.path("random.tif")
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: random))
        #expect(expectImageIOError(random) { _ = try readImage(random) }?.kind == .notAnImage)

        let text = directory.path("notes.tif")
        try "This is not an image.\nJust text.\n".write(toFile: text, atomically: false, encoding: .utf8)
        let textError = expectImageIOError(text) { _ = try readImage(text) }
        #expect(textError?.kind == .notAnImage)
        #expect(textError?.reason.contains("not a TIFF or PNG") == true)

        let empty = directory.path("empty.png")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(expectImageIOError(empty) { _ = try readImage(empty) }?.kind == .notAnImage)

        let missing = directory.path("missing.tif")
        let missingError = expectImageIOError(missing) { _ = try readImage(missing) }
        #expect(missingError?.kind == .fileNotFound)
        #expect(missingError?.description == "\(missing): no such file")
        #expect(expectImageIOError(missing) { _ = try readLabels(missing) }?.kind == .fileNotFound)

        #expect(expectImageIOError(directory.url.path) { _ = try readImage(directory.url.path) }?.kind == .unreadable)
    }

    @Test("random bytes after a TIFF or PNG signature")
    func garbageAfterSignature() throws {
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 77)
        for (index, signature) in [[0x49, 0x49, 0x2A, 0x00], [0x4D, 0x4D, 0x00, 0x2A], [0x49, 0x49, 0x2B, 0x00],
                                   [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]].enumerated() {
            for length in [0, 4, 12, 300] {
                let path = directory.path("garbage-\(index)-\(length).img")
                let bytes = signature.map(UInt8.init) + (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                expectImageIOError(path) { try Self.readEverything(path) }
            }
        }
    }

    @Test("randomly damaged TIFFs and PNGs never crash",
          arguments: ["deflate_uint8.tif", "lzw_uint16.tif", "tiled_float32.tif", "imagej_hyperstack_uint16.tif",
                      "ome_xyztc_float32.ome.tif", "labels_uint32.tif", "gray16.png", "rgb8.png", "palette4.png"])
    func mutations(_ name: String) throws {
        let directory = try TemporaryDirectory()
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture(name))))
        var generator = SeededGenerator(seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        for variant in 0..<60 {
            var bytes = original
            let flips = Int.random(in: 1...6, using: &generator)
            for _ in 0..<flips {
                // Damage the header region more often: that is where sizes and offsets live.
                let limit = Bool.random(using: &generator) ? min(bytes.count, 256) : bytes.count
                bytes[Int.random(in: 0..<limit, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let path = directory.path("m\(variant)-\(name)")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                try Self.readEverything(path)
            } catch let error as ImageIOError {
                #expect(error.description.hasPrefix(path) && !error.description.contains("\n"), "\(error)")
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }

    // MARK: - Hand-made headers

    /// A little-endian classic TIFF with one directory of SHORT/LONG entries (sorted by tag).
    static func craftTIFF(_ entries: [(tag: UInt16, type: UInt16, value: UInt32)], data: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = [0x49, 0x49, 0x2A, 0x00]
        func u16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) { bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
        u32(8)
        u16(UInt16(entries.count))
        for entry in entries.sorted(by: { $0.tag < $1.tag }) {
            u16(entry.tag)
            u16(entry.type)
            u32(1)
            if entry.type == 3 { u16(UInt16(truncatingIfNeeded: entry.value)); u16(0) } else { u32(entry.value) }
        }
        u32(0)
        return bytes + data
    }

    static func stripTIFF(width: UInt32, height: UInt32, bits: UInt32 = 8, dataLength: Int = 16) -> [UInt8] {
        let dataOffset = UInt32(8 + 2 + 9 * 12 + 4)
        return craftTIFF([
            (256, 4, width), (257, 4, height), (258, 3, bits), (259, 3, 1), (262, 3, 1),
            (273, 4, dataOffset), (277, 3, 1), (278, 4, height), (279, 4, UInt32(dataLength)),
        ], data: [UInt8](repeating: 7, count: dataLength))
    }

    @Test("hand-made TIFF headers: valid, zero-sized, absurdly large, overflowing")
    func craftedTIFFs() throws {
        let directory = try TemporaryDirectory()
        let valid = directory.path("valid.tif")
        try Data(Self.stripTIFF(width: 4, height: 4)).write(to: URL(fileURLWithPath: valid))
        #expect(try readImage(valid).pixels == Array(repeating: 7, count: 16))

        for (name, width, height) in [("zero-width.tif", UInt32(0), UInt32(4)), ("zero-height.tif", 4, 0)] {
            let path = directory.path(name)
            try Data(Self.stripTIFF(width: width, height: height)).write(to: URL(fileURLWithPath: path))
            let error = expectImageIOError(path) { _ = try readImage(path) }
            #expect(error?.kind == .emptyImage, "\(String(describing: error))")
            #expect(error?.reason.contains("zero-sized image") == true)
        }
        for (name, width, height) in [("huge.tif", UInt32(100_000), UInt32(100_000)),
                                      ("overflow.tif", UInt32.max, UInt32.max)] {
            let path = directory.path(name)
            try Data(Self.stripTIFF(width: width, height: height)).write(to: URL(fileURLWithPath: path))
            let error = expectImageIOError(path) { _ = try readImage(path) }
            #expect(error?.kind == .tooLarge, "\(String(describing: error))")
            #expect(expectImageIOError(path) { _ = try readLabels(path) }?.kind == .tooLarge)
        }
        // Within the limit but far larger than the data: the strip check reports the truncation
        // before anything is decoded.
        let large = directory.path("large.tif")
        try Data(Self.stripTIFF(width: 30_000, height: 30_000)).write(to: URL(fileURLWithPath: large))
        #expect(expectImageIOError(large) { _ = try readImage(large) }?.kind == .truncated)
        // A strip that claims more bytes than the file has.
        let short = directory.path("short-strip.tif")
        try Data(Self.stripTIFF(width: 64, height: 64, dataLength: 64 * 64).dropLast(100)).write(to: URL(fileURLWithPath: short))
        let error = expectImageIOError(short) { _ = try readImage(short) }
        #expect(error?.kind == .truncated, "\(String(describing: error))")
    }

    /// CRC-32 (PNG's polynomial), for hand-made PNG chunks.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func pngWithHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let body: [UInt8] = Array("IHDR".utf8) + be32(width) + be32(height) + [8, 0, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + body + be32(crc32(body))
            + be32(0) + Array("IEND".utf8) + be32(crc32(Array("IEND".utf8)))
    }

    @Test("hand-made PNG headers: zero-sized and absurdly large")
    func craftedPNGs() throws {
        let directory = try TemporaryDirectory()
        for (name, width, height, kind) in [("zero.png", UInt32(0), UInt32(5), ImageIOError.Kind.emptyImage),
                                            ("huge.png", UInt32(2_000_000_000), UInt32(2_000_000_000), .tooLarge),
                                            ("nodata.png", UInt32(3), UInt32(3), .corrupt)] {
            let path = directory.path(name)
            try Data(Self.pngWithHeader(width: width, height: height)).write(to: URL(fileURLWithPath: path))
            let error = expectImageIOError(path) { _ = try readImage(path) }
            #expect(error?.kind == kind, "\(String(describing: error))")
        }
    }
}
