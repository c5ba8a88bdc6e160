import Foundation
import Testing

/// Runs the built command-line tools as a user would, capturing stdout, stderr and the exit status.
///
/// The tools are looked up, in order, in `$SN_TOOLS_DIR`, beside the running test executable
/// (SwiftPM puts test bundles and executables in the same products folder), and in the
/// repository's `.build/release` and `.build/debug`.
enum ToolRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Non-empty stdout lines.
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The repository root (two levels above this file's folder).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/` beside the repository root.
    static let sharedFolder: URL = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")

    static func toolURL(_ name: String) throws -> URL {
        var candidates: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["SN_TOOLS_DIR"] {
            candidates.append(URL(fileURLWithPath: dir))
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // On Darwin the runner sits inside NAME.xctest/Contents/MacOS; walk up to the products folder.
        for _ in 0..<4 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(repositoryRoot.appendingPathComponent(".build/release"))
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug"))
        for c in candidates {
            let url = c.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw ToolMissing(name: name, looked: candidates.map(\.path))
    }

    struct ToolMissing: Error, CustomStringConvertible {
        var name: String
        var looked: [String]
        var description: String { "tool \(name) was not built; looked in: \(looked.joined(separator: ", "))" }
    }

    /// Runs `tool` with `arguments`, feeding `stdin` (or an empty stdin), in `directory`, with `environment`
    /// added to the test process's environment.
    static func run(_ tool: String, _ arguments: [String], stdin: String = "", in directory: URL? = nil,
                    environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = try toolURL(tool)
        process.arguments = arguments
        if let d = directory { process.currentDirectoryURL = d }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        return try collect(process, stdin: stdin)
    }

    /// Runs `command` with `bash -c`, the built tools' folder first on `PATH`: a real Unix pipeline,
    /// whose stages start together and stream into each other.
    static func shell(_ command: String) throws -> Result {
        let toolsFolder = try toolURL("sn-convert").deletingLastPathComponent().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = toolsFolder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        return try collect(process, stdin: nil)
    }

    /// Starts `process`, feeds it `stdin` (nil: /dev/null) and drains stdout and stderr concurrently, so that
    /// no pipe fills up and blocks; returns when it has exited.
    private static func collect(_ process: Process, stdin: String?) throws -> Result {
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        let group = DispatchGroup()
        let out = Collected(), err = Collected()
        DispatchQueue.global().async(group: group) { out.data = outPipe.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { err.data = errPipe.fileHandleForReading.readDataToEndOfFile() }
        if let stdin {
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: out.data, as: UTF8.self),
                      stderr: String(decoding: err.data, as: UTF8.self))
    }

    /// Bytes read by one background reader; `DispatchGroup.wait()` orders the write before the read.
    private final class Collected: @unchecked Sendable { var data = Data() }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sn-e2e-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
