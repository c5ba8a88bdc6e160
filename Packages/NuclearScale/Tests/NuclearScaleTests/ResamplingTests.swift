import NuclearScale
import XCTest

final class ResamplingTests: XCTestCase {
    func randomPlane(_ w: Int, _ h: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<(w * h)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
    }

    func testFastResampleAgreesWithDirectTwin() {
        for (w, h, nw, nh) in [(17, 13, 40, 31), (40, 31, 17, 13), (64, 48, 21, 16), (9, 30, 27, 10), (5, 5, 5, 12), (1, 7, 3, 2)] {
            let x = randomPlane(w, h, seed: UInt64(w * 100 + nh))
            let fast = Resampling.resample(x, width: w, height: h, toWidth: nw, toHeight: nh)
            let slow = Reference.resample(x, width: w, height: h, toWidth: nw, toHeight: nh)
            XCTAssertEqual(fast.count, nw * nh)
            for i in fast.indices { XCTAssertEqual(fast[i], slow[i], accuracy: 1e-5, "\(w)x\(h)->\(nw)x\(nh) at \(i)") }
        }
    }

    func testConstantStaysConstantAndMeanIsKeptWhenShrinkingByAnInteger() {
        let c = [Float](repeating: 3.5, count: 30 * 20)
        for v in Resampling.resample(c, width: 30, height: 20, toWidth: 71, toHeight: 9) { XCTAssertEqual(v, 3.5, accuracy: 1e-5) }
        // Shrinking 2x: the tent spans 4 source pixels with weights 1/8, 3/8, 3/8, 1/8 (edges renormalised).
        let x = randomPlane(32, 32, seed: 3)
        let small = Resampling.resample(x, width: 32, height: 32, toWidth: 16, toHeight: 16)
        let meanIn = x.reduce(0, +) / Float(x.count), meanOut = small.reduce(0, +) / Float(small.count)
        XCTAssertEqual(meanIn, meanOut, accuracy: 0.01)
    }

    func testGrowingIsBilinearAtKnownPoints() {
        // 2 -> 4 samples: centres at 0.25, 0.75, 1.25, 1.75 source px; tent weights give 0, 0.25, 0.75, 1 on [0, 1].
        let up = Resampling.resample([0, 1], width: 2, height: 1, toWidth: 4, toHeight: 1)
        XCTAssertEqual(up, [0, 0.25, 0.75, 1])
    }

    /// Random blob labels (a few discs on a background) resampled by the fast kernel and by the direct twin.
    func testFastLabelResampleAgreesWithDirectTwin() {
        for (w, h, nw, nh) in [(40, 31, 17, 13), (64, 48, 32, 24), (17, 13, 40, 31), (30, 30, 10, 10), (9, 30, 27, 10), (1, 7, 3, 2)] {
            var labels = [UInt32](repeating: 0, count: w * h)
            let discs = randomPlane(3, 4, seed: UInt64(w + nh))
            for k in 0..<4 {
                let (cx, cy, r) = (discs[3 * k] * Float(w), discs[3 * k + 1] * Float(h), 2 + discs[3 * k + 2] * 5)
                for y in 0..<h { for x in 0..<w where (Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy) <= r * r {
                    labels[y * w + x] = UInt32(k + 1)
                } }
            }
            let fast = Resampling.resampleLabels(labels, width: w, height: h, toWidth: nw, toHeight: nh)
            let slow = Reference.resampleLabels(labels, width: w, height: h, toWidth: nw, toHeight: nh)
            XCTAssertEqual(fast, slow, "\(w)x\(h)->\(nw)x\(nh)")
        }
    }

    /// Labels and intensities resampled alike stay aligned: a disc shrunk 2x keeps its centroid where the
    /// shrunk intensity image has it (a single nearest sample shifted it by a quarter of an output pixel),
    /// and growing is nearest-neighbour.
    func testShrunkLabelsStayAlignedWithShrunkIntensities() {
        let w = 64
        var labels = [UInt32](repeating: 0, count: w * w)
        for y in 0..<w { for x in 0..<w where (x - 30) * (x - 30) + (y - 33) * (y - 33) <= 49 { labels[y * w + x] = 5 } }
        let small = Resampling.resampleLabels(labels, width: w, height: w, toWidth: 32, toHeight: 32)
        let intensity = Resampling.resample(labels.map { $0 > 0 ? 1 : 0 }, width: w, height: w, toWidth: 32, toHeight: 32)
        func centroid(_ v: [Float]) -> (Double, Double) {
            var (sx, sy, s) = (0.0, 0.0, 0.0)
            for (i, x) in v.enumerated() { sx += Double(x) * Double(i % 32); sy += Double(x) * Double(i / 32); s += Double(x) }
            return (sx / s, sy / s)
        }
        let (lx, ly) = centroid(small.map { $0 == 5 ? 1 : 0 }), (ix, iy) = centroid(intensity)
        XCTAssertEqual(lx, ix, accuracy: 0.05)
        XCTAssertEqual(ly, iy, accuracy: 0.05)
        XCTAssertEqual(Set(small), [0, 5])
        let big = Resampling.resampleLabels([1, 2, 3, 4], width: 2, height: 2, toWidth: 4, toHeight: 4)
        XCTAssertEqual(big, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    func testAntialiasingRemovesACheckerboard() {
        let w = 64
        let checker = (0..<(w * w)).map { Float(($0 % w + $0 / w) % 2) }
        let small = Resampling.resample(checker, width: w, height: w, toWidth: 16, toHeight: 16)
        for v in small { XCTAssertEqual(v, 0.5, accuracy: 0.02) }
    }

    func testScaleMappingRoundTripKeepsShapeAndSmoothContent() {
        let (w, h) = (101, 77)
        let smooth = (0..<(w * h)).map { i -> Float in
            let (x, y) = (Float(i % w), Float(i / w))
            return sin(x / 9) * cos(y / 7)
        }
        for imageDiameter in [6.0, 24.0, 36.0] {
            let m = ScaleMapping(imageDiameter: imageDiameter, modelDiameter: 12)
            let down = m.toModel(smooth, width: w, height: h)
            XCTAssertEqual(down.width, Int((Double(w) * 12 / imageDiameter).rounded()))
            let back = m.fromModel(down.pixels, scaledWidth: down.width, scaledHeight: down.height, width: w, height: h)
            XCTAssertEqual(back.count, w * h)
            var err: Float = 0
            for y in 8..<(h - 8) { for x in 8..<(w - 8) { err = max(err, abs(back[y * w + x] - smooth[y * w + x])) } }
            XCTAssertLessThan(err, imageDiameter > 24 ? 0.25 : 0.1, "diameter \(imageDiameter)")
        }
        XCTAssertTrue(ScaleMapping(imageDiameter: 12.3, modelDiameter: 12).isIdentity)
        XCTAssertEqual(ScaleMapping(imageDiameter: 0, modelDiameter: 12).factor, 1)
        XCTAssertEqual(ScaleMapping(imageDiameter: 1e-9, modelDiameter: 12).factor, 16)
    }

    func testBlurAgreesWithDirectTwin() {
        for (w, h, s) in [(23, 17, 1.3), (8, 40, 2.5), (3, 3, 0.8), (30, 30, 6.0)] {
            let x = randomPlane(w, h, seed: UInt64(w + h))
            let fast = GaussianBlur.blur(x, width: w, height: h, sigma: s)
            let slow = Reference.gaussianBlur(x, width: w, height: h, sigma: s)
            for i in fast.indices { XCTAssertEqual(fast[i], slow[i], accuracy: 1e-5, "\(w)x\(h) sigma \(s)") }
        }
    }

    func testDiameterSettingParsing() {
        XCTAssertEqual(DiameterSetting(argument: "auto"), .auto)
        XCTAssertEqual(DiameterSetting(argument: "17.5"), .fixed(17.5))
        for bad in ["0", "-3", "nan", "NaN", "inf", "1e9", "", "twelve", "0.5"] {
            XCTAssertNil(DiameterSetting(argument: bad), bad)
        }
    }
}
