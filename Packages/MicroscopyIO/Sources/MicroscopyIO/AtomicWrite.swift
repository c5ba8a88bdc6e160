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
/// but never a partial `path`; ``removeStaleTemporaryFiles(in:)`` removes such leftovers.) Error reasons
/// carry the operating system's (`write failed: No space left on device`).
///
/// The temporary file exists (empty, created with mode 0666 minus the umask) when `body` runs;
/// `body` may truncate and rewrite it. Errors from the helper itself are `ImageIOError`s with kind
/// `.writeFailed` naming `path`.
///
/// - Parameters:
///   - path: the destination file.
///   - body: writes the content to the temporary path it is given.
public func writeFileAtomically(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
    try writeFilesAtomically(to: [path]) { try body($0[0]) }
}

/// Writes several files all or nothing, e.g. an image and its mask: `body` writes each file's complete
/// content to its fresh temporary path (same naming as ``writeFileAtomically(to:_:)``); every temporary
/// file is flushed to disk first, and only then are they renamed into place in order. If `body` throws
/// (a full disk, say) or a flush fails, no destination is touched; if a rename fails, the destinations
/// already renamed are removed again, so a reader never finds one file without the others. An
/// `ImageIOError` thrown by `body` about a temporary path is rethrown naming the destination.
///
/// - Parameters:
///   - paths: the destination files (distinct).
///   - body: writes the contents to the temporary paths it is given (same order as `paths`).
public func writeFilesAtomically(to paths: [String], _ body: (_ temporaryPaths: [String]) throws -> Void) throws {
    var temporaries: [String] = []
    var renamed = 0
    defer { for t in temporaries[renamed...] { unlink(t) } }
    for path in paths { temporaries.append(try createTemporaryFile(for: path)) }
    do {
        try body(temporaries)
    } catch let error as ImageIOError {
        guard let i = temporaries.firstIndex(of: error.path) else { throw error }
        throw ImageIOError(path: paths[i], kind: error.kind, reason: error.reason)
    }
    for (path, temporary) in zip(paths, temporaries) { try flushToDisk(temporary, for: path) }
    for (path, temporary) in zip(paths, temporaries) {
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            for done in paths[..<renamed] { unlink(done) }
            throw ImageIOError(path: path, kind: .writeFailed,
                               reason: "cannot rename the temporary file into place: \(message)")
        }
        renamed += 1
    }
    for directory in Set(paths.map(directoryName(of:))) {
        let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)  // best effort: some file systems refuse fsync on directories
            close(directoryDescriptor)
        }
    }
}

/// Creates the empty temporary sibling `.<name>.tmp-<pid>-<random>` of `path` and returns its path.
private func createTemporaryFile(for path: String) throws -> String {
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
    return temporary
}

/// `fsync` of `temporary` (errors name `path`).
private func flushToDisk(_ temporary: String, for path: String) throws {
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

/// Removes the temporary files that interrupted atomic writes left in `directory` and returns their
/// paths: files named `.<name>.tmp-<pid>-<suffix>` (this package's ``writeFileAtomically(to:_:)`` and NN's
/// checkpoint writer use that pattern) whose process `<pid>` no longer runs, and, from older versions,
/// `<name>.tmp-<pid>-<suffix>` likewise and Foundation's `.dat.nosync*` files untouched for a minute. A
/// missing or unreadable directory removes nothing. Call it where a program owns the folder, e.g. when a
/// training run starts.
@discardableResult
public func removeStaleTemporaryFiles(in directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        names.append(name)
    }
    closedir(dir)
    var removed: [String] = []
    for name in names {
        let path = joinPath(directory, name)
        var stale = false
        if let pid = temporaryFileOwner(name) {
            stale = pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
        } else if name.hasPrefix(".dat.nosync") {
            var status = stat()
            stale = stat(path, &status) == 0 && time(nil) - status.st_mtim.tv_sec > 60
        }
        if stale, unlink(path) == 0 { removed.append(path) }
    }
    return removed
}

/// The process id in a temporary file name `[.]<name>.tmp-<pid>-<suffix>`, or nil for other names.
func temporaryFileOwner(_ name: String) -> pid_t? {
    guard let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
    let rest = name[marker.upperBound...]
    guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0,
          !rest[rest.index(after: dash)...].isEmpty else { return nil }
    return pid
}
