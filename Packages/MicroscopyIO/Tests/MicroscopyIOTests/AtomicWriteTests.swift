import Foundation
import Testing
@testable import MicroscopyIO

@Suite("writeFileAtomically")
struct AtomicWriteTests {
    @Test("bytes are written and no temporary file remains")
    func bytes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("checkpoint.bin")
        try writeFileAtomically([UInt8](1...200), to: path)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == [UInt8](1...200))
        let floats: [Float] = [1.5, -2, 3]
        try floats.withUnsafeBytes { try writeFileAtomically($0, to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 12)
        #expect(try directory.contents() == ["checkpoint.bin"])
    }

    @Test("a failing writer leaves the old file untouched and removes the temporary file")
    func failure() throws {
        struct Boom: Error {}
        let directory = try TemporaryDirectory()
        let path = directory.path("model.ckpt")
        try writeFileAtomically(Data("old".utf8), to: path)
        var temporaryPath = ""
        #expect(throws: Boom.self) {
            try writeFileAtomically(to: path) { temporary in
                temporaryPath = temporary
                try Data("half-written".utf8).write(to: URL(fileURLWithPath: temporary))
                throw Boom()
            }
        }
        #expect(directoryName(of: temporaryPath) == directory.url.path)
        #expect(fileName(of: temporaryPath).hasPrefix(".model.ckpt.tmp-"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try directory.contents() == ["model.ckpt"])
    }

    @Test("a missing directory or a directory path gives a one-line writeFailed error")
    func badDestination() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path("missing/file.bin")
        #expect(expectImageIOError(missing) { try writeFileAtomically([UInt8](), to: missing) }?.kind == .writeFailed)
        try FileManager.default.createDirectory(atPath: directory.path("sub"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: directory.path("sub/inner"), withIntermediateDirectories: false)
        let onDirectory = directory.path("sub")
        #expect(expectImageIOError(onDirectory) { try writeFileAtomically([UInt8](1...3), to: onDirectory) }?.kind == .writeFailed)
        #expect(try directory.contents() == ["sub"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("sub")) == ["inner"])
    }
}
