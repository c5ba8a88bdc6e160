import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically: `body` writes the complete content to a fresh temporary file in the
/// same directory as `path` (named `.<file name>.tmp-<pid>-<random>`), which is then flushed to disk
/// (fsync) and renamed over `path` with POSIX `rename`, and the directory is synced. Readers
/// therefore see either the old file or the complete new one, never a half-written file. If
/// `body` throws, or any step fails, the temporary file is removed and the error is thrown; `path`
/// is left untouched. (A process killed mid-write can leave the hidden temporary file behind,
/// but never a partial `path`.)
///
/// The temporary file exists (empty, created with mode 0666 minus the umask) when `body` runs;
/// `body` may truncate and rewrite it. Errors from the helper itself are `ImageIOError`s with kind
/// `.writeFailed` naming `path`.
///
/// - Parameters:
///   - path: the destination file.
///   - body: writes the content to the temporary path it is given.
public func writeFileAtomically(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
    let directory = directoryName(of: path)
    let name = fileName(of: path)
    guard !name.isEmpty, name != ".", name != ".." else {
        throw ImageIOError(path: path, kind: .writeFailed, reason: "not a file path")
    }
    var temporary = ""
    var descriptor: Int32 = -1
    for _ in 0..<16 {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        temporary = joinPath(directory, ".\(name).tmp-\(getpid())-\(suffix)")
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if descriptor >= 0 || errno != EEXIST { break }
    }
    guard descriptor >= 0 else {
        let message = String(cString: strerror(errno))
        throw ImageIOError(path: path, kind: .writeFailed,
                           reason: "cannot create a temporary file in \(directory): \(message)")
    }
    close(descriptor)
    var renamed = false
    defer { if !renamed { unlink(temporary) } }

    try body(temporary)

    let syncDescriptor = open(temporary, O_RDONLY | O_CLOEXEC)
    guard syncDescriptor >= 0 else {
        let message = String(cString: strerror(errno))
        throw ImageIOError(path: path, kind: .writeFailed, reason: "cannot reopen the temporary file: \(message)")
    }
    let syncResult = fsync(syncDescriptor)
    let syncErrno = errno
    close(syncDescriptor)
    guard syncResult == 0 else {
        throw ImageIOError(path: path, kind: .writeFailed,
                           reason: "cannot flush the temporary file to disk: \(String(cString: strerror(syncErrno)))")
    }
    guard rename(temporary, path) == 0 else {
        let message = String(cString: strerror(errno))
        throw ImageIOError(path: path, kind: .writeFailed,
                           reason: "cannot rename the temporary file into place: \(message)")
    }
    renamed = true
    let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
        _ = fsync(directoryDescriptor)  // best effort: some file systems refuse fsync on directories
        close(directoryDescriptor)
    }
}

/// Writes `bytes` to `path` atomically (see `writeFileAtomically(to:_:)`): a temporary file in the
/// same directory, fsync, then rename into place. Works with `[UInt8]`, `Data` and
/// `UnsafeRawBufferPointer` (e.g. `floats.withUnsafeBytes { try writeFileAtomically($0, to: path) }`).
public func writeFileAtomically(_ bytes: some ContiguousBytes, to path: String) throws {
    try writeFileAtomically(to: path) { temporary in
        let descriptor = open(temporary, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ImageIOError(path: path, kind: .writeFailed,
                               reason: "cannot open the temporary file: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        try bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ImageIOError(path: path, kind: .writeFailed,
                                       reason: "write failed: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }
}

/// The directory part of `path` ("." when there is none).
func directoryName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let directory = String(path[..<slash])
    return directory.isEmpty ? "/" : directory
}

/// The last component of `path`.
func fileName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
