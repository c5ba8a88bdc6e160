import Foundation
import Testing
import NN
import TensorCore

/// Random tensor with values uniform in [−1, 1).
func uniform(_ shape: [Int], seed: UInt64) -> Tensor { Tensor.uniform(shape, low: -1, high: 1, seed: seed) }

/// Values uniform in ±[0.1, 1): at least 0.1 away from 0 (for L1's kink).
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    uniform(shape, seed: seed).map { $0 >= 0 ? 0.1 + 0.9 * $0 : -0.1 + 0.9 * $0 }
}

/// Finite-difference gradient check (NN's ``GradientCheck``, the method NNTests uses too) recorded as
/// test expectations. Each test states its `atol`, scaled to the size of its gradients (scalar losses
/// averaged over n pixels have gradients ~1/n), so that a wrong gradient cannot pass; it also requires
/// some coordinate with `|analytic| > 10·atol`, so that a check cannot pass on gradients that are all ≈ 0.
@discardableResult
func checkGradients(
    _ parameters: [Parameter], seed: UInt64 = 7, h: Float = 1e-3, atol: Double = 2e-3, rtol: Double = 1e-2,
    samples: Int = 40, sourceLocation: SourceLocation = #_sourceLocation, _ f: (Tape) -> Variable
) -> GradientCheck.Result {
    let result = GradientCheck.run(parameters, seed: seed, h: h, atol: atol, rtol: rtol, samples: samples, f)
    #expect(result.failures.isEmpty, "\(result)", sourceLocation: sourceLocation)
    #expect(result.checked > 0, sourceLocation: sourceLocation)
    #expect(result.largestAnalytic > 10 * atol, "gradients too small for atol \(atol): \(result)", sourceLocation: sourceLocation)
    return result
}

/// Packages/Losses/Tests/LossesTests/Fixtures, found from this source file's path.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// One case of losses_reference.json (written by Fixtures/make_losses_reference.py).
struct ReferenceCase: CustomStringConvertible, Sendable {
    var name: String
    var shape: [Int]
    var values: [String: [Double]]
    var scalars: [String: Double]
    var description: String { name }

    /// The array `key` as a tensor of `shape` (its elements must fit).
    func tensor(_ key: String, _ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: values[key]!.map(Float.init))
    }
    var x: Tensor { tensor("x", shape) }
    var y: Tensor { tensor("y", shape) }
}

/// The parsed fixture: the Gaussian window and the cases.
struct ReferenceFixture: Sendable {
    var window: [Double]
    var cases: [ReferenceCase]
}

/// Loads losses_reference.json; a missing or malformed file is reported by the caller's `#require`.
func loadReference() throws -> ReferenceFixture {
    let url = fixturesDirectory.appendingPathComponent("losses_reference.json")
    let data = try Data(contentsOf: url)
    guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let window = root["gaussian_window"] as? [Double],
          let cases = root["cases"] as? [[String: Any]] else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
    }
    var parsed: [ReferenceCase] = []
    for c in cases {
        var values: [String: [Double]] = [:], scalars: [String: Double] = [:]
        for (key, value) in c {
            if let array = value as? [Double] { values[key] = array }
            else if let number = value as? Double { scalars[key] = number }
        }
        parsed.append(ReferenceCase(name: c["name"] as? String ?? "?", shape: c["shape"] as? [Int] ?? [], values: values, scalars: scalars))
    }
    return ReferenceFixture(window: window, cases: parsed)
}

/// Largest `|a − b|` and whether every element satisfies `|a − b| ≤ atol + rtol·|b|`.
func compare(_ a: [Double], _ b: [Double], atol: Double, rtol: Double = 0) -> (maxError: Double, ok: Bool) {
    guard a.count == b.count else { return (.infinity, false) }
    var worst = 0.0, ok = true
    for i in 0..<a.count {
        let e = abs(a[i] - b[i])
        if !(e <= atol + rtol * abs(b[i])) { ok = false }
        worst = max(worst, e.isNaN ? .infinity : e)
    }
    return (worst, ok)
}
