import TensorCore

/// A differentiable function with explicitly listed parameters.
///
/// Layers are plain values (structs) that store their ``Parameter``s as properties and list
/// them by hand in ``parameters`` — no reflection, no string keys. Applying a layer to a
/// variable on a ``Tape`` records its ops; applying it to an untracked ``Variable`` without a
/// tape runs inference only.
public protocol Layer {
    /// Every parameter of the layer (and its sublayers), in a fixed, documented order.
    var parameters: [Parameter] { get }
    /// Non-trained state saved with the model (e.g. ``BatchNorm2d``'s running statistics), in a
    /// fixed order; empty by default.
    var buffers: [Parameter] { get }
    /// The forward pass (shapes documented per layer, NCHW for images).
    func callAsFunction(_ input: Variable) -> Variable
}

extension Layer {
    /// No buffers.
    public var buffers: [Parameter] { [] }

    /// ``parameters`` followed by ``buffers``: everything a checkpoint stores.
    public var checkpointTensors: [Parameter] { parameters + buffers }

    /// Forward pass on a plain tensor without a tape (inference).
    public func callAsFunction(_ input: Tensor) -> Tensor { self(Variable(input)).value }

    /// Total number of scalars in ``parameters``.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// Layers applied one after another: `y = f_k(… f_2(f_1(x)))`. Parameters are the
/// concatenation of the layers' parameters, in order.
public struct Sequential: Layer {
    /// The layers, applied first to last.
    public var layers: [any Layer]
    /// Creates the composition.
    public init(_ layers: [any Layer]) { self.layers = layers }
    /// Creates the composition.
    public init(_ layers: any Layer...) { self.layers = layers }
    /// The layers' parameters, concatenated in order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    /// The layers' buffers, concatenated in order.
    public var buffers: [Parameter] { layers.flatMap(\.buffers) }
    /// `f_k(… f_1(x))`.
    public func callAsFunction(_ input: Variable) -> Variable {
        layers.reduce(input) { x, layer in layer(x) }
    }
}

/// A residual block `y = x + body(x)` (He et al. 2016), as in the CycleGAN generator where
/// `body` is reflect-pad–conv3×3–norm–ReLU–reflect-pad–conv3×3–norm. `body` must preserve the
/// shape `[N, C, H, W]`.
public struct ResidualBlock: Layer {
    /// The residual branch.
    public var body: Sequential
    /// Creates the block.
    public init(_ body: Sequential) { self.body = body }
    /// The body's parameters.
    public var parameters: [Parameter] { body.parameters }
    /// The body's buffers.
    public var buffers: [Parameter] { body.buffers }
    /// `x + body(x)`.
    public func callAsFunction(_ input: Variable) -> Variable {
        let y = body(input)
        precondition(y.shape == input.shape, "ResidualBlock: body maps \(input.shape) to \(y.shape)")
        return input + y
    }
}
