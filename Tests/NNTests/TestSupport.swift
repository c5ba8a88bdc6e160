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

/// The result of a finite-difference gradient check.
struct GradientCheck: CustomStringConvertible {
    var checked = 0
    var worst = 0.0
    var worstDescription = ""
    var failures: [String] = []
    var description: String { "checked \(checked) coordinates, worst excess \(worst): \(worstDescription); failures: \(failures.prefix(5))" }
}

/// Finite-difference gradient check of `L = Σ r ⊙ f(parameters)` with a fixed random `r`
/// uniform in [−1, 1).
///
/// Analytic: the tape's gradients. Numeric: central differences
/// `(L(p + h·eⱼ) − L(p − h·eⱼ)) / 2h` with `h = 1e-3`, the forward in Float32 and the sum `L`
/// accumulated in Float64. Up to `samples` coordinates per parameter are checked (all when the
/// parameter is smaller), chosen with a seeded generator. Tolerance:
/// `|numeric − analytic| ≤ atol + rtol·|analytic|`, default `atol = 2e-3`, `rtol = 1e-2`: the
/// Float32 rounding of `L` (≈ 1e-7·Σ|r⊙y|) divided by `2h` stays below 1e-4 for the sizes used,
/// and the O(h²) truncation error below 1e-5 for these smooth functions (inputs are kept away
/// from kinks), so a wrong gradient (typically off by O(1)) cannot pass.
func checkGradients(
    _ parameters: [Parameter], seed: UInt64 = 7, h: Float = 1e-3, atol: Double = 2e-3, rtol: Double = 1e-2,
    samples: Int = 40, sourceLocation: SourceLocation = #_sourceLocation, _ f: (Tape) -> Variable
) {
    Parameter.zeroGradients(parameters)
    let tape = Tape()
    let y = f(tape)
    let r = uniform(y.shape, seed: seed ^ 0x5eed)
    tape.backward(from: y, seed: r)
    func loss() -> Double {
        let out = f(Tape()).value
        var s = 0.0
        for i in 0..<out.count { s += Double(out.scalars[i]) * Double(r.scalars[i]) }
        return s
    }
    var result = GradientCheck()
    var generator = PhiloxGenerator(seed: seed, stream: 3)
    for p in parameters {
        let analytic = p.gradient
        let n = p.value.count
        let indices = n <= samples ? Array(0..<n) : (0..<samples).map { _ in Int.random(in: 0..<n, using: &generator) }
        for j in indices {
            let original = p.value.scalars[j]
            var v = p.value
            v.withUnsafeMutableBufferPointer { $0[j] = original + h }
            p.value = v
            let plus = loss()
            v.withUnsafeMutableBufferPointer { $0[j] = original - h }
            p.value = v
            let minus = loss()
            v.withUnsafeMutableBufferPointer { $0[j] = original }
            p.value = v
            let numeric = (plus - minus) / (2 * Double(h))
            let a = Double(analytic.scalars[j])
            let excess = abs(numeric - a) - (atol + rtol * abs(a))
            result.checked += 1
            if excess > result.worst || result.worstDescription.isEmpty {
                result.worst = max(result.worst, excess)
                result.worstDescription = "\(p.name)[\(j)] numeric \(numeric) analytic \(a)"
            }
            if excess > 0 { result.failures.append("\(p.name)[\(j)]: numeric \(numeric), analytic \(a)") }
        }
    }
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
