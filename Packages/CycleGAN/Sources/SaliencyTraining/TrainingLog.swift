import CycleGAN
import Foundation
import Losses
import MicroscopyIO
import NN
import TensorCore

/// The CSV logs of a run: `losses.csv` (one row per iteration) and `validation.csv` (one row per epoch).
/// Rows are appended and flushed as they come; a resumed run first drops the rows written after its
/// checkpoint, so the logs of an interrupted-and-resumed run equal those of an uninterrupted one (but for
/// the wall-clock column).
struct TrainingLog {
    /// Names of ``CycleGAN/StepLosses/all``, in order (also the CSV's loss columns).
    static let lossNames = ["adv_G", "adv_F", "cycle_X", "cycle_Y", "identity_X", "identity_Y", "content_X", "content_Y", "D_X", "D_Y"]
    static let lossHeader = (["iteration", "epoch", "lr"] + lossNames
        + ["G_total", "cycle_X_mse", "cycle_X_mge", "cycle_X_1-ssim", "cycle_Y_mse", "cycle_Y_mge", "cycle_Y_1-ssim", "seconds"])
        .joined(separator: ",")
    static let validationHeader = ["epoch", "iteration", "images", "otsu_iou_raw", "otsu_iou_enhanced", "count_truth",
                                   "count_raw", "count_enhanced", "count_change", "missed_fraction", "invented_fraction",
                                   "score", "best"].joined(separator: ",")

    let losses: FileHandle
    let validation: FileHandle
    let validationPath: String
    var validationOpened = false

    init(lossesPath: String, validationPath: String) throws {
        losses = try Self.open(lossesPath, header: Self.lossHeader)
        validation = try Self.open(validationPath, header: Self.validationHeader)
        self.validationPath = validationPath
    }

    static func open(_ path: String, header: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            try writeFileAtomically(Array((header + "\n").utf8), to: path)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainingError.data("\(path): cannot open for writing") }
        handle.seekToEndOfFile()
        return handle
    }

    func appendLosses(iteration: Int, epoch: Int, learningRate: Float, losses l: StepLosses, seconds: Double) throws {
        func terms(_ t: SaliencyLossValuesOrNil) -> [String] {
            guard let t else { return ["", "", ""] }
            return [String(format: "%.6g", t.mse), String(format: "%.6g", t.mge), String(format: "%.6g", t.ssim)]
        }
        let fields = [String(iteration), String(epoch), String(format: "%.6g", learningRate)]
            + l.all.map { String(format: "%.6g", $0) } + [String(format: "%.6g", l.generatorTotal)]
            + terms(l.cycleTermsX) + terms(l.cycleTermsY) + [String(format: "%.3f", seconds)]
        losses.write(Data((fields.joined(separator: ",") + "\n").utf8))
    }

    func appendValidation(epoch: Int, iteration: Int, scores s: ValidationScores, isBest: Bool) throws {
        let fields = [String(epoch), String(iteration), String(s.images), String(format: "%.4f", s.rawIoU),
                      String(format: "%.4f", s.enhancedIoU), String(s.truthCount), String(s.rawCount), String(s.enhancedCount),
                      String(format: "%.4f", s.countChange), String(format: "%.4f", s.missedFraction),
                      String(format: "%.4f", s.inventedFraction), String(format: "%.4f", s.score), isBest ? "1" : "0"]
        validation.write(Data((fields.joined(separator: ",") + "\n").utf8))
    }

    /// Keeps the header and the rows whose first field (`column`) is at most `limit`; rewrites atomically.
    static func truncate(_ path: String, keepingRowsUpTo limit: Int, column: Int = 0) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { return }
        let header = lines.removeFirst()
        let kept = lines.filter { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            return f.count > column && (Int(f[column]) ?? Int.max) <= limit
        }
        try writeFileAtomically(Array(([header] + kept).map { $0 + "\n" }.joined().utf8), to: path)
    }
}

typealias SaliencyLossValuesOrNil = SaliencyLossValues?

/// The per-epoch picture of what the generators do: for `count` fixed samples of each domain, a row
/// `X | G(X) | F(G(X))` and a row `Y | F(Y) | G(F(Y))` (center crops, [−1, 1] shown as 0–255, 2-px gaps).
enum SampleGrid {
    static func write(model: CycleGANModel, source: ImageDomain, target: ImageDomain, count: Int, crop: Int, to path: String) throws {
        var rows: [[[Float]]] = []
        var side = crop
        for s in (source.slices + target.slices) { side = min(side, s.width / 4 * 4, s.height / 4 * 4) }
        func center(_ s: NormalizedSlice) -> Tensor {
            let (y0, x0) = ((s.height - side) / 2, (s.width - side) / 2)
            var out = [Float](repeating: 0, count: side * side)
            for y in 0..<side { for x in 0..<side { out[y * side + x] = s.pixels[(y0 + y) * s.width + x0 + x] } }
            return Tensor(shape: [1, 1, side, side], scalars: out)
        }
        func pick(_ d: ImageDomain) -> [NormalizedSlice] {
            let n = min(count, d.slices.count)
            return (0..<n).map { d.slices[$0 * d.slices.count / n] }
        }
        for s in pick(source) {
            let x = center(s), gx = model.G(Variable(x)).value, fgx = model.F(Variable(gx)).value
            rows.append([x.scalars, gx.scalars, fgx.scalars])
        }
        for s in pick(target) {
            let y = center(s), fy = model.F(Variable(y)).value, gfy = model.G(Variable(fy)).value
            rows.append([y.scalars, fy.scalars, gfy.scalars])
        }
        let gap = 2, columns = 3
        let width = columns * side + (columns - 1) * gap, height = rows.count * side + (rows.count - 1) * gap
        var pixels = [Float](repeating: 255, count: width * height)
        for (r, row) in rows.enumerated() {
            for (c, tile) in row.enumerated() {
                for y in 0..<side {
                    for x in 0..<side {
                        let v = (tile[y * side + x] + 1) * 127.5
                        pixels[(r * (side + gap) + y) * width + c * (side + gap) + x] = v.isFinite ? min(255, max(0, v)) : 0
                    }
                }
            }
        }
        try OutputDirectoryMaker.make((path as NSString).deletingLastPathComponent)
        try writePNG(ImagePlane(width: width, height: height, pixels: pixels), to: path, sampleType: .uint8)
    }
}
