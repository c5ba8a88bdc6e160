import NN
import TensorCore

/// The weights α, β, γ of the saliency loss `α·L_MSE + β·L_MGE + γ·L_SSIM` (paper §3.2:
/// "α + β + γ = 1"), validated: each ≥ 0 (and finite), and `|α + β + γ − 1| ≤ 1e-6`
/// (the sum taken in Float64 of the Float32 weights).
///
/// ```swift
/// let m = SaliencyLossWeights.modelM                                  // α 0.2, β 0.2, γ 0.6
/// let w = try SaliencyLossWeights(alpha: 0.5, beta: 0.5, gamma: 0)    // ok
/// _ = try SaliencyLossWeights(alpha: 0.5, beta: 0.5, gamma: 0.5)      // throws .sumNotOne
/// ```
public struct SaliencyLossWeights: Sendable, Equatable, CustomStringConvertible {
    /// α: weight of `L_MSE`.
    public let alpha: Float
    /// β: weight of `L_MGE`.
    public let beta: Float
    /// γ: weight of `L_SSIM = 1 − MSSIM`.
    public let gamma: Float

    /// Largest accepted `|α + β + γ − 1|`.
    public static let sumTolerance = 1e-6

    /// Why a weight triple was rejected.
    public enum ValidationError: Error, Equatable, CustomStringConvertible {
        /// A weight is negative or not finite (`name` is "alpha", "beta" or "gamma").
        case invalidWeight(name: String, value: Float)
        /// The weights do not sum to 1 within ``SaliencyLossWeights/sumTolerance``.
        case sumNotOne(alpha: Float, beta: Float, gamma: Float, sum: Double)

        /// One line, e.g. `saliency loss weights: alpha + beta + gamma = 1.5 (0.5 + 0.5 + 0.5), must be 1 (±1e-06)`.
        public var description: String {
            switch self {
            case let .invalidWeight(name, value):
                return "saliency loss weights: \(name) = \(value), must be a finite number ≥ 0"
            case let .sumNotOne(alpha, beta, gamma, sum):
                return "saliency loss weights: alpha + beta + gamma = \(sum) (\(alpha) + \(beta) + \(gamma)), must be 1 (±\(SaliencyLossWeights.sumTolerance))"
            }
        }
    }

    /// Validates and stores α, β, γ.
    /// - Throws: ``ValidationError/invalidWeight(name:value:)`` for a negative, NaN or infinite
    ///   weight; ``ValidationError/sumNotOne(alpha:beta:gamma:sum:)`` when `|α + β + γ − 1| > 1e-6`.
    public init(alpha: Float, beta: Float, gamma: Float) throws {
        for (name, value) in [("alpha", alpha), ("beta", beta), ("gamma", gamma)] where !(value >= 0 && value.isFinite) {
            throw ValidationError.invalidWeight(name: name, value: value)
        }
        let sum = Double(alpha) + Double(beta) + Double(gamma)
        guard abs(sum - 1) <= SaliencyLossWeights.sumTolerance else {
            throw ValidationError.sumNotOne(alpha: alpha, beta: beta, gamma: gamma, sum: sum)
        }
        (self.alpha, self.beta, self.gamma) = (alpha, beta, gamma)
    }

    /// The paper's best model M: α = 0.2, β = 0.2, γ = 0.6.
    public static let modelM = try! SaliencyLossWeights(alpha: 0.2, beta: 0.2, gamma: 0.6)

    /// `"α 0.2, β 0.2, γ 0.6"`.
    public var description: String { "α \(alpha), β \(beta), γ \(gamma)" }
}

/// The three terms and the total of one saliency-loss evaluation on the tape.
public struct SaliencyLossTerms {
    /// `L_MSE` (NN's `mseLoss`), shape `[]`.
    public var mse: Variable
    /// `L_MGE`, shape `[]`.
    public var mge: Variable
    /// `L_SSIM = 1 − MSSIM`, shape `[]`.
    public var ssim: Variable
    /// `α·L_MSE + β·L_MGE + γ·L_SSIM`, shape `[]`.
    public var total: Variable
}

/// The three terms and the total of one saliency-loss evaluation, in Float64.
public struct SaliencyLossValues: Sendable, Equatable {
    /// `L_MSE`.
    public var mse: Double
    /// `L_MGE`.
    public var mge: Double
    /// `L_SSIM = 1 − MSSIM`.
    public var ssim: Double
    /// `α·L_MSE + β·L_MGE + γ·L_SSIM`.
    public var total: Double

    /// The values of the three terms and their total.
    public init(mse: Double, mge: Double, ssim: Double, total: Double) {
        self.mse = mse
        self.mge = mge
        self.ssim = ssim
        self.total = total
    }
}

/// The SaliencyNet loss (paper §3.2, `L_total = α·L_MSE + β·L_MGE + γ·L_MSSIM`, with the SSIM
/// term entering as `L_SSIM = 1 − MSSIM` so that minimising it increases similarity):
///
/// `L(x̂, x) = α·(1/N) Σ (x̂ − x)² + β·(1/nm) Σ (Ĝ − G)² + γ·(1 − MSSIM(x̂, x))`
///
/// on NCHW batches (MGE and SSIM per channel plane, all terms averaged over channels and the
/// batch). In the paper it is the cycle-consistency loss, `L(F(G(x)), x)` and `L(G(F(y)), y)`;
/// see ``CycleGANCriteria`` for the placements.
public struct SaliencyLoss: Sendable, Equatable {
    /// α, β, γ.
    public var weights: SaliencyLossWeights
    /// The SSIM term's window, constants and border.
    public var ssim: SSIMConfiguration
    /// The MGE term's border and ε.
    public var sobel: SobelConfiguration

    /// Creates the loss (defaults: model M's weights, SSIM on valid 11 × 11 windows with
    /// `L = 2`, Sobel with a symmetric border and ε = 1e-6).
    public init(weights: SaliencyLossWeights = .modelM, ssim: SSIMConfiguration = SSIMConfiguration(),
                sobel: SobelConfiguration = SobelConfiguration()) {
        self.weights = weights
        self.ssim = ssim
        self.sobel = sobel
    }

    /// `α·L_MSE + β·L_MGE + γ·L_SSIM` → shape `[]`, differentiable in both arguments. Terms
    /// whose weight is 0 are not computed. Gradient: `α·∂L_MSE + β·∂L_MGE + γ·∂L_SSIM`.
    /// - Precondition: equal NCHW shapes (valid SSIM windows: H, W ≥ 11).
    public func callAsFunction(_ prediction: Variable, _ target: Variable) -> Variable {
        checkImagePair(prediction.shape, target.shape, "SaliencyLoss")
        var total: Variable? = nil
        func add(_ weight: Float, _ term: () -> Variable) {
            guard weight != 0 else { return }
            let weighted = weight * term()
            total = total.map { $0 + weighted } ?? weighted
        }
        add(weights.alpha) { mseLoss(prediction, target) }
        add(weights.beta) { meanGradientError(prediction, target, configuration: sobel) }
        add(weights.gamma) { ssimLoss(prediction, target, configuration: ssim) }
        return total!  // α + β + γ = 1, so at least one weight is > 0
    }

    /// All three terms (computed whatever the weights, e.g. for logging) and their weighted
    /// sum, on the tape of the inputs.
    public func terms(_ prediction: Variable, _ target: Variable) -> SaliencyLossTerms {
        checkImagePair(prediction.shape, target.shape, "SaliencyLoss")
        let mse = mseLoss(prediction, target)
        let mge = meanGradientError(prediction, target, configuration: sobel)
        let s = ssimLoss(prediction, target, configuration: ssim)
        let total = weights.alpha * mse + weights.beta * mge + weights.gamma * s
        return SaliencyLossTerms(mse: mse, mge: mge, ssim: s, total: total)
    }

    /// The terms and total of plain tensors, in Float64 (evaluation; no tape).
    public func evaluate(_ prediction: Tensor, _ target: Tensor) -> SaliencyLossValues {
        checkImagePair(prediction.shape, target.shape, "SaliencyLoss")
        let mse = meanSquaredError(prediction, target)
        let mge = meanGradientError(prediction, target, configuration: sobel)
        let s = ssimLoss(prediction, target, configuration: ssim)
        let total = Double(weights.alpha) * mse + Double(weights.beta) * mge + Double(weights.gamma) * s
        return SaliencyLossValues(mse: mse, mge: mge, ssim: s, total: total)
    }
}
