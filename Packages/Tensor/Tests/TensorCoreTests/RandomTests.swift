import Testing
@testable import TensorCore

extension TensorCoreTests {
    @Suite("Philox4x32-10 random numbers")
    struct RandomTests {
        @Test("Philox4x32-10 known-answer vectors (Random123 kat_vectors)")
        func knownAnswers() {
            #expect(PhiloxGenerator.philox(counter: .zero, key: .zero) == SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8))
            #expect(PhiloxGenerator.philox(counter: SIMD4(repeating: 0xffff_ffff), key: SIMD2(repeating: 0xffff_ffff))
                    == SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd))
            #expect(PhiloxGenerator.philox(counter: SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344),
                                           key: SIMD2(0xa409_3822, 0x299f_31d0))
                    == SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
        }

        @Test("same seed → same values; other seed or stream → other values; first values pinned")
        func reproducible() {
            let a = Tensor.normal([3, 5, 7], seed: 42)
            let b = Tensor.normal([3, 5, 7], seed: 42)
            #expect(a == b)
            #expect(a != Tensor.normal([3, 5, 7], seed: 43))
            #expect(a != Tensor.normal([3, 5, 7], seed: 42, stream: 1))
            // A prefix of a larger tensor is the smaller tensor (element j depends only on j).
            #expect(Array(Tensor.uniform([1000], seed: 5).scalars.prefix(10)) == Tensor.uniform([10], seed: 5).scalars)
            // Pinned: u = (word >> 8)·2⁻²⁴ of block 0 for seed 0 (the KAT block above).
            let u = Tensor.uniform([4], seed: 0)
            let words: [UInt32] = [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
            let expected: [Float] = words.map { Float($0 >> 8) * 0x1p-24 }
            #expect(u.scalars == expected)
        }

        @Test("parallel fill == sequential Reference.random bit for bit, with 1 and 2 threads")
        func threadIndependent() {
            var results: [Tensor] = []
            forEachThreadCount { _ in
                for shape in [[1], [3], [5, 7], [1_000_003]] {
                    let n = Tensor.normal(shape, mean: 1, std: 2, seed: 77, stream: 3)
                    #expect(n == Reference.random(shape, distribution: .normal(mean: 1, std: 2), seed: 77, stream: 3))
                    let u = Tensor.uniform(shape, low: -3, high: 5, seed: 78)
                    #expect(u == Reference.random(shape, distribution: .uniform(low: -3, high: 5), seed: 78))
                    results += [n, u]
                }
            }
            #expect(Array(results[0..<8]) == Array(results[8..<16]))
        }

        /// 1e5 samples: standard error of the mean is σ/√n ≈ 0.0032σ and of the std ≈ 0.0022σ;
        /// tolerances are 0.02 (≈ 6 standard errors), uniform [0,1): mean 0.5 ± 0.005, var 1/12 ± 0.002.
        @Test("statistics of 1e5 samples")
        func statistics() {
            let z = Tensor.normal([100_000], mean: 3, std: 2, seed: 2024)
            #expect(Swift.abs(z.mean() - 3) < 0.02 * 2)
            #expect(Swift.abs(z.variance().squareRoot() - 2) < 0.02 * 2)
            let s = (z - 3) / 2
            let skew = s.map { $0 * $0 * $0 }.mean(), kurt = s.map { $0 * $0 * $0 * $0 }.mean()
            #expect(Swift.abs(skew) < 0.05 && Swift.abs(kurt - 3) < 0.1)
            let u = Tensor.uniform([100_000], seed: 2025)
            #expect(Swift.abs(u.mean() - 0.5) < 0.005)
            #expect(Swift.abs(u.variance() - 1.0 / 12.0) < 0.002)
            #expect(u.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
        }

        @Test("generator: RandomNumberGenerator conformance is deterministic")
        func generator() {
            var g1 = PhiloxGenerator(seed: 9), g2 = PhiloxGenerator(seed: 9)
            var a = Array(0..<50), b = Array(0..<50)
            a.shuffle(using: &g1)
            b.shuffle(using: &g2)
            #expect(a == b && a != Array(0..<50))
            var g = PhiloxGenerator(seed: 0)
            let first = g.next()
            #expect(first == UInt64(0xe169_c58d) << 32 | 0x6627_e8d5)
        }
    }
}
