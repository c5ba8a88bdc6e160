import NN
import TensorCore

/// How the generator's decoder doubles the resolution.
public enum GeneratorUpsampling: Sendable, Equatable {
    /// Transposed convolution, kernel 3, stride 2, padding 1, output padding 1 (the paper's).
    case transposedConvolution
    /// Nearest ×2 upsampling then a 3×3 reflection-padded convolution (Odena et al. 2016),
    /// free of checkerboard artifacts.
    case resizeConvolution
}

/// Options of ``ResNetGenerator``.
public struct GeneratorOptions: Sendable, Equatable {
    /// Input channels (1 for fluorescence microscopy).
    public var inputChannels: Int
    /// Output channels.
    public var outputChannels: Int
    /// Filters of the first layer, `ngf` (64 in the paper; the encoder uses ngf, 2·ngf, 4·ngf).
    public var filters: Int
    /// Residual blocks at 4·ngf channels (9 for 256×256 images in the paper, 6 for 128×128).
    public var residualBlocks: Int
    /// Decoder upsampling.
    public var upsampling: GeneratorUpsampling

    /// Creates options; defaults are the paper's ResNet-9 generator for one-channel images.
    public init(inputChannels: Int = 1, outputChannels: Int = 1, filters: Int = 64, residualBlocks: Int = 9,
                upsampling: GeneratorUpsampling = .transposedConvolution) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.filters = filters
        self.residualBlocks = residualBlocks
        self.upsampling = upsampling
    }
}

/// The CycleGAN ResNet generator (Zhu et al. 2017, after Johnson et al. 2016), `[N, Cin, H, W]` →
/// `[N, Cout, H, W]` with values in (−1, 1); H and W must be multiples of 4.
///
/// Layers (`c7s1-k`: reflection pad 3, 7×7 conv, IN, ReLU; `dk`: 3×3 stride-2 conv, padding 1,
/// IN, ReLU; `Rk`: residual block; `uk`: ×2 upsampling to k channels, IN, ReLU), with ngf = f:
/// `c7s1-f, d2f, d4f, R4f × n, u2f, uf, c7s1-Cout` + tanh (the last without IN/ReLU).
/// Each residual block is `x + IN(conv3×3(pad(ReLU(IN(conv3×3(pad(x)))))))` with reflection
/// padding 1. Convolutions have biases (as the reference implementation with instance norm);
/// instance norm has no affine part. IN + ReLU run fused.
///
/// Parameters (in ``parameters`` order), for a generator named `G`:
/// `G.in_conv`, `G.down1`, `G.down2`, `G.res1.conv1`, `G.res1.conv2`, …, `G.res{n}.conv2`,
/// `G.up1`, `G.up2`, `G.out_conv`, each `.weight` then `.bias`.
public struct ResNetGenerator: Layer {
    /// The options it was built with.
    public let options: GeneratorOptions
    /// The name prefix (`"G"` or `"F"`).
    public let name: String
    /// `c7s1-ngf`: reflection pad 3, 7×7 conv Cin → f.
    public var inConv: Conv2d
    /// 3×3 stride-2 convs f → 2f → 4f.
    public var down1: Conv2d, down2: Conv2d
    /// The residual blocks' convolutions, `(conv1, conv2)` per block, 4f → 4f, 3×3 reflection.
    public var residual: [(conv1: Conv2d, conv2: Conv2d)]
    /// Upsampling 4f → 2f → f.
    public var up1: any Layer, up2: any Layer
    /// `c7s1-Cout`: reflection pad 3, 7×7 conv f → Cout, then tanh.
    public var outConv: Conv2d

    /// Builds the generator with weights from `initializer` (CycleGAN: `.normal(std: 0.02)`).
    public init(name: String, options: GeneratorOptions = GeneratorOptions(), initializer: inout WeightInitializer) {
        self.name = name
        self.options = options
        let f = options.filters
        inConv = Conv2d(name: "\(name).in_conv", inputChannels: options.inputChannels, outputChannels: f, kernelSize: 7,
                        padding: 3, paddingMode: .reflect, initializer: &initializer)
        down1 = Conv2d(name: "\(name).down1", inputChannels: f, outputChannels: 2 * f, kernelSize: 3, stride: 2, padding: 1,
                       initializer: &initializer)
        down2 = Conv2d(name: "\(name).down2", inputChannels: 2 * f, outputChannels: 4 * f, kernelSize: 3, stride: 2, padding: 1,
                       initializer: &initializer)
        residual = (0..<options.residualBlocks).map { i in
            (Conv2d(name: "\(name).res\(i + 1).conv1", inputChannels: 4 * f, outputChannels: 4 * f, kernelSize: 3, padding: 1,
                    paddingMode: .reflect, initializer: &initializer),
             Conv2d(name: "\(name).res\(i + 1).conv2", inputChannels: 4 * f, outputChannels: 4 * f, kernelSize: 3, padding: 1,
                    paddingMode: .reflect, initializer: &initializer))
        }
        func upsampler(_ label: String, _ cin: Int, _ cout: Int) -> any Layer {
            switch options.upsampling {
            case .transposedConvolution:
                ConvTranspose2d(name: "\(name).\(label)", inputChannels: cin, outputChannels: cout, kernelSize: 3, stride: 2,
                                padding: 1, outputPadding: 1, initializer: &initializer)
            case .resizeConvolution:
                ResizeConv2d(name: "\(name).\(label)", inputChannels: cin, outputChannels: cout, kernelSize: 3,
                             paddingMode: .reflect, initializer: &initializer)
            }
        }
        up1 = upsampler("up1", 4 * f, 2 * f)
        up2 = upsampler("up2", 2 * f, f)
        outConv = Conv2d(name: "\(name).out_conv", inputChannels: f, outputChannels: options.outputChannels, kernelSize: 7,
                         padding: 3, paddingMode: .reflect, initializer: &initializer)
    }

    /// Every parameter in forward order (see the type's documentation).
    public var parameters: [Parameter] {
        inConv.parameters + down1.parameters + down2.parameters
            + residual.flatMap { $0.conv1.parameters + $0.conv2.parameters }
            + up1.parameters + up2.parameters + outConv.parameters
    }

    /// `[N, Cin, H, W]` → `[N, Cout, H, W]` in (−1, 1).
    /// - Precondition: H and W multiples of 4 and larger than 3 (reflection padding).
    public func callAsFunction(_ input: Variable) -> Variable {
        precondition(input.shape.count == 4 && input.shape[1] == options.inputChannels,
                     "\(name): input must be [N, \(options.inputChannels), H, W], got \(input.shape)")
        precondition(input.shape[2] % 4 == 0 && input.shape[3] % 4 == 0,
                     "\(name): H and W must be multiples of 4, got \(input.shape[2])x\(input.shape[3])")
        func inReLU(_ v: Variable) -> Variable { v.instanceNormActivated(slope: 0) }
        var x = inReLU(inConv(input))
        x = inReLU(down1(x))
        x = inReLU(down2(x))
        for block in residual {
            let h = inReLU(block.conv1(x))
            x = x + block.conv2(h).normalized(.instance)
        }
        x = inReLU(up1(x))
        x = inReLU(up2(x))
        return outConv(x).tanh()
    }
}
