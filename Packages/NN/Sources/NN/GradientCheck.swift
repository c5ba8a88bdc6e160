import TensorCore

/// A finite-difference check of the gradients a ``Tape`` computes, for testing differentiable ops.
///
/// Every differentiable op of the project has such a test. The check compares, for sampled coordinates
/// `j` of each parameter `p`, the analytic `∂L/∂pⱼ` of `L = Σ r ⊙ f(parameters)` (r fixed, uniform in
/// [−1, 1), seeded) with the central difference
///
///     numeric = (L(p + h·eⱼ) − L(p − h·eⱼ)) / ((pⱼ + h) − (pⱼ − h))
///
/// where the denominator is the step actually taken in Float32. The forward runs in Float32 and `L`
/// is accumulated in Float64. A coordinate fails when `|numeric − analytic| > atol + rtol·|analytic|`.
///
/// Choosing tolerances: the Float32 rounding of `L` (≈ 1e-7·Σ|r ⊙ y|) divided by the step, plus the
/// O(h²) truncation error, must stay below `atol`, while a wrong gradient (typically off by O(1)
/// relative) must exceed it. Keep inputs away from kinks (ReLU at 0, L1 at 0, max-pool ties) by more
/// than `h`. Callers state their tolerances beside each check.
public enum GradientCheck {
    /// What a check found.
    public struct Result: CustomStringConvertible {
        /// Number of coordinates compared.
        public var checked = 0
        /// The largest `|numeric − analytic| − (atol + rtol·|analytic|)` (positive: a failure).
        public var worstExcess = -Double.infinity
        /// The coordinate of ``worstExcess`` with both values.
        public var worstDescription = ""
        /// The largest `|analytic|` seen: a check whose gradients are all ≈ 0 proves little.
        public var largestAnalytic = 0.0
        /// Every failing coordinate, `name[j]: numeric …, analytic …`.
        public var failures: [String] = []

        /// Whether every compared coordinate was within tolerance (and at least one was compared).
        public var passed: Bool { checked > 0 && failures.isEmpty }

        public var description: String {
            "checked \(checked) coordinates (largest |analytic| \(largestAnalytic)), worst excess \(worstExcess): "
                + "\(worstDescription); failures: \(failures.prefix(5))"
        }
    }

    /// Runs the check.
    ///
    /// - Parameters:
    ///   - parameters: the values to differentiate with respect to; each is perturbed in place and restored.
    ///   - seed: seeds `r` and the choice of sampled coordinates.
    ///   - h: the finite-difference step.
    ///   - atol, rtol: the tolerance `atol + rtol·|analytic|` per coordinate.
    ///   - samples: coordinates checked per parameter (all of them when the parameter is smaller).
    ///   - f: the computation, recorded on the given tape (enter parameters with `tape.parameter(p)`).
    public static func run(
        _ parameters: [Parameter], seed: UInt64 = 7, h: Float = 1e-3, atol: Double = 2e-3, rtol: Double = 1e-2,
        samples: Int = 40, _ f: (Tape) -> Variable
    ) -> Result {
        Parameter.zeroGradients(parameters)
        let tape = Tape()
        let y = f(tape)
        let r = Tensor.uniform(y.shape, low: -1, high: 1, seed: seed ^ 0x5eed)
        tape.backward(from: y, seed: r)
        func loss() -> Double {
            let out = f(Tape()).value
            var s = 0.0
            for i in 0..<out.count { s += Double(out.scalars[i]) * Double(r.scalars[i]) }
            return s
        }
        var result = Result()
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
                let step = Double(original + h) - Double(original - h)
                let numeric = (plus - minus) / step
                let a = Double(analytic.scalars[j])
                let excess = abs(numeric - a) - (atol + rtol * abs(a))
                result.checked += 1
                result.largestAnalytic = max(result.largestAnalytic, abs(a))
                if excess > result.worstExcess {
                    result.worstExcess = excess
                    result.worstDescription = "\(p.name)[\(j)] numeric \(numeric) analytic \(a)"
                }
                if excess > 0 { result.failures.append("\(p.name)[\(j)]: numeric \(numeric), analytic \(a)") }
            }
        }
        return result
    }
}
