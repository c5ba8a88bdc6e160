import Foundation
import Testing
@testable import MicroscopyIO

/// Locations and helpers shared by the MicroscopyIO tests.
enum TestPaths {
    /// Packages/MicroscopyIO/Tests/MicroscopyIOTests (found from this file's path, so no bundle resources are needed).
    static let testDirectory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    /// Packages/MicroscopyIO/Tests/MicroscopyIOTests/Fixtures.
    static let fixtures: URL = testDirectory.appendingPathComponent("Fixtures")
    /// The repository root: the nearest ancestor of this file holding both Package.swift and Packages/.
    static let repositoryRoot: URL = {
        var directory = testDirectory
        while directory.path != "/" {
            let manifest = directory.appendingPathComponent("Package.swift").path
            let packages = directory.appendingPathComponent("Packages").path
            if FileManager.default.fileExists(atPath: manifest), FileManager.default.fileExists(atPath: packages) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        // Packages/MicroscopyIO/Tests/MicroscopyIOTests/<file>: four levels up.
        return testDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }()

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
}

/// A fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("microscopyio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Names of the entries in the directory (hidden ones included).
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// The manifest written by Fixtures/make_fixtures.py.
struct FixtureManifest: Decodable {
    struct Fixture: Decodable {
        var file: String
        var reader: String
        var width: Int
        var height: Int
        var sizeC: Int
        var sizeZ: Int
        var sizeT: Int
        var kind: String
        var order: String
        var pageCount: Int
        var sampleType: String
        var expected: String
        var dtype: String
        var tolerance: Double
    }

    struct Unsupported: Decodable {
        var file: String
        var reader: String
    }

    struct RealFrame: Decodable {
        var t: Int
        var hoechstMin: Int
        var hoechstMax: Int
        var hoechstSum: Int
        var labelCount: Int
        var labelMax: Int
    }

    struct Real: Decodable {
        var relativePath: String
        var pageCount: Int
        var width: Int
        var height: Int
        var sizeC: Int
        var sizeT: Int
        var order: String
        var frames: [RealFrame]
    }

    var fixtures: [Fixture]
    var unsupported: [Unsupported]
    var real: Real

    static let shared: FixtureManifest = {
        let url = TestPaths.fixtures.appendingPathComponent("expected.json")
        guard let data = try? Data(contentsOf: url),
              let manifest = try? JSONDecoder().decode(FixtureManifest.self, from: data) else {
            fatalError("cannot read the fixture manifest \(url.path); run Fixtures/make_fixtures.py")
        }
        return manifest
    }()

    /// The expected values of `fixture` as Double (all planes, (t, z, c) loop order, row-major).
    static func expectedValues(_ fixture: Fixture) throws -> [Double] {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent(fixture.expected))
        let bytes = [UInt8](data)
        func word(_ offset: Int, _ size: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in 0..<size { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            return value
        }
        switch fixture.dtype {
        case "u1": return bytes.map { Double($0) }
        case "u2": return stride(from: 0, to: bytes.count, by: 2).map { Double(word($0, 2)) }
        case "u4": return stride(from: 0, to: bytes.count, by: 4).map { Double(word($0, 4)) }
        case "f4": return stride(from: 0, to: bytes.count, by: 4).map { Double(Float(bitPattern: UInt32(word($0, 4)))) }
        default: throw ImageIOError(path: fixture.expected, kind: .invalidArgument, reason: "unknown dtype \(fixture.dtype)")
        }
    }
}

/// Deterministic pseudo-random numbers (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs `body`, requires it to throw an `ImageIOError`, and checks that the one-line message names
/// the file. Returns the error for further checks.
@discardableResult
func expectImageIOError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) -> ImageIOError? {
    do {
        try body()
        Issue.record("expected an error for \(path), but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as ImageIOError {
        let name = (path as NSString).lastPathComponent
        #expect(error.description.contains(name), "message does not name the file: \(error)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "message is not one line: \(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(path), "message does not start with the path: \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected an ImageIOError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

func randomPlane(width: Int, height: Int, type: SampleType, seed: UInt64) -> ImagePlane {
    var generator = SeededGenerator(seed: seed)
    let pixels: [Float] = (0..<(width * height)).map { index in
        switch type {
        case .uint8: return Float(UInt8.random(in: 0...255, using: &generator))
        case .uint16:
            // a smooth ramp plus noise, including the extremes
            if index == 0 { return 0 }
            if index == 1 { return 65535 }
            return Float(UInt16.random(in: 0...65535, using: &generator))
        case .float32: return Float.random(in: -1000...1000, using: &generator) * Float.random(in: 0...1, using: &generator)
        }
    }
    return ImagePlane(width: width, height: height, pixels: pixels, sampleType: type)
}
