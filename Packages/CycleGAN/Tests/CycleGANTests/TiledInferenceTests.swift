import Foundation
import Testing
import NN
import TensorCore
@testable import CycleGAN

/// Tiled inference with global instance-norm statistics against the whole-image pass (tiny random
/// generators, images ≤ 256²), the padding of tiny images, and the enhancer's intensity mapping.
@Suite(.serialized)
struct TiledInferenceTests {
    /// A random generator with weights N(0, 0.2²) and biases N(0, 0.1²), so that outputs are far from 0
    /// and every layer's bias matters.
    static func generator(filters: Int = 4, blocks: Int, upsampling: GeneratorUpsampling = .transposedConvolution,
                          seed: UInt64 = 1) -> ResNetGenerator {
        var initializer = WeightInitializer(.normal(std: 0.2), seed: seed)
        let g = ResNetGenerator(name: "G", options: GeneratorOptions(filters: filters, residualBlocks: blocks, upsampling: upsampling),
                                initializer: &initializer)
        for (i, p) in g.parameters.enumerated() where p.name.hasSuffix(".bias") {
            p.value = Tensor.uniform(p.value.shape, low: -0.2, high: 0.2, seed: seed &+ UInt64(100 + i))
        }
        return g
    }

    /// A structured image in [−1, 1]: smooth blobs and gradients plus uniform noise.
    static func image(width: Int, height: Int, seed: UInt64 = 9) -> [Float] {
        let noise = Tensor.uniform([width * height], low: -0.3, high: 0.3, seed: seed).scalars
        return (0..<(width * height)).map { i in
            let (x, y) = (Float(i % width), Float(i / width))
            let v = 0.5 * sin(x / 7) * cos(y / 5) + 0.3 * (x / Float(max(width, 1)) - y / Float(max(height, 1))) + noise[i]
            return max(-1, min(1, v))
        }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    static func standardDeviation(_ a: [Float]) -> Float {
        let mean = a.reduce(0, +) / Float(a.count)
        return (a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(a.count)).squareRoot()
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var width: Int, height: Int, tile: Int, blocks: Int, upsampling: GeneratorUpsampling
        var testDescription: String { "\(width)x\(height) tile \(tile), \(blocks) blocks, \(upsampling)" }
    }

    /// Tiled = whole within 1e-3 (measured ≈ 1e-6 … 1e-5: Winograd tiles fall differently in a window
    /// than in the whole image, and the statistics are summed in another order).
    @Test(arguments: [
        Case(width: 150, height: 98, tile: 32, blocks: 1, upsampling: .transposedConvolution),
        Case(width: 150, height: 98, tile: 64, blocks: 2, upsampling: .transposedConvolution),
        Case(width: 150, height: 98, tile: 32, blocks: 2, upsampling: .resizeConvolution),
        Case(width: 150, height: 98, tile: 64, blocks: 1, upsampling: .resizeConvolution),
        Case(width: 61, height: 67, tile: 8, blocks: 1, upsampling: .transposedConvolution),
        Case(width: 256, height: 200, tile: 100, blocks: 2, upsampling: .resizeConvolution),
    ])
    func tiledEqualsWhole(_ c: Case) {
        let g = Self.generator(blocks: c.blocks, upsampling: c.upsampling)
        var tiled = TiledGenerator(generator: g, tileSize: c.tile)
        final class Calls { var list: [(Int, Int)] = [] }
        let calls = Calls()
        tiled.progress = { calls.list.append(($0, $1)) }
        #expect(tiled.isTileable)
        #expect(tiled.tileSize % 4 == 0 && tiled.tileSize >= c.tile)
        let x = Self.image(width: c.width, height: c.height)
        let whole = tiled.whole(x, width: c.width, height: c.height)
        let result = tiled(x, width: c.width, height: c.height)
        #expect(result.count == c.width * c.height)
        // Progress: steps 1...total once each, total = 4 · tiles + 1 (every case here has several tiles).
        let total = calls.list.first?.1 ?? 0
        #expect(total > 5 && total % 4 == 1 && calls.list.map(\.0) == Array(1...max(1, total)) && calls.list.allSatisfy { $0.1 == total },
                "progress calls \(calls.list)")
        #expect(Self.standardDeviation(whole) > 0.05, "the random generator's output is nearly constant")
        let difference = Self.maxDifference(result, whole)
        #expect(difference < 1e-3, "\(c.testDescription): max |tiled − whole| = \(difference)")
        print("tiledEqualsWhole \(c.testDescription): max |tiled − whole| = \(difference)")
    }

    /// What the global statistics are for: the same tile run on its own (its own instance-norm
    /// statistics) differs from the whole image's result there by far more than the tolerance above.
    @Test func tilesWithTheirOwnStatisticsDisagree() {
        let g = Self.generator(blocks: 1)
        let (w, h) = (128, 96)
        let x = Self.image(width: w, height: h)
        let whole = TiledGenerator(generator: g, tileSize: 0)(x, width: w, height: h)
        let tile = (0..<48).flatMap { y in x[(y * w + 64)..<(y * w + 128)] }      // rows 0..<48, columns 64..<128
        let alone = TiledGenerator(generator: g, tileSize: 0)(Array(tile), width: 64, height: 48)
        let inWhole = (0..<48).flatMap { y in whole[(y * w + 64)..<(y * w + 128)] }
        // Compare away from the tile's borders, where padding differs anyway.
        var difference: Float = 0
        for y in 8..<40 { for x in 8..<56 { difference = max(difference, abs(alone[y * 64 + x] - inWhole[y * 64 + x])) } }
        #expect(difference > 1e-2, "per-tile statistics should change the interior; got \(difference)")
    }

    /// The margins are the smallest that work: one pixel less on either side breaks the equality.
    @Test(arguments: [GeneratorUpsampling.transposedConvolution, .resizeConvolution])
    func smallerMarginsFail(_ upsampling: GeneratorUpsampling) {
        let g = Self.generator(blocks: 1, upsampling: upsampling)
        let x = Self.image(width: 100, height: 76)
        var tiled = TiledGenerator(generator: g, tileSize: 32)
        let whole = tiled.whole(x, width: 100, height: 76)
        #expect(Self.maxDifference(tiled(x, width: 100, height: 76), whole) < 1e-3)
        for margins in [(TiledGenerator.encoderMargin - 2, TiledGenerator.decoderMargin),
                        (TiledGenerator.encoderMargin, TiledGenerator.decoderMargin - 1)] {
            tiled.margins = (margins.0, margins.1)
            let difference = Self.maxDifference(tiled(x, width: 100, height: 76), whole)
            #expect(difference > 1e-2, "margins \(margins): max difference \(difference)")
        }
    }

    /// One tile covering everything runs the staged path on a single window; tile 0 is the whole pass.
    @Test func imageSmallerThanOneTile() {
        let g = Self.generator(blocks: 2, upsampling: .resizeConvolution)
        let x = Self.image(width: 50, height: 37)
        let reference = TiledGenerator(generator: g, tileSize: 0)
        let whole = reference.whole(x, width: 50, height: 37)
        #expect(reference(x, width: 50, height: 37) == whole)
        let staged = TiledGenerator(generator: g, tileSize: 512)(x, width: 50, height: 37)
        #expect(Self.maxDifference(staged, whole) < 1e-3)
    }

    /// Images narrower than the network's padding needs: extended by repeated reflection (a single
    /// row or column replicated) to at least 8×8; tiled and whole agree and the output is finite.
    @Test(arguments: [(1, 2), (2, 1), (1, 9), (9, 1), (2, 3), (3, 2), (5, 7), (4, 4), (8, 8), (1, 40)])
    func tinyImages(_ size: (Int, Int)) {
        let (w, h) = size
        let g = Self.generator(blocks: 1)
        let x = Self.image(width: w, height: h)
        let whole = TiledGenerator(generator: g, tileSize: 0)(x, width: w, height: h)
        #expect(whole.count == w * h && whole.allSatisfy { $0.isFinite && abs($0) < 1 })
        for tile in [4, 8, 512] {
            let tiled = TiledGenerator(generator: g, tileSize: tile)(x, width: w, height: h)
            #expect(Self.maxDifference(tiled, whole) < 1e-3, "\(w)x\(h) tile \(tile)")
        }
    }

    /// A constant plane (a 1×1 image is one) is ill-conditioned for G: each instance norm divides
    /// rounding noise (σ² ≈ 0) by √ε ≈ 0.003, so after a few layers the output is amplified noise and
    /// whole and tiled runs differ. Both stay finite and in (−1, 1); the ``Enhancer`` never passes a
    /// plane without intensity range to G.
    @Test(arguments: [(1, 1), (20, 12)])
    func constantPlanesStayFinite(_ size: (Int, Int)) {
        let (w, h) = size
        let g = Self.generator(blocks: 1)
        let x = [Float](repeating: 0.25, count: w * h)
        for tile in [0, 8] {
            let y = TiledGenerator(generator: g, tileSize: tile)(x, width: w, height: h)
            #expect(y.count == w * h && y.allSatisfy { $0.isFinite && abs($0) < 1 })
        }
        let enhancer = Enhancer(model: Self.model(), tileSize: 8)
        #expect(enhancer.enhance(x, width: w, height: h, low: 0.25, high: 0.25) == x)
    }

    /// Issue 12: subnormal and ±3e38 ranges were an all-NaN output; now finite and within [low, high].
    @Test(arguments: [(Float(1e-40 as Double), Float(1.2e-40 as Double)), (Float(-3e38), Float(3e38))])
    func enhancerStaysFiniteOnExtremeRanges(low: Float, high: Float) {
        let (w, h) = (12, 10)
        let x = (0..<(w * h)).map { $0 % 3 == 0 ? low : high }
        let enhancer = Enhancer(model: Self.model(), tileSize: 0)
        let y = enhancer.enhance(x, width: w, height: h, low: low, high: high)
        #expect(y.allSatisfy { $0.isFinite && $0 >= low && $0 <= high })
        let n = enhancer.enhance(x, width: w, height: h, low: low, high: high, scale: .normalized)
        #expect(n.allSatisfy { $0.isFinite && abs($0) < 1 })
    }

    @Test func paddingIsRepeatedReflection() {
        #expect([1, 4, 5, 8, 9, 150].map(TiledGenerator.paddedExtent) == [8, 8, 8, 8, 12, 152])
        func sequence(_ n: Int) -> [Int] { (0..<10).map { TiledGenerator.extensionIndex($0, count: n) } }
        #expect(sequence(1) == [Int](repeating: 0, count: 10))
        #expect(sequence(2) == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        #expect(sequence(3) == [0, 1, 2, 1, 0, 1, 2, 1, 0, 1])
        #expect(sequence(5) == [0, 1, 2, 3, 4, 3, 2, 1, 0, 1])
        // Two channels, 3 wide × 2 high → [1, 2, 8, 8].
        let x: [Float] = [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]
        let p = TiledGenerator.padded(x, channels: 2, width: 3, height: 2)
        #expect(p.shape == [1, 2, 8, 8])
        #expect(Array(p.scalars[0..<8]) == [1, 2, 3, 2, 1, 2, 3, 2])
        #expect(Array(p.scalars[8..<16]) == [4, 5, 6, 5, 4, 5, 6, 5])
        #expect(Array(p.scalars[16..<24]) == [1, 2, 3, 2, 1, 2, 3, 2])
        #expect(Array(p.scalars[64..<72]) == [10, 20, 30, 20, 10, 20, 30, 20])
        #expect(TiledGenerator.cropped(p, width: 3, height: 2) == x)
    }

    /// The inference-only normalisation with given statistics against NN's fused instance norm, and
    /// statistics accumulated over four regions against one region.
    @Test func globalStatisticsNormalizationMatchesInstanceNorm() {
        let t = Tensor.uniform([1, 3, 21, 34], low: -2, high: 3, seed: 11)
        var whole = TiledGenerator.ChannelMoments(channels: 3)
        whole.add(t, region: .init(y0: 0, y1: 21, x0: 0, x1: 34))
        var parts = TiledGenerator.ChannelMoments(channels: 3)
        for (ys, xs) in [(0..<10, 0..<17), (0..<10, 17..<34), (10..<21, 0..<17), (10..<21, 17..<34)] {
            parts.add(t, region: .init(y0: ys.lowerBound, y1: ys.upperBound, x0: xs.lowerBound, x1: xs.upperBound))
        }
        #expect(parts.count == whole.count)
        for c in 0..<3 {
            #expect(abs(parts.mean[c] - whole.mean[c]) < 1e-6 && abs(parts.variance[c] - whole.variance[c]) < 1e-6)
        }
        for slope: Float in [0, 1] {
            var y = t
            TiledGenerator.normalizeActivate(&y, parts, slope: slope)
            let reference = Variable(t).instanceNormActivated(slope: slope).value
            #expect(y.maxAbsoluteDifference(reference) < 1e-5, "slope \(slope)")
        }
    }

    /// A generator whose layers were replaced (not the standard geometry) is run whole.
    @Test func nonstandardGeneratorRunsWhole() {
        var g = Self.generator(blocks: 1)
        g.up1 = Sequential(g.up1)
        let tiled = TiledGenerator(generator: g, tileSize: 16)
        #expect(!tiled.isTileable)
        let x = Self.image(width: 40, height: 24)
        #expect(tiled(x, width: 40, height: 24) == tiled.whole(x, width: 40, height: 24))
    }

    static func model(percentiles: (Double, Double) = (2, 99)) -> GeneratorModel {
        let g = generator(blocks: 1)
        let metadata = ModelMetadata(architecture: SaliencyNetFile.architecture,
                                     hyperparameters: SaliencyNetFile.hyperparameters(g.options, discriminatorFilters: nil),
                                     intensityNormalization: ["low_percentile": "\(percentiles.0)", "high_percentile": "\(percentiles.1)"])
        return GeneratorModel(generator: g, metadata: metadata)
    }

    /// Intensities → [−1, 1] (low ↦ −1, high ↦ 1) → G → back; constant planes, clamping, NaN.
    @Test func enhancerMapsIntensitiesThroughG() {
        let enhancer = Enhancer(model: Self.model(), tileSize: 32)
        #expect(enhancer.percentiles == (2, 99))
        let (w, h) = (70, 45)
        let unit = Self.image(width: w, height: h)
        let pixels = unit.map { 1000 + 800 * $0 }                  // 200 … 1800
        let (low, high): (Float, Float) = (400, 1600)
        let normalized = pixels.map { ($0 - low) * (2 / (high - low)) - 1 }
        let g = enhancer.generator(normalized, width: w, height: h)
        let intensity = enhancer.enhance(pixels, width: w, height: h, low: low, high: high)
        let expected = g.map { ($0 + 1) * ((high - low) / 2) + low }
        #expect(Self.maxDifference(intensity, expected) < 1e-3)
        #expect(intensity.allSatisfy { $0 >= low && $0 <= high })
        let raw = enhancer.enhance(pixels, width: w, height: h, low: low, high: high, scale: .normalized)
        #expect(raw == g)
        let clamped = enhancer.enhance(pixels, width: w, height: h, low: low, high: high, clampedTo: 0...1000)
        #expect(zip(clamped, intensity).allSatisfy { $0 == min($1, 1000) })

        // A constant plane has no range: returned unchanged (intensity) or as zeros (normalized).
        let constant = [Float](repeating: 321, count: w * h)
        #expect(enhancer.enhance(constant, width: w, height: h, low: 321, high: 321) == constant)
        #expect(enhancer.enhance(constant, width: w, height: h, low: 321, high: 321, scale: .normalized)
                == [Float](repeating: 0, count: w * h))
        // Non-finite pixels enter G as −1; nothing becomes NaN.
        var holes = pixels
        holes[5] = .nan
        holes[77] = .infinity
        #expect(enhancer.enhance(holes, width: w, height: h, low: low, high: high).allSatisfy { $0.isFinite })
    }
}
