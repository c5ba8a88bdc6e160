import NN
import TensorCore

// The pixel-wise losses L_MSE and L1.
//
// Their differentiable forms are NN's `mseLoss(a, b)` (L_MSE = (1/n) Σ (aᵢ − bᵢ)², ∂/∂a = 2(a − b)/n)
// and `l1Loss(a, b)` ((1/n) Σ |aᵢ − bᵢ|, ∂/∂a = sign(a − b)/n with sign(0) = 0), which this
// package uses as they are (a second op of the same name would make calls ambiguous for code
// importing both modules). This file adds their plain-value forms for evaluation.

/// `L_MSE = (1/N) Σᵢ (xᵢ − x̂ᵢ)²` (paper §3.2) over all elements, accumulated in Float64.
/// The differentiable form is NN's `mseLoss(_:_:)`.
/// - Precondition: equal shapes.
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Double {
    precondition(prediction.shape == target.shape, "meanSquaredError: shapes \(prediction.shape) and \(target.shape) differ")
    var s = 0.0
    for i in 0..<prediction.count {
        let d = Double(prediction.scalars[i]) - Double(target.scalars[i])
        s += d * d
    }
    return s / Double(prediction.count)
}

/// The L1 loss `(1/N) Σᵢ |xᵢ − x̂ᵢ|` (CycleGAN's cycle-consistency loss) over all elements,
/// accumulated in Float64. The differentiable form is NN's `l1Loss(_:_:)`.
/// - Precondition: equal shapes.
public func meanAbsoluteError(_ prediction: Tensor, _ target: Tensor) -> Double {
    precondition(prediction.shape == target.shape, "meanAbsoluteError: shapes \(prediction.shape) and \(target.shape) differ")
    var s = 0.0
    for i in 0..<prediction.count { s += abs(Double(prediction.scalars[i]) - Double(target.scalars[i])) }
    return s / Double(prediction.count)
}
