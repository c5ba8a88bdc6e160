import Foundation
import ImageCore
import NN
import Segmentation
import TensorCore

/// One training image with its precomputed targets.
public struct StarExample {
    /// Image size, px.
    public let width: Int, height: Int
    /// Normalized intensities (``starNormalized(_:low:high:)``), H·W.
    public let input: [Float]
    /// Probability target (``StarGeometry/probabilityTarget(_:)``), H·W.
    public let probability: [Float]
    /// Star distances (``StarGeometry/distances(_:rays:)``), R·H·W.
    public let distances: [Float]

    /// Targets from an image and its instance labels.
    public init(image: ImagePlane, labels: LabelImage, rays: Int, lowPercentile: Double = 1, highPercentile: Double = 99.8) {
        precondition(image.width == labels.width && image.height == labels.height, "StarExample: image and labels differ in size")
        width = image.width
        height = image.height
        input = starNormalized(image, low: lowPercentile, high: highPercentile)
        probability = StarGeometry.probabilityTarget(labels)
        distances = StarGeometry.distances(labels, rays: rays)
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
                for i in 0..<plane where e.probability[i] > 0 {
                    let p = Double(e.probability[i])
                    weight += p
                    for k in 0..<rays { sums[k] += p * Double(e.distances[k * plane + i]) }
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
