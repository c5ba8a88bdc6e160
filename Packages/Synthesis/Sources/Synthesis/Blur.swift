#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The separable Gaussian blur of the PSF and defocus model is NuclearScale's `GaussianBlur` (R = ⌈4σ⌉,
// SciPy's 'reflect' borders).

/// Slow, obviously correct references, for tests.
public enum Reference {
    /// The Poisson(λ) probability mass function e^{−λ} λᵏ / k!, computed in log space.
    public static func poissonProbability(_ k: Int, lambda: Double) -> Double {
        guard k >= 0 else { return 0 }
        var logFactorial = 0.0
        if k > 1 { for j in 2...k { logFactorial += log(Double(j)) } }
        return exp(-lambda + Double(k) * log(lambda) - logFactorial)
    }
}
