#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on a monotonic clock, for rates and ETAs (never for wall-clock dates).
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Progress of long work on stderr: a redrawn bar with rate and ETA on a terminal, and plain
/// periodic lines (at most one per `interval` seconds) when stderr is a file or a pipe.
///
/// ```swift
/// var progress = ProgressReporter(label: "train", total: 1000)
/// for i in 0..<1000 { ...; progress.update(completed: i + 1, detail: "loss 0.12") }
/// progress.finish()
/// ```
public struct ProgressReporter {
    /// What is being counted (printed first).
    public let label: String
    /// The number of steps in all.
    public let total: Int
    /// The least time between two plain lines when stderr is not a terminal.
    public let interval: Double
    private let terminal: Bool
    private let start: Double
    private var lastPrint: Double

    /// Starts reporting `total` steps of `label`.
    public init(label: String, total: Int, interval: Double = 10, terminal: Bool = isTerminal(2)) {
        self.label = label
        self.total = max(total, 0)
        self.interval = interval
        self.terminal = terminal
        start = monotonicSeconds()
        lastPrint = start
    }

    /// Formats seconds as `h:mm:ss` or `m:ss`.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60)
        let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(sec))" : "\(m):\(two(sec))"
    }

    /// The status line for `completed` steps after `elapsed` seconds.
    public func line(completed: Int, elapsed: Double, detail: String = "") -> String {
        let rate = elapsed > 0 ? Double(completed) / elapsed : 0
        let remaining = rate > 0 ? Double(total - completed) / rate : .infinity
        let rateText = rate >= 1 ? String(format1(rate)) + " it/s" : (rate > 0 ? format1(1 / rate) + " s/it" : "- it/s")
        var text = "\(label) \(completed)/\(total)  \(rateText)  ETA \(Self.clock(remaining))"
        if terminal && total > 0 {
            let width = 24
            let filled = min(width, completed * width / total)
            text = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
                + "\(completed)/\(total)  \(rateText)  ETA \(Self.clock(remaining))"
        }
        if !detail.isEmpty { text += "  " + detail }
        return text
    }

    /// Reports that `completed` steps are done.
    public mutating func update(completed: Int, detail: String = "") {
        let now = monotonicSeconds()
        if terminal {
            if now - lastPrint < 0.1 && completed < total { return }
            writeStderr("\r" + line(completed: completed, elapsed: now - start, detail: detail) + "\u{1B}[K")
            lastPrint = now
        } else if now - lastPrint >= interval || completed == total {
            writeStderr(line(completed: completed, elapsed: now - start, detail: detail) + "\n")
            lastPrint = now
        }
    }

    /// Ends the bar's line on a terminal.
    public func finish() {
        if terminal { writeStderr("\n") }
    }
}

private func format1(_ v: Double) -> String {
    guard v.isFinite, abs(v) < 1e15 else { return "?" }   // a rate over a zero interval must not trap
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
