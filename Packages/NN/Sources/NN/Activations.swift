import TensorCore

/// An element-wise activation function.
public enum Activation: Sendable, Equatable {
    /// `max(x, 0)`; derivative 1 for x > 0, else 0.
    case relu
    /// `x` for x > 0, `slope·x` otherwise (CycleGAN's discriminator uses slope 0.2).
    case leakyReLU(slope: Float)
    /// `tanh x`; derivative `1 − tanh² x`.
    case tanh
    /// `σ(x) = 1 / (1 + e⁻ˣ)`; derivative `σ(1 − σ)`.
    case sigmoid
    /// `x` (no-op).
    case identity
}

extension Variable {
    /// `max(x, 0)`. `∂/∂x = g · [x > 0]`.
    public func relu() -> Variable {
        let x = value
        return Variable.record(x.relu(), inputs: [self]) { g, _ in
            [Tensor.elementwise(.multiply, g, x.map { $0 > 0 ? 1 : 0 })]
        }
    }

    /// `x > 0 ? x : slope·x`. `∂/∂x = g · (x > 0 ? 1 : slope)`.
    public func leakyReLU(slope: Float) -> Variable {
        let x = value
        return Variable.record(x.map { $0 > 0 ? $0 : slope * $0 }, inputs: [self]) { g, _ in
            [g * x.map { $0 > 0 ? 1 : slope }]
        }
    }

    /// `tanh x`. `∂/∂x = g · (1 − y²)`, `y = tanh x`.
    public func tanh() -> Variable {
        let y = value.tanh()
        return Variable.record(y, inputs: [self]) { g, _ in [g * y.map { 1 - $0 * $0 }] }
    }

    /// `σ(x) = 1/(1 + e⁻ˣ)`. `∂/∂x = g · y(1 − y)`, `y = σ(x)`.
    public func sigmoid() -> Variable {
        let y = value.sigmoid()
        return Variable.record(y, inputs: [self]) { g, _ in [g * y.map { $0 * (1 - $0) }] }
    }

    /// Applies `activation`.
    public func activated(_ activation: Activation) -> Variable {
        switch activation {
        case .relu: relu()
        case .leakyReLU(let slope): leakyReLU(slope: slope)
        case .tanh: tanh()
        case .sigmoid: sigmoid()
        case .identity: self
        }
    }
}

/// A layer applying an ``Activation`` element-wise (no parameters); shape-preserving.
public struct ActivationLayer: Layer {
    /// The function applied.
    public var activation: Activation
    /// Creates the layer.
    public init(_ activation: Activation) { self.activation = activation }
    /// None.
    public var parameters: [Parameter] { [] }
    /// `activation(x)`, any shape.
    public func callAsFunction(_ x: Variable) -> Variable { x.activated(activation) }
}
