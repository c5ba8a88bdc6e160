import Foundation
import Testing
import NN
import TensorCore
@testable import CycleGAN

/// The streamed tiled pass (one Float16 map at H/4 × W/4, every layer tile by tile) against the whole
/// pass, its choice by the memory budget, and the Float16 map.
@Suite(.serialized)
struct StreamedInferenceTests {
    typealias T = TiledInferenceTests

    /// Tolerance of streamed against whole, in G's [−1, 1] units: the map is rounded to Float16 (relative
    /// 4.9e-4) after `down2` and after every residual block; through the decoder that stays below 1e-2
    /// (measured 4.7e-3 … 8.9e-3 on these random generators, whose weights are 10× CycleGAN's and whose
    /// outputs saturate; the shipped model through sn-enhance: see docs/enhancement.md).
    static let tolerance: Float = 1e-2

    typealias Case = TiledInferenceTests.Case

    @Test(arguments: [
        Case(width: 150, height: 98, tile: 32, blocks: 1, upsampling: .transposedConvolution),
        Case(width: 150, height: 98, tile: 64, blocks: 2, upsampling: .transposedConvolution),
        Case(width: 150, height: 98, tile: 32, blocks: 2, upsampling: .resizeConvolution),
        Case(width: 61, height: 67, tile: 8, blocks: 1, upsampling: .transposedConvolution),
        Case(width: 61, height: 67, tile: 16, blocks: 3, upsampling: .resizeConvolution),
        Case(width: 256, height: 200, tile: 100, blocks: 2, upsampling: .resizeConvolution),
    ])
    func streamedEqualsWhole(_ c: Case) {
        let g = T.generator(blocks: c.blocks, upsampling: c.upsampling)
        var streamed = TiledGenerator(generator: g, tileSize: c.tile)
        streamed.mapStorage = .streamedFloat16
        final class Calls { var list: [(Int, Int)] = [] }
        let calls = Calls()
        streamed.progress = { calls.list.append(($0, $1)) }
        let x = T.image(width: c.width, height: c.height)
        let whole = streamed.whole(x, width: c.width, height: c.height)
        let result = streamed(x, width: c.width, height: c.height)
        #expect(result.count == c.width * c.height && result.allSatisfy { $0.isFinite && abs($0) <= 1 })
        // Progress of the streamed pass: 6 passes over the tiles, 1 map normalisation, 3 passes per block over
        // the quarter-resolution tiles (a different count from the whole-map pass's 4 · tiles + 1).
        let (ph, pw) = (TiledGenerator.paddedExtent(c.height), TiledGenerator.paddedExtent(c.width))
        let tiles = TiledGenerator.tiles(height: ph, width: pw, size: streamed.tileSize).count
        let quarter = TiledGenerator.tiles(height: ph / 4, width: pw / 4, size: max(4, streamed.tileSize / 4)).count
        let total = 6 * tiles + 1 + 3 * c.blocks * quarter
        #expect(calls.list.map(\.0) == Array(1...total) && calls.list.allSatisfy { $0.1 == total }, "progress \(calls.list.last.map { "\($0)" } ?? "none"), expected \(total)")
        #expect(T.standardDeviation(whole) > 0.05)
        let difference = T.maxDifference(result, whole)
        #expect(difference < Self.tolerance, "\(c.testDescription): max |streamed − whole| = \(difference)")
        // Not the whole-map path under another name: that one agrees to Float32 rounding.
        var float32 = streamed
        float32.mapStorage = .wholeFloat32
        #expect(T.maxDifference(float32(x, width: c.width, height: c.height), whole) < 1e-3)
        print("streamedEqualsWhole \(c.testDescription): max |streamed − whole| = \(difference)")
    }

    /// Tiny images and a single tile: the streamed pass still matches the whole one.
    @Test(arguments: [(1, 2), (9, 1), (5, 7), (8, 8), (1, 40), (50, 37)])
    func tinyImages(_ size: (Int, Int)) {
        let (w, h) = size
        let g = T.generator(blocks: 1)
        let x = T.image(width: w, height: h)
        for tile in [4, 8, 512] {
            var streamed = TiledGenerator(generator: g, tileSize: tile)
            streamed.mapStorage = .streamedFloat16
            let whole = streamed.whole(x, width: w, height: h)
            #expect(T.maxDifference(streamed(x, width: w, height: h), whole) < Self.tolerance, "\(w)x\(h) tile \(tile)")
        }
    }

    /// The streamed margins are the smallest that work: 4 full-resolution pixels less in the encoder, one
    /// quarter pixel less in the trunk or the decoder, and the result leaves the tolerance.
    @Test(arguments: [GeneratorUpsampling.transposedConvolution, .resizeConvolution])
    func smallerStreamMarginsFail(_ upsampling: GeneratorUpsampling) {
        let g = T.generator(blocks: 1, upsampling: upsampling)
        let x = T.image(width: 100, height: 76)
        var streamed = TiledGenerator(generator: g, tileSize: 32)
        streamed.mapStorage = .streamedFloat16
        let whole = streamed.whole(x, width: 100, height: 76)
        #expect(T.maxDifference(streamed(x, width: 100, height: 76), whole) < Self.tolerance)
        let m = (TiledGenerator.streamedEncoderMargin, TiledGenerator.trunkMargin, TiledGenerator.streamedDecoderMargin)
        for margins in [(m.0 - 4, m.1, m.2), (m.0, m.1 - 1, m.2), (m.0, m.1, m.2 - 1)] {
            streamed.streamMargins = margins
            let difference = T.maxDifference(streamed(x, width: 100, height: 76), whole)
            print("smallerStreamMarginsFail \(upsampling) \(margins): \(difference)")
            #expect(difference > 5 * Self.tolerance, "margins \(margins): max difference \(difference)")
        }
    }

    /// The automatic choice: whole Float32 maps while `3·f·H'·W'` bytes fit the budget, streamed beyond.
    @Test func automaticChoiceFollowsTheBudget() {
        var t = TiledGenerator(generator: T.generator(filters: 4, blocks: 1), tileSize: 64)
        #expect(t.wholeMapBytes(height: 100, width: 200) == 3 * 4 * 100 * 200)
        t.mapStorage = .automatic(budget: 240_000)
        #expect(t.resolvedMapStorage(height: 100, width: 200) == .wholeFloat32)
        t.mapStorage = .automatic(budget: 239_999)
        #expect(t.resolvedMapStorage(height: 100, width: 200) == .streamedFloat16)
        t.mapStorage = .streamedFloat16
        #expect(t.resolvedMapStorage(height: 8, width: 8) == .streamedFloat16)
        // The default keeps 4096² (ngf 32: 1.6 GB of maps) whole and streams 8192² (6.4 GB).
        var initializer = WeightInitializer(.normal(std: 0.02), seed: 1)
        let paper = TiledGenerator(generator: ResNetGenerator(name: "G", options: GeneratorOptions(filters: 32, residualBlocks: 1),
                                                              initializer: &initializer), tileSize: 512)
        #expect(paper.resolvedMapStorage(height: 4096, width: 4096) == .wholeFloat32)
        #expect(paper.resolvedMapStorage(height: 8192, width: 8192) == .streamedFloat16)
    }

    /// The Float16 map: windows and stores round-trip to Float16 precision, saturate at ±65504, keep NaN;
    /// `replaceRows` moves whole rows of every channel.
    @Test func halfMapStoresAndReads() {
        var map = HalfMap(channels: 2, height: 6, width: 5)
        let values: [Float] = (0..<60).map { Float($0) * 0.37 - 7 }
        let t = Tensor(shape: [1, 2, 6, 5], scalars: values)
        map.store(t, region: .init(y0: 0, y1: 6, x0: 0, x1: 5), at: .init(y0: 0, y1: 6, x0: 0, x1: 5))
        let back = map.window(.init(y0: 0, y1: 6, x0: 0, x1: 5)).scalars
        #expect(zip(back, values).allSatisfy { abs($0 - $1) <= abs($1) * 4.9e-4 + 1e-7 })
        let corner = map.window(.init(y0: 2, y1: 4, x0: 1, x1: 3)).scalars
        #expect(corner == [back[11], back[12], back[16], back[17], back[41], back[42], back[46], back[47]])
        let extreme = Tensor(shape: [1, 2, 1, 3], scalars: [1e6, -1e9, .nan, .infinity, -.infinity, 65504])
        map.store(extreme, region: .init(y0: 0, y1: 1, x0: 0, x1: 3), at: .init(y0: 5, y1: 6, x0: 2, x1: 5))
        let e = map.window(.init(y0: 5, y1: 6, x0: 2, x1: 5)).scalars
        #expect(e[0] == 65504 && e[1] == -65504 && e[2].isNaN && e[3] == 65504 && e[4] == -65504 && e[5] == 65504)
        var band = HalfMap(channels: 2, height: 2, width: 5)
        band.store(Tensor(shape: [1, 2, 2, 5], scalars: [Float](repeating: 3, count: 20)),
                   region: .init(y0: 0, y1: 2, x0: 0, x1: 5), at: .init(y0: 0, y1: 2, x0: 0, x1: 5))
        map.replaceRows(.init(y0: 1, y1: 3, x0: 0, x1: 5), with: band)
        let rows = map.window(.init(y0: 0, y1: 4, x0: 0, x1: 5)).scalars
        for c in 0..<2 {
            for y in 0..<4 {
                for x in 0..<5 {
                    let v = rows[(c * 4 + y) * 5 + x]
                    #expect((1...2).contains(y) ? v == 3 : v == back[(c * 6 + y) * 5 + x])
                }
            }
        }
    }
}
