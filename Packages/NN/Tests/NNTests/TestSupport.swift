import Foundation
import Testing
import TensorCore
@testable import NN

/// All NN tests form one serialized suite (extended by the other files): some tests change the
/// process-wide `Parallel.threadCount` or measure resident memory, so no two run at once.
@Suite(.serialized)
struct NNTests {}

/// Random tensor with values uniform in [−1, 1).
func uniform(_ shape: [Int], seed: UInt64) -> Tensor { Tensor.uniform(shape, low: -1, high: 1, seed: seed) }

/// Values uniform in ±[0.1, 1): at least 0.1 away from 0 (for ops with a kink at 0, so that a
/// finite-difference step of 1e-3 never crosses it).
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    uniform(shape, seed: seed).map { $0 >= 0 ? 0.1 + 0.9 * $0 : -0.1 + 0.9 * $0 }
}

/// Distinct values spaced `2/count` apart in [−1, 1), in a seeded random order (for max pooling:
/// no two candidates closer than the finite-difference step).
func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
    let n = Tensor.elementCount(of: shape)
    var values = (0..<n).map { -1 + 2 * Float($0) / Float(n) }
    var generator = PhiloxGenerator(seed: seed)
    values.shuffle(using: &generator)
    return Tensor(shape: shape, scalars: values)
}

/// Finite-difference gradient check (NN's ``GradientCheck``) recorded as test expectations.
/// Default tolerance `2e-3 + 1e-2·|analytic|` with `h = 1e-3`: the Float32 rounding of `L` divided by
/// the step stays below 1e-4 for the sizes used, the O(h²) truncation below 1e-5 for these smooth
/// functions (inputs are kept away from kinks), so a wrong gradient (off by O(1)) cannot pass.
func checkGradients(
    _ parameters: [Parameter], seed: UInt64 = 7, h: Float = 1e-3, atol: Double = 2e-3, rtol: Double = 1e-2,
    samples: Int = 40, sourceLocation: SourceLocation = #_sourceLocation, _ f: (Tape) -> Variable
) {
    let result = GradientCheck.run(parameters, seed: seed, h: h, atol: atol, rtol: rtol, samples: samples, f)
    #expect(result.failures.isEmpty, "\(result)", sourceLocation: sourceLocation)
    #expect(result.checked > 0, sourceLocation: sourceLocation)
}

/// Resident set size of this process in KiB (`VmRSS` in /proc/self/status), or nil.
func residentKiB() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
    return nil
}
