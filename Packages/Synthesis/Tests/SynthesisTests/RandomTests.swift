import Foundation
import Testing
@testable import Synthesis

/// SplitMix64, the uniform / normal helpers and exact Poisson sampling.
@Suite struct RandomTests {
    @Test func splitMix64MatchesPublishedVectors() {
        // Vigna's splitmix64.c seeded with 0, and the seed-1234567 vectors (6457827717110365317, 3203168211198807973).
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        #expect(zero.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(zero.next() == 0x06C4_5D18_8009_454F)
        var other = SplitMix64(seed: 1_234_567)
        #expect(other.next() == 6_457_827_717_110_365_317)
        #expect(other.next() == 3_203_168_211_198_807_973)
    }

    @Test func derivedSeedsAreDistinctAndStable() {
        var seen = Set<UInt64>()
        for seed: UInt64 in 0..<20 {
            for index: UInt64 in 0..<200 { seen.insert(SplitMix64.derived(seed, index)) }
        }
        #expect(seen.count == 20 * 200)
        #expect(SplitMix64.derived(7, 3) == SplitMix64.derived(7, 3))
    }

    @Test func uniformAndNormalMoments() {
        var rng = SplitMix64(seed: 42)
        let n = 200_000
        var sum = 0.0, sumSquares = 0.0, minimum = 1.0, maximum = 0.0
        for _ in 0..<n {
            let u = rng.uniform()
            sum += u; sumSquares += u * u
            minimum = min(minimum, u); maximum = max(maximum, u)
        }
        #expect(minimum >= 0 && maximum < 1)
        #expect(abs(sum / Double(n) - 0.5) < 0.003)
        #expect(abs(sumSquares / Double(n) - sum * sum / Double(n * n) - 1.0 / 12) < 0.002)
        var zs: [Double] = []
        for _ in 0..<(n / 2) { let (a, b) = rng.normalPair(); zs += [a, b] }
        let mean = zs.reduce(0, +) / Double(zs.count)
        let variance = zs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(zs.count)
        let fourth = zs.reduce(0) { $0 + pow($1 - mean, 4) } / Double(zs.count)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.015)
        #expect(abs(fourth / (variance * variance) - 3) < 0.08, "kurtosis of a normal is 3")
        let bounded = (0..<10_000).map { _ in rng.index(below: 7) }
        #expect(Set(bounded) == Set(0..<7))
    }

    @Test func logFactorialMatchesTheDirectSum() {
        var sum = 0.0
        for k in 0...400 {
            if k > 0 { sum += log(Double(k)) }
            #expect(abs(Poisson.logFactorial(Double(k)) - sum) < 1e-9 * max(1, sum), "ln \(k)!")
        }
    }

    /// Mean and variance within 5 standard errors, for both samplers and λ on both sides of the switch.
    @Test(arguments: [0.3, 2.5, 9.99, 10.0, 37.0, 400.0, 5000.0])
    func poissonMeanAndVariance(lambda: Double) {
        var rng = SplitMix64(seed: UInt64(lambda * 1000))
        let n = 100_000
        var sum = 0.0, sumSquares = 0.0
        for _ in 0..<n {
            let k = Double(Poisson.sample(lambda, using: &rng))
            sum += k; sumSquares += k * k
        }
        let mean = sum / Double(n)
        let variance = sumSquares / Double(n) - mean * mean
        #expect(abs(mean - lambda) < 5 * (lambda / Double(n)).squareRoot(), "mean \(mean) for λ = \(lambda)")
        // Var of the sample variance ≈ (μ4 − σ⁴)/n = (λ + 2λ²)/n for Poisson.
        #expect(abs(variance - lambda) < 5 * ((lambda + 2 * lambda * lambda) / Double(n)).squareRoot(),
                "variance \(variance) for λ = \(lambda)")
    }

    /// Pearson's χ² against the exact probability mass function (bins with expectation ≥ 10, tails pooled).
    @Test(arguments: [3.0, 10.0, 15.5, 120.0])
    func poissonMatchesTheExactDistribution(lambda: Double) {
        var rng = SplitMix64(seed: 99 + UInt64(lambda))
        let n = 200_000
        var counts: [Int: Int] = [:]
        for _ in 0..<n { counts[Poisson.sample(lambda, using: &rng), default: 0] += 1 }
        // Bins: k with n·p(k) ≥ 10; everything else pooled into a lower and an upper tail.
        let mode = Int(lambda)
        var low = mode, high = mode
        while low > 0 && Double(n) * Reference.poissonProbability(low - 1, lambda: lambda) >= 10 { low -= 1 }
        while Double(n) * Reference.poissonProbability(high + 1, lambda: lambda) >= 10 { high += 1 }
        var chi2 = 0.0
        var bins = 0
        var probabilityInside = 0.0
        for k in low...high {
            let p = Reference.poissonProbability(k, lambda: lambda)
            probabilityInside += p
            let expected = Double(n) * p
            let observed = Double(counts[k, default: 0])
            chi2 += (observed - expected) * (observed - expected) / expected
            bins += 1
        }
        let lowerTail = low > 0 ? (0..<low).reduce(0.0) { $0 + Reference.poissonProbability($1, lambda: lambda) } : 0
        let upperTail = max(0, 1 - probabilityInside - lowerTail)
        for (p, observed) in [(lowerTail, counts.filter { $0.key < low }.values.reduce(0, +)),
                              (upperTail, counts.filter { $0.key > high }.values.reduce(0, +))] where Double(n) * p >= 5 {
            chi2 += (Double(observed) - Double(n) * p) * (Double(observed) - Double(n) * p) / (Double(n) * p)
            bins += 1
        }
        // χ² with (bins − 1) degrees of freedom: mean bins − 1, sd √(2(bins − 1)); allow 5 sd.
        let dof = Double(bins - 1)
        #expect(chi2 < dof + 5 * (2 * dof).squareRoot(), "χ² = \(chi2) with \(bins - 1) degrees of freedom, λ = \(lambda)")
    }

    @Test func poissonOfZeroOrNegativeIsZero() {
        var rng = SplitMix64(seed: 1)
        #expect(Poisson.sample(0, using: &rng) == 0)
        #expect(Poisson.sample(-3, using: &rng) == 0)
        #expect(Poisson.sample(.nan, using: &rng) == 0)
    }
}
