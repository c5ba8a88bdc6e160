import Foundation
import Metrics
import ImageCore
import NN
import NuclearScale
import Testing
import TensorCore
@testable import Segmentation
@testable import StarSegmentation

/// Discs (some touching) with their labels and a noisy image: bright discs on a dim background. The
/// intensities are whole numbers, as the uint16 image they claim to be holds them, so the image read
/// back from a file written with its sample type is the image itself (tools see what the library sees).
func discScene(width: Int, height: Int, seed: UInt64, count: Int) -> (ImagePlane, LabelImage) {
    var rng = TestRandom(state: seed)
    var labels = LabelImage(width: width, height: height)
    var placed = 0
    for _ in 0..<(count * 20) where placed < count {
        let r = 4 + rng.uniform() * 4
        let cy = r + rng.uniform() * (Double(height) - 2 * r), cx = r + rng.uniform() * (Double(width) - 2 * r)
        var pixels: [Int] = []
        var free = true
        for y in 0..<height {
            for x in 0..<width where (Double(y) - cy) * (Double(y) - cy) + (Double(x) - cx) * (Double(x) - cx) <= r * r {
                if labels.labels[y * width + x] != 0 { free = false }
                pixels.append(y * width + x)
            }
        }
        guard free else { continue }
        placed += 1
        for p in pixels { labels.labels[p] = UInt32(placed) }
    }
    var image = ImagePlane(width: width, height: height, repeating: 0, sampleType: .uint16)
    for i in image.pixels.indices {
        image.pixels[i] = ((labels.labels[i] != 0 ? 900 : 200) + Float((rng.uniform() - 0.5) * 160)).rounded()
    }
    return (image, labels)
}

@Suite struct StarLossTests {
    /// Central differences of the loss against the analytic gradient (distances kept away from the L1 kink).
    @Test func gradientMatchesFiniteDifferences() {
        let (n, rays, h, w) = (2, 3, 3, 4)
        var rng = TestRandom(state: 9)
        var out = (0..<(n * (1 + rays) * h * w)).map { _ in Float(rng.uniform() * 4 - 2) }
        let p = Tensor(shape: [n, 1, h, w], scalars: (0..<(n * h * w)).map { _ in rng.uniform() < 0.3 ? 0 : Float(rng.uniform()) })
        let d = Tensor(shape: [n, rays, h, w], scalars: (0..<(n * rays * h * w)).map { _ in Float(rng.uniform() * 3) })
        // Keep |d̂ − d| ≥ 0.05 so that ± h never crosses the kink.
        for b in 0..<n { for k in 0..<rays { for i in 0..<(h * w) {
            let o = (b * (1 + rays) + 1 + k) * h * w + i, t = d.scalars[(b * rays + k) * h * w + i]
            if abs(out[o] - t) < 0.05 { out[o] = t + 0.1 }
        } } }
        let parameter = Parameter(name: "y", value: Tensor(shape: [n, 1 + rays, h, w], scalars: out))
        let tape = Tape()
        let loss = starLoss(tape.parameter(parameter), probability: p, distances: d, distanceWeight: 0.7)
        tape.backward(from: loss)
        let analytic = parameter.gradient.scalars
        let step: Float = 1e-2
        for i in out.indices {
            var plus = out, minus = out
            plus[i] += step; minus[i] -= step
            let lp = starLoss(Variable(Tensor(shape: parameter.shape, scalars: plus)), probability: p, distances: d, distanceWeight: 0.7).value.scalars[0]
            let lm = starLoss(Variable(Tensor(shape: parameter.shape, scalars: minus)), probability: p, distances: d, distanceWeight: 0.7).value.scalars[0]
            let numeric = Double(lp - lm) / Double(2 * step)
            #expect(abs(numeric - Double(analytic[i])) <= 2e-4 + 1e-2 * abs(Double(analytic[i])), "element \(i): \(numeric) vs \(analytic[i])")
        }
    }
}

@Suite struct StarModelTests {
    /// Perfect network outputs (the training targets themselves) give back the truth: candidates → NMS →
    /// rasterization is a round trip on touching objects.
    @Test func targetsRoundTripThroughNMS() throws {
        let (_, truth) = discScene(width: 64, height: 56, seed: 4, count: 7)
        let p = StarGeometry.probabilityTarget(truth)
        let d = StarGeometry.distances(truth, rays: 32)
        let labels = StarModel.labels(probability: p, distances: d, width: 64, height: 56, rays: 32,
                                      thresholds: StarThresholds(probability: 0.5, overlap: 0.4))
        let m = try InstanceMatching.match(prediction: labels, truth: truth)
        #expect(m.nTrue == 7 && m.tp == 7 && m.fp == 0, "\(m)")
        #expect(m.meanMatchedIoU > 0.85)
    }

    /// Strip-wise NMS (the model's path for images of more than one row of tiles) against whole-image NMS on the
    /// same outputs: crowded discs, their perfect outputs perturbed so that each object has many overlapping
    /// candidates of varied scores, on the native grid and mapped onto 1.7× and 0.6× output grids, in strips of
    /// 7 to 40 rows: identical labels. Without context rows the strips split objects at their borders, so the
    /// comparison does fail when the context is missing.
    @Test func stripsEqualWholeImageNMS() {
        let (w, h, rays) = (70, 150, 16)
        let (_, truth) = discScene(width: w, height: h, seed: 21, count: 60)
        var p = StarGeometry.probabilityTarget(truth)
        var d = StarGeometry.distances(truth, rays: rays)
        var rng = TestRandom(state: 5)
        for i in p.indices { p[i] = min(1, max(0, p[i] + Float(rng.uniform() - 0.5) * 0.1)) }
        for i in d.indices { d[i] *= Float(0.9 + 0.2 * rng.uniform()) }
        let t = StarThresholds(probability: 0.3, overlap: 0.4)
        var splitWithoutContext = false
        for (ow, oh) in [(w, h), (119, 255), (42, 90)] {
            let whole = StarModel.labels(probability: p, distances: d, width: w, height: h, rays: rays, thresholds: t,
                                         outputWidth: ow, outputHeight: oh)
            #expect(whole.maximumLabel > 30)
            for step in [7, 16, 23, 40] {
                let strips = StarModel.labelsInStrips(probability: p, distances: d, width: w, height: h, rays: rays, thresholds: t,
                                                      outputWidth: ow, outputHeight: oh, stripHeight: step, context: 24, margin: 12)
                #expect(strips == whole, "output \(ow)x\(oh), strips of \(step) rows")
                let bare = StarModel.labelsInStrips(probability: p, distances: d, width: w, height: h, rays: rays, thresholds: t,
                                                    outputWidth: ow, outputHeight: oh, stripHeight: step, context: 0, margin: 12)
                if bare != whole { splitWithoutContext = true }
            }
        }
        #expect(splitWithoutContext)
    }

    @Test func outputShapeAndTiling() {
        let network = StarUNet(StarConfiguration(depth: 2, baseFilters: 4, rays: 8, featuresAfterUNet: 8), seed: 3)
        #expect(network(Tensor(shape: [2, 1, 16, 20], repeating: 0.5)).shape == [2, 9, 16, 20])
        var model = StarModel(network: network)
        let (image, _) = discScene(width: 96, height: 80, seed: 2, count: 5)
        final class Calls { var list: [(Int, Int)] = [] }
        let calls = Calls()
        model.progress = { calls.list.append(($0, $1)) }
        model.tileSize = 10_000
        let whole = model.outputs(image)
        #expect(calls.list.isEmpty, "one tile: no progress")
        model.tileSize = 32
        model.tileOverlap = 24
        let tiled = model.outputs(image)
        // 96 x 80 in tiles of 32: 3 x 3 tiles, reported 1...9.
        #expect(calls.list.map(\.0) == Array(1...9) && calls.list.allSatisfy { $0.1 == 9 }, "\(calls.list)")
        var worst: Float = 0
        for i in whole.probability.indices { worst = max(worst, abs(whole.probability[i] - tiled.probability[i])) }
        for i in whole.distances.indices { worst = max(worst, abs(whole.distances[i] - tiled.distances[i])) }
        #expect(worst < 1e-4, "tiled and whole-image predictions differ by \(worst)")
        // Sizes that are not multiples of 2^depth are mirror-padded.
        let odd = model.outputs(ImagePlane(width: 37, height: 29, repeating: 3, sampleType: .uint16))
        #expect(odd.probability.count == 37 * 29 && odd.distances.count == 8 * 37 * 29)
    }

    @Test func modelFileRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("star-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var model = StarModel(network: StarUNet(StarConfiguration(depth: 2, baseFilters: 4, rays: 8, featuresAfterUNet: 0), seed: 5),
                              thresholds: StarThresholds(probability: 0.625, overlap: 0.3))
        model.training = ["steps": "12"]
        let path = dir.appendingPathComponent("m.safetensors").path
        try model.save(to: path)
        let loaded = try StarModel.load(from: path)
        #expect(loaded.configuration == model.configuration)
        #expect(loaded.thresholds == model.thresholds)
        #expect(loaded.training == ["steps": "12"])
        let (image, _) = discScene(width: 32, height: 32, seed: 1, count: 2)
        #expect(loaded.outputs(image).probability == model.outputs(image).probability)
        // A file of another architecture is refused, naming the file.
        let other = dir.appendingPathComponent("other.safetensors").path
        try Checkpoint.save([Parameter(name: "w", value: Tensor(shape: [1], repeating: 1))],
                            metadata: ModelMetadata(architecture: "cyclegan-resnet9"), to: other)
        #expect(throws: CheckpointError.self) { try StarModel.load(from: other) }
        do { _ = try StarModel.load(from: other) } catch { #expect("\(error)".hasPrefix(other + ": ")) }
    }

    /// A tiny model (depth 2, 8 filters, 16 rays; 400 steps of 4 crops of 48²) learns to segment discs in seconds: the loss falls
    /// and, with thresholds chosen on validation images, it finds the discs of unseen images.
    @Test func tinyModelTrains() throws {
        let configuration = StarConfiguration(depth: 2, baseFilters: 8, rays: 16, featuresAfterUNet: 0)
        let train = (0..<8).map { discScene(width: 48, height: 48, seed: 100 + UInt64($0), count: 4) }
        let examples = train.map { StarExample(image: $0.0, labels: $0.1, rays: 16) }
        let run = try trainTinyStarModel(configuration, steps: 400, examples: examples)
        #expect(run.last < 0.6 * run.first, "loss \(run.first) → \(run.last)")
        #expect(run.testF1 > 0.8, "test F1 \(run.testF1) (validation F1 \(run.validation.f1) at \(run.validation.thresholds); loss \(run.first) → \(run.last))")
    }
}

/// Trains a star model from seed 11 on `examples` (`steps` Adam steps of 4 crops of 48², learning rate 3·10⁻³,
/// crop seed 7, `augmentation`), chooses its thresholds on 3 validation disc scenes of 48² and scores 4 unseen
/// ones: the mean loss of the first and of the last 10 steps, every loss, the validation choice and the mean
/// test F1 at IoU 0.5.
func trainTinyStarModel(_ configuration: StarConfiguration, steps: Int, augmentation: StarAugmentation = .none,
                        examples: [StarExample]) throws
    -> (first: Float, last: Float, losses: [Float], validation: (thresholds: StarThresholds, f1: Double), testF1: Double) {
    var settings = StarTrainingSettings()
    settings.steps = steps
    settings.batchSize = 4
    settings.patchSize = 48
    settings.learningRate = 3e-3
    settings.seed = 7
    settings.augmentation = augmentation
    var trainer = StarTrainer(network: StarUNet(configuration, seed: 11), settings: settings, examples: examples)
    var losses: [Float] = []
    for _ in 0..<settings.steps { losses.append(trainer.step(examples)) }
    let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
    var model = StarModel(network: trainer.network)
    let validation = (0..<3).map { discScene(width: 48, height: 48, seed: 200 + UInt64($0), count: 4) }
    let best = model.optimizeThresholds(validation)
    let test = (0..<4).map { discScene(width: 48, height: 48, seed: 300 + UInt64($0), count: 4) }
    var f1 = 0.0
    for (image, truth) in test { f1 += try InstanceMatching.match(prediction: model.segment(image), truth: truth).f1 }
    return (first, last, losses, best, f1 / Double(test.count))
}

/// Star prediction at another nucleus scale: polygons mapped between grids, and the diameter in model files.
@Suite struct StarScaleTests {
    /// One disc of radius 4 at (10, 10) of a 20 × 20 output grid, drawn on a 40 × 40 grid: centre
    /// (20.5, 20.5), radius 8, so its area is that of a disc of radius 8 (rasterized, within 10 %).
    @Test func polygonsAreMappedOntoTheOutputGrid() throws {
        let (w, h, rays) = (20, 20, 16)
        var p = [Float](repeating: 0, count: w * h)
        var d = [Float](repeating: 0, count: rays * w * h)
        let centre = 10 * w + 10
        p[centre] = 0.9
        for k in 0..<rays { d[k * w * h + centre] = 4 }
        let t = StarThresholds(probability: 0.5, overlap: 0.4)
        let native = StarModel.labels(probability: p, distances: d, width: w, height: h, rays: rays, thresholds: t)
        let same = StarModel.labels(probability: p, distances: d, width: w, height: h, rays: rays, thresholds: t,
                                    outputWidth: w, outputHeight: h)
        #expect(native == same)
        let big = StarModel.labels(probability: p, distances: d, width: w, height: h, rays: rays, thresholds: t,
                                   outputWidth: 2 * w, outputHeight: 2 * h)
        #expect(big.width == 40 && big.height == 40)
        let area = big.labels.filter { $0 == 1 }.count
        let expected = StarPolygon(y: 0, x: 0, distances: [Float](repeating: 8, count: rays), score: 1).area
        #expect(abs(Double(area) - expected) / expected < 0.1, "area \(area), polygon \(expected)")
        // Centre of mass at (20.5, 20.5).
        var (sy, sx) = (0.0, 0.0)
        for i in big.labels.indices where big.labels[i] == 1 { sy += Double(i / 40); sx += Double(i % 40) }
        #expect(abs(sy / Double(area) - 20.5) < 0.3 && abs(sx / Double(area) - 20.5) < 0.3)
    }

    /// segment(_:mapping:) returns labels of the input's exact shape, and the identity mapping is segment(_:).
    @Test func mappedSegmentationKeepsTheInputShape() {
        let model = StarModel(network: StarUNet(StarConfiguration(depth: 2, baseFilters: 4, rays: 8, featuresAfterUNet: 0), seed: 7),
                              thresholds: StarThresholds(probability: 0.3, overlap: 0.4))
        let (image, _) = discScene(width: 61, height: 47, seed: 3, count: 4)
        for factor in [0.5, 1.0, 2.7] {
            let labels = model.segment(image, mapping: ScaleMapping(imageDiameter: 10, modelDiameter: 10 * factor))
            #expect(labels.width == 61 && labels.height == 47)
        }
        #expect(model.segment(image, mapping: ScaleMapping(imageDiameter: 10, modelDiameter: 10.2)) == model.segment(image))
    }

    /// The nucleus diameter is saved, loaded, and refused when it is not a number of pixels.
    @Test func nucleusDiameterInModelFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("star-diameter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var model = StarModel(network: StarUNet(StarConfiguration(depth: 2, baseFilters: 4, rays: 8, featuresAfterUNet: 0), seed: 5))
        #expect(model.nucleusDiameter == nil)
        model.nucleusDiameter = 23.5
        let path = dir.appendingPathComponent("m.safetensors").path
        try model.save(to: path)
        #expect(try StarModel.load(from: path).nucleusDiameter == 23.5)
        for bad in ["0", "-4", "nan", "abc", "1e9"] {
            model.training[ModelMetadata.nucleusDiameterKey] = bad
            try model.save(to: path)
            #expect(throws: CheckpointError.self, "training.nucleus_diameter \(bad)") { try StarModel.load(from: path) }
        }
    }
}

/// Crop augmentation of star training (``StarAugmentation``): scale, symmetry and intensity changes, with
/// targets computed on the changed crop.
@Suite struct StarAugmentationTests {
    /// One disc of radius `r` centred in a `side`² image, intensities 1 inside and 0 outside.
    func disc(side: Int, radius r: Double) -> StarExample {
        var labels = LabelImage(width: side, height: side)
        var image = ImagePlane(width: side, height: side, repeating: 100, sampleType: .float32)
        let c = Double(side - 1) / 2
        for y in 0..<side {
            for x in 0..<side where (Double(y) - c) * (Double(y) - c) + (Double(x) - c) * (Double(x) - c) <= r * r {
                labels.labels[y * side + x] = 1
                image.pixels[y * side + x] = 1100
            }
        }
        return StarExample(image: image, labels: labels, rays: 16, precomputeTargets: false)
    }

    func trainer(_ augmentation: StarAugmentation, patch: Int, flips: Bool = true, seed: UInt64 = 3) -> StarTrainer {
        var settings = StarTrainingSettings()
        settings.patchSize = patch
        settings.flips = flips
        settings.augmentation = augmentation
        settings.seed = seed
        return StarTrainer(network: StarUNet(StarConfiguration(depth: 1, baseFilters: 2, rays: 16, featuresAfterUNet: 0), seed: 1),
                           settings: settings)
    }

    /// Without any range and without flips, a crop is a plain window of the image: found at some offset.
    @Test func zeroRangesCropAsIs() {
        let e = disc(side: 40, radius: 9)
        var t = trainer(.none, patch: 24, flips: false)
        for _ in 0..<10 {
            let crop = t.augmentedCrop(e, side: 24)
            #expect(crop.magnification == 1)
            var found = false
            for y0 in 0...16 where !found {
                for x0 in 0...16 where !found {
                    found = (0..<24).allSatisfy { yy in (0..<24).allSatisfy { xx in
                        crop.input[yy * 24 + xx] == e.input[(y0 + yy) * 40 + x0 + xx]
                            && crop.labels[yy * 24 + xx] == e.labels[(y0 + yy) * 40 + x0 + xx] } }
                }
            }
            #expect(found)
        }
    }

    /// Scale jitter j = 0.4: magnifications span [1/1.4, 1.4] and a disc inside the crop covers π r² m² px
    /// (within 12 %); intensities and labels stay aligned (mean input inside the disc ≫ outside).
    @Test func scaleJitterResizesNuclei() {
        let r = 6.0
        let e = disc(side: 64, radius: r)
        var t = trainer(StarAugmentation(scaleJitter: 0.4), patch: 40)
        var magnifications: [Double] = []
        var checked = 0
        for _ in 0..<80 {
            let crop = t.augmentedCrop(e, side: 40)
            magnifications.append(crop.magnification)
            #expect(crop.magnification >= 1 / 1.4 - 0.03 && crop.magnification <= 1.4 + 0.03)
            // Only discs that the crop's border does not cut.
            let touches = (0..<40).contains { i in crop.labels[i] != 0 || crop.labels[39 * 40 + i] != 0 || crop.labels[i * 40] != 0 || crop.labels[i * 40 + 39] != 0 }
            let area = crop.labels.filter { $0 != 0 }.count
            guard !touches, area > 0 else { continue }
            checked += 1
            let expected = Double.pi * r * r * crop.magnification * crop.magnification
            #expect(abs(Double(area) - expected) < 0.12 * expected, "area \(area) vs \(expected) at ×\(crop.magnification)")
            let inside = zip(crop.input, crop.labels).filter { $0.1 != 0 }.map { Double($0.0) }
            let outside = zip(crop.input, crop.labels).filter { $0.1 == 0 }.map { Double($0.0) }
            #expect(inside.reduce(0, +) / Double(inside.count) > 0.8 && outside.reduce(0, +) / Double(outside.count) < 0.3)
        }
        #expect(checked >= 10)
        #expect(magnifications.min()! < 0.85 && magnifications.max()! > 1.2)
    }

    /// The intensity change: x^γ on positive values only, then c · x + o, then the noise.
    @Test func intensityTransform() {
        var x: [Float] = [-0.2, 0, 0.25, 1, 2]
        StarAugmentation.transformIntensities(&x, gamma: 0.5, contrast: 2, offset: 0.1, noise: [0, 0, 0, 0, 1])
        let expected: [Float] = [-0.3, 0.1, 1.1, 2.1, 2 * Float(2).squareRoot() + 0.1 + 1]
        for (a, b) in zip(x, expected) { #expect(abs(a - b) < 1e-5, "\(a) vs \(b)") }
    }

    /// Intensity ranges: the crops' means and spreads vary between draws (contrast, offset), while the
    /// labels are untouched; with noise, the background's spread grows.
    @Test func intensityRangesVaryCrops() {
        let e = disc(side: 48, radius: 10)
        var plain = trainer(.none, patch: 48, flips: false), varied = trainer(StarAugmentation(gamma: 0.5, contrast: 0.3, offset: 0.1, noise: 0.05), patch: 48, flips: false)
        let reference = plain.augmentedCrop(e, side: 48)
        var backgroundMeans: [Double] = [], noisy = 0
        for _ in 0..<30 {
            let crop = varied.augmentedCrop(e, side: 48)
            #expect(crop.labels == reference.labels)
            let background = zip(crop.input, crop.labels).filter { $0.1 == 0 }.map { Double($0.0) }
            let mean = background.reduce(0, +) / Double(background.count)
            backgroundMeans.append(mean)
            let sd = (background.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(background.count)).squareRoot()
            if sd > 0.005 { noisy += 1 }
        }
        #expect(backgroundMeans.max()! - backgroundMeans.min()! > 0.08)
        #expect(backgroundMeans.allSatisfy { abs($0) <= 0.1 + 0.01 })
        #expect(noisy >= 20)
    }

    @Test func invalidRanges() {
        #expect(StarAugmentation.varied.invalidReason == nil)
        #expect(StarAugmentation(scaleJitter: 1).invalidReason != nil)
        #expect(StarAugmentation(contrast: 1).invalidReason != nil)
        #expect(StarAugmentation(noise: -0.1).invalidReason != nil)
        #expect(StarAugmentation(gamma: .nan).invalidReason != nil)
        #expect(!StarAugmentation.none.isActive && StarAugmentation.varied.isActive)
    }

    /// With the varied preset and targets computed per crop (none stored), the tiny model still learns the
    /// discs in 800 steps (twice the un-augmented test's: the crops vary): its loss falls and it finds the
    /// discs of unseen images.
    @Test func tinyModelTrainsWithAugmentation() throws {
        let configuration = StarConfiguration(depth: 2, baseFilters: 8, rays: 16, featuresAfterUNet: 0)
        let train = (0..<8).map { discScene(width: 64, height: 64, seed: 100 + UInt64($0), count: 6) }
        let examples = train.map { StarExample(image: $0.0, labels: $0.1, rays: 16, precomputeTargets: false) }
        #expect(examples.allSatisfy { !$0.hasTargets })
        let run = try trainTinyStarModel(configuration, steps: 800, augmentation: .varied, examples: examples)
        #expect(run.losses.allSatisfy { $0.isFinite })
        #expect(run.last < 0.7 * run.first, "loss \(run.first) → \(run.last)")
        #expect(run.testF1 > 0.8, "test F1 \(run.testF1) (validation F1 \(run.validation.f1); loss \(run.first) → \(run.last))")
    }
}
