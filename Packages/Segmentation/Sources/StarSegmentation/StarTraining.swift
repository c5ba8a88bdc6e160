import Foundation
import ImageCore
import NN
import NuclearScale
import Segmentation
import TensorCore

/// One training image with its precomputed targets.
public struct StarExample {
    /// Image size, px.
    public let width: Int, height: Int
    /// Normalized intensities (``starNormalized(_:low:high:)``), H·W.
    public let input: [Float]
    /// The instance labels, H·W (0 = background).
    public let labels: [UInt32]
    /// Probability target (``StarGeometry/probabilityTarget(_:)``), H·W; empty when the targets are not
    /// precomputed (augmented training computes them per crop).
    public let probability: [Float]
    /// Star distances (``StarGeometry/distances(_:rays:)``), R·H·W; empty when not precomputed.
    public let distances: [Float]

    /// An image and its instance labels, with the targets of the whole image when `precomputeTargets`
    /// (what un-augmented training crops from; 4 · (2 + R) bytes per pixel). Augmented training
    /// (``StarAugmentation``) computes the targets of each transformed crop and needs only the labels.
    public init(image: ImagePlane, labels: LabelImage, rays: Int, lowPercentile: Double = 1, highPercentile: Double = 99.8,
                precomputeTargets: Bool = true) {
        precondition(image.width == labels.width && image.height == labels.height, "StarExample: image and labels differ in size")
        width = image.width
        height = image.height
        input = starNormalized(image, low: lowPercentile, high: highPercentile)
        self.labels = labels.labels
        (probability, distances) = precomputeTargets
            ? StarTrainer.targets(labels.labels, width: width, height: height, rays: rays) : ([], [])
    }

    /// Whether the whole-image targets are stored.
    public var hasTargets: Bool { !probability.isEmpty }
}

/// Random changes of each training crop, so that the model does not rest on one nucleus size or one
/// intensity profile (issue 11; StarDist's examples augment likewise). All off (0) by default.
///
/// For a crop of side s, in this order:
/// 1. **Scale**: a window of side round(s · z), z log-uniform in [1/(1 + j), 1 + j] (j = `scaleJitter`;
///    at most the image), is resampled to s × s (``Resampling/resample(_:width:height:toWidth:toHeight:)``,
///    labels with ``Resampling/resampleLabels(_:width:height:toWidth:toHeight:)``), so nuclei appear
///    1/z times their size: ±j around the data's diameter.
/// 2. **Symmetry**: one of the 8 flips and 90° rotations (with `flips`).
/// 3. **Intensity**, on the normalized intensities x (0 and 1 ≈ the 1st and 99.8th percentiles):
///    x ← x^γ for x > 0 (γ log-uniform in [1/(1 + g), 1 + g], g = `gamma`), then x ← c · x + o
///    (c uniform in [1 − `contrast`, 1 + `contrast`], o uniform in [−`offset`, `offset`]), then
///    x ← x + σ · n (n standard normal per pixel, σ uniform in [0, `noise`]).
///
/// The probability and distance targets are then computed on the transformed crop's labels, so objects
/// cut by the crop's border are targets as the border cuts them (as StarDist's own crops).
public struct StarAugmentation: Sendable, Equatable {
    /// j: relative scale jitter, in [0, 0.9].
    public var scaleJitter: Double
    /// g: gamma jitter (γ in [1/(1 + g), 1 + g]), ≥ 0.
    public var gamma: Double
    /// Contrast jitter: the factor c lies in [1 − contrast, 1 + contrast], in [0, 1).
    public var contrast: Double
    /// Offset jitter in normalized units: o in [−offset, offset], ≥ 0.
    public var offset: Double
    /// Largest standard deviation of added Gaussian noise, normalized units, ≥ 0.
    public var noise: Double

    /// Augmentation with the given ranges (0 = that change off).
    public init(scaleJitter: Double = 0, gamma: Double = 0, contrast: Double = 0, offset: Double = 0, noise: Double = 0) {
        self.scaleJitter = scaleJitter
        self.gamma = gamma
        self.contrast = contrast
        self.offset = offset
        self.noise = noise
    }

    /// No augmentation: crops are taken as they are (flips aside).
    public static let none = StarAugmentation()
    /// The shipped model's ranges: ±25 % scale, γ in [0.67, 1.5], contrast ±30 %, offset ±0.1, noise up to 0.05.
    public static let varied = StarAugmentation(scaleJitter: 0.25, gamma: 0.5, contrast: 0.3, offset: 0.1, noise: 0.05)

    /// Whether any change is on (then the targets are computed per crop).
    public var isActive: Bool { self != .none }

    /// The problem with these ranges, or nil when they are valid.
    public var invalidReason: String? {
        let values = [scaleJitter, gamma, contrast, offset, noise]
        if values.contains(where: { !$0.isFinite || $0 < 0 }) { return "augmentation ranges must be finite and >= 0" }
        if scaleJitter > 0.9 { return "scale jitter \(scaleJitter) is above 0.9" }
        if contrast >= 1 { return "contrast jitter \(contrast) must be below 1" }
        return nil
    }

    /// The intensity change of step 3 applied to normalized intensities, with the drawn γ, c, o and the
    /// noise values `noise` (σ · n per pixel, or empty for none).
    public static func transformIntensities(_ x: inout [Float], gamma: Float, contrast: Float, offset: Float, noise: [Float]) {
        precondition(noise.isEmpty || noise.count == x.count, "noise count \(noise.count) ≠ \(x.count)")
        for i in x.indices {
            var v = x[i]
            if gamma != 1 && v > 0 { v = powf(v, gamma) }
            v = contrast * v + offset
            if !noise.isEmpty { v += noise[i] }
            x[i] = v
        }
    }
}

/// Training settings (StarDist's defaults where it has them: Adam, learning rate 3·10⁻⁴, λ = 0.2).
public struct StarTrainingSettings: Sendable {
    /// Adam steps.
    public var steps: Int = 1000
    /// Crops per step (the N of `[N, 1, patch, patch]`).
    public var batchSize: Int = 4
    /// Side of the random square crops (a multiple of 2^depth, at most the image size).
    public var patchSize: Int = 128
    /// Adam's learning rate (β₁ 0.9, β₂ 0.999, ε 10⁻⁷ as Keras).
    public var learningRate: Float = 3e-4
    /// λ of the distance term of ``starLoss(_:probability:distances:distanceWeight:)``.
    public var distanceWeight: Float = 0.2
    /// Random horizontal/vertical flips (rays permuted accordingly).
    public var flips: Bool = true
    /// Seed of the crop positions and flips.
    public var seed: UInt64 = 1
    /// Random scale and intensity changes of each crop (``StarAugmentation``); off by default, which
    /// keeps the crops (and so the runs) of earlier versions. When active, the examples need only their
    /// labels (`precomputeTargets: false` saves their memory).
    public var augmentation: StarAugmentation = .none
    /// The defaults.
    public init() {}
}

/// Minibatch training of a ``StarUNet`` with ``starLoss(_:probability:distances:distanceWeight:)``.
public struct StarTrainer {
    /// The network being trained (its parameters are updated in place).
    public var network: StarUNet
    /// The settings.
    public var settings: StarTrainingSettings
    var adam: Adam
    var state: UInt64

    /// A trainer; with `examples`, the distance head's biases start at the probability-weighted mean
    /// target distance of each ray (Σ p d_k / Σ p over the examples), so that the distances, which are
    /// several pixels while a freshly initialised head outputs ≈ 0, need not be reached by the bias
    /// alone at Adam's per-step pace (≈ learning rate per step).
    public init(network: StarUNet, settings: StarTrainingSettings, examples: [StarExample] = []) {
        self.network = network
        let rays = network.configuration.rays
        if !examples.isEmpty, let bias = network.distanceHead.bias {
            var sums = [Double](repeating: 0, count: rays), weight = 0.0
            for e in examples {
                let plane = e.width * e.height
                let (probability, distances) = e.hasTargets
                    ? (e.probability, e.distances)
                    : StarTrainer.targets(e.labels, width: e.width, height: e.height, rays: rays)
                for i in 0..<plane where probability[i] > 0 {
                    let p = Double(probability[i])
                    weight += p
                    for k in 0..<rays { sums[k] += p * Double(distances[k * plane + i]) }
                }
            }
            if weight > 0 { bias.value = Tensor(shape: [rays], scalars: sums.map { Float($0 / weight) }) }
        }
        self.settings = settings
        adam = Adam(parameters: network.parameters, learningRate: settings.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7)
        state = settings.seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    }

    mutating func random(_ n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(1, n)))
    }

    /// Uniform in [0, 1) (53 bits of the same stream).
    mutating func uniform() -> Double { Double(random(1 << 53)) / Double(1 << 53) }

    /// Probability and distance targets of a label image (``StarGeometry``).
    static func targets(_ labels: [UInt32], width: Int, height: Int, rays: Int) -> (probability: [Float], distances: [Float]) {
        let image = LabelImage(width: width, height: height, labels: labels)
        return (StarGeometry.probabilityTarget(image), StarGeometry.distances(image, rays: rays))
    }

    /// One augmented crop of side `s` of `e` (``StarAugmentation``): its input and labels, s · s each, and
    /// the drawn magnification s / window side.
    mutating func augmentedCrop(_ e: StarExample, side s: Int) -> (input: [Float], labels: [UInt32], magnification: Double) {
        let a = settings.augmentation
        var side = s
        if a.scaleJitter > 0 {
            let span = log(1 + a.scaleJitter)
            side = Int((Double(s) * exp((2 * uniform() - 1) * span)).rounded())
            side = max(8, min(side, e.width, e.height))
        }
        let y0 = random(e.height - side + 1), x0 = random(e.width - side + 1)
        var window = [Float](repeating: 0, count: side * side), windowLabels = [UInt32](repeating: 0, count: side * side)
        for yy in 0..<side {
            for xx in 0..<side {
                window[yy * side + xx] = e.input[(y0 + yy) * e.width + x0 + xx]
                windowLabels[yy * side + xx] = e.labels[(y0 + yy) * e.width + x0 + xx]
            }
        }
        let scaled = Resampling.resample(window, width: side, height: side, toWidth: s, toHeight: s)
        let scaledLabels = Resampling.resampleLabels(windowLabels, width: side, height: side, toWidth: s, toHeight: s)
        // Symmetry t: bit 0 flips x, bit 1 flips y, bit 2 transposes.
        let t = settings.flips ? random(8) : 0
        var input = [Float](repeating: 0, count: s * s), labels = [UInt32](repeating: 0, count: s * s)
        for yy in 0..<s {
            for xx in 0..<s {
                var (sy, sx) = t & 4 != 0 ? (xx, yy) : (yy, xx)
                if t & 1 != 0 { sx = s - 1 - sx }
                if t & 2 != 0 { sy = s - 1 - sy }
                input[yy * s + xx] = scaled[sy * s + sx]
                labels[yy * s + xx] = scaledLabels[sy * s + sx]
            }
        }
        let gamma = a.gamma > 0 ? Float(exp((2 * uniform() - 1) * log(1 + a.gamma))) : 1
        let contrast = a.contrast > 0 ? Float(1 + (2 * uniform() - 1) * a.contrast) : 1
        let offset = a.offset > 0 ? Float((2 * uniform() - 1) * a.offset) : 0
        var noise: [Float] = []
        if a.noise > 0 {
            let sigma = uniform() * a.noise
            noise = (0..<(s * s)).map { _ in
                // Box–Muller.
                let u1 = max(uniform(), 1e-300), u2 = uniform()
                return Float(sigma * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
            }
        }
        StarAugmentation.transformIntensities(&input, gamma: gamma, contrast: contrast, offset: offset, noise: noise)
        return (input, labels, Double(s) / Double(side))
    }

    /// One Adam step on a random minibatch of crops of `examples`; returns the loss.
    @discardableResult
    public mutating func step(_ examples: [StarExample]) -> Float {
        let rays = network.configuration.rays
        let s = settings.patchSize
        let b = settings.batchSize
        var input = [Float](repeating: 0, count: b * s * s)
        var probability = [Float](repeating: 0, count: b * s * s)
        var distances = [Float](repeating: 0, count: b * rays * s * s)
        for item in 0..<b {
            let e = examples[random(examples.count)]
            precondition(e.width >= s && e.height >= s, "StarTrainer: patch \(s) larger than an image (\(e.width) x \(e.height))")
            if settings.augmentation.isActive {
                let crop = augmentedCrop(e, side: s)
                let (p, d) = StarTrainer.targets(crop.labels, width: s, height: s, rays: rays)
                input.replaceSubrange((item * s * s)..<((item + 1) * s * s), with: crop.input)
                probability.replaceSubrange((item * s * s)..<((item + 1) * s * s), with: p)
                distances.replaceSubrange((item * rays * s * s)..<((item + 1) * rays * s * s), with: d)
                continue
            }
            precondition(e.hasTargets, "StarTrainer: un-augmented training needs examples with precomputed targets")
            let y0 = random(e.height - s + 1), x0 = random(e.width - s + 1)
            let flipX = settings.flips && random(2) == 1, flipY = settings.flips && random(2) == 1
            // A horizontal flip maps ray angle φ to π − φ (k → n/2 − k); a vertical flip φ to −φ (k → −k).
            let rayMap = (0..<rays).map { k -> Int in
                var j = k
                if flipX { j = ((rays / 2 - j) % rays + rays) % rays }
                if flipY { j = (rays - j) % rays }
                return j
            }
            let exact = rays % 2 == 0 || !flipX
            precondition(exact, "StarTrainer: horizontal flips need an even ray count")
            for yy in 0..<s {
                let sy = y0 + (flipY ? s - 1 - yy : yy)
                for xx in 0..<s {
                    let sx = x0 + (flipX ? s - 1 - xx : xx)
                    let src = sy * e.width + sx, dst = item * s * s + yy * s + xx
                    input[dst] = e.input[src]
                    probability[dst] = e.probability[src]
                    for k in 0..<rays {
                        distances[(item * rays + rayMap[k]) * s * s + yy * s + xx] = e.distances[k * e.width * e.height + src]
                    }
                }
            }
        }
        let tape = Tape()
        let output = network(tape.input(Tensor(shape: [b, 1, s, s], scalars: input)))
        let loss = starLoss(output, probability: Tensor(shape: [b, 1, s, s], scalars: probability),
                            distances: Tensor(shape: [b, rays, s, s], scalars: distances), distanceWeight: settings.distanceWeight)
        Parameter.zeroGradients(network.parameters)
        tape.backward(from: loss)
        adam.step()
        return loss.value.scalars[0]
    }
}
