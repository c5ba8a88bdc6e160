#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Separable Gaussian blur of a row-major plane with mirrored borders, the building block of the scale
/// space in ``DiameterEstimator``:
///
///     out(y, x) = Σ_{i,j} g(i) g(j) · in(m(y + i), m(x + j)),   g(k) = e^{−k²/2σ²} / Σ_k e^{−k²/2σ²},
///
/// |k| ≤ ⌈4σ⌉ (SciPy's `gaussian_filter` truncation) and m the half-sample mirror (… 1 0 | 0 1 2 … n−1 |
/// n−1 n−2 …, SciPy's 'reflect'), so a constant plane stays constant. A horizontal then a vertical 1-D
/// pass, each summing the taps in order, rows in parallel: the result does not depend on the thread count.
/// The one Gaussian blur of plain planes in the project (the synthetic optics of Synthesis use it too;
/// Losses has the differentiable one on tensors). ``Reference/gaussianBlur(_:width:height:sigma:)`` is the
/// slow 2-D twin.
public enum GaussianBlur {
    /// The normalised 1-D kernel g(−R…R), R = ⌈4σ⌉; σ below 0.05 px gives the identity [1].
    public static func kernel(sigma: Double) -> [Float] {
        guard sigma >= 0.05 else { return [1] }
        let radius = Int((4 * sigma).rounded(.up))
        let g = (-radius...radius).map { k in exp(-Double(k * k) / (2 * sigma * sigma)) }
        let total = g.reduce(0, +)
        return g.map { Float($0 / total) }
    }

    /// The half-sample mirror of index `i` into 0..<n (any i, n ≥ 1).
    @inline(__always) public static func mirror(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        let period = 2 * n
        var m = i % period
        if m < 0 { m += period }
        return m < n ? m : period - 1 - m
    }

    /// `pixels` (`height` rows of `width`) blurred with a Gaussian of standard deviation `sigma` px.
    public static func blur(_ pixels: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        precondition(pixels.count == width * height, "pixel count \(pixels.count) ≠ \(width) × \(height)")
        let g = kernel(sigma: sigma)
        guard g.count > 1, width > 0, height > 0 else { return pixels }
        let radius = g.count / 2
        // Horizontal pass into a row padded by the mirror, so the inner loop has no index arithmetic.
        var rows = [Float](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                ParallelRows.run(height) { y in
                    var padded = [Float](repeating: 0, count: width + 2 * radius)
                    for i in 0..<padded.count { padded[i] = s[y * width + mirror(i - radius, width)] }
                    padded.withUnsafeBufferPointer { p in
                        let out = d + y * width
                        for x in 0..<width {
                            var acc: Float = 0
                            for k in 0..<g.count { acc += g[k] * p[x + k] }
                            out[x] = acc
                        }
                    }
                }
            }
        }
        // Vertical pass: accumulate whole mirrored rows (vectorises over x).
        var out = [Float](repeating: 0, count: width * height)
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                ParallelRows.run(height) { y in
                    let o = d + y * width
                    for k in 0..<g.count {
                        let r = s + mirror(y + k - radius, height) * width
                        let w = g[k]
                        for x in 0..<width { o[x] += w * r[x] }
                    }
                }
            }
        }
        return out
    }

    /// Blurs `pixels` in place (see ``blur(_:width:height:sigma:)``).
    public static func apply(_ pixels: inout [Float], width: Int, height: Int, sigma: Double) {
        pixels = blur(pixels, width: width, height: height, sigma: sigma)
    }
}
