#if canImport(Glibc)
import Glibc
#endif
import TensorCore
import ToolSupport

/// A snapshot for measuring how busy the *other* processes kept the cores during a run:
/// all CPUs' busy time from /proc/stat minus this process's own CPU time (getrusage).
struct CPUSnapshot {
    var wall: Double
    var busySeconds: Double?
    var ownSeconds: Double

    static func now() -> CPUSnapshot {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let own = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
        return CPUSnapshot(wall: monotonicSeconds(), busySeconds: systemBusySeconds(), ownSeconds: own)
    }

    /// Σ over CPUs of non-idle time (user, nice, system, irq, softirq, steal), from /proc/stat.
    static func systemBusySeconds() -> Double? {
        guard let file = fopen("/proc/stat", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return nil }
        let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The fraction (0–1) of all cores' time used by other processes between `start` and `self`.
    func otherLoad(since start: CPUSnapshot, cores: Int) -> Double? {
        guard let b0 = start.busySeconds, let b1 = busySeconds, wall > start.wall else { return nil }
        let other = (b1 - b0) - (ownSeconds - start.ownSeconds)
        return min(1, max(0, other / ((wall - start.wall) * Double(cores))))
    }
}

/// What to measure.
struct BenchConfiguration {
    /// Timed repeats per figure (after one untimed warm-up run).
    var repeats: Int
    /// Whether this is a --quick smoke run (recorded in the report).
    var quick: Bool
    /// Thread counts to measure with (Parallel.threadCount, which also sets OpenBLAS's).
    var threadCounts: [Int]
    /// Keys of the figures to run, e.g. `sgemm_1024`, `conv_7x7_1to64_256`, `generator_ngf64_512`.
    var figures: [String]
    /// Timed repeats per whole-network figure (1 under --quick).
    var modelRepeats: Int = 3
    /// The peer's figures by key (`--peer`), measured in the same run; empty: no comparison is printed.
    var peer: [String: PeerFigure] = [:]
}

/// One timing: the median wall time of the repeats and the throughput it implies.
struct Timing {
    var medianSeconds: Double
    var gflops: Double
}

/// A convolution shape of the CycleGAN generator (batch 1).
struct ConvCase {
    var key: String
    var label: String
    var inputChannels: Int
    var outputChannels: Int
    var size: Int
    var kernel: Int
    var stride: Int
    var padding: Int

    var geometry: Conv2DGeometry {
        Conv2DGeometry(channels: inputChannels, height: size, width: size, kernelHeight: kernel,
                       kernelWidth: kernel, stride: stride, padding: padding)
    }
    /// GEMM shape of the lowered convolution: M = Cout, K = Cin·kH·kW, N = outH·outW.
    var gemm: (m: Int, k: Int, n: Int) { (outputChannels, geometry.columnRows, geometry.columnCount) }
    /// 2·Cout·Cin·kH·kW·outH·outW.
    var flops: Double { 2 * Double(gemm.m) * Double(gemm.k) * Double(gemm.n) }
}

/// The three generator convolutions sn-bench reports.
let convCases: [ConvCase] = [
    ConvCase(key: "conv_3x3_256to256_64", label: "conv 3x3 256->256 @64x64 p1",
             inputChannels: 256, outputChannels: 256, size: 64, kernel: 3, stride: 1, padding: 1),
    ConvCase(key: "conv_7x7_1to64_256", label: "conv 7x7 1->64 @256x256 p3",
             inputChannels: 1, outputChannels: 64, size: 256, kernel: 7, stride: 1, padding: 3),
    ConvCase(key: "conv_3x3s2_64to128_128", label: "conv 3x3 s2 64->128 @128x128 p1",
             inputChannels: 64, outputChannels: 128, size: 128, kernel: 3, stride: 2, padding: 1),
]

/// Results per thread count for one figure.
struct FigureResult {
    var key: String
    var label: String
    var flops: Double
    /// Shape description for the report (e.g. "M=256 K=2304 N=4096").
    var shape: String
    /// thread count → (primary timing, sgemm-at-the-same-shape timing or nil).
    var byThreads: [(threads: Int, primary: Timing, sgemm: Timing?)]
}

/// Everything sn-bench measured plus the machine description.
struct BenchReport {
    var configuration: BenchConfiguration
    var cores: Int
    var openBLASConfiguration: String
    var openBLASCore: String
    /// Fraction of the cores' time other processes used during the run (nil if unknown).
    var otherLoad: Double?
    var figures: [FigureResult]
    /// Whole-network figures (generator, PatchGAN, CycleGAN iteration), measured with the
    /// largest configured thread count.
    var models: [ModelResult] = []
}

/// The median of a list of durations.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// Median wall times of `repeats` runs of each body, the bodies alternating run by run so that
/// both see the same machine conditions (other processes, clock speed). Warm-up first: every
/// body runs at least once and for at least 0.1 s in total, untimed (first-touch page faults,
/// OpenBLAS thread start-up, caches).
func measure(repeats: Int, _ bodies: [() -> Void]) -> [Double] {
    let warmUpStart = monotonicSeconds()
    repeat {
        for body in bodies { body() }
    } while monotonicSeconds() - warmUpStart < 0.1
    var times = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<repeats {
        for (i, body) in bodies.enumerated() {
            let start = monotonicSeconds()
            body()
            times[i].append(monotonicSeconds() - start)
        }
    }
    return times.map(median)
}

/// Prepared `cblas_sgemm` run (through BLAS.sgemm, beta 0) at M×K · K×N on preallocated buffers.
final class SgemmRun {
    let m: Int, k: Int, n: Int
    let a: [Float], b: [Float]
    var c: [Float]

    init(m: Int, k: Int, n: Int) {
        self.m = m
        self.k = k
        self.n = n
        a = Tensor.uniform([m, k], low: -1, high: 1, seed: 1).scalars
        b = Tensor.uniform([k, n], low: -1, high: 1, seed: 2).scalars
        c = [Float](repeating: 0, count: m * n)
    }

    var flops: Double { 2 * Double(m) * Double(k) * Double(n) }

    func run() {
        let (m, k, n) = (self.m, self.k, self.n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                               beta: 0, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }
}

/// Prepared `Tensor.conv2d` run: the full forward path as a network calls it (output
/// allocation, column workspace, banded im2col, sgemm), batch 1, no bias.
final class ConvolutionRun {
    let convolution: ConvCase
    let x: Tensor, w: Tensor
    var sink: Float = 0

    init(_ c: ConvCase) {
        convolution = c
        x = Tensor.uniform([1, c.inputChannels, c.size, c.size], low: -1, high: 1, seed: 3)
        w = Tensor.uniform([c.outputChannels, c.inputChannels, c.kernel, c.kernel], low: -0.1, high: 0.1, seed: 4)
    }

    func run() {
        let y = Tensor.conv2d(x, weight: w, stride: convolution.stride, padding: convolution.padding)
        sink += y.scalars[0]
    }
}

/// Runs every figure with every configured thread count; `progress` receives one line per figure.
func runBenchmarks(_ configuration: BenchConfiguration, progress: (String) -> Void) -> BenchReport {
    let saved = Parallel.threadCount
    defer { Parallel.threadCount = saved }
    let startSnapshot = CPUSnapshot.now()
    var figures: [FigureResult] = []

    var sgemm = FigureResult(key: "sgemm_1024", label: "sgemm 1024x1024x1024", flops: 2 * 1024 * 1024 * 1024,
                             shape: "M=1024 K=1024 N=1024", byThreads: [])
    for threads in configuration.threadCounts where configuration.figures.contains(sgemm.key) {
        Parallel.threadCount = threads
        let run = SgemmRun(m: 1024, k: 1024, n: 1024)
        let seconds = measure(repeats: configuration.repeats, [run.run])[0]
        let t = Timing(medianSeconds: seconds, gflops: run.flops / seconds / 1e9)
        sgemm.byThreads.append((threads, t, nil))
        progress("\(sgemm.label), \(threads) thread(s): \(format(t.gflops, 1)) GFLOP/s")
    }
    if configuration.figures.contains(sgemm.key) { figures.append(sgemm) }

    for c in convCases where configuration.figures.contains(c.key) {
        let g = c.gemm
        var figure = FigureResult(key: c.key, label: c.label, flops: c.flops,
                                  shape: "M=\(g.m) K=\(g.k) N=\(g.n)", byThreads: [])
        for threads in configuration.threadCounts {
            Parallel.threadCount = threads
            let convRun = ConvolutionRun(c), sgemmRun = SgemmRun(m: g.m, k: g.k, n: g.n)
            let seconds = measure(repeats: configuration.repeats, [convRun.run, sgemmRun.run])
            let conv = Timing(medianSeconds: seconds[0], gflops: c.flops / seconds[0] / 1e9)
            let reference = Timing(medianSeconds: seconds[1], gflops: sgemmRun.flops / seconds[1] / 1e9)
            figure.byThreads.append((threads, conv, reference))
            progress("\(c.label), \(threads) thread(s): conv \(format(conv.gflops, 1)), sgemm \(format(reference.gflops, 1)) GFLOP/s")
        }
        figures.append(figure)
    }
    let models = runModelBenchmarks(configuration, threads: configuration.threadCounts.max() ?? 2, progress: progress)
    return BenchReport(configuration: configuration, cores: Parallel.hardwareConcurrency,
                       openBLASConfiguration: BLAS.configuration, openBLASCore: BLAS.coreName,
                       otherLoad: CPUSnapshot.now().otherLoad(since: startSnapshot, cores: Parallel.hardwareConcurrency),
                       figures: figures, models: models)
}

/// `value` with `digits` decimals (no Foundation formatting).
func format(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        if digits == 0 { text = String(text[..<dot]) }
    } else if digits > 0, !text.contains("e") {
        text += "." + String(repeating: "0", count: digits)
    }
    return text
}

extension BenchReport {
    /// The human table.
    func table() -> String {
        func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return right ? fill + s : s + fill
        }
        var lines: [String] = []
        lines.append("sn-bench: \(openBLASConfiguration) (core \(openBLASCore)), \(cores) cores, median of \(configuration.repeats) repeat(s)\(configuration.quick ? " [quick]" : "")")
        if let otherLoad {
            lines.append("other processes used \(format(otherLoad * 100, 0))% of the cores during the run (2-thread figures suffer above ~5%)")
        }
        lines.append("")
        let header = [pad("figure", 32), pad("GEMM shape", 22), pad("threads", 7, right: true),
                      pad("GFLOP/s", 9, right: true), pad("median ms", 10, right: true),
                      pad("sgemm GFLOP/s", 14, right: true), pad("ratio", 6, right: true)]
        lines.append(header.joined(separator: "  "))
        lines.append(String(repeating: "-", count: header.joined(separator: "  ").count))
        for f in figures {
            for (threads, primary, sgemm) in f.byThreads {
                let row = [pad(f.label, 32), pad(f.shape, 22), pad("\(threads)", 7, right: true),
                           pad(format(primary.gflops, 1), 9, right: true),
                           pad(format(primary.medianSeconds * 1000, 2), 10, right: true),
                           pad(sgemm.map { format($0.gflops, 1) } ?? "", 14, right: true),
                           pad(sgemm.map { format(primary.gflops / $0.gflops, 2) } ?? "", 6, right: true)]
                lines.append(row.joined(separator: "  "))
            }
        }
        lines.append("")
        lines.append("ratio = conv GFLOP/s / sgemm GFLOP/s at the same GEMM shape (goal >= 0.70)")
        if !models.isEmpty {
            lines.append("")
            let withPeer = models.contains { $0.peer != nil }
            var header = [pad("network figure", 34), pad("size", 9, right: true), pad("threads", 7, right: true),
                          pad("median s", 9, right: true), pad("GFLOP/s", 8, right: true), pad("peak MB", 8, right: true)]
            if withPeer { header += [pad("peer s", 9, right: true), pad("peer MB", 8, right: true), pad("speed-up", 8, right: true)] }
            lines.append(header.joined(separator: "  "))
            lines.append(String(repeating: "-", count: header.joined(separator: "  ").count))
            for m in models {
                var row = [pad(m.label, 34), pad("\(m.size)\(m.reducedSize ? "*" : "")", 9, right: true),
                           pad("\(m.threads)", 7, right: true), pad(format(m.timing.medianSeconds, 3), 9, right: true),
                           pad(format(m.timing.gflops, 1), 8, right: true), pad(format(m.peakMB, 0), 8, right: true)]
                if withPeer {
                    row += [pad(m.peer.map { format($0.seconds, 3) } ?? "", 9, right: true),
                            pad(m.peer?.peakMB.map { format($0, 0) } ?? "", 8, right: true),
                            pad(m.peer.map { format($0.seconds / m.timing.medianSeconds, 2) + "x" } ?? "", 8, right: true)]
                }
                lines.append(row.joined(separator: "  "))
            }
            lines.append("")
            lines.append("GFLOP/s = direct-convolution-equivalent FLOPs / time (Winograd does fewer multiplies); peak MB = VmHWM")
            lines.append("during the figure\(models.allSatisfy(\.peakReset) ? " (reset before each)" : " (process peak so far: use --only for one figure)")")
            if withPeer {
                lines.append("peer = --peer's figures, measured in the same run (scripts/bench_vs_pytorch.sh); speed-up = peer s / ours")
            }
            if models.contains(where: \.reducedSize) { lines.append("* --quick: reduced size, no peer comparison") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One JSON object with stable key names (see docs/benchmarks.md).
    func json() -> String {
        func string(_ s: String) -> String {
            var out = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default:
                    if ch.value < 0x20 {
                        let hex = String(ch.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(ch)
                    }
                }
            }
            return out + "\""
        }
        func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
        var parts: [String] = []
        parts.append("\"machine\": {\"cores\": \(cores), \"openblas_config\": \(string(openBLASConfiguration)), \"openblas_core\": \(string(openBLASCore)), \"other_load\": \(otherLoad.map(number) ?? "null")}")
        parts.append("\"repeats\": \(configuration.repeats)")
        parts.append("\"quick\": \(configuration.quick)")
        for f in figures {
            var inner: [String] = []
            inner.append("\"shape\": \(string(f.shape))")
            inner.append("\"flops\": \(number(f.flops))")
            for (threads, primary, sgemm) in f.byThreads {
                var t = ["\"gflops\": \(number(primary.gflops))", "\"median_s\": \(number(primary.medianSeconds))"]
                if let sgemm {
                    t.append("\"sgemm_gflops\": \(number(sgemm.gflops))")
                    t.append("\"sgemm_median_s\": \(number(sgemm.medianSeconds))")
                    t.append("\"ratio\": \(number(primary.gflops / sgemm.gflops))")
                }
                inner.append("\"threads_\(threads)\": {\(t.joined(separator: ", "))}")
            }
            parts.append("\(string(f.key)): {\(inner.joined(separator: ", "))}")
        }
        for m in models {
            var inner = ["\"size\": \(m.size)", "\"size_reduced_for_quick\": \(m.reducedSize)", "\"flops\": \(number(m.flops))"]
            var t = ["\"gflops\": \(number(m.timing.gflops)), \"median_s\": \(number(m.timing.medianSeconds))"]
            if let peer = m.peer { t.append("\"speedup_vs_peer\": \(number(peer.seconds / m.timing.medianSeconds))") }
            inner.append("\"threads_\(m.threads)\": {\(t.joined(separator: ", "))}")
            inner.append("\"peak_rss_mb\": \(number(m.peakMB))")
            inner.append("\"rss_before_mb\": \(number(m.rssBeforeMB))")
            inner.append("\"peak_rss_reset\": \(m.peakReset)")
            if let peer = m.peer {
                inner.append("\"peer_s\": \(number(peer.seconds))")
                inner.append("\"peer_peak_rss_mb\": \(peer.peakMB.map(number) ?? "null")")
            }
            parts.append("\(string(m.key)): {\(inner.joined(separator: ", "))}")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
