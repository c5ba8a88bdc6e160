import TensorCore

/// Normalisation kernels: `x̂ = (x − μ) / √(σ² + ε)` over groups of NCHW planes, with the
/// population variance `σ² = (1/m) Σ (x − μ)²`; statistics accumulate in Float64.
///
/// * Instance normalisation: one group per `(n, c)` plane, `m = H·W`.
/// * Batch normalisation: one group per channel `c` (planes `(0, c) … (N−1, c)`), `m = N·H·W`.
///
/// Backward, per group with `ĝ = ∂L/∂x̂`:
/// `∂L/∂x = (1/√(σ² + ε)) · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂))`.
public enum NormalizationKernels {
    /// Which planes share statistics.
    public enum Grouping: Sendable {
        /// Per (n, c) plane (instance norm).
        case instance
        /// Per channel across the batch (batch norm).
        case batch
    }

    /// Calls `body(group, planes)` for each group in parallel, `planes` being the plane indices.
    static func forEachGroup(_ shape: [Int], _ grouping: Grouping, _ body: (Int, [Int]) -> Void) {
        let (n, c, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let groups = grouping == .instance ? n * c : c
        let perGroup = grouping == .instance ? plane : n * plane
        Parallel.forEachChunk(count: groups, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, perGroup))) { range in
            for g in range {
                body(g, grouping == .instance ? [g] : (0..<n).map { $0 * c + g })
            }
        }
    }

    /// Forward: returns `x̂` (shape of `x`), and per group the mean `μ` and the biased variance `σ²`
    /// (`[N·C]` for instance, `[C]` for batch grouping).
    public static func normalize(_ x: Tensor, grouping: Grouping, epsilon: Float) -> (normalized: Tensor, mean: [Double], variance: [Double]) {
        precondition(x.rank == 4, "normalization: input must be NCHW, got \(x.shape)")
        let plane = x.shape[2] * x.shape[3]
        let groups = grouping == .instance ? x.shape[0] * x.shape[1] : x.shape[1]
        var means = [Double](repeating: 0, count: groups)
        var variances = [Double](repeating: 0, count: groups)
        let y = Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { xp in
                means.withUnsafeMutableBufferPointer { mp in
                    variances.withUnsafeMutableBufferPointer { vp in
                        let (src, dst, mPtr, vPtr) = (xp.baseAddress!, out.baseAddress!, mp.baseAddress!, vp.baseAddress!)
                        forEachGroup(x.shape, grouping) { g, planes in
                            var s = 0.0
                            for p in planes { let b = src + p * plane; for i in 0..<plane { s += Double(b[i]) } }
                            let m = Double(planes.count * plane)
                            let mu = s / m
                            var ss = 0.0
                            for p in planes { let b = src + p * plane; for i in 0..<plane { let d = Double(b[i]) - mu; ss += d * d } }
                            let variance = ss / m
                            mPtr[g] = mu
                            vPtr[g] = variance
                            let inv = Float(1 / (variance + Double(epsilon)).squareRoot()), muF = Float(mu)
                            for p in planes {
                                let b = src + p * plane, o = dst + p * plane
                                for i in 0..<plane { o[i] = (b[i] - muF) * inv }
                            }
                        }
                    }
                }
            }
        }
        return (y, means, variances)
    }

    /// Backward of ``normalize(_:grouping:epsilon:)``: `∂L/∂x` from `ĝ = ∂L/∂x̂`, the forward's
    /// output `x̂` and variances.
    public static func normalizeBackward(_ g: Tensor, normalized xhat: Tensor, variance: [Double], grouping: Grouping, epsilon: Float) -> Tensor {
        let plane = g.shape[2] * g.shape[3]
        return Tensor(shape: g.shape) { out in
            g.withUnsafeBufferPointer { gp in
                xhat.withUnsafeBufferPointer { xp in
                    let (gs, xs, dst) = (gp.baseAddress!, xp.baseAddress!, out.baseAddress!)
                    forEachGroup(g.shape, grouping) { group, planes in
                        var sg = 0.0, sgx = 0.0
                        for p in planes {
                            let gb = gs + p * plane, xb = xs + p * plane
                            for i in 0..<plane { sg += Double(gb[i]); sgx += Double(gb[i]) * Double(xb[i]) }
                        }
                        let m = Double(planes.count * plane)
                        let meanG = Float(sg / m), meanGX = Float(sgx / m)
                        let inv = Float(1 / (variance[group] + Double(epsilon)).squareRoot())
                        for p in planes {
                            let gb = gs + p * plane, xb = xs + p * plane, o = dst + p * plane
                            for i in 0..<plane { o[i] = inv * (gb[i] - meanG - xb[i] * meanGX) }
                        }
                    }
                }
            }
        }
    }
}

extension NormalizationKernels {
    /// Per-plane mean and biased variance of `count` floats (two passes; `SIMD16` partial sums
    /// over blocks of 4096, blocks added in Float64).
    @inline(__always)
    static func planeStatistics(_ b: UnsafePointer<Float>, _ count: Int) -> (mean: Double, variance: Double) {
        func blockedSum(_ f: (SIMD16<Float>) -> SIMD16<Float>, _ scalar: (Float) -> Float) -> Double {
            var total = 0.0
            var i = 0
            let raw = UnsafeRawPointer(b)
            while i + 16 <= count {
                var acc = SIMD16<Float>()
                let end = Swift.min(count, i + 4096)
                while i + 16 <= end {
                    acc += f(raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self))
                    i += 16
                }
                total += Double(acc.sum())
            }
            while i < count { total += Double(scalar(b[i])); i += 1 }
            return total
        }
        let mean = blockedSum({ $0 }, { $0 }) / Double(count)
        let m = Float(mean)
        let variance = blockedSum({ ($0 - m) * ($0 - m) }, { ($0 - m) * ($0 - m) }) / Double(count)
        return (mean, variance)
    }

    /// Fused instance normalisation and (leaky) ReLU, forward: per `(n, c)` plane
    /// `x̂ = (x − μ)/√(σ² + ε)`, `y = x̂ > 0 ? x̂ : slope·x̂` (`slope = 0`: ReLU), in one read of
    /// `x` for the statistics and one pass writing `y` (and `x̂` when `keepNormalized`, for the
    /// backward pass). Returns `y`, `x̂` (nil unless kept) and the per-plane variances `[N·C]`.
    public static func instanceNormActivated(_ x: Tensor, slope: Float, epsilon: Float, keepNormalized: Bool)
        -> (output: Tensor, normalized: Tensor?, variance: [Double])
    {
        precondition(x.rank == 4, "instanceNorm: input must be NCHW, got \(x.shape)")
        let plane = x.shape[2] * x.shape[3], planes = x.shape[0] * x.shape[1]
        var variances = [Double](repeating: 0, count: planes)
        var xhat = keepNormalized ? [Float](repeating: 0, count: x.count) : []
        let y = Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { xp in
                variances.withUnsafeMutableBufferPointer { vp in
                    xhat.withUnsafeMutableBufferPointer { hp in
                        let (src, dst, vPtr) = (xp.baseAddress!, out.baseAddress!, vp.baseAddress!)
                        let hPtr = keepNormalized ? hp.baseAddress : nil  // an empty array's base address is not nil
                        Parallel.forEachChunk(count: planes, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, plane))) { range in
                            for g in range {
                                let b = src + g * plane, o = dst + g * plane
                                let (mu, variance) = planeStatistics(b, plane)
                                vPtr[g] = variance
                                let inv = Float(1 / (variance + Double(epsilon)).squareRoot()), muF = Float(mu)
                                if let h = hPtr.map({ $0 + g * plane }) {
                                    for i in 0..<plane { let v = (b[i] - muF) * inv; h[i] = v; o[i] = v > 0 ? v : slope * v }
                                } else {
                                    for i in 0..<plane { let v = (b[i] - muF) * inv; o[i] = v > 0 ? v : slope * v }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (y, keepNormalized ? Tensor(shape: x.shape, scalars: xhat) : nil, variances)
    }

    /// Backward of ``instanceNormActivated(_:slope:epsilon:keepNormalized:)``: with
    /// `ĝ = g · (x̂ > 0 ? 1 : slope)`, per plane `∂L/∂x = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / √(σ² + ε)`,
    /// one pass for the two sums and one writing the result.
    public static func instanceNormActivatedBackward(_ g: Tensor, normalized xhat: Tensor, variance: [Double], slope: Float, epsilon: Float) -> Tensor {
        let plane = g.shape[2] * g.shape[3], planes = g.shape[0] * g.shape[1]
        return Tensor(shape: g.shape) { out in
            g.withUnsafeBufferPointer { gp in
                xhat.withUnsafeBufferPointer { xp in
                    let (gs, xs, dst) = (gp.baseAddress!, xp.baseAddress!, out.baseAddress!)
                    Parallel.forEachChunk(count: planes, minimumChunk: max(1, Parallel.defaultMinimumChunk / max(1, plane))) { range in
                        for group in range {
                            let gb = gs + group * plane, xb = xs + group * plane, o = dst + group * plane
                            var sg = 0.0, sgx = 0.0
                            var i = 0
                            while i < plane {
                                var a = SIMD16<Float>(), c = SIMD16<Float>()
                                let end = Swift.min(plane, i + 4096)
                                while i + 16 <= end {
                                    let gv = UnsafeRawPointer(gb).loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                                    let xv = UnsafeRawPointer(xb).loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                                    let gh = gv.replacing(with: gv * slope, where: xv .<= 0)
                                    a += gh
                                    c += gh * xv
                                    i += 16
                                }
                                while i < end {
                                    let gh = xb[i] > 0 ? gb[i] : slope * gb[i]
                                    a[0] += gh; c[0] += gh * xb[i]; i += 1
                                }
                                sg += Double(a.sum()); sgx += Double(c.sum())
                            }
                            let m = Double(plane)
                            let meanG = Float(sg / m), meanGX = Float(sgx / m)
                            let inv = Float(1 / (variance[group] + Double(epsilon)).squareRoot())
                            for i in 0..<plane {
                                let gh = xb[i] > 0 ? gb[i] : slope * gb[i]
                                o[i] = inv * (gh - meanG - xb[i] * meanGX)
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Variable {
    /// Fused instance normalisation (no affine part) and activation: `y = act((x − μ)/√(σ² + ε))`
    /// with μ, σ² per `(n, c)` plane and `act` = ReLU (`slope = 0`) or leaky ReLU (`slope`);
    /// shape-preserving `[N, C, H, W]`. Same values as `normalized(.instance).leakyReLU(slope:)`,
    /// one kernel each way (``NormalizationKernels/instanceNormActivated(_:slope:epsilon:keepNormalized:)``);
    /// `x̂` is kept for backward only when a gradient flows.
    public func instanceNormActivated(slope: Float, epsilon: Float = 1e-5) -> Variable {
        let r = NormalizationKernels.instanceNormActivated(value, slope: slope, epsilon: epsilon, keepNormalized: requiresGradient)
        guard let xhat = r.normalized else { return Variable.record(r.output, inputs: [self]) { _, _ in [nil] } }
        let variance = r.variance
        return Variable.record(r.output, inputs: [self]) { g, _ in
            [NormalizationKernels.instanceNormActivatedBackward(g, normalized: xhat, variance: variance, slope: slope, epsilon: epsilon)]
        }
    }

    /// Normalisation without affine part: `x̂ = (x − μ)/√(σ² + ε)`, statistics per `grouping`
    /// (see ``NormalizationKernels``); shape-preserving `[N, C, H, W]`.
    /// Instance grouping runs the single-pass kernel of ``instanceNormActivated(slope:epsilon:)``
    /// with slope 1 (the identity).
    public func normalized(_ grouping: NormalizationKernels.Grouping, epsilon: Float = 1e-5) -> Variable {
        if grouping == .instance { return instanceNormActivated(slope: 1, epsilon: epsilon) }
        let r = NormalizationKernels.normalize(value, grouping: grouping, epsilon: epsilon)
        let xhat = r.normalized, variance = r.variance
        return Variable.record(xhat, inputs: [self]) { g, _ in
            [NormalizationKernels.normalizeBackward(g, normalized: xhat, variance: variance, grouping: grouping, epsilon: epsilon)]
        }
    }
}

/// Instance normalisation (Ulyanov et al. 2016), as PyTorch `InstanceNorm2d`:
/// `y[n, c] = γ[c] · (x[n, c] − μ_{n,c}) / √(σ²_{n,c} + ε) + β[c]`, statistics over each
/// `H×W` plane (biased variance), `ε = 1e-5`; no running statistics (PyTorch's default
/// `track_running_stats=False`, so training and inference agree). Shape-preserving.
/// Parameters (when `affine`): `weight` γ `[C]` (ones), then `bias` β `[C]` (zeros).
/// CycleGAN's `norm="instance"` uses `affine: false`.
public struct InstanceNorm2d: Layer {
    /// γ `[C]`, or nil without affine part.
    public var weight: Parameter?
    /// β `[C]`, or nil.
    public var bias: Parameter?
    /// ε added to the variance.
    public var epsilon: Float
    /// Activation applied after the normalisation (and affine part); default identity. ReLU and
    /// leaky ReLU without affine part run fused (``Variable/instanceNormActivated(slope:epsilon:)``).
    public var activation: Activation

    /// Creates the layer for `channels` channels.
    public init(name: String, channels: Int, affine: Bool = false, epsilon: Float = 1e-5, activation: Activation = .identity) {
        weight = affine ? Parameter(name: name + ".weight", value: Tensor.ones([channels])) : nil
        bias = affine ? Parameter(name: name + ".bias", value: Tensor.zeros([channels])) : nil
        self.epsilon = epsilon
        self.activation = activation
    }

    /// `[weight, bias]` when affine, else empty.
    public var parameters: [Parameter] { [weight, bias].compactMap { $0 } }

    /// The normalisation, then the activation.
    public func callAsFunction(_ input: Variable) -> Variable {
        if weight == nil && bias == nil {
            switch activation {
            case .relu: return input.instanceNormActivated(slope: 0, epsilon: epsilon)
            case .leakyReLU(let slope): return input.instanceNormActivated(slope: slope, epsilon: epsilon)
            default: break
            }
        }
        let y = input.normalized(.instance, epsilon: epsilon)
        return affine(y, weight, bias, input).activated(activation)
    }
}

/// `x̂ · γ + β` with γ, β `[C]` broadcast as `[1, C, 1, 1]` (identity when absent).
func affine(_ y: Variable, _ weight: Parameter?, _ bias: Parameter?, _ input: Variable) -> Variable {
    var out = y
    let c = y.shape[1]
    if let weight { out = out * Variable.lift(weight, alongside: input).reshaped([1, c, 1, 1]) }
    if let bias { out = out + Variable.lift(bias, alongside: input).reshaped([1, c, 1, 1]) }
    return out
}

/// Whether a layer uses batch statistics (training) or its running statistics (inference).
public enum NormalizationMode: Sendable {
    /// Normalise with the batch's statistics and update the running statistics.
    case training
    /// Normalise with the running statistics (a fixed affine map).
    case inference
}

/// Non-trained state of a ``BatchNorm2d``: running mean and variance `[C]` (saved in checkpoints
/// like parameters, as PyTorch's buffers `running_mean`, `running_var`).
public final class RunningStatistics {
    /// Running mean `[C]` (initially 0).
    public let mean: Parameter
    /// Running unbiased variance `[C]` (initially 1).
    public let variance: Parameter
    /// Creates zero mean / unit variance statistics.
    public init(name: String, channels: Int) {
        mean = Parameter(name: name + ".running_mean", value: Tensor.zeros([channels]))
        variance = Parameter(name: name + ".running_var", value: Tensor.ones([channels]))
    }
}

/// Batch normalisation (Ioffe & Szegedy 2015), as PyTorch `BatchNorm2d`:
/// training: `y = γ · (x − μ_c)/√(σ²_c + ε) + β` with μ, σ² (biased) over `(N, H, W)` per channel,
/// and the running statistics updated as `r ← (1 − m)·r + m·s` with momentum `m = 0.1`, using the
/// **unbiased** variance `σ²·n/(n − 1)` (`n = N·H·W`) for `running_var`;
/// inference: `y = γ · (x − running_mean)/√(running_var + ε) + β`. Shape-preserving.
/// Parameters: `weight` γ `[C]`, `bias` β `[C]`; ``statistics`` are buffers (not trained).
public struct BatchNorm2d: Layer {
    /// γ `[C]` (ones).
    public var weight: Parameter
    /// β `[C]` (zeros).
    public var bias: Parameter
    /// Running mean and variance.
    public var statistics: RunningStatistics
    /// ε added to the variance (1e-5).
    public var epsilon: Float
    /// Momentum of the running statistics (0.1).
    public var momentum: Float
    /// Training or inference.
    public var mode: NormalizationMode

    /// Creates the layer in training mode.
    public init(name: String, channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, mode: NormalizationMode = .training) {
        weight = Parameter(name: name + ".weight", value: Tensor.ones([channels]))
        bias = Parameter(name: name + ".bias", value: Tensor.zeros([channels]))
        statistics = RunningStatistics(name: name, channels: channels)
        self.epsilon = epsilon
        self.momentum = momentum
        self.mode = mode
    }

    /// `[weight, bias]` (the running statistics are not trained; see ``buffers``).
    public var parameters: [Parameter] { [weight, bias] }
    /// `[running_mean, running_var]`, for checkpoints.
    public var buffers: [Parameter] { [statistics.mean, statistics.variance] }

    /// The normalisation (updates the running statistics in training mode).
    public func callAsFunction(_ input: Variable) -> Variable {
        let c = input.shape[1]
        switch mode {
        case .training:
            let r = NormalizationKernels.normalize(input.value, grouping: .batch, epsilon: epsilon)
            let n = Double(input.shape[0] * input.shape[2] * input.shape[3])
            let m = momentum
            let batchMean = Tensor(shape: [c], scalars: r.mean.map { Float($0) })
            let unbiased = Tensor(shape: [c], scalars: r.variance.map { Float($0 * n / max(1, n - 1)) })
            statistics.mean.value = statistics.mean.value * (1 - m) + batchMean * m
            statistics.variance.value = statistics.variance.value * (1 - m) + unbiased * m
            let xhat = r.normalized, variance = r.variance, eps = epsilon
            let y = Variable.record(xhat, inputs: [input]) { g, _ in
                [NormalizationKernels.normalizeBackward(g, normalized: xhat, variance: variance, grouping: .batch, epsilon: eps)]
            }
            return affine(y, weight, bias, input)
        case .inference:
            let mean = statistics.mean.value.reshaped([1, c, 1, 1])
            let inv = (statistics.variance.value.reshaped([1, c, 1, 1]) + epsilon).sqrt().map { 1 / $0 }
            let y = (input - Variable(mean)) * Variable(inv)
            return affine(y, weight, bias, input)
        }
    }
}
