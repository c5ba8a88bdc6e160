// sn-bench: measures TensorCore's sgemm and convolution throughput (see docs/benchmarks.md).
import Foundation
import TensorCore
import ToolSupport

var spec = CommandSpec(
    name: "sn-bench",
    summary: "Measure sgemm and convolution throughput (GFLOP/s) with 1 and 2 threads.",
    discussion: """
        Figures: sgemm at 1024³; the convolution forward path (im2col + sgemm, tiled by output
        rows) at the CycleGAN generator's shapes, each beside sgemm at that convolution's GEMM
        shape (M = Cout, K = Cin·kH·kW, N = outH·outW) and the ratio conv/sgemm (goal ≥ 0.70);
        whole networks with the largest thread count, batch 1, 1 channel: the ResNet-9
        generator forward (ngf 64 at 256², 512², 1024²; ngf 32 at 256², 1024²), the 70×70
        PatchGAN forward+backward (ndf 64, 256²) and one CycleGAN training iteration (128²
        crops), each with its peak resident memory. --peer FILE adds a peer's figures measured in
        the same run (scripts/bench_vs_pytorch.sh runs PyTorch and sn-bench alternately and passes
        PyTorch's medians here) and the speed-up peer/ours; without it no peer figure is printed,
        since figures from another run or day do not compare on a shared machine. --quick runs
        the network figures at reduced sizes (64², iteration 32²), marked in the output.
        Each figure is the median of --repeats timed runs after an untimed warm-up (at
        least one run and 0.1 s); a convolution and its sgemm alternate run by run.
        Build in release: swift build -c release && .build/release/sn-bench

        --peer FILE: a TSV with a header line holding 'key' and 'seconds' (median, s) and
        optionally 'peak_rss_mb', then a row per figure key (e.g. cyclegan_iteration_128).

        EXIT STATUS: 0 success, 2 usage error (an unreadable or malformed --peer file included).
        """)
let jsonFlag = spec.flag("json", help: "Print one JSON object (stable key names) instead of a table.")
let quickFlag = spec.flag("quick", help: "Smoke run: 1 timed repeat per figure (overrides --repeats).")
let repeatsOption = spec.option("repeats", default: 7, help: "Timed repeats per figure; the median is reported.")
let modelRepeatsOption = spec.option(
    "model-repeats", default: 3, help: "Timed repeats per whole-network figure (generator, PatchGAN, CycleGAN iteration).")
let threadsOption = spec.option(
    "threads", default: "1,2", help: "Comma-separated thread counts to measure with.")
let onlyOption = spec.optionalOption(
    "only", as: String.self,
    help: "Comma-separated figure keys to run (e.g. sgemm_1024,conv_7x7_1to64_256); default all.")
let peerOption = spec.optionalOption(
    "peer", as: String.self,
    help: "TSV of a peer's figures from the same run (key, seconds[, peak_rss_mb]): prints the speed-up beside ours.")
let arguments = spec.parseOrExit()
// Before any BLAS call: OpenBLAS's idle workers busy-wait 2^10 instead of 2^28 cycles, so they do
// not take the cores from TensorCore's own parallel loops between sgemm calls (docs/tensor.md).
BLAS.setWorkerSpinTimeout(log2Cycles: BLAS.defaultWorkerSpinTimeoutLog2Cycles)

let repeats = arguments[quickFlag] ? 1 : arguments[repeatsOption]
guard repeats >= 1 else { spec.usageExit("option '--repeats' must be ≥ 1, got \(repeats)") }
let threadText = arguments[threadsOption].split(separator: ",").map { $0.trimmingCharacters() }
let threadCounts = threadText.compactMap { Int($0) }
guard !threadCounts.isEmpty, threadCounts.count == threadText.count, threadCounts.allSatisfy({ $0 >= 1 && $0 <= 64 })
else {
    spec.usageExit("option '--threads': '\(arguments[threadsOption])' is not a list of thread counts like 1,2")
}

let knownKeys = ["sgemm_1024"] + convCases.map(\.key) + modelCases.map(\.key)
let only = arguments[onlyOption].map { $0.split(separator: ",").map { $0.trimmingCharacters() } } ?? knownKeys
if let unknown = only.first(where: { !knownKeys.contains($0) }) {
    spec.usageExit("option '--only': unknown figure '\(unknown)' (known: \(knownKeys.joined(separator: ", ")))")
}

let modelRepeats = arguments[quickFlag] ? 1 : arguments[modelRepeatsOption]
guard modelRepeats >= 1 else { spec.usageExit("option '--model-repeats' must be ≥ 1, got \(modelRepeats)") }
var peer: [String: PeerFigure] = [:]
if let path = arguments[peerOption] {
    guard let data = FileManager.default.contents(atPath: path) else { spec.usageExit("--peer \(path): cannot be read") }
    do {
        peer = try PeerFigure.table(String(decoding: data, as: UTF8.self))
    } catch {
        spec.usageExit("--peer \(path): \(error)")
    }
}
let configuration = BenchConfiguration(
    repeats: repeats, quick: arguments[quickFlag], threadCounts: threadCounts, figures: only, modelRepeats: modelRepeats,
    peer: peer)
let report = runBenchmarks(configuration) { message in
    if !arguments[jsonFlag] { writeStderr("sn-bench: \(message)\n") }
}
writeStdout(arguments[jsonFlag] ? report.json() + "\n" : report.table())
exitProcess(.success)

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
