import NN
import TensorCore

/// The Sobel operators of the paper's Mean Gradient Error (§3.2, after Kanopoulos et al. 1988),
/// applied as **correlation** kernels (the convention of deep-learning "convolutions" and of
/// `scipy.ndimage.correlate`): `Gv[i, j] = Σ_{a,b ∈ {−1,0,1}} Kv[a + 1][b + 1] · x[i + a, j + b]`.
///
/// The paper writes `Gv = Y * Kv` with `*` "the convolution operator"; a true convolution flips
/// the kernel, and flipping these antisymmetric kernels negates them, so convolution gives
/// `−Gv` and `−Gh`. The gradient magnitude `G = √(Gv² + Gh² + ε)`, hence the MGE, is the same
/// under both readings.
public enum SobelOperator {
    /// `Kv = [[−1, −2, −1], [0, 0, 0], [1, 2, 1]]`: vertical derivative (row below minus row
    /// above), `= [−1, 0, 1]ᵀ ⊗ [1, 2, 1]`. A unit step down the rows gives 4.
    public static let vertical: [[Double]] = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    /// `Kh = [[−1, 0, 1], [−2, 0, 2], [−1, 0, 1]]`: horizontal derivative (right column minus
    /// left column), `= [1, 2, 1]ᵀ ⊗ [−1, 0, 1]`.
    public static let horizontal: [[Double]] = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]

    static func verticalFilter(_ boundary: BoundaryMode) -> SeparableCorrelation {
        SeparableCorrelation(vertical: [-1, 0, 1], horizontal: [1, 2, 1], boundary: boundary)
    }

    static func horizontalFilter(_ boundary: BoundaryMode) -> SeparableCorrelation {
        SeparableCorrelation(vertical: [1, 2, 1], horizontal: [-1, 0, 1], boundary: boundary)
    }
}

/// How the gradient map `G` of the Mean Gradient Error is computed.
public struct SobelConfiguration: Sendable, Equatable {
    /// Border handling: ``BoundaryMode/symmetric`` (default; `G` has the image's size, as the
    /// paper's `(1/nm) Σᵢ Σⱼ` over all pixels; SciPy `correlate(mode="reflect")`) or
    /// ``BoundaryMode/valid`` (`[H − 2, W − 2]`, interior pixels only).
    public var boundary: BoundaryMode
    /// ε inside the square root, `G = √(Gv² + Gh² + ε)`, so that `∂G/∂Gv = Gv/G` is finite
    /// (0) where the image is flat (default 1e-6: `G ≥ 1e-3` where a unit step gives `G = 4`).
    public var epsilon: Double

    /// Creates a configuration (defaults: symmetric border, ε = 1e-6).
    /// - Precondition: `epsilon > 0`.
    public init(boundary: BoundaryMode = .symmetric, epsilon: Double = 1e-6) {
        precondition(epsilon > 0, "SobelConfiguration: epsilon must be > 0 (the gradient of √ is infinite at 0), got \(epsilon)")
        self.boundary = boundary
        self.epsilon = epsilon
    }
}

/// The forward pass of the gradient magnitude in Float64: `Gv`, `Gh` and `G` per plane.
struct SobelForward {
    let shape: [Int]
    let mapShape: [Int]
    let boundary: BoundaryMode
    let gv: [Double], gh: [Double], magnitude: [Double]

    init(_ x: Tensor, configuration: SobelConfiguration, operation: String) {
        precondition(x.rank == 4, "\(operation): input must be NCHW [N, C, H, W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        if configuration.boundary == .valid {
            precondition(h >= 3 && w >= 3, "\(operation): valid 3×3 Sobel windows need H, W ≥ 3, got \(h)×\(w)")
        } else {
            precondition(h >= 1 && w >= 1, "\(operation): empty image \(x.shape)")
        }
        let v = SobelOperator.verticalFilter(configuration.boundary)
        let (oh, ow) = v.outputSize(height: h, width: w)
        shape = x.shape
        mapShape = [n, c, oh, ow]
        boundary = configuration.boundary
        let values = doubles(x)
        gv = v.apply(values, planes: n * c, height: h, width: w)
        gh = SobelOperator.horizontalFilter(configuration.boundary).apply(values, planes: n * c, height: h, width: w)
        let eps = configuration.epsilon
        magnitude = zip(gv, gh).map { ($0 * $0 + $1 * $1 + eps).squareRoot() }
    }

    /// `∂L/∂x = Kvᵀ(g ⊙ Gv/G) + Khᵀ(g ⊙ Gh/G)` (adjoints of the two correlations).
    func backward(_ gradient: Tensor) -> Tensor {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        var a = [Double](repeating: 0, count: magnitude.count), b = a
        for i in 0..<magnitude.count {
            let q = Double(gradient.scalars[i]) / magnitude[i]
            a[i] = q * gv[i]
            b[i] = q * gh[i]
        }
        let dv = SobelOperator.verticalFilter(boundary).adjoint(a, planes: planes, height: h, width: w)
        let dh = SobelOperator.horizontalFilter(boundary).adjoint(b, planes: planes, height: h, width: w)
        return floatTensor(shape, zip(dv, dh).map(+))
    }
}

// MARK: - Plain values (evaluation)

extension Tensor {
    /// The Sobel derivatives of every plane of an NCHW tensor (correlation with
    /// ``SobelOperator/vertical`` and ``SobelOperator/horizontal``, Float64 accumulation):
    /// `[N, C, H, W]` → two `[N, C, H, W]` maps (symmetric border) or `[N, C, H − 2, W − 2]` (valid).
    public func sobelGradients(boundary: BoundaryMode = .symmetric) -> (vertical: Tensor, horizontal: Tensor) {
        let f = SobelForward(self, configuration: SobelConfiguration(boundary: boundary), operation: "sobelGradients")
        return (floatTensor(f.mapShape, f.gv), floatTensor(f.mapShape, f.gh))
    }

    /// The paper's gradient map `G = √(Gv² + Gh² + ε)` of every plane (see ``SobelConfiguration``).
    public func sobelGradientMagnitude(_ configuration: SobelConfiguration = SobelConfiguration()) -> Tensor {
        let f = SobelForward(self, configuration: configuration, operation: "sobelGradientMagnitude")
        return floatTensor(f.mapShape, f.magnitude)
    }
}

/// The Mean Gradient Error (paper §3.2, after Lu and Chen 2022)
/// `L_MGE = (1/nm) Σᵢ Σⱼ (G(i, j) − Ĝ(i, j))²`, `G = √(Gv² + Gh² + ε)` of `target`, `Ĝ` of
/// `prediction`; averaged over all map pixels, channels and the batch. Float64 throughout.
/// - Precondition: equal NCHW shapes.
public func meanGradientError(_ prediction: Tensor, _ target: Tensor, configuration: SobelConfiguration = SobelConfiguration()) -> Double {
    checkImagePair(prediction.shape, target.shape, "meanGradientError")
    let p = SobelForward(prediction, configuration: configuration, operation: "meanGradientError").magnitude
    let t = SobelForward(target, configuration: configuration, operation: "meanGradientError").magnitude
    var s = 0.0
    for i in 0..<p.count { s += (p[i] - t[i]) * (p[i] - t[i]) }
    return s / Double(p.count)
}

// MARK: - Differentiable ops

extension Variable {
    /// The gradient map `G = √(Gv² + Gh² + ε)` as a differentiable op: `[N, C, H, W]` →
    /// `[N, C, H, W]` (symmetric) or `[N, C, H − 2, W − 2]` (valid).
    /// `∂L/∂x = Kvᵀ(∂L/∂G ⊙ Gv/G) + Khᵀ(∂L/∂G ⊙ Gh/G)`, `Kᵀ` the adjoint of the correlation
    /// (for the symmetric border, gradients of reflected reads land on the pixel read).
    public func sobelGradientMagnitude(_ configuration: SobelConfiguration = SobelConfiguration()) -> Variable {
        let forward = SobelForward(value, configuration: configuration, operation: "sobelGradientMagnitude")
        return Variable.record(floatTensor(forward.mapShape, forward.magnitude), inputs: [self]) { g, _ in
            [forward.backward(g)]
        }
    }
}

/// `L_MGE` (see ``meanGradientError(_:_:configuration:)-(Tensor,Tensor,_)``) as a differentiable
/// scalar `[]`: NN's `mseLoss` between the two gradient maps,
/// `∂L/∂Ĝ = 2(Ĝ − G)/n`, then through ``NN/Variable/sobelGradientMagnitude(_:)``.
public func meanGradientError(_ prediction: Variable, _ target: Variable, configuration: SobelConfiguration = SobelConfiguration()) -> Variable {
    checkImagePair(prediction.shape, target.shape, "meanGradientError")
    return mseLoss(prediction.sobelGradientMagnitude(configuration), target.sobelGradientMagnitude(configuration))
}
