#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 (Steele, Lea & Flood 2014, as in Java's `SplittableRandom` and Vigna's reference code):
/// a 64-bit state advanced by the golden-ratio increment and passed through a bijective mixer.
///
///     state ← state + 0x9E3779B97F4A7C15
///     z ← (state ⊕ (state ≫ 30)) · 0xBF58476D1CE4E5B9
///     z ← (z ⊕ (z ≫ 27)) · 0x94D049BB133111EB
///     next = z ⊕ (z ≫ 31)
///
/// It passes BigCrush, has period 2⁶⁴, and is fully determined by its seed, so every synthetic image
/// is a pure function of (parameters, seed, index). Independent streams come from ``derived(_:_:)``.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's state.
    public private(set) var state: UInt64

    /// A generator whose first output is `mix(seed + 0x9E3779B97F4A7C15)`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// SplitMix64's output function, a bijection on 64-bit integers with strong avalanche.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed of stream `index` of `seed`: `mix(mix(seed) + (index + 1) · 0xD1B54A32D192ED03)`.
    ///
    /// Used for per-image seeds (stream = image index, so an image does not depend on which thread
    /// made it or on the images made before it) and for per-purpose sub-streams inside one image.
    public static func derived(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        mix(mix(seed) &+ (index &+ 1) &* 0xD1B5_4A32_D192_ED03)
    }

    /// A uniform `Double` in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³.
    @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform `Double` in `range` (lower + (upper − lower) · U, U in [0, 1)).
    @inline(__always)
    public mutating func uniform(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// A log-uniform `Double` in `range` (exp of a uniform in [ln lower, ln upper]); `range.lowerBound > 0`.
    public mutating func logUniform(in range: ClosedRange<Double>) -> Double {
        guard range.upperBound > range.lowerBound else { return range.lowerBound }
        return exp(uniform(in: log(range.lowerBound)...log(range.upperBound)))
    }

    /// Two independent standard normal deviates by the Box–Muller transform:
    /// `r = √(−2 ln U₁)`, `(r cos 2πU₂, r sin 2πU₂)` with U₁ in (0, 1].
    @inline(__always)
    public mutating func normalPair() -> (Double, Double) {
        let u1 = 1 - uniform()
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (r * cos(angle), r * sin(angle))
    }

    /// One standard normal deviate (the first of ``normalPair()``).
    public mutating func normal() -> Double { normalPair().0 }

    /// A uniform integer in 0..<bound (Lemire's multiply-shift; bias below 2⁻³² for bounds < 2³²).
    @inline(__always)
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
