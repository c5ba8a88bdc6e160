import Foundation
import Losses
import NuclearScale
import MicroscopyIO
import NN
import Segmentation
import Testing
import TensorCore
@testable import CycleGAN
@testable import SaliencyTraining

/// Tiny unpaired data on disk: source-style images (dim blobs in noise), target-style images (bright
/// blobs, little noise) and a validation folder with masks.
struct TinyData {
    let root: String
    var source: String { root + "/source" }
    var target: String { root + "/target" }
    var validation: String { root + "/validation" }

    init(label: String, size: Int = 48, count: Int = 4) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sn-train-\(label)-\(UUID().uuidString)").path
        for folder in [source, target, validation + "/images", validation + "/masks"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        for i in 0..<count {
            for (folder, brightness, noise) in [(source, 60.0, 20.0), (target, 600.0, 5.0)] {
                let (plane, _) = Self.image(seed: UInt64(i) + (folder == source ? 100 : 200), size: size, brightness: brightness, noise: noise)
                try writeTIFF(plane, to: "\(folder)/img\(i).tif", sampleType: .uint16)
            }
        }
        for i in 0..<2 {
            let (plane, labels) = Self.image(seed: UInt64(i) + 300, size: size, brightness: 60, noise: 20)
            try writeTIFF(plane, to: "\(validation)/images/v\(i).tif", sampleType: .uint16)
            try writeLabels(labels, to: "\(validation)/masks/v\(i).tif")
        }
    }

    /// Discs of radius 5 at random places on a background of 100 counts with Gaussian noise.
    static func image(seed: UInt64, size: Int, brightness: Double, noise: Double) -> (ImagePlane, LabelImage) {
        var random = PhiloxGenerator(seed: seed)
        var labels = [UInt32](repeating: 0, count: size * size)
        for k in 1...4 {
            let cy = Int.random(in: 6..<(size - 6), using: &random), cx = Int.random(in: 6..<(size - 6), using: &random)
            for y in (cy - 5)...(cy + 5) { for x in (cx - 5)...(cx + 5) where (y - cy) * (y - cy) + (x - cx) * (x - cx) <= 25 {
                labels[y * size + x] = UInt32(k)
            } }
        }
        let pixels = labels.map { l -> Float in
            let n = Double(Float.random(in: -1...1, using: &random) + Float.random(in: -1...1, using: &random)) * noise
            return Float(max(0, 100 + (l > 0 ? brightness : 0) + n).rounded())
        }
        return (ImagePlane(width: size, height: size, pixels: pixels, sampleType: .uint16), LabelImage(width: size, height: size, labels: labels))
    }

    func options(out: String) throws -> SaliencyNetTrainingOptions {
        var o = SaliencyNetTrainingOptions(sourceFiles: try ImageDomain.imageFiles(source), targetFiles: try ImageDomain.imageFiles(target),
                                           outputFolder: root + "/" + out)
        o.validationFolder = validation
        o.generator = GeneratorOptions(filters: 4, residualBlocks: 1)
        o.discriminatorFilters = 4
        o.cropSize = 32
        o.constantEpochs = 2
        o.decayEpochs = 2
        o.iterationsPerEpoch = 3
        o.sampleCount = 1
        o.step.poolSize = 2
        o.step.cycleNoise = 0.1
        o.seed = 5
        return o
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

@Suite(.serialized)
struct TrainingTests {
    // MARK: Step

    /// With the paper's placement, G and F get the gradient of LSGAN + λ·saliency(cycle) + ½λ·saliency(identity)
    /// with the discriminators constant. With a cycle blur B (σ 1.5), the cycle terms compare B(reconstruction)
    /// with B(original) and nothing else changes.
    @Test(arguments: [Float(0), 1.5])
    func cyclePlacementStepHasThePapersGradient(blur: Float) {
        let options = GeneratorOptions(filters: 4, residualBlocks: 1)
        let model = CycleGANModel(generator: options, discriminatorFilters: 4, seed: 3)
        let twin = CycleGANModel(generator: options, discriminatorFilters: 4, seed: 3)
        let x = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 4)
        let y = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 5)
        let saliency = SaliencyLoss(weights: .modelM)
        func b(_ v: Variable) -> Variable { blur > 0 ? GaussianBlur(sigma: Double(blur))(v) : v }
        let tape = Tape(differentiating: twin.generatorParameters)
        let vx = tape.input(x), vy = tape.input(y)
        let fakeY = twin.G(vx), fakeX = twin.F(vy)
        let cycleX = 10 * saliency(b(twin.F(fakeY)), b(vx)), cycleY = 10 * saliency(b(twin.G(fakeX)), b(vy))
        let loss = lsganLoss(twin.D_Y(fakeY), target: .real) + lsganLoss(twin.D_X(fakeX), target: .real)
            + cycleX + cycleY + 5 * saliency(twin.F(vx), vx) + 5 * saliency(twin.G(vy), vy)
        tape.backward(from: loss)
        var trainer = CycleGANTrainer(model: model, options: TrainingOptions(cycleBlur: blur))
        var random = PhiloxGenerator(seed: 1)
        let losses = trainer.trainStep(realX: x, realY: y, random: &random)
        #expect(abs(losses.cycleX - cycleX.value.scalar) <= 1e-5 * abs(cycleX.value.scalar))
        #expect(abs(losses.cycleY - cycleY.value.scalar) <= 1e-5 * abs(cycleY.value.scalar))
        #expect(abs(losses.generatorTotal - loss.value.scalar) <= 1e-4 * abs(loss.value.scalar))
        #expect(losses.cycleTermsX != nil && losses.identityX > 0)
        for (p, q) in zip(model.generatorParameters, twin.generatorParameters) {
            let scale = q.gradient.abs().scalars.max() ?? 0
            #expect(p.gradient.isApproximatelyEqual(to: q.gradient, absoluteTolerance: 1e-4 * scale + 1e-7, relativeTolerance: 1e-3),
                    "\(p.name): max difference \(p.gradient.maxAbsoluteDifference(q.gradient))")
        }
    }

    /// Cycle noise and cycle blur each change the cycle terms (so the blurred case above is not the plain
    /// one) and only them; noise is deterministic for a given random state.
    @Test(arguments: [TrainingOptions(poolSize: 0, cycleNoise: 0.5), TrainingOptions(poolSize: 0, cycleBlur: 1.5)])
    func cycleOptionsChangeOnlyTheCycleTerms(_ changed: TrainingOptions) {
        let options = GeneratorOptions(filters: 4, residualBlocks: 1)
        let x = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 4)
        let y = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 5)
        func step(_ stepOptions: TrainingOptions) -> StepLosses {
            var trainer = CycleGANTrainer(model: CycleGANModel(generator: options, discriminatorFilters: 4, seed: 3), options: stepOptions)
            var random = PhiloxGenerator(seed: 1)
            return trainer.trainStep(realX: x, realY: y, random: &random)
        }
        let plain = step(TrainingOptions(poolSize: 0)), other = step(changed), again = step(changed)
        #expect(other == again)
        #expect(abs(plain.cycleX - other.cycleX) > 1e-3 * abs(other.cycleX))
        #expect(abs(plain.cycleY - other.cycleY) > 1e-3 * abs(other.cycleY))
        #expect(plain.adversarialG == other.adversarialG && plain.identityX == other.identityX)
    }

    /// The content term (UTOM's saliency constraint) enters the generator objective with its weight, adds
    /// exactly `w·L_sc(x, G(x)) + w·L_sc(F(y), y)` to it, and leaves the other terms of the step alone.
    @Test func contentPreservationAddsItsWeightedTerms() {
        let options = GeneratorOptions(filters: 4, residualBlocks: 1)
        let x = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 4)
        let y = Tensor.uniform([1, 1, 32, 32], low: -1, high: 1, seed: 5)
        let constraint = SaliencyConstraint(blurSigma: 2, softness: 0.1)
        func step(_ content: ContentPreservation) -> (StepLosses, CycleGANModel) {
            let model = CycleGANModel(generator: options, discriminatorFilters: 4, seed: 3)
            var trainer = CycleGANTrainer(model: model, options: TrainingOptions(poolSize: 0, contentPreservation: content))
            var random = PhiloxGenerator(seed: 1)
            return (trainer.trainStep(realX: x, realY: y, random: &random), model)
        }
        let before = CycleGANModel(generator: options, discriminatorFilters: 4, seed: 3)
        let expectedX = 3 * constraint(lowSaliency: Variable(x), salient: before.G(Variable(x))).value.scalar
        let expectedY = 3 * constraint(lowSaliency: before.F(Variable(y)), salient: Variable(y)).value.scalar
        let (plain, plainModel) = step(.none)
        let (with, withModel) = step(.saliencyMask(constraint, weight: 3))
        #expect(plain.contentX == 0 && plain.contentY == 0)
        #expect(abs(with.contentX - expectedX) <= 1e-5 * max(1, abs(expectedX)) && with.contentX > 0)
        #expect(abs(with.contentY - expectedY) <= 1e-5 * max(1, abs(expectedY)) && with.contentY > 0)
        #expect(with.adversarialG == plain.adversarialG && with.cycleX == plain.cycleX && with.identityX == plain.identityX)
        #expect(abs(with.generatorTotal - plain.generatorTotal - with.contentX - with.contentY) <= 1e-4 * abs(with.generatorTotal))
        // The generators' updates differ: the term has a gradient.
        let moved = zip(withModel.generatorParameters, plainModel.generatorParameters).contains { $0.value.maxAbsoluteDifference($1.value) > 0 }
        #expect(moved)
    }

    /// Scale jitter: j = 0 draws the same crops as before the option existed (no extra random draw); with
    /// j > 0 a disc's area in the crop varies within the (1 ± j)² band and the batch is a pure function
    /// of the generator's state.
    @Test func scaleJitterResizesCropsWithinItsBand() {
        let side = 96
        var pixels = [Float](repeating: -1, count: side * side)
        for y in 0..<side { for x in 0..<side where (x - 48) * (x - 48) + (y - 48) * (y - 48) <= 100 { pixels[y * side + x] = 1 } }
        let domain = ImageDomain(slices: [NormalizedSlice(origin: "disc", width: side, height: side, pixels: pixels)])
        var a = PhiloxGenerator(seed: 3), b = PhiloxGenerator(seed: 3)
        #expect(domain.batch(count: 3, crop: 32, random: &a) == domain.batch(count: 3, crop: 32, scaleJitter: 0, random: &b))
        var c = PhiloxGenerator(seed: 4), d = PhiloxGenerator(seed: 4)
        let jittered = domain.batch(count: 40, crop: 96, scaleJitter: 0.25, random: &c)
        #expect(jittered == domain.batch(count: 40, crop: 96, scaleJitter: 0.25, random: &d))
        // A crop as large as the plane can only shrink it (the window is at most the plane): the disc
        // grows by up to 1.25 in diameter, its area (pixels above 0) up to 1.25² of the original 317.
        let areas = (0..<40).map { i in jittered.scalars[(i * 96 * 96)..<((i + 1) * 96 * 96)].filter { $0 > 0 }.count }
        let original = pixels.filter { $0 > 0 }.count
        #expect(areas.allSatisfy { Double($0) >= 0.97 * Double(original) && Double($0) <= 1.25 * 1.25 * 1.03 * Double(original) })
        #expect(areas.contains { Double($0) > 1.2 * Double(original) })
    }

    /// Source resolution loss: D = 1 draws exactly the crops of the plain call; with D > 1 the first crop
    /// of a stream is the same window, and about half of such crops come back softened by a factor in
    /// [1, D] (less total variation on a sharp checkerboard, the same mean), the others untouched.
    @Test func sourceDownsampleSoftensAboutHalfTheCrops() {
        let side = 64
        var pixels = [Float](repeating: 0, count: side * side)
        for y in 0..<side { for x in 0..<side { pixels[y * side + x] = ((x / 3 + y / 3) % 2 == 0) ? 1 : -1 } }
        let domain = ImageDomain(slices: [NormalizedSlice(origin: "checks", width: side, height: side, pixels: pixels)])
        var a = PhiloxGenerator(seed: 3), b = PhiloxGenerator(seed: 3)
        #expect(domain.batch(count: 3, crop: 32, random: &a) == domain.batch(count: 3, crop: 32, downsample: 1, random: &b))
        func variation(_ v: ArraySlice<Float>) -> Float {
            let p = Array(v)
            var t: Float = 0
            for y in 0..<32 { for x in 1..<32 { t += abs(p[y * 32 + x] - p[y * 32 + x - 1]) } }
            return t
        }
        var softened = 0
        for stream in 0..<100 as Range<UInt64> {
            var plainRandom = PhiloxGenerator(seed: 9, stream: stream), softRandom = PhiloxGenerator(seed: 9, stream: stream)
            let plain = domain.batch(count: 1, crop: 32, random: &plainRandom)
            let soft = domain.batch(count: 1, crop: 32, downsample: 2.5, random: &softRandom)
            if plain == soft { continue }
            softened += 1
            #expect(variation(soft.scalars[...]) < 0.8 * variation(plain.scalars[...]))
            let meanPlain = plain.scalars.reduce(0, +) / 1024, meanSoft = soft.scalars.reduce(0, +) / 1024
            #expect(abs(meanPlain - meanSoft) < 0.1, "mean \(meanPlain) → \(meanSoft)")
        }
        #expect((30...70).contains(softened), "\(softened) of 100 softened")
        // A minimum m > 1 (a model for small nuclei only) softens every crop, each at least by m: every crop's
        // variation is below the plain crop's, and the draws stay a pure function of the stream.
        for stream in 0..<40 as Range<UInt64> {
            var plainRandom = PhiloxGenerator(seed: 9, stream: stream), softRandom = PhiloxGenerator(seed: 9, stream: stream)
            let plain = domain.batch(count: 1, crop: 32, random: &plainRandom)
            let soft = domain.batch(count: 1, crop: 32, downsample: 2.8, downsampleMinimum: 1.4, random: &softRandom)
            #expect(variation(soft.scalars[...]) < 0.8 * variation(plain.scalars[...]), "stream \(stream) not softened")
            var again = PhiloxGenerator(seed: 9, stream: stream)
            #expect(domain.batch(count: 1, crop: 32, downsample: 2.8, downsampleMinimum: 1.4, random: &again) == soft)
        }
        // The minimum equal to D softens every crop by exactly D: the window of the plain draw, softened.
        var fixedRandom = PhiloxGenerator(seed: 4, stream: 1)
        let fixed = domain.batch(count: 1, crop: 32, downsample: 2, downsampleMinimum: 2, random: &fixedRandom)
        var plainRandom = PhiloxGenerator(seed: 4, stream: 1)
        let window = domain.batch(count: 1, crop: 32, random: &plainRandom)
        let expected = ImageDomain.softened(window.scalars, side: 32, factor: 2)  // softening commutes with the square's symmetries
        #expect(zip(fixed.scalars, expected).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(variation(fixed.scalars[...]) < 0.8 * variation(window.scalars[...]))
        // The softening itself: the identity at factor 1 (and below one pixel of change), a constant stays constant.
        #expect(ImageDomain.softened(pixels, side: side, factor: 1) == pixels)
        #expect(ImageDomain.softened(pixels, side: side, factor: 1.005) == pixels)
        let flat = ImageDomain.softened([Float](repeating: 0.25, count: side * side), side: side, factor: 2)
        #expect(flat.allSatisfy { abs($0 - 0.25) < 1e-5 })
    }

    /// The pool stores the first `capacity` images, then swaps about half of the later ones.
    @Test func imagePoolFollowsCycleGAN() {
        var pool = ImagePool(capacity: 3)
        var random = PhiloxGenerator(seed: 7)
        func image(_ v: Float) -> Tensor { Tensor(shape: [1, 1, 2, 2], repeating: v) }
        for v in 0..<3 { #expect(pool.query(image(Float(v)), random: &random) == image(Float(v))) }
        #expect(pool.images.map { $0.scalars[0] } == [0, 1, 2])
        var swapped = 0
        for v in 3..<403 {
            let out = pool.query(image(Float(v)), random: &random)
            if out.scalars[0] != Float(v) {
                swapped += 1
                #expect(out.scalars[0] < Float(v))
                #expect(pool.images.contains { $0.scalars[0] == Float(v) })
            }
            #expect(pool.images.count == 3)
        }
        #expect((150...250).contains(swapped), "\(swapped) of 400 swapped")
        var empty = ImagePool(capacity: 0)
        #expect(empty.query(image(9), random: &random) == image(9) && empty.images.isEmpty)
    }

    // MARK: Data

    /// The 8 symmetries are distinct permutations of the square; 0 is the identity.
    @Test func cropSymmetriesAreTheDihedralGroup() {
        let side = 5
        var seen = Set<[Int]>()
        for k in 0..<8 {
            var image: [Int] = []
            var hit = Set<Int>()
            for y in 0..<side { for x in 0..<side {
                let (sy, sx) = ImageDomain.symmetric(y, x, side: side, symmetry: k)
                image.append(sy * side + sx)
                hit.insert(sy * side + sx)
            } }
            #expect(hit.count == side * side, "symmetry \(k) is not a permutation")
            if k == 0 { #expect(image == Array(0..<(side * side))) }
            seen.insert(image)
        }
        #expect(seen.count == 8)
    }

    @Test func dataLoadingNormalizesEveryPlaneAndNamesBadFiles() throws {
        let data = try TinyData(label: "load")
        defer { data.remove() }
        // A 3-slice stack contributes three planes; each plane spans [-1, 1] at its 1/99.8 percentiles.
        let stack = (0..<3).map { TinyData.image(seed: 40 + UInt64($0), size: 40, brightness: 100, noise: 10).0 }
        try writeTIFF(stack, to: data.root + "/stack.tif", sampleType: .uint16, layout: HyperstackLayout(slices: 3))
        try "\(data.source)/img0.tif\n# comment\n\nstack.tif\n".write(toFile: data.root + "/list.txt", atomically: true, encoding: .utf8)
        let files = try ImageDomain.imageFiles(data.root + "/list.txt")
        #expect(files == ["\(data.source)/img0.tif", data.root + "/stack.tif"])
        let domain = try ImageDomain.load(files: files, minimumSide: 32)
        #expect(domain.slices.count == 4)
        for s in domain.slices {
            let sorted = s.pixels.sorted()
            #expect(abs(sorted[Int(0.01 * Double(sorted.count - 1))] + 1) < 0.05 && abs(sorted[Int(0.998 * Double(sorted.count - 1))] - 1) < 0.05)
        }
        let batch = domain.batch(count: 2, crop: 32, random: &PhiloxGeneratorBox(seed: 1).generator)
        #expect(batch.shape == [2, 1, 32, 32])
        #expect(throws: TrainingError.self) { try ImageDomain.load(files: files, minimumSide: 64) }
        do {
            _ = try ImageDomain.imageFiles(data.root + "/missing")
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("missing") && "\(error)".contains("no such file"))
        }
        try Data([0x49, 0x49, 0x2A, 0x00, 1, 2]).write(to: URL(fileURLWithPath: data.root + "/bad.tif"))
        do {
            _ = try ImageDomain.load(files: [data.root + "/bad.tif"], minimumSide: 32)
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("bad.tif"))
        }
    }

    /// Bright discs of radius `r` on a square grid (spacing 4r) over a flat background with mild noise.
    static func discGrid(radius r: Int, size: Int, seed: UInt64) -> ImagePlane {
        var random = PhiloxGenerator(seed: seed)
        var pixels = [Float](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                let dy = (y % (4 * r)) - 2 * r, dx = (x % (4 * r)) - 2 * r
                let inside = dy * dy + dx * dx <= r * r
                pixels[y * size + x] = max(0, (inside ? 1000 : 100) + Float.random(in: -10...10, using: &random)).rounded()
            }
        }
        return ImagePlane(width: size, height: size, pixels: pixels, sampleType: .uint16)
    }

    /// `auto` without masks estimates each file on its own: a folder mixing nuclei of 11 and 21 px gets both
    /// sizes (a stack's planes share their file's), the domain's diameter is the median, and rescaling
    /// brings every plane to one diameter. A fixed diameter applies to every plane.
    @Test func autoDiametersAreEstimatedPerFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sn-scale-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeTIFF(Self.discGrid(radius: 5, size: 160, seed: 1), to: root + "/a_small.tif", sampleType: .uint16)
        try writeTIFF([Self.discGrid(radius: 10, size: 160, seed: 2), Self.discGrid(radius: 10, size: 160, seed: 3)],
                      to: root + "/b_large.tif", sampleType: .uint16, layout: HyperstackLayout(slices: 2))
        try writeTIFF(Self.discGrid(radius: 5, size: 160, seed: 4), to: root + "/c_small.tif", sampleType: .uint16)
        let files = try ImageDomain.imageFiles(root)
        let domain = try ImageDomain.load(files: files, minimumSide: 32)
        #expect(domain.slices.map(\.file) == [root + "/a_small.tif", root + "/b_large.tif", root + "/b_large.tif", root + "/c_small.tif"])
        let d = try #require(try DomainScale.resolve(.auto, domain: domain, files: files, name: "source"))
        #expect(d.domain.source == .estimated)
        #expect(d.planes.count == 4 && d.planes[1] == d.planes[2])
        for i in [0, 3] { #expect(d.planes[i] > 9 && d.planes[i] < 13, "\(d.planes)") }
        #expect(d.planes[1] > 18 && d.planes[1] < 24, "\(d.planes)")
        #expect(d.domain.diameter == d.planes[0] || d.domain.diameter == d.planes[3], "median of three files: a small one")
        #expect(d.spread != nil && d.summary(modelDiameter: 11).contains("per file"))
        // Brought to 11 px from each plane's own diameter: the large file's planes halve, the small ones stay.
        let rescaled = try domain.rescaled(d.planes.map { ScaleMapping(imageDiameter: $0, modelDiameter: 11) }, minimumSide: 32)
        #expect(rescaled.slices[1].width < 100 && rescaled.slices[0].width > 130, "\(rescaled.slices.map(\.width))")
        let fixed = try #require(try DomainScale.resolve(.fixed(12), domain: domain, files: files, name: "source"))
        #expect(fixed.planes == [12, 12, 12, 12] && fixed.spread == nil && fixed.domain.source == .given)
    }

    /// The objective recorded in a run's metadata reads back as the options that wrote it; a run without
    /// the content term or jitter records neither (and reads back as none and 0); an invalid value is an
    /// error naming the file and the key.
    @Test func recordedObjectiveReadsBackTheOptions() throws {
        var o = SaliencyNetTrainingOptions(sourceFiles: [], targetFiles: [], outputFolder: "/tmp/x")
        o.step = TrainingOptions(placement: .adversarial, saliencyWeights: try SaliencyLossWeights(alpha: 0.5, beta: 0.25, gamma: 0.25),
                                 cycleWeight: 7, identityFraction: 0.25, poolSize: 9, cycleNoise: 0.1, cycleBlur: 1.5,
                                 contentPreservation: .saliencyMask(SaliencyConstraint(blurSigma: 3, softness: 0.2, backgroundSigma: 24,
                                                                                          minimumContrast: 0.1), weight: 2))
        o.scaleJitter = 0.25
        o.sourceDownsample = 2.5
        o.sourceDownsampleMinimum = 1.5
        let metadata = ModelMetadata(architecture: SaliencyNetFile.architecture, training: o.fingerprint)
        let r = try RecordedObjective(metadata: metadata, path: "run.safetensors")
        #expect(r.placement == .adversarial && r.saliencyWeights == o.step.saliencyWeights)
        #expect(r.cycleWeight == 7 && r.identityFraction == 0.25 && r.poolSize == 9 && r.scaleJitter == 0.25)
        #expect(r.sourceDownsample == 2.5 && r.summary.contains("source downsample 2.5"))
        #expect(r.sourceDownsampleMinimum == 1.5 && r.summary.contains("source downsample minimum 1.5"))
        #expect(r.cycleNoise.map(Float.init) == 0.1 && r.cycleBlur == 1.5)
        #expect(r.contentPreservation == o.step.contentPreservation)
        var plain = SaliencyNetTrainingOptions(sourceFiles: [], targetFiles: [], outputFolder: "/tmp/x")
        plain.step = TrainingOptions()
        let p = try RecordedObjective(metadata: ModelMetadata(architecture: SaliencyNetFile.architecture, training: plain.fingerprint), path: "p")
        #expect(p.contentPreservation == ContentPreservation.none && p.scaleJitter == 0 && p.placement == .cycle)
        #expect(p.sourceDownsample == 1 && plain.fingerprint["source_downsample"] == nil)
        #expect(p.sourceDownsampleMinimum == 1 && plain.fingerprint["source_downsample_min"] == nil)
        let foreign = try RecordedObjective(metadata: ModelMetadata(architecture: SaliencyNetFile.architecture), path: "f")
        #expect(foreign.placement == nil && foreign.contentPreservation == nil && foreign.scaleJitter == nil && foreign.summary == "none recorded")
        var tooSoft = o.fingerprint
        tooSoft["source_downsample"] = "0.5"
        #expect(throws: TrainingError.self) {
            try RecordedObjective(metadata: ModelMetadata(architecture: SaliencyNetFile.architecture, training: tooSoft), path: "s")
        }
        var tooLittle = o.fingerprint
        tooLittle["source_downsample_min"] = "0.9"
        #expect(throws: TrainingError.self) {
            try RecordedObjective(metadata: ModelMetadata(architecture: SaliencyNetFile.architecture, training: tooLittle), path: "m")
        }
        var bad = o.fingerprint
        bad["cycle_noise"] = "-1"
        do {
            _ = try RecordedObjective(metadata: ModelMetadata(architecture: SaliencyNetFile.architecture, training: bad), path: "bad.safetensors")
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("bad.safetensors") && "\(error)".contains("training.cycle_noise"))
        }
    }

    // MARK: Validation

    @Test func erasedAndInventedNucleiAreCounted() {
        // Truth: nuclei 1 (4 px) and 2 (4 px); enhanced: covers 3 px of nucleus 1, 1 px of nucleus 2, plus an island.
        let truth = LabelImage(width: 6, height: 2, labels: [1, 1, 0, 2, 2, 0,
                                                             1, 1, 0, 2, 2, 0])
        let enhanced = LabelImage(width: 6, height: 2, labels: [1, 1, 0, 2, 0, 3,
                                                                1, 0, 0, 0, 0, 3])
        let r = Validation.erasedAndInvented(enhanced: enhanced, truth: truth)
        #expect(r.truthNuclei == 2 && r.missed == 1 && r.invented == 1)
        let s = ValidationScores(images: 1, rawIoU: 0.5, enhancedIoU: 0.8, truthCount: 10, rawCount: 30, enhancedCount: 8,
                                 missedFraction: 0.1, inventedFraction: 0)
        #expect(abs(s.countChange + 0.2) < 1e-12 && abs(s.score - (0.8 - 0.2 - 0.1)) < 1e-12)
    }

    // MARK: The loop

    /// A tiny configuration trains end to end: the cycle loss falls, every file appears, and a run stopped
    /// after 4 iterations and resumed ends with exactly the weights, optimizer state and loss log of an
    /// uninterrupted run.
    @Test func tinyRunTrainsAndResumesExactly() throws {
        // Bit-identical comparisons: no test of another module changes the thread count meanwhile.
        try Parallel.withSteadyThreadCount {
            let data = try TinyData(label: "resume")
            defer { data.remove() }
            var straightOptions = try data.options(out: "straight")
            straightOptions.step.learningRate = 1e-3
            var straight = try SaliencyNetTraining(options: straightOptions)
            #expect(try straight.run() == .completed)
            #expect(straight.iteration == 12)

            var firstOptions = straightOptions
            firstOptions.outputFolder = data.root + "/resumed"
            firstOptions.stopAfterIterations = 4
            var first = try SaliencyNetTraining(options: firstOptions)
            #expect(try first.run() == .interrupted(iteration: 4))
            var secondOptions = firstOptions
            secondOptions.stopAfterIterations = 0
            secondOptions.resume = true
            var second = try SaliencyNetTraining(options: secondOptions)
            #expect(second.iteration == 4)
            #expect(try second.run() == .completed)

            let a = try SafeTensorsFile.read(from: straight.lastCheckpointPath)
            let b = try SafeTensorsFile.read(from: second.lastCheckpointPath)
            #expect(a.tensors.count == b.tensors.count && a.tensors.keys.contains("pool.X") && a.tensors.keys.contains("adam.generators.m.G.in_conv.weight"))
            for (name, t) in a.tensors { #expect(b.tensors[name] == t, "\(name) differs after resume") }
            // The loss logs agree but for the wall-clock column.
            func rows(_ path: String) throws -> [String] {
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
            }
            let log = try rows(straight.lossesPath)
            let resumedLog = try rows(second.lossesPath)
            #expect(log.count == 13 && log == resumedLog)
            let validationRows = try String(contentsOfFile: straight.validationPath, encoding: .utf8).split(separator: "\n")
            #expect(validationRows.count == 5)
            for file in [straight.bestGeneratorPath, straight.bestCheckpointPath, straightOptions.outputFolder + "/samples/epoch-0004.png"] {
                #expect(FileManager.default.fileExists(atPath: file), "\(file)")
            }
            // The best generator loads as an enhancement model.
            let model = try GeneratorModel.load(from: straight.bestGeneratorPath)
            #expect(model.generator.options == straightOptions.generator)

            // The cycle loss falls over a longer run.
            var longOptions = straightOptions
            longOptions.outputFolder = data.root + "/long"
            longOptions.iterationsPerEpoch = 30
            longOptions.validationFolder = nil
            longOptions.sampleCount = 0
            var long = try SaliencyNetTraining(options: longOptions)
            var cycle: [Float] = []
            _ = try long.run { event in if case .iteration(_, _, let l) = event { cycle.append(l.cycleX + l.cycleY) } }
            let early = cycle.prefix(10).reduce(0, +), late = cycle.suffix(10).reduce(0, +)
            #expect(late < 0.7 * early, "cycle loss \(early / 10) → \(late / 10)")
        }
    }

    /// Resuming with other settings is refused with the differences named; an existing run is not overwritten.
    @Test func resumeChecksSettingsAndRefusesToOverwrite() throws {
        let data = try TinyData(label: "settings")
        defer { data.remove() }
        var options = try data.options(out: "run")
        options.stopAfterIterations = 2
        var run = try SaliencyNetTraining(options: options)
        _ = try run.run()
        #expect(throws: TrainingError.self) { _ = try SaliencyNetTraining(options: options) }  // no --resume: refuses
        var other = options
        other.resume = true
        other.cropSize = 36
        do {
            _ = try SaliencyNetTraining(options: other)
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("crop 32 in the checkpoint, 36 now"), "\(error)")
        }
    }

    /// A non-finite loss stops training with a message naming the last good checkpoint, which stays as it was.
    @Test func nonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let data = try TinyData(label: "nan")
        defer { data.remove() }
        var options = try data.options(out: "run")
        options.stopAfterIterations = 3
        var run = try SaliencyNetTraining(options: options)
        _ = try run.run()
        // Poison one discriminator weight in the checkpoint: the next iteration's adversarial loss is NaN.
        var file = try SafeTensorsFile.read(from: run.lastCheckpointPath)
        var w = file.tensors["D_Y.conv1.weight"]!.scalars
        w[0] = .nan
        file.tensors["D_Y.conv1.weight"] = Tensor(shape: file.tensors["D_Y.conv1.weight"]!.shape, scalars: w)
        try file.write(to: run.lastCheckpointPath)
        let before = try Data(contentsOf: URL(fileURLWithPath: run.lastCheckpointPath))
        options.resume = true
        options.stopAfterIterations = 0
        var resumed = try SaliencyNetTraining(options: options)
        do {
            _ = try resumed.run()
            Issue.record("no error")
        } catch let error as TrainingError {
            guard case .nonFiniteLoss(let iteration, _, let kept) = error else { Issue.record("\(error)"); return }
            #expect(iteration == 4 && kept == run.lastCheckpointPath)
            #expect("\(error)".contains("not finite") && "\(error)".contains("last.safetensors"))
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: run.lastCheckpointPath))
        #expect(after == before)
    }
    /// Issue 12: a run killed between its first log row and its first checkpoint (and in the middle of a
    /// checkpoint write) restarts without manual cleaning: the log rows are dropped, the dead process's
    /// temporary files removed, and the new run's logs equal an uninterrupted run's.
    @Test func killedBeforeTheFirstCheckpointRestartsCleanly() throws {
        let data = try TinyData(label: "killed")
        defer { data.remove() }
        var options = try data.options(out: "run")
        options.stopAfterIterations = 2
        var reference = try SaliencyNetTraining(options: options)
        _ = try reference.run()
        let expectedRows = try String(contentsOfFile: reference.lossesPath, encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
        // The folder a SIGKILL after two log rows and during the first checkpoint write leaves behind.
        options.outputFolder = data.root + "/killed"
        try FileManager.default.createDirectory(atPath: options.outputFolder, withIntermediateDirectories: true)
        let header = try String(contentsOfFile: reference.lossesPath, encoding: .utf8).split(separator: "\n")[0]
        try (header + "\n1,1,0.0002,1,2,3\n2,1,0.0002,4,5,6\n").write(toFile: options.outputFolder + "/losses.csv", atomically: false, encoding: .utf8)
        let stale = options.outputFolder + "/.last.safetensors.tmp-\(Int32.max - 1)-x1"
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: stale))
        for resume in [false, true] {
            var o = options
            o.resume = resume
            var run = try SaliencyNetTraining(options: o)
            #expect(!FileManager.default.fileExists(atPath: stale))
            _ = try run.run()
            let rows = try String(contentsOfFile: run.lossesPath, encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
            #expect(rows == expectedRows, "resume: \(resume)")
            if !resume { try FileManager.default.removeItem(atPath: run.lastCheckpointPath) }  // killed again, pre-checkpoint
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: options.outputFolder).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
    }
}

/// A `PhiloxGenerator` in a class, so a test can pass `&box.generator` inline.
final class PhiloxGeneratorBox {
    var generator: PhiloxGenerator
    init(seed: UInt64) { generator = PhiloxGenerator(seed: seed) }
}
