import Foundation
import NN
import TensorCore

/// StarDist's training loss on the network output `[N, 1 + R, H, W]` (channel 0 the probability logit z,
/// channels 1…R the distances d̂) against the targets p (normalized distance transform, `[N, 1, H, W]`)
/// and d (star distances, `[N, R, H, W]`), with P = N·H·W pixels:
///
///     L = (1/P) Σ_pixels [softplus(z) − p z]                      binary cross-entropy with logits
///       + λ (1/(P R)) Σ_pixels Σ_k p · |d̂_k − d_k|                L1 on distances weighted by p
///
/// (StarDist: loss weights 1 and λ = 0.2, the L1 term a mean over rays and pixels of the masked error.)
/// Gradients: ∂L/∂z = (σ(z) − p)/P, ∂L/∂d̂_k = λ p sign(d̂_k − d_k)/(P R) (sign(0) = 0).
public func starLoss(_ output: Variable, probability: Tensor, distances: Tensor, distanceWeight: Float = 0.2) -> Variable {
    let s = output.shape
    precondition(s.count == 4 && probability.shape == [s[0], 1, s[2], s[3]] && distances.shape == [s[0], s[1] - 1, s[2], s[3]],
                 "starLoss: output \(s), probability \(probability.shape), distances \(distances.shape)")
    let (n, channels, plane) = (s[0], s[1], s[2] * s[3])
    let rays = channels - 1
    let pixels = Double(n * plane)
    var total = 0.0
    var gradient = [Float](repeating: 0, count: output.value.count)
    output.value.withUnsafeBufferPointer { y in
        probability.withUnsafeBufferPointer { p in
            distances.withUnsafeBufferPointer { d in
                var bce = 0.0, l1 = 0.0
                for b in 0..<n {
                    for i in 0..<plane {
                        let z = Double(y[(b * channels) * plane + i]), target = Double(p[b * plane + i])
                        // softplus(z) = max(z, 0) + log(1 + e^−|z|)
                        bce += max(z, 0) + log1p(exp(-abs(z))) - target * z
                        gradient[(b * channels) * plane + i] = Float((1 / (1 + exp(-z)) - target) / pixels)
                        guard target > 0 else { continue }
                        for k in 0..<rays {
                            let e = Double(y[(b * channels + 1 + k) * plane + i]) - Double(d[(b * rays + k) * plane + i])
                            l1 += target * abs(e)
                            let sign: Double = e > 0 ? 1 : (e < 0 ? -1 : 0)
                            gradient[(b * channels + 1 + k) * plane + i] = Float(Double(distanceWeight) * target * sign / (pixels * Double(rays)))
                        }
                    }
                }
                total = bce / pixels + Double(distanceWeight) * l1 / (pixels * Double(rays))
            }
        }
    }
    let g = Tensor(shape: s, scalars: gradient)
    return Variable.record(Tensor(Float(total)), inputs: [output]) { upstream, needs in
        guard needs[0] else { return [nil] }
        let scale = upstream.scalars[0]
        return [scale == 1 ? g : Tensor(shape: g.shape, scalars: g.scalars.map { $0 * scale })]
    }
}
