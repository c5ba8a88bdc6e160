import TensorCore

/// How weights are drawn.
public enum Initialization: Sendable, Equatable {
    /// `N(0, std²)`; CycleGAN's `init_type="normal"` uses `std = 0.02`.
    case normal(std: Float)
    /// He/Kaiming normal, fan-in mode: `N(0, gain²/fanIn)` with
    /// `gain = √(2 / (1 + a²))` (`a` = the following leaky ReLU's negative slope; 0 for ReLU).
    case kaimingNormal(negativeSlope: Float)

    /// The standard deviation for a weight with `fanIn` inputs per output (`Cin·kH·kW` for a convolution).
    public func standardDeviation(fanIn: Int) -> Float {
        switch self {
        case .normal(let std): std
        case .kaimingNormal(let a): (2 / (1 + a * a)).squareRoot() / Float(max(1, fanIn)).squareRoot()
        }
    }
}

/// A seeded source of initial weights: each call to ``next(_:fanIn:)`` draws a tensor from
/// TensorCore's Philox generator with the fixed `seed` and the next `stream` (0, 1, 2, …),
/// so a model built in the same order gets the same weights on any machine and thread count.
/// Biases are not drawn (layers initialise them to zero, as CycleGAN does).
public struct WeightInitializer: Sendable {
    /// The weight distribution.
    public var scheme: Initialization
    /// The Philox key.
    public var seed: UInt64
    /// The stream the next tensor uses (incremented by each draw).
    public var stream: UInt64

    /// Creates an initializer starting at `stream` (default 0).
    public init(_ scheme: Initialization = .normal(std: 0.02), seed: UInt64, stream: UInt64 = 0) {
        self.scheme = scheme
        self.seed = seed
        self.stream = stream
    }

    /// `N(0, σ²)` values of `shape`, `σ = scheme.standardDeviation(fanIn:)`, from the next stream.
    public mutating func next(_ shape: [Int], fanIn: Int) -> Tensor {
        defer { stream += 1 }
        return Tensor.normal(shape, mean: 0, std: scheme.standardDeviation(fanIn: fanIn), seed: seed, stream: stream)
    }
}
