import NN
import TensorCore

/// The 70×70 PatchGAN discriminator (Isola et al. 2017; CycleGAN's `n_layers = 3`):
/// `[N, Cin, H, W]` → `[N, 1, H/8 − 2, W/8 − 2]` raw scores (LSGAN: no sigmoid), each scoring a
/// 70×70 receptive field.
///
/// Layers, all 4×4 convolutions with zero padding 1 (d = ndf):
/// `C64`: Cin → d, stride 2, LeakyReLU 0.2 (no norm); `C128`: d → 2d, stride 2, IN, LReLU;
/// `C256`: 2d → 4d, stride 2, IN, LReLU; `C512`: 4d → 8d, stride 1, IN, LReLU;
/// output: 8d → 1, stride 1. Convolutions have biases; IN has no affine part and runs fused
/// with the LeakyReLU.
///
/// Parameters, for a discriminator named `D_Y`: `D_Y.conv1` … `D_Y.conv5`, `.weight` then `.bias`.
public struct PatchDiscriminator: Layer {
    /// The name prefix (`"D_X"` or `"D_Y"`).
    public let name: String
    /// The five convolutions, input to output.
    public var convs: [Conv2d]

    /// Builds the discriminator with `filters` = ndf (64 in the paper).
    public init(name: String, inputChannels: Int = 1, filters: Int = 64, initializer: inout WeightInitializer) {
        self.name = name
        let d = filters
        let spec = [(inputChannels, d, 2), (d, 2 * d, 2), (2 * d, 4 * d, 2), (4 * d, 8 * d, 1), (8 * d, 1, 1)]
        convs = spec.enumerated().map { i, s in
            Conv2d(name: "\(name).conv\(i + 1)", inputChannels: s.0, outputChannels: s.1, kernelSize: 4, stride: s.2,
                   padding: 1, initializer: &initializer)
        }
    }

    /// `conv1 … conv5` parameters in order.
    public var parameters: [Parameter] { convs.flatMap(\.parameters) }

    /// Patch scores `[N, 1, H/8 − 2, W/8 − 2]` (for H, W multiples of 8, ≥ 32).
    public func callAsFunction(_ input: Variable) -> Variable {
        var x = convs[0](input).leakyReLU(slope: 0.2)
        for i in 1...3 { x = convs[i](x).instanceNormActivated(slope: 0.2) }
        return convs[4](x)
    }
}
