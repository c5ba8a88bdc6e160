#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a tool's exit status means. Every SaliencyNet tool uses the first three; long-running tools
/// that save their state when asked to stop (sn-train) add ``interrupted``.
public enum ExitStatus: Int32, Sendable {
    /// Everything asked for was done.
    case success = 0
    /// Some inputs failed; they were reported on stderr and skipped, the rest were processed.
    case someInputsFailed = 1
    /// The command line was wrong (unknown option, bad value, no inputs); nothing was processed.
    case usage = 2
    /// Stopped on request (SIGINT, SIGTERM) after saving its state; the work can be resumed.
    case interrupted = 3
}

/// Ends the process with `status`, flushing stdout first.
public func exitProcess(_ status: ExitStatus) -> Never {
    fflush(stdout)
    exit(status.rawValue)
}

/// Writes `text` to stdout unbuffered-by-line: each call is flushed, so that the next tool in a
/// pipeline sees each output path as soon as it is written.
public func writeStdout(_ text: String) {
    fputs(text, stdout)
    fflush(stdout)
}

/// Writes `text` to stderr (diagnostics, progress).
public func writeStderr(_ text: String) {
    fputs(text, stderr)
}

/// Whether the file descriptor is a terminal (`isatty`). Tools show progress bars only on terminals.
public func isTerminal(_ descriptor: Int32) -> Bool {
    isatty(descriptor) == 1
}

/// Diagnostics on stderr, prefixed with the tool's name: `sn-enhance: error: a.tif: truncated file`.
public struct Diagnostics: Sendable {
    /// The tool's name, printed before every message.
    public let tool: String

    /// Creates diagnostics for `tool`.
    public init(tool: String) { self.tool = tool }

    /// Reports an error that does not stop the tool (e.g. one failed input).
    public func error(_ message: String) { writeStderr("\(tool): error: \(message)\n") }

    /// Reports a warning.
    public func warning(_ message: String) { writeStderr("\(tool): warning: \(message)\n") }

    /// Reports progress or other information.
    public func note(_ message: String) { writeStderr("\(tool): \(message)\n") }
}
