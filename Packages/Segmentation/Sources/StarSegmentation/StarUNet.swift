import NN
import TensorCore

/// The shape of a star-convex polygon network (StarDist's 2-D defaults: U-Net depth 3, 32 base filters,
/// 2 convolutions per level, a 3×3 convolution with 128 features after the U-Net, 32 rays).
public struct StarConfiguration: Sendable, Equatable {
    /// Number of 2× poolings in the U-Net (input sides must be multiples of 2^depth; prediction pads).
    public var depth: Int
    /// Filters of the first level; level i has baseFilters · 2^i.
    public var baseFilters: Int
    /// Number of rays (equally spaced directions) of each polygon.
    public var rays: Int
    /// Features of the 3×3 convolution between the U-Net and the output heads (0: none).
    public var featuresAfterUNet: Int

    /// A configuration (StarDist's 2-D defaults).
    public init(depth: Int = 3, baseFilters: Int = 32, rays: Int = 32, featuresAfterUNet: Int = 128) {
        precondition(depth >= 1 && baseFilters >= 1 && rays >= 3 && featuresAfterUNet >= 0)
        self.depth = depth
        self.baseFilters = baseFilters
        self.rays = rays
        self.featuresAfterUNet = featuresAfterUNet
    }

    /// Input sides must be multiples of this: 2^depth.
    public var sizeMultiple: Int { 1 << depth }
}

/// A 3×3 convolution (zero padding 1) followed by ReLU.
struct ConvReLU: Layer {
    var conv: Conv2d
    init(_ name: String, _ cin: Int, _ cout: Int, _ initializer: inout WeightInitializer) {
        conv = Conv2d(name: name, inputChannels: cin, outputChannels: cout, kernelSize: 3, padding: 1, initializer: &initializer)
    }
    var parameters: [Parameter] { conv.parameters }
    func callAsFunction(_ input: Variable) -> Variable { conv(input).relu() }
}

/// The star-convex polygon network: a U-Net (CSBDeep's `unet_block`, as StarDist uses it) and two 1×1
/// heads. Input `[N, 1, H, W]` (normalized intensities, H and W multiples of 2^depth); output
/// `[N, 1 + rays, H, W]`: channel 0 is the object-probability **logit** (probability = sigmoid), channels
/// 1…rays the star distances in pixels (linear).
///
/// Level i = 0…depth−1 (f = baseFilters · 2^i): two ConvReLU(f) → skip_i → 2×2 max pool. Middle: ConvReLU(
/// baseFilters · 2^depth) then ConvReLU(baseFilters · 2^(depth−1)). Up, i = depth−1…0: nearest ×2 upsampling,
/// concatenation [upsampled, skip_i], ConvReLU(baseFilters · 2^i), ConvReLU(baseFilters · 2^max(0, i−1)).
/// Then ConvReLU(featuresAfterUNet) when > 0, and the 1×1 heads. Kaiming-normal weights, zero biases.
public struct StarUNet: Layer {
    /// The shape of the network.
    public let configuration: StarConfiguration
    var down: [[ConvReLU]]
    var middle: [ConvReLU]
    var up: [[ConvReLU]]
    var after: ConvReLU?
    var probabilityHead: Conv2d
    var distanceHead: Conv2d

    /// A freshly initialised network (weights from `seed`, deterministic).
    public init(_ configuration: StarConfiguration, seed: UInt64 = 1) {
        self.configuration = configuration
        var initializer = WeightInitializer(.kaimingNormal(negativeSlope: 0), seed: seed)
        let b = configuration.baseFilters, d = configuration.depth
        var cin = 1
        down = []
        for i in 0..<d {
            let f = b << i
            down.append([ConvReLU("down\(i).conv0", cin, f, &initializer), ConvReLU("down\(i).conv1", f, f, &initializer)])
            cin = f
        }
        middle = [ConvReLU("middle.conv0", cin, b << d, &initializer),
                  ConvReLU("middle.conv1", b << d, b << (d - 1), &initializer)]
        cin = b << (d - 1)
        up = []
        for i in stride(from: d - 1, through: 0, by: -1) {
            let skip = b << i
            let out = b << max(0, i - 1)
            up.append([ConvReLU("up\(i).conv0", cin + skip, b << i, &initializer), ConvReLU("up\(i).conv1", b << i, out, &initializer)])
            cin = out
        }
        if configuration.featuresAfterUNet > 0 {
            after = ConvReLU("after", cin, configuration.featuresAfterUNet, &initializer)
            cin = configuration.featuresAfterUNet
        }
        probabilityHead = Conv2d(name: "head.probability", inputChannels: cin, outputChannels: 1, kernelSize: 1, initializer: &initializer)
        distanceHead = Conv2d(name: "head.distance", inputChannels: cin, outputChannels: configuration.rays, kernelSize: 1, initializer: &initializer)
    }

    /// Every parameter, in construction order (down, middle, up, after, probability head, distance head).
    public var parameters: [Parameter] {
        down.flatMap { $0.flatMap(\.parameters) } + middle.flatMap(\.parameters) + up.flatMap { $0.flatMap(\.parameters) }
            + (after?.parameters ?? []) + probabilityHead.parameters + distanceHead.parameters
    }

    /// `[N, 1, H, W]` → `[N, 1 + rays, H, W]` (H, W multiples of 2^depth).
    public func callAsFunction(_ input: Variable) -> Variable {
        let m = configuration.sizeMultiple
        precondition(input.shape.count == 4 && input.shape[1] == 1 && input.shape[2] % m == 0 && input.shape[3] % m == 0,
                     "StarUNet: input must be [N, 1, H, W] with H, W multiples of \(m), got \(input.shape)")
        var x = input
        var skips: [Variable] = []
        for level in down {
            for layer in level { x = layer(x) }
            skips.append(x)
            x = x.maxPooled2x2()
        }
        for layer in middle { x = layer(x) }
        for (k, level) in up.enumerated() {
            x = Variable.concatenateChannels([x.upsampled(.nearest), skips[skips.count - 1 - k]])
            for layer in level { x = layer(x) }
        }
        if let after { x = after(x) }
        return Variable.concatenateChannels([probabilityHead(x), distanceHead(x)])
    }
}
