import Foundation
import NN
import TensorCore

/// The parameters of SSIM (Wang et al. 2004), defaults as in the paper's `L_MSSIM` for images
/// in [−1, 1]: an 11 × 11 Gaussian window with σ = 1.5, `C1 = (0.01·L)²`, `C2 = (0.03·L)²`
/// with data range `L = 2`, and ``BoundaryMode/valid`` windows.
///
/// These defaults reproduce scikit-image's
/// `structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
/// data_range=2)` (its window radius is `int(3.5·σ + 0.5) = 5`, and it averages the SSIM map
/// after cropping a border of 5, i.e. over the valid windows only).
public struct SSIMConfiguration: Sendable, Equatable {
    /// The data range `L` (max − min of the possible values): 2 for images in [−1, 1].
    public var dataRange: Double
    /// Standard deviation σ of the Gaussian window, in pixels.
    public var sigma: Double
    /// Window radius r: the window is `(2r + 1) × (2r + 1)` (5 → 11 × 11).
    public var radius: Int
    /// `K1` in `C1 = (K1·L)²`.
    public var k1: Double
    /// `K2` in `C2 = (K2·L)²`.
    public var k2: Double
    /// Border handling (``BoundaryMode/valid``: windows inside the image only).
    public var boundary: BoundaryMode

    /// Creates a configuration (defaults: Wang et al.'s constants, `L = 2`, valid windows).
    /// - Precondition: `dataRange > 0`, `sigma > 0`, `radius ≥ 0`, `k1, k2 ≥ 0`.
    public init(dataRange: Double = 2, sigma: Double = 1.5, radius: Int = 5, k1: Double = 0.01, k2: Double = 0.03,
                boundary: BoundaryMode = .valid) {
        precondition(dataRange > 0, "SSIMConfiguration: data range must be > 0, got \(dataRange)")
        precondition(sigma > 0, "SSIMConfiguration: sigma must be > 0, got \(sigma)")
        precondition(radius >= 0, "SSIMConfiguration: radius must be ≥ 0, got \(radius)")
        precondition(k1 >= 0 && k2 >= 0, "SSIMConfiguration: K1 and K2 must be ≥ 0, got \(k1), \(k2)")
        self.dataRange = dataRange
        self.sigma = sigma
        self.radius = radius
        self.k1 = k1
        self.k2 = k2
        self.boundary = boundary
    }

    /// Window side `2r + 1` (11 by default).
    public var windowSize: Int { 2 * radius + 1 }
    /// `C1 = (K1·L)²` (4e-4 by default).
    public var c1: Double { (k1 * dataRange) * (k1 * dataRange) }
    /// `C2 = (K2·L)²` (3.6e-3 by default).
    public var c2: Double { (k2 * dataRange) * (k2 * dataRange) }

    /// The 1-D window `gₜ = exp(−t²/(2σ²)) / Σ_u exp(−u²/(2σ²))`, `t = −r … r` (SciPy's
    /// `gaussian_filter` taps); the 2-D window is the outer product `w[a][b] = g_a·g_b`.
    public var window: [Double] { gaussianTaps(sigma: sigma, radius: radius) }

    /// The separable Gaussian filter of this configuration.
    var filter: SeparableCorrelation {
        let g = window
        return SeparableCorrelation(vertical: g, horizontal: g, boundary: boundary)
    }
}

/// The forward pass of SSIM on every plane, in Float64, keeping what the backward needs.
///
/// With `F` the Gaussian filter (``SSIMConfiguration/filter``), per pixel of the map:
/// `μx = F(x)`, `μy = F(y)`, `σx² = F(x²) − μx²`, `σy² = F(y²) − μy²`, `σxy = F(xy) − μxμy`
/// (population moments, window weights summing to 1),
/// `A1 = 2μxμy + C1`, `A2 = 2σxy + C2`, `B1 = μx² + μy² + C1`, `B2 = σx² + σy² + C2`,
/// `S = A1·A2 / (B1·B2)`.
struct SSIMForward {
    let shape: [Int]          // input NCHW
    let mapShape: [Int]       // [N, C, oh, ow]
    let filter: SeparableCorrelation
    let x: [Double], y: [Double]
    let mx: [Double], my: [Double]
    let a1: [Double], a2: [Double], b1: [Double], b2: [Double]
    let s: [Double]

    init(_ xt: Tensor, _ yt: Tensor, configuration: SSIMConfiguration, operation: String) {
        checkImagePair(xt.shape, yt.shape, operation)
        let (n, c, h, w) = (xt.shape[0], xt.shape[1], xt.shape[2], xt.shape[3])
        if configuration.boundary == .valid {
            precondition(h >= configuration.windowSize && w >= configuration.windowSize,
                         "\(operation): valid \(configuration.windowSize)×\(configuration.windowSize) SSIM windows need H, W ≥ \(configuration.windowSize), got \(h)×\(w)")
        }
        let f = configuration.filter
        let planes = n * c
        let (oh, ow) = f.outputSize(height: h, width: w)
        shape = xt.shape
        mapShape = [n, c, oh, ow]
        filter = f
        x = doubles(xt)
        y = doubles(yt)
        func filtered(_ v: [Double]) -> [Double] { f.apply(v, planes: planes, height: h, width: w) }
        mx = filtered(x)
        my = filtered(y)
        let exx = filtered(zip(x, x).map(*))
        let eyy = filtered(zip(y, y).map(*))
        let exy = filtered(zip(x, y).map(*))
        let (c1, c2) = (configuration.c1, configuration.c2)
        let m = mx.count
        var a1 = [Double](repeating: 0, count: m), a2 = a1, b1 = a1, b2 = a1, s = a1
        for i in 0..<m {
            let (ux, uy) = (mx[i], my[i])
            let vx = exx[i] - ux * ux, vy = eyy[i] - uy * uy, vxy = exy[i] - ux * uy
            a1[i] = 2 * ux * uy + c1
            a2[i] = 2 * vxy + c2
            b1[i] = ux * ux + uy * uy + c1
            b2[i] = vx + vy + c2
            s[i] = a1[i] * a2[i] / (b1[i] * b2[i])
        }
        (self.a1, self.a2, self.b1, self.b2, self.s) = (a1, a2, b1, b2, s)
    }

    /// The SSIM map `[N, C, oh, ow]` rounded to Float32.
    var map: Tensor { floatTensor(mapShape, s) }

    /// Mean of the map, in Float64 (MSSIM averaged over windows, channels and the batch).
    var mean: Double { s.reduce(0, +) / Double(s.count) }

    /// `∂L/∂x`, `∂L/∂y` from `g = ∂L/∂S` (map-shaped):
    /// `∂S/∂μx = 2S(μy/A1 − μy/A2 − μx/B1 + μx/B2)`, `∂S/∂μy` likewise with x ↔ y,
    /// `∂S/∂F(x²) = ∂S/∂F(y²) = −S/B2`, `∂S/∂F(xy) = 2S/A2`; then through the filter's adjoint
    /// `Fᵀ`: `∂L/∂x = Fᵀ(g∂S/∂μx) + 2x ⊙ Fᵀ(g∂S/∂F(x²)) + y ⊙ Fᵀ(g∂S/∂F(xy))`, and
    /// `∂L/∂y = Fᵀ(g∂S/∂μy) + 2y ⊙ Fᵀ(g∂S/∂F(y²)) + x ⊙ Fᵀ(g∂S/∂F(xy))`.
    func backward(_ gradient: Tensor, needX: Bool, needY: Bool) -> (x: Tensor?, y: Tensor?) {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let m = s.count
        var gmx = [Double](repeating: 0, count: m), gmy = gmx, gsq = gmx, gxy = gmx
        for i in 0..<m {
            let g = Double(gradient.scalars[i]) * s[i]
            let (ux, uy) = (mx[i], my[i])
            let (ia1, ia2, ib1, ib2) = (1 / a1[i], 1 / a2[i], 1 / b1[i], 1 / b2[i])
            gmx[i] = 2 * g * (uy * ia1 - uy * ia2 - ux * ib1 + ux * ib2)
            gmy[i] = 2 * g * (ux * ia1 - ux * ia2 - uy * ib1 + uy * ib2)
            gsq[i] = -g * ib2
            gxy[i] = 2 * g * ia2
        }
        func adjoint(_ v: [Double]) -> [Double] { filter.adjoint(v, planes: planes, height: h, width: w) }
        let tsq = adjoint(gsq), txy = adjoint(gxy)
        /// `Fᵀ(gμ) + 2u ⊙ Fᵀ(g_sq) + v ⊙ Fᵀ(g_xy)` for input `u` and the other input `v`.
        func inputGradient(_ gmean: [Double], _ u: [Double], _ v: [Double]) -> Tensor {
            var d = adjoint(gmean)
            for i in 0..<d.count {
                let square: Double = 2 * u[i] * tsq[i]
                let cross: Double = v[i] * txy[i]
                d[i] += square + cross
            }
            return floatTensor(shape, d)
        }
        return (needX ? inputGradient(gmx, x, y) : nil, needY ? inputGradient(gmy, y, x) : nil)
    }
}

// MARK: - Plain values (evaluation)

/// The SSIM map of two NCHW batches, per channel plane (Wang et al. 2004, Eq. 13 with the
/// Gaussian-weighted statistics of Eqs. 14–16; the paper's `l·c·s` with `c3 = c2/2`):
/// `S = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))`, the local statistics
/// weighted by the Gaussian window. Computed in Float64.
///
/// - Returns: `[N, C, H − 2r, W − 2r]` for ``BoundaryMode/valid`` (element `(i, j)` is the
///   window centred on pixel `(i + r, j + r)`), `[N, C, H, W]` for ``BoundaryMode/symmetric``.
/// - Precondition: equal NCHW shapes; for valid windows `H, W ≥ 2r + 1`.
public func structuralSimilarityMap(_ x: Tensor, _ y: Tensor, configuration: SSIMConfiguration = SSIMConfiguration()) -> Tensor {
    SSIMForward(x, y, configuration: configuration, operation: "structuralSimilarityMap").map
}

/// The mean SSIM (the paper's MSSIM, Wang et al.'s Eq. 17, `(1/M) Σᵢ l·c·s(xᵢ, yᵢ)` over the `M` windows; here `M`
/// also runs over channels and the batch, i.e. the mean of the per-channel MSSIMs), in Float64.
/// With the default configuration this is scikit-image's
/// `structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=2)`.
public func structuralSimilarity(_ x: Tensor, _ y: Tensor, configuration: SSIMConfiguration = SSIMConfiguration()) -> Double {
    SSIMForward(x, y, configuration: configuration, operation: "structuralSimilarity").mean
}

/// `L_SSIM = 1 − MSSIM(x, y)` (0 for identical images), in Float64.
public func ssimLoss(_ x: Tensor, _ y: Tensor, configuration: SSIMConfiguration = SSIMConfiguration()) -> Double {
    1 - structuralSimilarity(x, y, configuration: configuration)
}

// MARK: - Differentiable ops

/// The SSIM map (see ``structuralSimilarityMap(_:_:configuration:)-(Tensor,Tensor,_)``) as a
/// differentiable op: `[N, C, H, W]` × 2 → `[N, C, oh, ow]`, gradients to both inputs
/// (see `SSIMForward.backward`: Float64 throughout, the forward's statistics kept on the tape).
public func structuralSimilarityMap(_ x: Variable, _ y: Variable, configuration: SSIMConfiguration = SSIMConfiguration()) -> Variable {
    let forward = SSIMForward(x.value, y.value, configuration: configuration, operation: "structuralSimilarityMap")
    return Variable.record(forward.map, inputs: [x, y]) { g, needs in
        let (dx, dy) = forward.backward(g, needX: needs[0], needY: needs[1])
        return [dx, dy]
    }
}

/// MSSIM as a differentiable scalar `[]`: the mean of ``structuralSimilarityMap(_:_:configuration:)-(Variable,Variable,_)``.
/// `∂MSSIM/∂S = 1/M` for each of the `M` map elements.
public func structuralSimilarity(_ x: Variable, _ y: Variable, configuration: SSIMConfiguration = SSIMConfiguration()) -> Variable {
    structuralSimilarityMap(x, y, configuration: configuration).mean()
}

/// The SSIM loss term `L_SSIM = 1 − MSSIM(x, y)` → shape `[]`: 0 for identical images, up to 2
/// for anti-correlated ones. It enters the saliency loss with weight γ (paper §3.2 writes
/// `γ·L_MSSIM`; minimising MSSIM itself would reward dissimilarity, so the term is `1 − MSSIM`).
public func ssimLoss(_ x: Variable, _ y: Variable, configuration: SSIMConfiguration = SSIMConfiguration()) -> Variable {
    1 - structuralSimilarity(x, y, configuration: configuration)
}
