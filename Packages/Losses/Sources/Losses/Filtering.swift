import Foundation
import NN
import TensorCore

/// How a windowed filter (the SSIM Gaussian window, the Sobel operators) treats the image
/// border. Both modes act on each `[H, W]` plane of an NCHW tensor independently.
public enum BoundaryMode: Sendable, Equatable, CaseIterable {
    /// Only windows lying entirely inside the image: a `kH × kW` window over an `[H, W]` plane
    /// gives an `[H − kH + 1, W − kW + 1]` map, and no value outside the image is ever read.
    /// Output `(i, j)` is the window whose top-left pixel is `(i, j)` (centre `(i + r, j + r)`).
    ///
    /// This is exactly scikit-image's `structural_similarity` mean: it filters with SciPy's
    /// `mode="reflect"` and then crops a border of `(win − 1)/2`, and the kept pixels are those
    /// whose window never reaches the border, so the padding never enters the result.
    case valid
    /// Half-sample symmetric extension, the edge pixel repeated: `… c b a | a b c d | d c b …`
    /// (SciPy `ndimage` `mode="reflect"`, NumPy `pad(mode="symmetric")`). The output has the
    /// input's size. Index `i` of an axis of length `n` reads `m = i mod 2n` (in `0..<2n`),
    /// folded: `m < n ? m : 2n − 1 − m` (so extensions longer than the image keep reflecting).
    ///
    /// Not NN's ``NN/Padding/reflect`` (PyTorch `ReflectionPad2d`), which does not repeat the
    /// edge pixel (SciPy's `mode="mirror"`).
    case symmetric
}

/// A separable 2-D correlation `y[i, j] = Σ_{a,b} v[a]·h[b]·x[sᵥ(i, a), sₕ(j, b)]` applied to
/// every plane of a `[P, H, W]` buffer in Float64, and its adjoint. `s(o, t)` is the source
/// index of output `o` and tap `t`: `o + t` for ``BoundaryMode/valid``, the symmetric fold of
/// `o + t − r` for ``BoundaryMode/symmetric`` (r = (k − 1)/2).
///
/// The SSIM Gaussian window (`v = h = g`) and the Sobel operators (`Gv = [−1, 0, 1]ᵀ ⊗ [1, 2, 1]`,
/// `Gh = [1, 2, 1]ᵀ ⊗ [−1, 0, 1]`) are both separable. Its naive twin is
/// ``TensorCore/Reference/correlate2d(_:kernel:boundary:)``.
struct SeparableCorrelation {
    /// Taps along H (odd count).
    let vertical: [Double]
    /// Taps along W (odd count).
    let horizontal: [Double]
    /// Border handling.
    let boundary: BoundaryMode

    init(vertical: [Double], horizontal: [Double], boundary: BoundaryMode) {
        precondition(vertical.count % 2 == 1 && horizontal.count % 2 == 1, "SeparableCorrelation: tap counts must be odd")
        self.vertical = vertical
        self.horizontal = horizontal
        self.boundary = boundary
    }

    /// Output extent along an axis of length `n` for `k` taps.
    static func outputExtent(_ n: Int, taps k: Int, boundary: BoundaryMode) -> Int {
        boundary == .valid ? n - k + 1 : n
    }

    /// Symmetric (SciPy `"reflect"`) fold of index `i` into `0..<n`.
    @inline(__always)
    static func symmetricIndex(_ i: Int, _ n: Int) -> Int {
        let period = 2 * n
        var m = i % period
        if m < 0 { m += period }
        return m < n ? m : period - 1 - m
    }

    /// Source index table `[o·k + t]` for an axis of length `n` and `k` taps.
    static func sourceIndices(_ n: Int, taps k: Int, boundary: BoundaryMode) -> [Int] {
        let out = outputExtent(n, taps: k, boundary: boundary)
        let r = (k - 1) / 2
        var table = [Int](repeating: 0, count: out * k)
        for o in 0..<out {
            for t in 0..<k {
                table[o * k + t] = boundary == .valid ? o + t : symmetricIndex(o + t - r, n)
            }
        }
        return table
    }

    /// Output plane size for an `[height, width]` input plane.
    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (SeparableCorrelation.outputExtent(height, taps: vertical.count, boundary: boundary),
         SeparableCorrelation.outputExtent(width, taps: horizontal.count, boundary: boundary))
    }

    /// `x` `[planes, height, width]` → `[planes, oh, ow]`: horizontal pass, then vertical pass.
    func apply(_ x: [Double], planes: Int, height h: Int, width w: Int) -> [Double] {
        precondition(x.count == planes * h * w, "SeparableCorrelation.apply: buffer size mismatch")
        let (oh, ow) = outputSize(height: h, width: w)
        precondition(oh > 0 && ow > 0, "SeparableCorrelation: a \(vertical.count)×\(horizontal.count) window does not fit a \(h)×\(w) plane")
        let (kv, kh) = (vertical.count, horizontal.count)
        let rows = SeparableCorrelation.sourceIndices(h, taps: kv, boundary: boundary)
        let cols = SeparableCorrelation.sourceIndices(w, taps: kh, boundary: boundary)
        var out = [Double](repeating: 0, count: planes * oh * ow)
        var tmp = [Double](repeating: 0, count: h * ow)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                tmp.withUnsafeMutableBufferPointer { t in
                    for p in 0..<planes {
                        let xp = src.baseAddress! + p * h * w
                        for i in 0..<h {
                            let row = xp + i * w
                            for o in 0..<ow {
                                var s = 0.0
                                for k in 0..<kh { s += horizontal[k] * row[cols[o * kh + k]] }
                                t[i * ow + o] = s
                            }
                        }
                        let yp = dst.baseAddress! + p * oh * ow
                        for o in 0..<oh {
                            let orow = yp + o * ow
                            for k in 0..<kv {
                                let c = vertical[k]
                                if c == 0 { continue }
                                let srow = t.baseAddress! + rows[o * kv + k] * ow
                                for j in 0..<ow { orow[j] += c * srow[j] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The adjoint of ``apply(_:planes:height:width:)``: `g` `[planes, oh, ow]` (∂L/∂output) →
    /// `[planes, height, width]` (∂L/∂input), each output's gradient scattered back onto the
    /// input pixels (symmetric: onto the pixel each padded position was read from).
    func adjoint(_ g: [Double], planes: Int, height h: Int, width w: Int) -> [Double] {
        let (oh, ow) = outputSize(height: h, width: w)
        precondition(g.count == planes * oh * ow, "SeparableCorrelation.adjoint: buffer size mismatch")
        let (kv, kh) = (vertical.count, horizontal.count)
        let rows = SeparableCorrelation.sourceIndices(h, taps: kv, boundary: boundary)
        let cols = SeparableCorrelation.sourceIndices(w, taps: kh, boundary: boundary)
        var out = [Double](repeating: 0, count: planes * h * w)
        var tmp = [Double](repeating: 0, count: h * ow)
        g.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                tmp.withUnsafeMutableBufferPointer { t in
                    for p in 0..<planes {
                        t.update(repeating: 0)
                        let gp = src.baseAddress! + p * oh * ow
                        for o in 0..<oh {
                            let grow = gp + o * ow
                            for k in 0..<kv {
                                let c = vertical[k]
                                if c == 0 { continue }
                                let trow = t.baseAddress! + rows[o * kv + k] * ow
                                for j in 0..<ow { trow[j] += c * grow[j] }
                            }
                        }
                        let xp = dst.baseAddress! + p * h * w
                        for i in 0..<h {
                            let row = xp + i * w
                            for o in 0..<ow {
                                let v = t[i * ow + o]
                                for k in 0..<kh { row[cols[o * kh + k]] += horizontal[k] * v }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Shape checks shared by the image losses: both NCHW with equal shapes.
func checkImagePair(_ a: [Int], _ b: [Int], _ operation: String) {
    precondition(a.count == 4, "\(operation): inputs must be NCHW [N, C, H, W], got \(a)")
    precondition(a == b, "\(operation): shapes \(a) and \(b) differ")
}

/// The elements of `t` widened to Float64.
func doubles(_ t: Tensor) -> [Double] { t.scalars.map(Double.init) }

/// A tensor from Float64 values (rounded to Float32).
func floatTensor(_ shape: [Int], _ values: [Double]) -> Tensor {
    Tensor(shape: shape, scalars: values.map(Float.init))
}

extension Reference {
    /// Naive 2-D correlation of every `[H, W]` plane of an NCHW tensor with a `kH × kW`
    /// kernel (odd extents, centre `(rH, rW) = ((kH − 1)/2, (kW − 1)/2)`), accumulated in
    /// Float64: the twin of the Losses package's separable filter.
    ///
    /// `y[n, c, i, j] = Σ_{a,b} K[a][b] · x[n, c, s(i, a), s(j, b)]`, where for
    /// ``BoundaryMode/valid`` `s(i, a) = i + a` (output `[H − kH + 1, W − kW + 1]`) and for
    /// ``BoundaryMode/symmetric`` `s(i, a)` is `i + a − r` reflected at the edges with the edge
    /// pixel repeated, again and again until it lands inside (SciPy `ndimage.correlate(x, K,
    /// mode="reflect")`; output `[H, W]`).
    public static func correlate2d(_ x: Tensor, kernel: [[Double]], boundary: BoundaryMode) -> Tensor {
        precondition(x.rank == 4, "correlate2d: input must be NCHW, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let kh = kernel.count, kw = kernel.first?.count ?? 0
        precondition(kh % 2 == 1 && kw % 2 == 1 && kernel.allSatisfy { $0.count == kw }, "correlate2d: kernel extents must be odd")
        let (rh, rw) = ((kh - 1) / 2, (kw - 1) / 2)
        func reflect(_ i: Int, _ extent: Int) -> Int {
            var i = i
            while i < 0 || i >= extent {
                if i < 0 { i = -i - 1 }
                if i >= extent { i = 2 * extent - 1 - i }
            }
            return i
        }
        let (oh, ow) = boundary == .valid ? (h - kh + 1, w - kw + 1) : (h, w)
        precondition(oh > 0 && ow > 0, "correlate2d: kernel larger than the image")
        var out = [Float](repeating: 0, count: n * c * oh * ow)
        for b in 0..<n {
            for ch in 0..<c {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var s = 0.0
                        for a in 0..<kh {
                            for d in 0..<kw {
                                let (si, sj) = boundary == .valid
                                    ? (i + a, j + d)
                                    : (reflect(i + a - rh, h), reflect(j + d - rw, w))
                                s += kernel[a][d] * Double(x[b, ch, si, sj])
                            }
                        }
                        out[((b * c + ch) * oh + i) * ow + j] = Float(s)
                    }
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], scalars: out)
    }
}

/// A Gaussian low-pass filter applied to each `[H, W]` plane of an NCHW tensor: separable taps
/// `gₜ = exp(−t²/(2σ²)) / Σ_u exp(−u²/(2σ²))`, `t = −r … r` with radius `r = ⌊4σ + ½⌋`, and the
/// half-sample symmetric border (``BoundaryMode/symmetric``). The output has the input's shape.
///
/// This is SciPy's `ndimage.gaussian_filter(x, sigma, mode="reflect", truncate=4.0)` over the H and
/// W axes (checked against it in `Tests/LossesTests`). Training uses it to compare cycle
/// reconstructions at a coarser scale (`TrainingOptions.cycleBlur` in module `CycleGAN`).
public struct GaussianBlur: Sendable, Equatable {
    /// Standard deviation σ of the Gaussian, in pixels (> 0).
    public var sigma: Double

    /// Creates the filter. - Precondition: `sigma > 0` and finite.
    public init(sigma: Double) {
        precondition(sigma > 0 && sigma.isFinite, "GaussianBlur: sigma must be > 0, got \(sigma)")
        self.sigma = sigma
    }

    /// Window radius `r = ⌊4σ + ½⌋` (SciPy's `truncate=4.0`): the window is `2r + 1` taps.
    public var radius: Int { Int(4 * sigma + 0.5) }

    /// The normalised 1-D taps `g₋ᵣ … gᵣ` (they sum to 1).
    public var taps: [Double] { gaussianTaps(sigma: sigma, radius: radius) }

    var filter: SeparableCorrelation {
        let g = taps
        return SeparableCorrelation(vertical: g, horizontal: g, boundary: .symmetric)
    }

    /// Blurs every plane of `x` `[N, C, H, W]` → `[N, C, H, W]` (Float64 inside).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "GaussianBlur: input must be NCHW, got \(x.shape)")
        let s = x.shape
        return floatTensor(s, filter.apply(doubles(x), planes: s[0] * s[1], height: s[2], width: s[3]))
    }

    /// The blur as a differentiable op: `y = B x` per plane, `∂L/∂x = Bᵀ ∂L/∂y` (the filter's
    /// adjoint, which scatters each output's gradient back onto the pixels its window read).
    public func callAsFunction(_ x: Variable) -> Variable {
        let y = self(x.value)   // checks the NCHW rank
        let s = x.value.shape
        let filter = self.filter
        return Variable.record(y, inputs: [x]) { g, needs in
            guard needs[0] else { return [nil] }
            return [floatTensor(s, filter.adjoint(doubles(g), planes: s[0] * s[1], height: s[2], width: s[3]))]
        }
    }
}

/// Normalised Gaussian taps `gₜ = exp(−t²/(2σ²)) / Σ_u exp(−u²/(2σ²))`, `t = −r … r` (SciPy's
/// `gaussian_filter` taps): the SSIM window and ``GaussianBlur`` share them.
func gaussianTaps(sigma: Double, radius: Int) -> [Double] {
    let taps = (-radius...radius).map { t in exp(-Double(t * t) / (2 * sigma * sigma)) }
    let total = taps.reduce(0, +)
    return taps.map { $0 / total }
}
