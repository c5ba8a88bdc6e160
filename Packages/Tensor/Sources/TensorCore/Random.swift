#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as
/// easy as 1, 2, 3" (SC 2011, the Random123 library; also used by cuRAND, PyTorch and JAX).
///
/// Block `i` of a stream is the pure function `philox(key: seed, counter: (i, stream))` →
/// four 32-bit words; nothing is carried from one block to the next. So tensor element `j`
/// always receives word `j mod 4` of block `j / 4`, whichever thread computes it: values are
/// reproducible across runs and independent of the thread count.
///
/// - Key: the 64-bit `seed` (low word k0, high word k1).
/// - Counter: 128 bits `(c0, c1, c2, c3)` = (block index low, high, stream low, high);
///   different `stream`s give independent sequences for the same seed (e.g. one per layer).
/// - Uniform floats: `u = (word >> 8) · 2⁻²⁴ ∈ [0, 1)` (24 random mantissa bits).
/// - Normal floats: Box–Muller on word pairs: `u₁ = ((w₀ >> 8) + 1) · 2⁻²⁴ ∈ (0, 1]`,
///   `u₂ = (w₁ >> 8) · 2⁻²⁴`, `z₀ = √(−2 ln u₁) · cos 2πu₂`, `z₁ = √(−2 ln u₁) · sin 2πu₂`
///   (so |z| ≤ √(2·24·ln 2) ≈ 5.77). Computed with libm's `logf`, `cosf`, `sinf`: bitwise
///   reproducible on the same platform/libc, possibly differing in the last bit elsewhere.
public struct PhiloxGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The key.
    public let seed: UInt64
    /// The high 64 bits of the counter: selects an independent sequence for the same seed.
    public let stream: UInt64
    /// Index of the next block ``nextBlock()`` returns.
    public private(set) var blockIndex: UInt64
    private var buffer: SIMD4<UInt32> = .zero
    private var bufferedWords = 0

    /// A generator at block 0 of `stream` under key `seed`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.blockIndex = 0
    }

    /// Philox4x32-10 of one counter under one key: the pure function behind everything here.
    /// Known answer (Random123 KAT): counter 0, key 0 → `(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)`.
    @inlinable
    public static func philox(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k0 = key.x, k1 = key.y
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c.x)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.z)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c = SIMD4(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0)
        }
        return c
    }

    /// Block `index` of (`seed`, `stream`): `philox(counter: (index, stream), key: seed)`.
    @inlinable
    public static func block(seed: UInt64, stream: UInt64, index: UInt64) -> SIMD4<UInt32> {
        philox(
            counter: SIMD4(
                UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
                UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
            key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// The next block (four words) of the sequence; advances ``blockIndex`` by one and
    /// discards any words buffered by ``next()``.
    public mutating func nextBlock() -> SIMD4<UInt32> {
        let b = PhiloxGenerator.block(seed: seed, stream: stream, index: blockIndex)
        blockIndex &+= 1
        bufferedWords = 0
        return b
    }

    /// The next 64 random bits (two consecutive words, the first in the low half), for
    /// `RandomNumberGenerator` (e.g. `array.shuffle(using: &generator)`).
    public mutating func next() -> UInt64 {
        if bufferedWords == 0 {
            buffer = nextBlock()
            bufferedWords = 4
        }
        let lane = 4 - bufferedWords
        bufferedWords -= 2
        return UInt64(buffer[lane]) | UInt64(buffer[lane + 1]) << 32
    }

    /// `(word >> 8) · 2⁻²⁴`: a uniform float in [0, 1).
    @inlinable
    public static func unitFloat(_ word: UInt32) -> Float { Float(word >> 8) * 0x1p-24 }

    /// Four standard normal floats from one block by Box–Muller (see the type's documentation).
    @inlinable
    public static func normals(_ w: SIMD4<UInt32>) -> SIMD4<Float> {
        let twoPi: Float = 6.283_185_307_179_586
        let r0 = (-2 * logf(Float((w.x >> 8) + 1) * 0x1p-24)).squareRoot()
        let t0 = twoPi * unitFloat(w.y)
        let r1 = (-2 * logf(Float((w.z >> 8) + 1) * 0x1p-24)).squareRoot()
        let t1 = twoPi * unitFloat(w.w)
        return SIMD4(r0 * cosf(t0), r0 * sinf(t0), r1 * cosf(t1), r1 * sinf(t1))
    }

    /// Four uniform floats in [0, 1) from one block.
    @inlinable
    public static func uniforms(_ w: SIMD4<UInt32>) -> SIMD4<Float> {
        SIMD4(unitFloat(w.x), unitFloat(w.y), unitFloat(w.z), unitFloat(w.w))
    }
}

/// How to turn one Philox block into four floats.
public enum RandomDistribution: Sendable, Equatable {
    /// `low + (high − low) · u`, u uniform in [0, 1) (rounding can produce `high` itself).
    case uniform(low: Float, high: Float)
    /// `mean + std · z`, z standard normal by Box–Muller.
    case normal(mean: Float, std: Float)

    /// The four values this distribution makes of one block.
    @inlinable
    public func values(_ block: SIMD4<UInt32>) -> SIMD4<Float> {
        switch self {
        case .uniform(let low, let high):
            return SIMD4(repeating: low) + (high - low) * PhiloxGenerator.uniforms(block)
        case .normal(let mean, let std):
            return SIMD4(repeating: mean) + std * PhiloxGenerator.normals(block)
        }
    }
}

extension Tensor {
    /// A tensor of random values: element `j` is lane `j mod 4` of
    /// `distribution.values(PhiloxGenerator.block(seed:stream:index: j / 4))`.
    /// Filled in parallel; identical for any thread count and across runs.
    public static func random(
        _ shape: [Int], distribution: RandomDistribution, seed: UInt64, stream: UInt64 = 0
    ) -> Tensor {
        Tensor(shape: shape) { out in
            guard let p = out.baseAddress else { return }
            let n = out.count
            let blocks = (n + 3) / 4
            Parallel.forEachChunk(count: blocks, minimumChunk: 2048) { range in
                for b in range {
                    let v = distribution.values(
                        PhiloxGenerator.block(seed: seed, stream: stream, index: UInt64(b)))
                    let base = 4 * b
                    if base + 4 <= n {
                        p[base] = v.x
                        p[base + 1] = v.y
                        p[base + 2] = v.z
                        p[base + 3] = v.w
                    } else {
                        for lane in 0..<(n - base) { p[base + lane] = v[lane] }
                    }
                }
            }
        }
    }

    /// Uniform random values in [low, high) (see ``random(_:distribution:seed:stream:)``),
    /// e.g. `Tensor.uniform([64, 3, 7, 7], low: -0.1, high: 0.1, seed: 42)`.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, seed: UInt64, stream: UInt64 = 0
    ) -> Tensor {
        random(shape, distribution: .uniform(low: low, high: high), seed: seed, stream: stream)
    }

    /// Normal random values with the given mean and standard deviation (Box–Muller on
    /// Philox4x32-10; see ``PhiloxGenerator``), e.g. `Tensor.normal([64, 3, 7, 7], std: 0.02, seed: 1)`.
    public static func normal(
        _ shape: [Int], mean: Float = 0, std: Float = 1, seed: UInt64, stream: UInt64 = 0
    ) -> Tensor {
        random(shape, distribution: .normal(mean: mean, std: std), seed: seed, stream: stream)
    }
}
