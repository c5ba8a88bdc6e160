import TensorCore

/// A learning-rate schedule over 1-based epochs.
public enum LearningRateSchedule: Sendable, Equatable {
    /// The base rate every epoch.
    case constant
    /// CycleGAN's `linear` policy: the base rate for epochs `1 … constantEpochs`, then a linear
    /// decay. Multiplier for 1-based epoch `E`:
    /// `1 − max(0, E − constantEpochs) / (decayEpochs + 1)`, floored at 0.
    ///
    /// This is exactly `lambda_rule` of pytorch-CycleGAN-and-pix2pix
    /// (`1 − max(0, epoch + epoch_count − n_epochs)/(n_epochs_decay + 1)`, with its 0-based
    /// scheduler epoch `epoch = E − 1` and `epoch_count = 1`). Consequence: the last training
    /// epoch `E = constantEpochs + decayEpochs` still uses `lr/(decayEpochs + 1)`; the rate
    /// reaches 0 at `E = constantEpochs + decayEpochs + 1`, the first epoch after training.
    case linearDecay(constantEpochs: Int, decayEpochs: Int)

    /// The factor applied to the base learning rate in 1-based `epoch`.
    public func multiplier(epoch: Int) -> Float {
        switch self {
        case .constant:
            return 1
        case .linearDecay(let nConstant, let nDecay):
            return max(0, 1 - Float(max(0, epoch - nConstant)) / Float(nDecay + 1))
        }
    }
}

/// Adam (Kingma & Ba 2015) with PyTorch's update (`torch.optim.Adam`, no weight decay, no AMSGrad).
/// For each parameter at step `t = 1, 2, …`, with gradient `g`:
/// ```
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// (algebraically `p − lr·m̂/(√v̂ + ε)` with `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`; this grouping is
/// PyTorch's and is what the reference trajectory test checks). The moment estimates are kept
/// per parameter, aligned with the ``parameters`` list given at creation.
/// CycleGAN: `lr = 2e-4`, `β₁ = 0.5`, `β₂ = 0.999`, `ε = 1e-8`.
public struct Adam {
    /// The parameters updated by ``step()``, in a fixed order.
    public let parameters: [Parameter]
    /// Base learning rate (multiplied by the schedule's factor, see ``learningRate``).
    public var baseLearningRate: Float
    /// β₁ (first-moment decay).
    public var beta1: Float
    /// β₂ (second-moment decay).
    public var beta2: Float
    /// ε (added to the denominator).
    public var epsilon: Float
    /// The schedule.
    public var schedule: LearningRateSchedule
    /// The current 1-based epoch (set by the training loop; used by the schedule).
    public var epoch: Int = 1
    /// Steps taken (t after the last step).
    public private(set) var stepCount: Int = 0
    /// First moments `m`, aligned with ``parameters``.
    public private(set) var firstMoments: [Tensor]
    /// Second moments `v`, aligned with ``parameters``.
    public private(set) var secondMoments: [Tensor]

    /// Creates the optimizer with zero moments.
    public init(
        parameters: [Parameter], learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999,
        epsilon: Float = 1e-8, schedule: LearningRateSchedule = .constant
    ) {
        self.parameters = parameters
        baseLearningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule = schedule
        firstMoments = parameters.map { Tensor.zeros($0.shape) }
        secondMoments = parameters.map { Tensor.zeros($0.shape) }
    }

    /// Restores the state saved from an optimizer over the same parameters (a resumed training run):
    /// the step count `t` and the moments, aligned with ``parameters``.
    /// - Throws: ``CheckpointError`` (with `path`) when the counts or shapes do not match.
    public mutating func restore(stepCount: Int, firstMoments m: [Tensor], secondMoments v: [Tensor], path: String) throws {
        guard stepCount >= 0, m.count == parameters.count, v.count == parameters.count else {
            throw CheckpointError(path: path, reason: "optimizer state for \(m.count) parameters, \(parameters.count) expected")
        }
        for (i, p) in parameters.enumerated() where m[i].shape != p.shape || v[i].shape != p.shape {
            throw CheckpointError(path: path, reason: "optimizer moments of '\(p.name)': shape \(m[i].shape) in file, \(p.shape) expected")
        }
        self.stepCount = stepCount
        firstMoments = m
        secondMoments = v
    }

    /// `baseLearningRate · schedule.multiplier(epoch: epoch)`.
    public var learningRate: Float { baseLearningRate * schedule.multiplier(epoch: epoch) }

    /// One update of every parameter from its accumulated ``Parameter/gradient`` (which is left
    /// as is; zero it before the next backward pass).
    public mutating func step() {
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = 1 - integerPower(Double(beta1), t)
        let bc2 = 1 - integerPower(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for (i, p) in parameters.enumerated() {
            precondition(p.gradient.shape == p.value.shape, "Adam: gradient shape \(p.gradient.shape) != parameter \(p.name) shape \(p.value.shape)")
            let g = p.gradient
            firstMoments[i].withUnsafeMutableBufferPointer { m in
                secondMoments[i].withUnsafeMutableBufferPointer { v in
                    p.value.withUnsafeMutableBufferPointer { w in
                        g.withUnsafeBufferPointer { gp in
                            // Element-wise and independent: chunked over threads, same results.
                            let (mp, vp, wp, gs) = (m.baseAddress, v.baseAddress, w.baseAddress, gp.baseAddress)
                            Parallel.forEachChunk(count: gp.count) { range in
                                for j in range {
                                    let gj = gs![j]
                                    mp![j] = b1 * mp![j] + (1 - b1) * gj
                                    vp![j] = b2 * vp![j] + (1 - b2) * gj * gj
                                    wp![j] -= stepSize * mp![j] / (vp![j].squareRoot() / bc2Sqrt + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `xⁿ` for a non-negative integer `n` (as a Double), by repeated squaring.
func integerPower(_ x: Double, _ y: Double) -> Double {
    var r = 1.0
    var n = Int(y)
    var b = x
    while n > 0 {
        if n & 1 == 1 { r *= b }
        b *= b
        n >>= 1
    }
    return r
}
