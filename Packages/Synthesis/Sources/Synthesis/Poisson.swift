#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact Poisson sampling for the camera's photon counts.
///
/// - λ < 10: inversion by sequential search. With U uniform in [0, 1), return the smallest k with
///   U < F(k) = Σ_{j≤k} e^{−λ} λʲ / j!; exact up to rounding of the running sum, O(λ) steps.
/// - λ ≥ 10: PTRS, the transformed rejection method with squeeze of W. Hörmann, "The transformed
///   rejection method for generating Poisson random variables", Insurance: Mathematics and Economics
///   12 (1993) 39–45. A rejection method, hence exact; about 1.1 uniform pairs per sample and no
///   logarithm on the ~86 % fast path.
///
/// No normal approximation is used at any λ.
public enum Poisson {
    /// The threshold between inversion and PTRS (PTRS's validity starts at λ = 10).
    public static let ptrsThreshold: Double = 10

    /// One Poisson(λ) sample; λ ≤ 0 (or NaN) gives 0.
    @inline(__always)
    public static func sample(_ lambda: Double, using rng: inout SplitMix64) -> Int {
        guard lambda > 0 else { return 0 }
        return lambda < ptrsThreshold ? inversion(lambda, using: &rng) : ptrs(lambda, using: &rng)
    }

    /// Inversion by sequential search (exact; for small λ).
    public static func inversion(_ lambda: Double, using rng: inout SplitMix64) -> Int {
        guard lambda > 0 else { return 0 }
        let u = rng.uniform()
        var p = exp(-lambda)
        var cumulative = p
        var k = 0
        // The tail beyond k = λ + 40√λ + 40 has probability far below 2⁻⁵³.
        let limit = Int(lambda + 40 * lambda.squareRoot() + 40)
        while u >= cumulative && k < limit {
            k += 1
            p *= lambda / Double(k)
            cumulative += p
        }
        return k
    }

    /// Hörmann's PTRS for λ ≥ 10 (exact). With `s = √λ`:
    ///
    ///     b = 0.931 + 2.53 s,  a = −0.059 + 0.02483 b,  1/α = 1.1239 + 1.1328 / (b − 3.4),
    ///     v_r = 0.9277 − 3.6224 / (b − 2)
    ///     repeat: U = U(0,1) − 0.5, V = U(0,1), u_s = 0.5 − |U|, k = ⌊(2a / u_s + b) U + λ + 0.43⌋
    ///       accept k if u_s ≥ 0.07 and V ≤ v_r                                  (squeeze)
    ///       reject if k < 0 or (u_s < 0.013 and V > u_s)
    ///       accept k if ln V + ln(1/α) − ln(a / u_s² + b) ≤ −λ + k ln λ − ln k!
    public static func ptrs(_ lambda: Double, using rng: inout SplitMix64) -> Int {
        let s = lambda.squareRoot()
        let logLambda = log(lambda)
        let b = 0.931 + 2.53 * s
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = rng.uniform() - 0.5
            let v = rng.uniform()
            let us = 0.5 - abs(u)
            let kd = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(kd) }
            if kd < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -lambda + kd * logLambda - logFactorial(kd) {
                return Int(kd)
            }
        }
    }

    /// ln k! for k ≥ 0: a table for k < 16, else Stirling's series
    /// `(k + ½) ln(k + 1) − (k + 1) + ½ ln 2π + 1/(12(k+1)) − 1/(360(k+1)³) + 1/(1260(k+1)⁵)`
    /// (= ln Γ(k + 1); absolute error below 1e-12 for k ≥ 16).
    public static func logFactorial(_ k: Double) -> Double {
        if k < 16 {
            return smallLogFactorials[Int(k)]
        }
        let x = k + 1
        let inv = 1 / x
        let inv2 = inv * inv
        return (x - 0.5) * log(x) - x + 0.918_938_533_204_672_7
            + inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 / 1260))
    }

    private static let smallLogFactorials: [Double] = {
        var table = [Double](repeating: 0, count: 16)
        var sum = 0.0
        for k in 1..<16 { sum += log(Double(k)); table[k] = sum }
        return table
    }()
}
