#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The output folder given with `--out DIR`: outputs keep each input's file name.
public struct OutputDirectory {
    /// The folder, as given.
    public let path: String
    /// Output file names handed out so far, to refuse two inputs that would write the same file.
    private var claimed: [String: String] = [:]

    /// Opens (and, with its parents, creates) the output folder.
    /// - Throws: ``ToolError`` when it cannot be created or is not a folder.
    public init(_ path: String) throws {
        self.path = path
        try Self.makeDirectories(path)
    }

    /// The output path for `input`: `DIR/` + the input's file name, with its extension replaced
    /// by `newExtension` when given (e.g. `tif`). An OME-TIFF's `.ome` goes with the extension
    /// (`X.ome.tif` → `X.tif`): outputs are ImageJ TIFFs without OME-XML, and a `.ome.tif` name would
    /// make readers look for OME-XML, fail and warn.
    ///
    /// - Throws: ``ToolError`` when an earlier input already claimed that output name (two inputs
    ///   named alike in different folders), so that no output is silently overwritten.
    public mutating func destination(for input: String, newExtension: String? = nil) throws -> String {
        var name = PathName.fileName(input)
        if let ext = newExtension {
            var stem = PathName.stem(input)
            if stem.lowercased().hasSuffix(".ome") && stem.count > 4 { stem = String(stem.dropLast(4)) }
            name = stem + "." + ext
        }
        let out = PathName.join(path, name)
        if let earlier = claimed[out] {
            throw ToolError("\(input): output \(out) would overwrite the output of \(earlier)")
        }
        claimed[out] = input
        return out
    }

    /// Creates `path` and its missing parents, like `mkdir -p`.
    public static func makeDirectories(_ path: String) throws {
        guard !path.isEmpty else { throw ToolError("--out: empty folder name") }
        var current = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + part
            var st = stat()
            if stat(current, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR {
                    throw ToolError("\(current): exists and is not a folder")
                }
                continue
            }
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw ToolError("\(current): cannot create folder (\(String(cString: strerror(errno))))")
            }
        }
    }
}

extension CommandSpec {
    /// Opens (creating it if needed) the `--out` folder, or exits with a usage error (2) naming it.
    public func outputDirectoryOrExit(_ path: String) -> OutputDirectory {
        do {
            return try OutputDirectory(path)
        } catch {
            usageExit("\(error)")
        }
    }
}

/// An error a tool reports as one line on stderr.
public struct ToolError: Error, CustomStringConvertible {
    /// The message, naming the file and the reason.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Checks an index option against the size of one of a file's axes: `--channel 2` of a file with
    /// channels 0...1 throws `FILE: --channel 2 is out of range (the file has channels 0...1)`.
    ///
    /// - Parameters:
    ///   - value: the option's value.
    ///   - option: the option's name without dashes (`channel`, `z`, `t`).
    ///   - size: the number of entries along the axis (at least 1).
    ///   - axis: how the message names the axis (`channels`, `Z`, `T`).
    ///   - file: the input the option applies to.
    public static func checkIndex(_ value: Int, option: String, size: Int, axis: String, of file: String) throws {
        guard value >= 0, value < size else {
            throw ToolError("\(file): --\(option) \(value) is out of range (the file has \(axis) 0...\(size - 1))")
        }
    }
}

/// Runs a tool's per-input work with the shared conventions: each input is processed in turn;
/// a failure is reported on stderr (one line) and skipped; each written path is printed on stdout
/// as soon as it is written.
///
/// ```swift
/// var batch = Batch(tool: "sn-enhance")
/// for input in inputs {
///     batch.process(input) { try enhance(input) }   // returns the written paths
/// }
/// batch.exit()   // 0 if all succeeded, 1 if some failed
/// ```
public struct Batch {
    /// Diagnostics for the tool.
    public let diagnostics: Diagnostics
    /// How many inputs succeeded so far.
    public private(set) var succeeded = 0
    /// How many inputs failed so far.
    public private(set) var failed = 0

    /// Starts a batch for `tool`.
    public init(tool: String) { diagnostics = Diagnostics(tool: tool) }

    /// Runs `work` for one input. The paths it returns are printed on stdout, one a line.
    /// An error it throws is reported as `TOOL: error: MESSAGE` and counted as a failure.
    public mutating func process(_ input: String, _ work: () throws -> [String]) {
        do {
            let written = try work()
            for path in written { writeStdout(path + "\n") }
            succeeded += 1
        } catch {
            let text = "\(error)"
            // Make sure the failed input is named even when the error does not say it.
            diagnostics.error(text.contains(input) ? text : "\(input): \(text)")
            failed += 1
        }
    }

    /// The exit status the batch earned: ``ExitStatus/success`` or ``ExitStatus/someInputsFailed``.
    public var status: ExitStatus { failed == 0 ? .success : .someInputsFailed }

    /// Ends the process with ``status``.
    public func exit() -> Never { exitProcess(status) }
}
