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

    @Test("several files: both or neither (a failing body, a failing rename)")
    func allOrNothing() throws {
        struct Boom: Error {}
        let directory = try TemporaryDirectory()
        let image = directory.path("a.tif"), mask = directory.path("mask.tif")
        #expect(throws: Boom.self) {
            try writeFilesAtomically(to: [image, mask]) { t in
                try Data("image".utf8).write(to: URL(fileURLWithPath: t[0]))
                throw Boom()   // e.g. the disk filled up while writing the mask
            }
        }
        #expect(try directory.contents() == [])
        // The mask's rename fails (its path is a non-empty folder): the image already renamed is removed.
        try FileManager.default.createDirectory(atPath: mask + "/x", withIntermediateDirectories: true)
        let error = expectImageIOError(mask) {
            try writeFilesAtomically(to: [image, mask]) { t in
                for p in t { try Data("data".utf8).write(to: URL(fileURLWithPath: p)) }
            }
        }
        #expect(error?.kind == .writeFailed && error?.reason.contains("rename") == true, "\(String(describing: error))")
        #expect(try directory.contents() == ["mask.tif"])
        // An ImageIOError about a temporary path names the destination.
        let named = expectImageIOError(image) {
            try writeFilesAtomically(to: [image]) { t in throw ImageIOError(path: t[0], kind: .writeFailed, reason: "disk full") }
        }
        #expect(named?.path == image)
    }

    @Test("stale temporary files of dead processes are removed; live ones and other files stay")
    func staleTemporaryFiles() throws {
        let directory = try TemporaryDirectory()
        let dead = Int32.max - 1   // above any pid_max: no such process
        let names = [".last.safetensors.tmp-\(dead)-abc", "last.safetensors.tmp-\(dead)-1", ".x.tif.tmp-\(getpid())-q",
                     ".dat.nosyncab12.xyz", "keep.tif", ".hidden", "a.tmp-12"]
        for n in names { try Data("x".utf8).write(to: URL(fileURLWithPath: directory.path(n))) }
        let old = Date(timeIntervalSinceNow: -3600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: directory.path(".dat.nosyncab12.xyz"))
        let removed = removeStaleTemporaryFiles(in: directory.path("")).map { fileName(of: $0) }.sorted()
        #expect(removed == [".dat.nosyncab12.xyz", ".last.safetensors.tmp-\(dead)-abc", "last.safetensors.tmp-\(dead)-1"])
        #expect(try directory.contents() == [".hidden", ".x.tif.tmp-\(getpid())-q", "a.tmp-12", "keep.tif"])
        #expect(removeStaleTemporaryFiles(in: directory.path("missing")).isEmpty)
    }
}
