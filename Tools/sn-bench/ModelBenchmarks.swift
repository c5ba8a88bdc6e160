#if canImport(Glibc)
import Glibc
#endif
import CycleGAN
import NN
import TensorCore

/// What a whole-network figure runs.
enum ModelWorkload {
    /// ResNet-9 generator forward (inference, no tape), batch 1, 1 → 1 channel.
    case generatorForward(filters: Int)
    /// 70×70 PatchGAN forward and backward (weight gradients, LSGAN loss against ones), batch 1.
    case patchGANForwardBackward(filters: Int)
    /// One full CycleGAN iteration (``CycleGANTrainer/trainStep(realX:realY:random:)``, vanilla: LSGAN + L1 cycle, no identity), batch 1.
    case cycleGANIteration(generatorFilters: Int, discriminatorFilters: Int)
    /// One SaliencyNet iteration with sn-train's defaults (saliency loss on the cycle, identity 0.5·λ, pool 50),
    /// `blocks` residual blocks, batch 1.
    case saliencyNetIteration(generatorFilters: Int, blocks: Int, discriminatorFilters: Int)
}

/// A whole-network figure: a workload at an image size.
struct ModelCase {
    var key: String
    var label: String
    var workload: ModelWorkload
    /// Image (or crop) side in pixels.
    var size: Int
    /// The side used under --quick (a smoke run; the figure is then not comparable).
    var quickSize: Int
}

/// The whole-network figures (docs/benchmarks.md).
let modelCases: [ModelCase] = [
    ModelCase(key: "generator_ngf64_256", label: "generator ngf64 fwd 256x256", workload: .generatorForward(filters: 64),
              size: 256, quickSize: 64),
    ModelCase(key: "generator_ngf64_512", label: "generator ngf64 fwd 512x512", workload: .generatorForward(filters: 64),
              size: 512, quickSize: 64),
    ModelCase(key: "generator_ngf64_1024", label: "generator ngf64 fwd 1024x1024", workload: .generatorForward(filters: 64),
              size: 1024, quickSize: 64),
    ModelCase(key: "generator_ngf32_256", label: "generator ngf32 fwd 256x256", workload: .generatorForward(filters: 32),
              size: 256, quickSize: 64),
    ModelCase(key: "generator_ngf32_1024", label: "generator ngf32 fwd 1024x1024", workload: .generatorForward(filters: 32),
              size: 1024, quickSize: 64),
    ModelCase(key: "patchgan_ndf64_fwd_bwd_256", label: "PatchGAN ndf64 fwd+bwd 256x256",
              workload: .patchGANForwardBackward(filters: 64), size: 256, quickSize: 64),
    ModelCase(key: "cyclegan_iteration_128", label: "CycleGAN iteration 128x128 crops",
              workload: .cycleGANIteration(generatorFilters: 64, discriminatorFilters: 64), size: 128, quickSize: 32),
    ModelCase(key: "saliencynet_iteration_ngf32_128", label: "SaliencyNet iteration (sn-train defaults) 128x128",
              workload: .saliencyNetIteration(generatorFilters: 32, blocks: 9, discriminatorFilters: 64), size: 128, quickSize: 32),
]

/// A measured whole-network figure.
struct ModelResult {
    var key: String
    var label: String
    var size: Int
    /// Whether --quick replaced the size by the smaller smoke-run size.
    var reducedSize: Bool
    var threads: Int
    /// Direct-convolution-equivalent FLOPs of one run (see ``modelFlops``).
    var flops: Double
    var timing: Timing
    /// VmHWM after the figure, MB: the process's peak resident memory while it ran (the peak is
    /// reset before each figure when the kernel allows it, see `peakReset`).
    var peakMB: Double
    /// VmRSS before the figure, MB.
    var rssBeforeMB: Double
    /// Whether the peak could be reset before the figure (`/proc/self/clear_refs`); if not,
    /// `peakMB` is the process's peak so far and only attributable in an `--only` run.
    var peakReset: Bool
    /// The peer's figure measured in the same run (`--peer`, scripts/bench_vs_pytorch.sh), if supplied.
    var peer: PeerFigure?
}

/// A peer implementation's figure (PyTorch's, measured by scripts/bench_vs_pytorch.sh in the same run,
/// alternating with ours): median seconds and peak resident memory.
struct PeerFigure: Equatable {
    var seconds: Double
    var peakMB: Double?

    /// Reads a `--peer` TSV: a header with `key` and `seconds` (and optionally `peak_rss_mb`) columns, then one
    /// row per figure. Throws a message naming the line for a missing column, a bad number or a duplicate key.
    static func table(_ text: String) throws -> [String: PeerFigure] {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).filter { !$0.hasPrefix("#") }
        guard let head = lines.first else { throw BenchError("empty: no header line") }
        let header = head.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let keyColumn = header.firstIndex(of: "key"), let secondsColumn = header.firstIndex(of: "seconds") else {
            throw BenchError("the header needs 'key' and 'seconds' columns, got '\(header.joined(separator: " "))'")
        }
        let peakColumn = header.firstIndex(of: "peak_rss_mb")
        var figures: [String: PeerFigure] = [:]
        for (n, line) in lines.enumerated().dropFirst() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == header.count else { throw BenchError("line \(n + 1): \(cells.count) cells, the header has \(header.count)") }
            guard let seconds = Double(cells[secondsColumn]), seconds.isFinite, seconds > 0 else {
                throw BenchError("line \(n + 1): seconds '\(cells[secondsColumn])' is not a positive number")
            }
            let peak = peakColumn.flatMap { Double(cells[$0]) }.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
            guard figures[cells[keyColumn]] == nil else { throw BenchError("line \(n + 1): figure '\(cells[keyColumn])' twice") }
            figures[cells[keyColumn]] = PeerFigure(seconds: seconds, peakMB: peak)
        }
        return figures
    }
}

/// A problem with sn-bench's input (the --peer file).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `2·Cout·Cin·k²·outH·outW` summed over a network's convolutions (transposed convolutions
/// counted on their input grid, `2·Cin·Cout·k²·H·W`): the FLOPs a direct convolution would do,
/// the convention of the PyTorch figures. Winograd does fewer multiplies; GFLOP/s figures are
/// therefore "effective".
func generatorForwardFlops(size: Int, filters f: Int, residualBlocks: Int = 9) -> Double {
    func conv(_ cin: Int, _ cout: Int, _ k: Int, _ side: Int) -> Double { 2 * Double(cin * cout * k * k) * Double(side * side) }
    var total = conv(1, f, 7, size) + conv(f, 2 * f, 3, size / 2) + conv(2 * f, 4 * f, 3, size / 4)
    total += Double(2 * residualBlocks) * conv(4 * f, 4 * f, 3, size / 4)
    total += conv(4 * f, 2 * f, 3, size / 4) + conv(2 * f, f, 3, size / 2)  // transposed, on the input grid
    total += conv(f, 1, 7, size)
    return total
}

/// Forward FLOPs of the 70×70 PatchGAN (4×4 convolutions, padding 1) on a `size`² image.
func patchGANForwardFlops(size: Int, filters d: Int) -> (total: Double, first: Double) {
    var side = size, total = 0.0, first = 0.0
    let layers = [(1, d, 2), (d, 2 * d, 2), (2 * d, 4 * d, 2), (4 * d, 8 * d, 1), (8 * d, 1, 1)]
    for (i, (cin, cout, stride)) in layers.enumerated() {
        side = (side + 2 - 4) / stride + 1
        let f = 2 * Double(cin * cout * 16) * Double(side * side)
        total += f
        if i == 0 { first = f }
    }
    return (total, first)
}

/// FLOPs of one run of a workload: generator forward; PatchGAN forward + backward ≈ 3× forward
/// minus the first layer's input gradient (not needed); CycleGAN iteration: four generator
/// passes × 3 (forward + both gradients) + six discriminator forwards × 2 (forward + one gradient).
func modelFlops(_ workload: ModelWorkload, size: Int) -> Double {
    switch workload {
    case .generatorForward(let f):
        return generatorForwardFlops(size: size, filters: f)
    case .patchGANForwardBackward(let d):
        let p = patchGANForwardFlops(size: size, filters: d)
        return 3 * p.total - p.first
    case .cycleGANIteration(let f, let d):
        return 4 * 3 * generatorForwardFlops(size: size, filters: f) + 6 * 2 * patchGANForwardFlops(size: size, filters: d).total
    case .saliencyNetIteration(let f, let blocks, let d):
        // Six generator passes (two translations, two cycles, two identities), the rest as above.
        return 6 * 3 * generatorForwardFlops(size: size, filters: f, residualBlocks: blocks) + 6 * 2 * patchGANForwardFlops(size: size, filters: d).total
    }
}

/// A `/proc/self/status` field in kB (e.g. "VmHWM"), or nil.
func procStatusKB(_ field: String) -> Double? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Double($0) }
        }
    }
    return nil
}

/// Resets VmHWM to the current RSS (`echo 5 > /proc/self/clear_refs`, Linux ≥ 4.0).
func resetPeakRSS() -> Bool {
    guard let file = fopen("/proc/self/clear_refs", "w") else { return false }
    let ok = fputs("5", file) >= 0
    return fclose(file) == 0 && ok
}

/// Prepared run of a workload: builds the networks and inputs once, `run()` times one pass.
final class ModelRun {
    let workload: ModelWorkload
    let size: Int
    var generator: ResNetGenerator?
    var discriminator: PatchDiscriminator?
    var trainer: CycleGANTrainer?
    let x: Tensor, y: Tensor
    var sink: Float = 0
    var random = PhiloxGenerator(seed: 24)

    init(_ workload: ModelWorkload, size: Int) {
        self.workload = workload
        self.size = size
        x = Tensor.uniform([1, 1, size, size], low: -1, high: 1, seed: 21)
        y = Tensor.uniform([1, 1, size, size], low: -1, high: 1, seed: 22)
        var initializer = WeightInitializer(.normal(std: 0.02), seed: 23)
        switch workload {
        case .generatorForward(let f):
            generator = ResNetGenerator(name: "G", options: GeneratorOptions(filters: f), initializer: &initializer)
        case .patchGANForwardBackward(let d):
            discriminator = PatchDiscriminator(name: "D_Y", filters: d, initializer: &initializer)
        case .cycleGANIteration(let f, let d):
            // The anchor's iteration: LSGAN plus L1 cycle, no identity loss, no pool (vanilla placement).
            trainer = CycleGANTrainer(model: CycleGANModel(generator: GeneratorOptions(filters: f), discriminatorFilters: d, seed: 23),
                                      options: TrainingOptions(placement: .vanilla, identityFraction: 0, poolSize: 0))
        case .saliencyNetIteration(let f, let blocks, let d):
            trainer = CycleGANTrainer(model: CycleGANModel(generator: GeneratorOptions(filters: f, residualBlocks: blocks),
                                                           discriminatorFilters: d, seed: 23),
                                      options: TrainingOptions())
        }
    }

    func run() {
        switch workload {
        case .generatorForward:
            let out = generator!(x)
            sink += out.scalars[0]
        case .patchGANForwardBackward:
            let d = discriminator!
            Parameter.zeroGradients(d.parameters)
            let tape = Tape(differentiating: d.parameters)
            let score = d(tape.input(x))
            tape.backward(from: mseLoss(score, Variable(Tensor(shape: score.shape, repeating: 1))))
            sink += d.parameters[0].gradient.scalars[0]
        case .cycleGANIteration, .saliencyNetIteration:
            sink += trainer!.trainStep(realX: x, realY: y, random: &random).generatorTotal
        }
    }
}

/// Runs the selected whole-network figures with `threads` threads.
func runModelBenchmarks(_ configuration: BenchConfiguration, threads: Int, progress: (String) -> Void) -> [ModelResult] {
    var results: [ModelResult] = []
    for c in modelCases where configuration.figures.contains(c.key) {
        Parallel.threadCount = threads
        let size = configuration.quick ? c.quickSize : c.size
        let rssBefore = (procStatusKB("VmRSS") ?? 0) / 1024
        let reset = resetPeakRSS()
        let seconds: Double
        do {
            let run = ModelRun(c.workload, size: size)
            seconds = measure(repeats: configuration.modelRepeats, [run.run])[0]
        }
        let peak = (procStatusKB("VmHWM") ?? 0) / 1024
        let flops = modelFlops(c.workload, size: size)
        let timing = Timing(medianSeconds: seconds, gflops: flops / seconds / 1e9)
        results.append(ModelResult(key: c.key, label: c.label, size: size, reducedSize: size != c.size, threads: threads,
                                   flops: flops, timing: timing, peakMB: peak, rssBeforeMB: rssBefore, peakReset: reset,
                                   peer: size == c.size ? configuration.peer[c.key] : nil))
        var line = "\(c.label)\(size != c.size ? " (quick: \(size)x\(size))" : ""), \(threads) thread(s): \(format(seconds, 3)) s, \(format(timing.gflops, 1)) GFLOP/s, peak RSS \(format(peak, 0)) MB"
        if let peer = configuration.peer[c.key], size == c.size { line += ", peer \(format(peer.seconds, 3)) s (\(format(peer.seconds / seconds, 2))x)" }
        progress(line)
    }
    return results
}
