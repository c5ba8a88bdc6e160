import Foundation
import Testing
@testable import MicroscopyIO

/// Files written by independent writers (tifffile, imagecodecs, Pillow; see Fixtures/make_fixtures.py)
/// compared element by element with the values the generator recorded.
@Suite("Fixtures from independent writers")
struct FixtureTests {
    static let fixtureNames = FixtureManifest.shared.fixtures.map { "\($0.file) [\($0.reader)]" }

    @Test("every fixture plane matches the generator's values", arguments: fixtureNames)
    func fixture(_ key: String) throws {
        let fixture = try #require(FixtureManifest.shared.fixtures.first { "\($0.file) [\($0.reader)]" == key })
        let path = TestPaths.fixture(fixture.file)
        let file = try ImageFile(path: path)
        #expect(file.pageCount == fixture.pageCount)
        let expectedKind: StackMetadataKind = fixture.kind == "ome" ? .ome : fixture.kind == "imageJ" ? .imageJ : .plain
        #expect(file.dimensions == StackDimensions(
            width: fixture.width, height: fixture.height, sizeC: fixture.sizeC, sizeZ: fixture.sizeZ,
            sizeT: fixture.sizeT, order: try #require(DimensionOrder(rawValue: fixture.order)), kind: expectedKind))
        let expected = try FixtureManifest.expectedValues(fixture)
        let planeSize = fixture.width * fixture.height
        #expect(expected.count == planeSize * fixture.sizeC * fixture.sizeZ * fixture.sizeT)

        for t in 0..<fixture.sizeT {
            for z in 0..<fixture.sizeZ {
                for c in 0..<fixture.sizeC {
                    let start = planeSize * (c + fixture.sizeC * (z + fixture.sizeZ * t))
                    let want = expected[start..<(start + planeSize)]
                    let got: [Double]
                    if fixture.reader == "labels" {
                        let labels = try file.labels(channel: c, z: z, t: t)
                        #expect(labels.width == fixture.width && labels.height == fixture.height)
                        got = labels.labels.map { Double($0) }
                    } else {
                        let plane = try file.plane(channel: c, z: z, t: t)
                        #expect(plane.width == fixture.width && plane.height == fixture.height)
                        #expect(plane.sampleType.rawValue == fixture.sampleType)
                        got = plane.pixels.map { Double($0) }
                    }
                    #expect(got.count == want.count)
                    var mismatches = 0
                    for (index, (a, b)) in zip(got, want).enumerated() {
                        // Integers and float32 samples must be exact; RGB->gray within the relative tolerance.
                        let ok = fixture.tolerance == 0 ? a == b : abs(a - b) <= fixture.tolerance * max(1, abs(b))
                        if !ok {
                            mismatches += 1
                            if mismatches <= 3 {
                                Issue.record("\(fixture.file) c=\(c) z=\(z) t=\(t) pixel \(index): got \(a), expected \(b)")
                            }
                        }
                    }
                    #expect(mismatches == 0, "\(fixture.file) c=\(c) z=\(z) t=\(t): \(mismatches) mismatching pixels")
                }
            }
        }
    }

    @Test("valid files in unsupported formats give a clear unsupportedFormat error",
          arguments: FixtureManifest.shared.unsupported.map { "\($0.file) [\($0.reader)]" })
    func unsupported(_ key: String) throws {
        let entry = try #require(FixtureManifest.shared.unsupported.first { "\($0.file) [\($0.reader)]" == key })
        let path = TestPaths.fixture(entry.file)
        let error = expectImageIOError(path) {
            let file = try ImageFile(path: path)
            if entry.reader == "labels" { _ = try file.labels() } else { _ = try file.plane() }
        }
        #expect(error?.kind == .unsupportedFormat, "\(String(describing: error))")
        #expect(error?.reason.contains("unsupported") == true)
    }

    @Test("the OME fixture follows DimensionOrder XYZTC")
    func omeOrder() throws {
        let file = try ImageFile(path: TestPaths.fixture("ome_xyztc_float32.ome.tif"))
        #expect(file.dimensions.order == .xyztc)
        // Z fastest, then T, then C.
        #expect(try file.pageIndex(channel: 0, z: 1, t: 0) == 1)
        #expect(try file.pageIndex(channel: 0, z: 0, t: 1) == 2)
        #expect(try file.pageIndex(channel: 1, z: 0, t: 0) == 4)
        #expect(try file.pageIndex(channel: 2, z: 1, t: 1) == 11)
    }

    @Test("a flat page list is available for any multi-page file")
    func pages() throws {
        let file = try ImageFile(path: TestPaths.fixture("imagej_hyperstack_uint16.tif"))
        #expect(file.pageCount == 12)
        // Page order is C fastest: page 1 is channel 1 of z 0, t 0.
        #expect(try file.plane(page: 1) == file.plane(channel: 1, z: 0, t: 0))
        #expect(try file.plane(page: 11) == file.plane(channel: 1, z: 2, t: 1))
    }
}
