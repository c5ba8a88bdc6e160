/// One Snakemake benchmark file: a header (`s h:m:s max_rss max_vms max_uss max_pss io_in io_out mean_load
/// cpu_time`, tab-separated) and one row per measured run (usually one). Columns are found by name; `NA`, `-`,
/// empty or missing cells read as nil.
public struct BenchmarkRecord: Equatable, Sendable {
    /// Wall-clock seconds (`s`).
    public var seconds: Double?
    /// Peak resident set size in MB (`max_rss`).
    public var maxRSS: Double?

    public init(seconds: Double?, maxRSS: Double?) {
        self.seconds = seconds
        self.maxRSS = maxRSS
    }

    /// The runs of a benchmark file, one record per data row; empty when the text has no header or no row.
    public static func parse(_ text: String) -> [BenchmarkRecord] {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() } }
            .filter { !($0.count == 1 && $0[0].isEmpty) }
        guard let header = lines.first else { return [] }
        let s = header.firstIndex(of: "s"), rss = header.firstIndex(of: "max_rss")
        func value(_ cells: [String], _ i: Int?) -> Double? {
            guard let i, i < cells.count, let v = Double(cells[i]), v.isFinite else { return nil }
            return v
        }
        return lines.dropFirst().map { BenchmarkRecord(seconds: value($0, s), maxRSS: value($0, rss)) }
    }
}

/// The shell commands a job ran, from its log: the lines that bash's `set -x` trace starts with `+ `
/// (one level of nesting; `++ ` lines of command substitutions are left out), without the `+ `. The shell's own
/// option settings (`set -x`, `set -euo pipefail`, `set +x`: the command `set` alone or followed by a space) are
/// not the job's commands and are left out too.
public enum JobLog {
    /// The commands of `log`, in order.
    public static func commands(_ log: String) -> [String] {
        log.split(whereSeparator: \.isNewline).compactMap { line in
            guard line.hasPrefix("+ ") else { return nil }
            let command = String(line.dropFirst(2))
            return command == "set" || command.hasPrefix("set ") ? nil : command
        }
    }
}

/// What the report says about one workflow rule: its jobs, their time and memory, and its commands.
public struct RuleSummary: Equatable, Sendable {
    /// The rule's name (the folder under `benchmarks/` and `logs/`).
    public var rule: String
    /// The number of benchmark files (one per job); 0 when the rule has only logs.
    public var jobs: Int
    /// The number of log files.
    public var logs: Int
    /// Σ seconds over the runs that have a number; nil when none has.
    public var totalSeconds: Double?
    /// The median of the runs' seconds (``ReportStatistics/median(_:)``); nil when none has a number.
    public var medianSeconds: Double?
    /// The largest max_rss (MB) over the runs; nil when none has a number.
    public var maxRSS: Double?
    /// The first command of the rule's logs (logs in the order given); nil when no log has a `+ ` line.
    public var firstCommand: String?
    /// The number of commands over all the rule's logs.
    public var commandCount: Int

    /// Summarizes a rule from its benchmark files' parsed runs (one array per file) and its logs' texts
    /// (in a stable order, e.g. sorted by file name).
    public init(rule: String, benchmarks: [[BenchmarkRecord]], logs: [String]) {
        self.rule = rule
        jobs = benchmarks.count
        self.logs = logs.count
        let runs = benchmarks.flatMap { $0 }
        let seconds = runs.compactMap(\.seconds)
        totalSeconds = seconds.isEmpty ? nil : seconds.reduce(0, +)
        medianSeconds = ReportStatistics.median(seconds)
        maxRSS = runs.compactMap(\.maxRSS).max()
        let commands = logs.map(JobLog.commands)
        firstCommand = commands.lazy.compactMap(\.first).first
        commandCount = commands.reduce(0) { $0 + $1.count }
    }
}
