import Foundation
import Testing
@testable import Synthesis

/// Otsu's threshold over the exact integer histogram of 16-bit counts: the t maximising the
/// between-class variance ω₀ω₁(μ₀ − μ₁)² of {≤ t} and {> t}.
func otsuThreshold(_ pixels: ArraySlice<UInt16>) -> UInt16 {
    var histogram = [Double](repeating: 0, count: 65536)
    for v in pixels { histogram[Int(v)] += 1 }
    let total = Double(pixels.count)
    let sumAll = histogram.indices.reduce(0.0) { $0 + Double($1) * histogram[$1] }
    var weight0 = 0.0, sum0 = 0.0, best = -1.0, threshold = 0
    for t in 0..<65535 {
        weight0 += histogram[t]
        sum0 += Double(t) * histogram[t]
        let weight1 = total - weight0
        guard weight0 > 0, weight1 > 0 else { continue }
        let difference = sum0 / weight0 - (sumAll - sum0) / weight1
        let between = weight0 * weight1 * difference * difference
        if between > best { best = between; threshold = t }
    }
    return UInt16(threshold)
}

/// Otsu's foreground IoU |S ∩ G| / |S ∪ G| of one 2-D image.
func otsuIoU(_ image: SyntheticImage) -> Double {
    let t = otsuThreshold(image.pixels[...])
    var intersection = 0, union = 0
    for p in image.pixels.indices {
        let s = image.pixels[p] > t, g = image.labels[p] > 0
        if s && g { intersection += 1 }
        if s || g { union += 1 }
    }
    return union == 0 ? 1 : Double(intersection) / Double(union)
}

func geometricMean(_ values: [Double]) -> Double {
    exp(values.map { log(max($0, 1e-6)) }.reduce(0, +) / Double(values.count))
}

/// Background mean and standard deviation, and each label's mean intensity, of slice `k`. The
/// background is every unlabelled pixel (margin 0), or those farther than `margin` px (Chebyshev
/// distance) from any label, so that the PSF's spill around nuclei is not counted as background.
func labelStatistics(_ image: SyntheticImage, slice k: Int = 0, margin: Int = 0) -> (mean: Double, std: Double, labelMeans: [UInt32: Double]) {
    let pixels = Array(image.slicePixels(k)), labels = Array(image.sliceLabels(k))
    let (w, h) = (image.width, image.height)
    var near = labels.map { $0 > 0 }
    if margin > 0 {
        var grown = near
        for y in 0..<h {
            for x in 0..<w where near[y * w + x] {
                for yy in max(0, y - margin)...min(h - 1, y + margin) {
                    for xx in max(0, x - margin)...min(w - 1, x + margin) { grown[yy * w + xx] = true }
                }
            }
        }
        near = grown
    }
    var n = 0.0, sum = 0.0, sumSquares = 0.0
    var sums: [UInt32: (Double, Double)] = [:]
    for p in pixels.indices {
        let x = Double(pixels[p]), l = labels[p]
        if l == 0 {
            if !near[p] { n += 1; sum += x; sumSquares += x * x }
        } else {
            let (s, c) = sums[l, default: (0, 0)]
            sums[l] = (s + x, c + 1)
        }
    }
    let mean = sum / n
    return (mean, (sumSquares / n - mean * mean).squareRoot(), sums.mapValues { $0.0 / $0.1 })
}

@Suite struct GeneratorTests {
    let source = SyntheticImageGenerator(parameters: .source, width: 256, height: 256, seed: 11)
    let target = SyntheticImageGenerator(parameters: .target, width: 256, height: 256, seed: 12)

    @Test func sameSeedSameImageDifferentSeedDifferentImage() {
        let a = SyntheticImageGenerator(parameters: .source, width: 96, height: 80, seed: 3)
        let b = SyntheticImageGenerator(parameters: .source, width: 96, height: 80, seed: 3)
        let c = SyntheticImageGenerator(parameters: .source, width: 96, height: 80, seed: 4)
        #expect(a.image(at: 5) == b.image(at: 5))
        #expect(a.image(at: 5).pixels != c.image(at: 5).pixels)
        #expect(a.image(at: 5).pixels != a.image(at: 6).pixels)
    }

    @Test func imagesDoNotDependOnOrderOrThreads() async {
        let g = SyntheticImageGenerator(parameters: .target, width: 64, height: 64, slices: 2, seed: 21)
        let sequential = (0..<6).map { g.image(at: $0) }
        let concurrent = await withTaskGroup(of: (Int, SyntheticImage).self) { group in
            for i in (0..<6).reversed() { group.addTask { (i, g.image(at: i)) } }
            var all = [SyntheticImage?](repeating: nil, count: 6)
            for await (i, image) in group { all[i] = image }
            return all.map { $0! }
        }
        #expect(sequential == concurrent)
    }

    @Test func labelsAreConsecutiveAndMatchTheRequestedDensity() {
        var counts: [Int] = []
        for i in 0..<12 {
            let image = target.image(at: i)
            let present = Set(image.labels.filter { $0 > 0 })
            #expect(present == Set((1...UInt32(image.nucleusCount)).map { $0 }), "labels 1...K, each present")
            counts.append(image.nucleusCount)
        }
        // E[count] = density · E[densityFactor] · area / 1e4 = 10 · 1 · 6.5536 ≈ 66.
        let mean = Double(counts.reduce(0, +)) / Double(counts.count)
        #expect(mean > 45 && mean < 90, "mean nuclei per image \(mean)")
        #expect(counts.max()! > 2 * counts.min()!, "densities range from sparse to crowded: \(counts)")
    }

    @Test func shapesMatchTheRealNuclei() {
        var rng = SplitMix64(seed: 8)
        let shapes = (0..<1500).map { _ in NucleusLayout.drawShape(SynthesisParameters.target.nuclei, using: &rng) }
        let diameters = shapes.map(\.equivalentDiameter).sorted()
        let median = diameters[diameters.count / 2]
        #expect(abs(median - 12.2) < 0.6, "median equivalent diameter \(median)")
        let eccentricities = shapes.map { (1 - ($0.b / $0.a) * ($0.b / $0.a)).squareRoot() }.sorted()
        #expect(abs(eccentricities[eccentricities.count / 2] - 0.70) < 0.05)
        let irregular = shapes.filter(\.isIrregular)
        #expect(Double(irregular.count) / Double(shapes.count) > 0.2)
        // Star-convex: the outline radius stays positive in every direction.
        for shape in irregular.prefix(100) {
            #expect((0..<72).allSatisfy { shape.radius(towards: Double($0) * Double.pi / 36) > 0 })
        }
    }

    /// Every label sits on a bright nucleus in the target style: its mean intensity is far above the
    /// background's, the dimmest included: above mean + 3 sd of all unlabelled pixels (whose sd the
    /// PSF's spill around nuclei inflates), and above mean + 8 sd of the pixels more than 2 px from any
    /// nucleus. Otsu finds the nuclei.
    @Test func targetLabelsSitOnBrightNuclei() {
        var ious: [Double] = []
        for i in 0..<10 {
            let image = target.image(at: i)
            let (mean, std, labelMeans) = labelStatistics(image)
            let dimmest = labelMeans.values.min()!
            #expect(dimmest > mean + 3 * std, "image \(i): dimmest label mean \(dimmest), background \(mean) ± \(std)")
            let far = labelStatistics(image, margin: 2)
            #expect(dimmest > far.mean + 8 * far.std, "image \(i): dimmest label mean \(dimmest), far background \(far.mean) ± \(far.std)")
            ious.append(otsuIoU(image))
        }
        #expect(geometricMean(ious) > 0.85, "target Otsu IoU \(ious)")
    }

    /// A shifted mask does not pass the alignment check: the check can fail.
    @Test func misalignedLabelsFailTheAlignmentCheck() {
        var image = target.image(at: 0)
        let w = image.width
        var shifted = [UInt32](repeating: 0, count: image.labels.count)
        for p in image.labels.indices where p % w + 9 < w { shifted[p + 9] = image.labels[p] }
        image.labels = shifted
        let (mean, std, labelMeans) = labelStatistics(image, margin: 2)
        #expect(labelMeans.values.min()! < mean + 8 * std)
    }

    /// The source style is low-saliency: Otsu fails, some nuclei are barely above the background,
    /// and its SNRs lie below the target style's.
    @Test func sourceIsHardForOtsuAndLessSalient() {
        var ious: [Double] = [], sourceSNR: [Double] = [], targetSNR: [Double] = []
        var dimNuclei = 0
        for i in 0..<10 {
            let image = source.image(at: i)
            ious.append(otsuIoU(image))
            sourceSNR.append(image.signalToNoise!)
            targetSNR.append(target.image(at: i).signalToNoise!)
            let (mean, std, labelMeans) = labelStatistics(image)
            dimNuclei += labelMeans.values.filter { $0 < mean + 2 * std }.count
        }
        #expect(geometricMean(ious) < 0.6, "source Otsu IoU \(ious)")
        #expect(dimNuclei > 50, "dim nuclei (mean below background + 2 sd): \(dimNuclei)")
        #expect(sourceSNR.sorted()[5] * 1.5 < targetSNR.sorted()[5], "median SNR source \(sourceSNR) target \(targetSNR)")
    }

    @Test func brightnessSpreadIsWideInSourceAndModestInTarget() {
        let s = source.image(at: 0).nuclei.map(\.brightness)
        let t = target.image(at: 0).nuclei.map(\.brightness)
        // Source: log-uniform over [0.3, 1], so dim nuclei (near the 0.3 floor) and bright ones both occur.
        #expect(s.min()! >= 0.3 && s.min()! < 0.4 && s.max()! > 0.7, "source brightness \(s.min()!)...\(s.max()!)")
        #expect(s.max()! / s.min()! > 2)
        // Target: uniform over [0.5, 1]: at most a twofold spread.
        #expect(t.min()! >= 0.5 && t.max()! <= 1)
    }

    @Test func sameSeedGivesPairedLayoutsInBothStyles() {
        let s = SyntheticImageGenerator(parameters: .source, width: 128, height: 128, seed: 77).image(at: 2)
        let t = SyntheticImageGenerator(parameters: .target, width: 128, height: 128, seed: 77).image(at: 2)
        #expect(s.labels == t.labels)
        #expect(s.pixels != t.pixels)
    }

    @Test func stacksHaveThreeDimensionalLabelsAndVaryingFocus() {
        let g = SyntheticImageGenerator(parameters: .target, width: 96, height: 96, slices: 6, seed: 5)
        let image = g.image(at: 0)
        #expect(image.pixels.count == 6 * 96 * 96 && image.labels.count == 6 * 96 * 96)
        // Focus (defocus ε_k) differs from slice to slice, and deeper slices are attenuated.
        #expect(Set(image.conditions.sliceDefocus).count == 6)
        #expect(image.conditions.sliceAttenuation.first! > image.conditions.sliceAttenuation.last!)
        // A nucleus cut by consecutive slices keeps its label: labels shared by slices 2 and 3 overlap there.
        let a = image.sliceLabels(2), b = image.sliceLabels(3)
        let shared = Set(a.filter { $0 > 0 }).intersection(Set(b.filter { $0 > 0 }))
        #expect(!shared.isEmpty)
        for label in shared {
            let overlap = zip(a, b).contains { $0 == label && $1 == label }
            #expect(overlap, "label \(label) should overlap itself in slices 2 and 3")
        }
        #expect(a != b)
        // Labels across the stack are consecutive.
        #expect(Set(image.labels.filter { $0 > 0 }) == Set((1...UInt32(image.nucleusCount)).map { $0 }))
    }

    @Test func signalToNoiseFollowsThePaper() {
        // Background {10, 12, 10, 12}: mean 11, sd 1; nuclei max 31 → SNR 20.
        let pixels: [UInt16] = [10, 12, 10, 12, 25, 31]
        let labels: [UInt32] = [0, 0, 0, 0, 1, 2]
        #expect(SaliencyMeasures.signalToNoise(pixels, labels: labels) == 20)
        #expect(SaliencyMeasures.signalToNoise([Float](repeating: 1, count: 3), labels: [0, 0, 0]) == nil)
    }

    @Test func cameraFollowsTheNoiseModel() {
        // Flat signal E = 0.5 at P = 40: λ = 20; counts = 2 · Poisson(20) + N(0, 4²) + 100.
        var p = SynthesisParameters.target
        p.camera = CameraParameters(photons: 40...40, gain: 2, readNoise: 4, offset: 100)
        let g = SyntheticImageGenerator(parameters: p, width: 200, height: 200, seed: 1)
        let n = 200 * 200
        var out = [UInt16](repeating: 0, count: n)
        var rng = SplitMix64(seed: 3)
        out.withUnsafeMutableBufferPointer { buffer in
            g.expose(signal: [Float](repeating: 0.5, count: n), light: [Float](repeating: 1, count: n),
                     background: [Float](repeating: 0, count: n), photons: 40, into: buffer.baseAddress!, using: &rng)
        }
        let values = out.map(Double.init)
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        // Expected mean 2·20 + 100 = 140; variance 2²·20 + 4² + 1/12 (rounding) ≈ 96.1.
        #expect(abs(mean - 140) < 0.3)
        #expect(abs(variance - 96.1) < 3)
    }
}
