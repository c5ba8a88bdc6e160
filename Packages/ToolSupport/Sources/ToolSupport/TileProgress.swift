/// Progress of the tiles of one large plane on stderr (sn-enhance's tiled generator, sn-segment's tiled star
/// prediction): `LABEL [####    ] done/total  rate  ETA m:ss`, redrawn on a terminal, or plain lines (at most
/// one per `interval` seconds, and the last) when stderr is a file or pipe and the display was asked for.
///
/// ```swift
/// let tiles = TileProgress(label: "sn-enhance tiles", enabled: args[progressKey] || isTerminal(2))
/// enhancer.generator.progress = tiles.report      // the library calls it as (done, total)
/// ```
/// A pass starts when `done` is 1 (or goes back) and ends when `done == total`; every pass gets its own ETA.
public final class TileProgress {
    /// What is counted, printed first.
    public var label: String
    /// Whether anything is printed.
    public let enabled: Bool
    private let interval: Double
    private let terminal: Bool
    private var reporter: ProgressReporter?
    private var last = 0

    /// A display that prints when `enabled` (on a terminal: redrawn; otherwise one line per `interval` s).
    public init(label: String, enabled: Bool, interval: Double = 10, terminal: Bool = isTerminal(2)) {
        self.label = label
        self.enabled = enabled
        self.interval = interval
        self.terminal = terminal
    }

    /// The flag `--progress` of tools that show tile progress: the display is on when it is given or when
    /// stderr is a terminal.
    public static func enabled(flag: Bool) -> Bool { flag || isTerminal(2) }

    /// Reports that `done` of `total` steps of the current pass are finished.
    public func report(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        if reporter == nil || done <= last || reporter?.total != total {
            reporter?.finish()
            reporter = ProgressReporter(label: label, total: total, interval: interval, terminal: terminal)
        }
        last = done
        reporter?.update(completed: done)
        if done >= total {
            reporter?.finish()
            reporter = nil
            last = 0
        }
    }
}
