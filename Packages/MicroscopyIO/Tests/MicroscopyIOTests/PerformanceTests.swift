import Foundation
import Testing
@testable import MicroscopyIO

@Suite("Speed of whole-image I/O")
struct PerformanceTests {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Reading or writing a 2048 x 2048 16-bit image takes milliseconds (about 15-30 ms each in a
    /// release build). The bound is loose, so that a busy 2-core machine or a debug build cannot
    /// make the test flaky, but it catches per-pixel calls through libtiff or per-pixel allocation.
    @Test("2048 x 2048 uint16 uncompressed TIFF write and read")
    func largeImage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("large.tif")
        let size = 2048
        let pixels = (0..<(size * size)).map { Float(($0 &* 2_654_435_761) % 65536) }
        let plane = ImagePlane(width: size, height: size, pixels: pixels, sampleType: .uint16)
        let write = try Self.seconds { try writeTIFF(plane, to: path) }
        var read: ImagePlane?
        let readTime = try Self.seconds { read = try readImage(path) }
        #expect(read == plane)
        #expect(write < 2, "writing took \(write) s")
        #expect(readTime < 2, "reading took \(readTime) s")
    }
}
