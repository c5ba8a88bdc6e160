import Foundation
import ImageCore
import Testing
@testable import Segmentation

/// The enhancement trust report: erased and invented nuclei must be flagged, faithful enhancement not.
@Suite struct EnhancementTrustTests {
    /// Disk centres on a jittered grid: `rows × cols` nuclei of diameter `d`, spaced 2.2 d.
    func centres(rows: Int, cols: Int, d: Double, rng: inout TestRandom) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        for r in 0..<rows {
            for c in 0..<cols {
                out.append((1.6 * d + 2.2 * d * Double(c) + (rng.uniform() - 0.5) * 0.4 * d,
                            1.6 * d + 2.2 * d * Double(r) + (rng.uniform() - 0.5) * 0.4 * d))
            }
        }
        return out
    }

    /// A plane of `background` with disks of diameter `d` at `centres`, each `contrast` brighter, plus
    /// Gaussian noise of sd `noise`.
    func plane(width: Int, height: Int, centres: [(Double, Double)], d: Double, background: Float, contrast: Float,
               noise: Double, rng: inout TestRandom) -> ImagePlane {
        var pixels = [Float](repeating: background, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                for (cx, cy) in centres {
                    let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                    if dx * dx + dy * dy <= d * d / 4 { pixels[y * width + x] += contrast; break }
                }
                if noise > 0 {
                    let u1 = 1 - rng.uniform(), u2 = rng.uniform()
                    pixels[y * width + x] += Float(noise * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
                }
            }
        }
        return ImagePlane(width: width, height: height, pixels: pixels, sampleType: .float32)
    }

    /// The noisy input of 20 nuclei (d = 12) and its clean "enhancement".
    func scene(d: Double = 12, seed: UInt64 = 1) -> (input: ImagePlane, centres: [(Double, Double)], width: Int, height: Int) {
        var rng = TestRandom(state: seed)
        let cs = centres(rows: 4, cols: 5, d: d, rng: &rng)
        let width = Int(3.2 * d + 2.2 * d * 4), height = Int(3.2 * d + 2.2 * d * 3)
        let input = plane(width: width, height: height, centres: cs, d: d, background: 100, contrast: 60, noise: 10, rng: &rng)
        return (input, cs, width, height)
    }

    @Test func faithfulEnhancementIsNotFlagged() {
        for d in [12.0, 24.0] {
            let s = scene(d: d)
            var rng = TestRandom(state: 5)
            let clean = plane(width: s.width, height: s.height, centres: s.centres, d: d, background: 0, contrast: 1000, noise: 0, rng: &rng)
            let trust = EnhancementTrust.assess(input: s.input, enhanced: clean, diameter: d)
            #expect(trust.inputCandidates == 20, "d \(d): \(trust)")
            #expect(trust.enhancedNuclei == 20)
            #expect(trust.erased == 0 && trust.invented == 0)
            #expect(trust.flag == "none")
            #expect(abs(trust.areaChange ?? 9) < 0.3, "area change \(String(describing: trust.areaChange))")
            // The input as its own "enhancement": identical planes are not flagged.
            let same = EnhancementTrust.assess(input: s.input, enhanced: s.input, diameter: d)
            #expect(same.flag == "none", "identical: \(same)")
            #expect(same.erased == 0 && same.invented == 0)
        }
    }

    @Test func droppedNucleiAreFlaggedAsErased() {
        let s = scene()
        var rng = TestRandom(state: 5)
        let kept = Array(s.centres.dropFirst(3))   // 3 of 20 erased: 15 %
        let enhanced = plane(width: s.width, height: s.height, centres: kept, d: 12, background: 0, contrast: 1000, noise: 0, rng: &rng)
        let trust = EnhancementTrust.assess(input: s.input, enhanced: enhanced, diameter: 12)
        #expect(trust.inputCandidates == 20)
        #expect(trust.erased == 3)
        #expect(trust.invented == 0)
        #expect(trust.erasedFlag && trust.flag == "erased")
        // One dropped nucleus (5 %) stays under the threshold.
        let one = plane(width: s.width, height: s.height, centres: Array(s.centres.dropFirst()), d: 12, background: 0,
                        contrast: 1000, noise: 0, rng: &rng)
        let mild = EnhancementTrust.assess(input: s.input, enhanced: one, diameter: 12)
        #expect(mild.erased == 1 && mild.flag == "none")
    }

    @Test func addedNucleiAreFlaggedAsInvented() {
        var rng = TestRandom(state: 3)
        let d = 12.0
        let all = centres(rows: 4, cols: 5, d: d, rng: &rng)
        let width = Int(3.2 * d + 2.2 * d * 4), height = Int(3.2 * d + 2.2 * d * 3)
        let shown = Array(all.dropFirst(3))   // the input lacks 3 nuclei the "enhancement" adds
        let input = plane(width: width, height: height, centres: shown, d: d, background: 100, contrast: 60, noise: 10, rng: &rng)
        let enhanced = plane(width: width, height: height, centres: all, d: d, background: 0, contrast: 1000, noise: 0, rng: &rng)
        let trust = EnhancementTrust.assess(input: input, enhanced: enhanced, diameter: d)
        #expect(trust.inputCandidates == 17)
        #expect(trust.invented == 3)
        #expect(trust.erased == 0)
        #expect(trust.inventedFlag && trust.flag == "invented")
    }

    /// A dim nucleus (a fifth of the others' contrast, still 6 noise sd as a blob) is a candidate: erasing
    /// it counts.
    @Test func dimNucleiAreCandidates() {
        var rng = TestRandom(state: 8)
        let d = 12.0
        let cs = centres(rows: 2, cols: 2, d: d, rng: &rng)
        let width = 80, height = 80
        var input = plane(width: width, height: height, centres: Array(cs.prefix(3)), d: d, background: 100, contrast: 100, noise: 5, rng: &rng)
        let dim = plane(width: width, height: height, centres: [cs[3]], d: d, background: 0, contrast: 20, noise: 0, rng: &rng)
        for i in input.pixels.indices { input.pixels[i] += dim.pixels[i] }
        let enhanced = plane(width: width, height: height, centres: Array(cs.prefix(3)), d: d, background: 0, contrast: 1000, noise: 0, rng: &rng)
        let trust = EnhancementTrust.assess(input: input, enhanced: enhanced, diameter: d)
        #expect(trust.inputCandidates == 4)
        #expect(trust.erased == 1)
    }

    /// A bright one-pixel speck (debris) is not a nucleus candidate; a nucleus of 0.6 d is.
    @Test func pointsAreNotCandidates() {
        var rng = TestRandom(state: 6)
        let d = 12.0, width = 96, height = 64
        var input = plane(width: width, height: height, centres: [(24, 32), (72, 32)], d: d, background: 100, contrast: 100,
                          noise: 3, rng: &rng)
        let small = plane(width: width, height: height, centres: [(48, 14)], d: 0.6 * d, background: 0, contrast: 100, noise: 0, rng: &rng)
        for i in input.pixels.indices { input.pixels[i] += small.pixels[i] }
        input.pixels[50 * width + 48] += 3000
        let trust = EnhancementTrust.assess(input: input, enhanced: input, diameter: d)
        #expect(trust.inputCandidates == 3, "\(trust)")
    }

    /// The noise calibration: the pixel-noise estimate and the response's sd on white noise.
    @Test func noiseCalibration() {
        var rng = TestRandom(state: 2)
        let w = 300, h = 300
        let noise = plane(width: w, height: h, centres: [], d: 12, background: 50, contrast: 0, noise: 7, rng: &rng)
        let sigma = EnhancementTrust.pixelNoise(noise.pixels, width: w, height: h)
        #expect(abs(sigma / 7 - 1) < 0.03, "pixel noise \(sigma)")
        for d in [8.0, 12.0, 24.0] {
            let r = EnhancementTrust.response(noise.pixels, width: w, height: h, diameter: d)
            // Interior only (mirrored borders correlate the noise).
            let margin = Int(2 * d)
            var values: [Double] = []
            for y in margin..<(h - margin) { for x in margin..<(w - margin) { values.append(Double(r[y * w + x])) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            let predicted = 7 * EnhancementTrust.responseGain(diameter: d)
            #expect(abs(sd / predicted - 1) < 0.1, "d \(d): response sd \(sd), predicted \(predicted)")
            // No candidate in pure noise.
            let trust = EnhancementTrust.assess(input: noise, enhanced: noise, diameter: d)
            #expect(trust.inputCandidates == 0, "d \(d): \(trust.inputCandidates) candidates in noise")
        }
    }

    @Test func degeneratePlanesDoNotTrap() {
        let constant = ImagePlane(width: 20, height: 20, pixels: [Float](repeating: 3, count: 400), sampleType: .uint16)
        let t = EnhancementTrust.assess(input: constant, enhanced: constant, diameter: 12)
        #expect(t.inputCandidates == 0 && t.enhancedNuclei == 0 && t.flag == "none" && t.areaChange == nil)
        var nan = [Float](repeating: .nan, count: 400)
        nan[5] = 1
        let odd = ImagePlane(width: 20, height: 20, pixels: nan, sampleType: .float32)
        _ = EnhancementTrust.assess(input: odd, enhanced: odd, diameter: 3)
        let tiny = ImagePlane(width: 1, height: 2, pixels: [1, 2], sampleType: .float32)
        _ = EnhancementTrust.assess(input: tiny, enhanced: tiny, diameter: 12)
        let row = EnhancementTrustTable.row(file: "a.tif", plane: 0, z: 0, t: 0, t)
        #expect(row.split(separator: "\t").count == EnhancementTrustTable.header.split(separator: "\t").count)
    }
}
