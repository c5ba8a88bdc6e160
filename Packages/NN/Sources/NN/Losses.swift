import TensorCore

/// Mean absolute error `L = (1/n) Σ |aᵢ − bᵢ|` → shape `[]` (CycleGAN's cycle and identity
/// losses). `∂L/∂aᵢ = sign(aᵢ − bᵢ)/n` with `sign(0) = 0` (as PyTorch), `∂L/∂b = −∂L/∂a`.
/// - Precondition: equal shapes.
public func l1Loss(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.shape == b.shape, "l1Loss: shapes \(a.shape) and \(b.shape) differ")
    let d = a.value - b.value
    let n = Float(d.count)
    return Variable.record(Tensor(d.abs().mean()), inputs: [a, b]) { g, needs in
        let s = g.scalar / n
        let ga = d.map { $0 > 0 ? s : ($0 < 0 ? -s : 0) }
        return [needs[0] ? ga : nil, needs[1] ? -ga : nil]
    }
}

/// Mean squared error `L = (1/n) Σ (aᵢ − bᵢ)²` → shape `[]` (LSGAN's adversarial loss).
/// `∂L/∂aᵢ = 2(aᵢ − bᵢ)/n`, `∂L/∂b = −∂L/∂a`.
/// - Precondition: equal shapes.
public func mseLoss(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.shape == b.shape, "mseLoss: shapes \(a.shape) and \(b.shape) differ")
    let d = a.value - b.value
    let n = Float(d.count)
    return Variable.record(Tensor(d.squared().mean()), inputs: [a, b]) { g, needs in
        let ga = d * (2 * g.scalar / n)
        return [needs[0] ? ga : nil, needs[1] ? -ga : nil]
    }
}
