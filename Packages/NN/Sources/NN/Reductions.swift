import TensorCore

/// Reductions to a scalar or over axes, with their gradients (the gradient of a sum is the
/// output gradient broadcast back; of a mean, that divided by the count).
extension Variable {
    /// `Σᵢ xᵢ` → shape `[]`. `∂/∂xᵢ = g`.
    public func sum() -> Variable {
        let shape = self.shape
        return Variable.record(Tensor(value.sum()), inputs: [self]) { g, _ in
            [Tensor(shape: shape, repeating: g.scalar)]
        }
    }

    /// `(1/n) Σᵢ xᵢ` → shape `[]`. `∂/∂xᵢ = g / n`.
    public func mean() -> Variable {
        let shape = self.shape
        let n = Float(value.count)
        return Variable.record(Tensor(value.mean()), inputs: [self]) { g, _ in
            [Tensor(shape: shape, repeating: g.scalar / n)]
        }
    }

    /// Σ over `axes` (result shape as TensorCore's `sum(axes:keepDims:)`). `∂/∂x = g` broadcast back.
    public func sum(axes: [Int], keepDims: Bool = false) -> Variable {
        let shape = self.shape
        let kept = try! Tensor.reducedShape(shape, axes: axes, keepDims: true).shape
        return Variable.record(value.sum(axes: axes, keepDims: keepDims), inputs: [self]) { g, _ in
            [g.reshaped(kept) + Tensor.zeros(shape)]
        }
    }

    /// Mean over `axes`. `∂/∂x = g / n` broadcast back, `n = Π shape[axes]`.
    public func mean(axes: [Int], keepDims: Bool = false) -> Variable {
        let shape = self.shape
        let (kept, normalized) = try! Tensor.reducedShape(shape, axes: axes, keepDims: true)
        let n = Float(normalized.reduce(1) { $0 * shape[$1] })
        return Variable.record(value.mean(axes: axes, keepDims: keepDims), inputs: [self]) { g, _ in
            [g.reshaped(kept) * (1 / n) + Tensor.zeros(shape)]
        }
    }
}
