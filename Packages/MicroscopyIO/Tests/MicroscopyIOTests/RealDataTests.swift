import Foundation
import Testing
@testable import MicroscopyIO

/// The real OME-TIFF of the shared data set: 4 channels x 10 frames, 576 x 210, deflate, uint16,
/// DimensionOrder XYTCZ (channel 0 frames 0...9, then channel 1 ...). Channel 0 is Hoechst
/// nuclei, channel 2 the nuclei instance labels.
@Suite("Real OME-TIFF (shared/data/real/scratch_assay)")
struct RealDataTests {
    static var realPath: String {
        TestPaths.repositoryRoot.appendingPathComponent(FixtureManifest.shared.real.relativePath).standardizedFileURL.path
    }

    @Test("channels 0 and 2 of frames 0 and 9 have the documented shape, ranges and nucleus counts")
    func scratchAssay() throws {
        let path = Self.realPath
        // A missing file is a failure, not a skip.
        try #require(FileManager.default.fileExists(atPath: path),
                     "the real OME-TIFF is missing: looked for \(path) (repository root \(TestPaths.repositoryRoot.path) + ../shared/data/real/scratch_assay/)")
        let facts = FixtureManifest.shared.real
        let file = try ImageFile(path: path)
        #expect(file.format == .bigTIFF)  // tifffile: is_bigtiff == True
        #expect(file.pageCount == 40)
        #expect(file.dimensions == StackDimensions(width: 576, height: 210, sizeC: 4, sizeZ: 1, sizeT: 10, order: .xytcz, kind: .ome))
        #expect(facts.order == "XYTCZ" && facts.sizeC == 4 && facts.sizeT == 10 && facts.pageCount == 40)
        #expect(file.sampleType() == .uint16)
        // XYTCZ: channel 1, frame 0 is page 10.
        #expect(try file.pageIndex(channel: 1, t: 0) == 10)
        #expect(try file.pageIndex(channel: 2, t: 9) == 29)

        for t in [0, 9] {
            let frame = try #require(facts.frames.first { $0.t == t })
            let hoechst = try file.plane(channel: 0, t: t)
            #expect(hoechst.width == 576 && hoechst.height == 210)
            #expect(hoechst.sampleType == .uint16)
            let minimum = try #require(hoechst.pixels.min())
            let maximum = try #require(hoechst.pixels.max())
            #expect(minimum < maximum, "Hoechst frame \(t) is constant")
            #expect(minimum >= 0 && maximum <= 65535)
            #expect(hoechst.pixels.allSatisfy { $0 == $0.rounded() })
            #expect(Int(minimum) == frame.hoechstMin && Int(maximum) == frame.hoechstMax)
            #expect(hoechst.pixels.reduce(0) { $0 + Int($1) } == frame.hoechstSum)

            let labels = try file.labels(channel: 2, t: t)
            #expect(labels.width == 576 && labels.height == 210)
            let distinct = Set(labels.labels.filter { $0 != 0 })
            #expect((59...83).contains(distinct.count), "frame \(t): \(distinct.count) nuclei")
            #expect(distinct.count == frame.labelCount)
            #expect(Int(labels.maximumLabel) == frame.labelMax)
        }
        #expect(try file.labels(channel: 2, t: 0).labels.filter { $0 != 0 }.count > 0)
        let error = expectImageIOError(path) { _ = try file.plane(channel: 4) }
        #expect(error?.reason.contains("0...3") == true)
        expectImageIOError(path) { _ = try file.plane(t: 10) }
        expectImageIOError(path) { _ = try file.plane(z: 1) }
    }
}
