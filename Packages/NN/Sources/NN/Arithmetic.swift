import TensorCore

/// Element-wise arithmetic with NumPy broadcasting (see TensorCore's `Tensor.broadcastShape`),
/// scalar arithmetic and channel concatenation, with their gradients.
///
/// Broadcast gradients are summed back over the broadcast axes (``unbroadcast(_:to:)``):
/// for `z = a + b` with `a` `[N, C, H, W]` and `b` `[1, C, 1, 1]`, `∂L/∂b = Σ_{n,h,w} ∂L/∂z`.
extension Variable {
    /// `a + b` (broadcast). `∂/∂a = g`, `∂/∂b = g` (each summed to its own shape). Also the
    /// residual connection `x + f(x)`.
    public static func + (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return record(a.value + b.value, inputs: [a, b]) { g, needs in
            [needs[0] ? unbroadcast(g, to: sa) : nil, needs[1] ? unbroadcast(g, to: sb) : nil]
        }
    }

    /// `a − b` (broadcast). `∂/∂a = g`, `∂/∂b = −g`.
    public static func - (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return record(a.value - b.value, inputs: [a, b]) { g, needs in
            [needs[0] ? unbroadcast(g, to: sa) : nil, needs[1] ? unbroadcast(-g, to: sb) : nil]
        }
    }

    /// `a ⊙ b` (broadcast). `∂/∂a = g ⊙ b`, `∂/∂b = g ⊙ a`.
    public static func * (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return record(va * vb, inputs: [a, b]) { g, needs in
            [needs[0] ? unbroadcast(g * vb, to: va.shape) : nil, needs[1] ? unbroadcast(g * va, to: vb.shape) : nil]
        }
    }

    /// `a ÷ b` (broadcast). `∂/∂a = g / b`, `∂/∂b = −g · a / b²`.
    public static func / (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return record(va / vb, inputs: [a, b]) { g, needs in
            [needs[0] ? unbroadcast(g / vb, to: va.shape) : nil,
             needs[1] ? unbroadcast(-(g * va) / (vb * vb), to: vb.shape) : nil]
        }
    }

    /// `−x`. `∂/∂x = −g`.
    public static prefix func - (x: Variable) -> Variable {
        record(-x.value, inputs: [x]) { g, _ in [-g] }
    }

    /// `x + s`. `∂/∂x = g`.
    public static func + (x: Variable, s: Float) -> Variable {
        record(x.value + s, inputs: [x]) { g, _ in [g] }
    }

    /// `x − s`. `∂/∂x = g`.
    public static func - (x: Variable, s: Float) -> Variable {
        record(x.value - s, inputs: [x]) { g, _ in [g] }
    }

    /// `s − x`. `∂/∂x = −g`.
    public static func - (s: Float, x: Variable) -> Variable {
        record(s - x.value, inputs: [x]) { g, _ in [-g] }
    }

    /// `s · x`. `∂/∂x = s·g`.
    public static func * (x: Variable, s: Float) -> Variable {
        record(x.value * s, inputs: [x]) { g, _ in [g * s] }
    }

    /// `s · x`. `∂/∂x = s·g`.
    public static func * (s: Float, x: Variable) -> Variable { x * s }

    /// The same elements under a new shape (one `-1` allowed). `∂/∂x = reshape(g, x.shape)`.
    public func reshaped(_ shape: [Int]) -> Variable {
        let original = self.shape
        return Variable.record(value.reshaped(shape), inputs: [self]) { g, _ in [g.reshaped(original)] }
    }

    /// Concatenation along the channel axis of NCHW tensors: `[N, C₁, H, W] ⧺ [N, C₂, H, W] ⧺ …`
    /// → `[N, ΣCᵢ, H, W]` (as in U-Net skip connections). The gradient is split back.
    /// - Precondition: all inputs rank 4 with equal N, H, W.
    public static func concatenateChannels(_ inputs: [Variable]) -> Variable {
        precondition(!inputs.isEmpty, "concatenateChannels: no inputs")
        let first = inputs[0].shape
        precondition(first.count == 4, "concatenateChannels: inputs must be NCHW, got \(first)")
        for v in inputs {
            precondition(v.shape.count == 4 && v.shape[0] == first[0] && v.shape[2] == first[2] && v.shape[3] == first[3],
                         "concatenateChannels: shapes \(first) and \(v.shape) differ outside the channel axis")
        }
        let (n, plane) = (first[0], first[2] * first[3])
        let channels = inputs.map { $0.shape[1] }
        let total = channels.reduce(0, +)
        let out = Tensor(shape: [n, total, first[2], first[3]]) { dst in
            var offset = 0
            for (v, c) in zip(inputs, channels) {
                v.value.withUnsafeBufferPointer { src in
                    for b in 0..<n {
                        (dst.baseAddress! + (b * total + offset) * plane).update(
                            from: src.baseAddress! + b * c * plane, count: c * plane)
                    }
                }
                offset += c
            }
        }
        return record(out, inputs: inputs) { g, needs in
            var result: [Tensor?] = []
            var offset = 0
            g.withUnsafeBufferPointer { src in
                for (i, c) in channels.enumerated() {
                    if needs[i] {
                        result.append(Tensor(shape: [n, c, first[2], first[3]]) { dst in
                            for b in 0..<n {
                                (dst.baseAddress! + b * c * plane).update(
                                    from: src.baseAddress! + (b * total + offset) * plane, count: c * plane)
                            }
                        })
                    } else {
                        result.append(nil)
                    }
                    offset += c
                }
            }
            return result
        }
    }
}

/// Sums a broadcast gradient back to the shape of the operand it came from: over the
/// leading axes the operand lacked and over the axes where it had extent 1.
/// Example: `g` `[N, C, H, W]` to `[1, C, 1, 1]` → `Σ_{n,h,w} g`, shape `[1, C, 1, 1]`.
public func unbroadcast(_ gradient: Tensor, to shape: [Int]) -> Tensor {
    if gradient.shape == shape { return gradient }
    let rank = gradient.rank
    let lead = rank - shape.count
    precondition(lead >= 0, "unbroadcast: cannot reduce \(gradient.shape) to \(shape)")
    var axes: [Int] = Array(0..<lead)
    for (i, e) in shape.enumerated() where e == 1 && gradient.shape[lead + i] != 1 {
        axes.append(lead + i)
    }
    return gradient.sum(axes: axes, keepDims: true).reshaped(shape)
}
