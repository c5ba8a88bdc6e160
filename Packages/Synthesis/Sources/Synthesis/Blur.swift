#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Separable Gaussian blur of a row-major plane (the PSF and defocus model).
///
///     out(y, x) = Σ_{i,j=−R..R} g(i) g(j) · in(m_H(y + i), m_W(x + j)),
///     g(i) = e^{−i²/2σ²} / Σ_j e^{−j²/2σ²},  R = ⌈4σ⌉
///
/// with m_N the symmetric mirror at the borders (… 2 1 0 | 0 1 2 … N−1 | N−1 N−2 …, scipy's
/// `mode="reflect"`), so the blur conserves the mean of a constant plane. Computed as a horizontal
/// then a vertical 1-D pass, O(W·H·R). The obviously correct 2-D double sum is
/// ``Reference/gaussianBlur(_:width:height:sigma:)``.
public enum GaussianBlur {
    /// The normalised kernel g(−R…R) for `sigma` (a single 1 for σ < 0.05).
    public static func kernel(sigma: Double) -> [Float] {
        guard sigma >= 0.05 else { return [1] }
        let radius = Int((4 * sigma).rounded(.up))
        var weights = (-radius...radius).map { i in exp(-Double(i * i) / (2 * sigma * sigma)) }
        let sum = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= sum }
        return weights.map { Float($0) }
    }

    /// The mirrored index of `i` in 0..<n (symmetric reflection, repeated for any distance).
    @inline(__always)
    public static func mirror(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * n
        var m = i % period
        if m < 0 { m += period }
        return m < n ? m : period - 1 - m
    }

    /// Blurs `pixels` (`height` rows of `width`) in place with a Gaussian of standard deviation `sigma` px.
    public static func apply(_ pixels: inout [Float], width: Int, height: Int, sigma: Double) {
        precondition(pixels.count == width * height, "GaussianBlur: \(pixels.count) pixels for \(width) x \(height)")
        let g = kernel(sigma: sigma)
        guard g.count > 1, width > 0, height > 0 else { return }
        let radius = g.count / 2
        let taps = g.count
        // Horizontal pass: each row is padded by mirroring, then convolved.
        var padded = [Float](repeating: 0, count: width + 2 * radius)
        var row = [Float](repeating: 0, count: width)
        let columnMap = (0..<(width + 2 * radius)).map { mirror($0 - radius, width) }
        pixels.withUnsafeMutableBufferPointer { image in
            padded.withUnsafeMutableBufferPointer { pad in
                row.withUnsafeMutableBufferPointer { out in
                    g.withUnsafeBufferPointer { k in
                        for y in 0..<height {
                            let base = y * width
                            for i in 0..<pad.count { pad[i] = image[base + columnMap[i]] }
                            for x in 0..<width { out[x] = 0 }
                            for j in 0..<taps {
                                let w = k[j]
                                let shifted = pad.baseAddress! + j
                                for x in 0..<width { out[x] += w * shifted[x] }
                            }
                            for x in 0..<width { image[base + x] = out[x] }
                        }
                    }
                }
            }
        }
        // Vertical pass: each output row accumulates mirrored input rows.
        let source = pixels
        source.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { image in
                g.withUnsafeBufferPointer { k in
                    for y in 0..<height {
                        let out = image.baseAddress! + y * width
                        for x in 0..<width { out[x] = 0 }
                        for j in 0..<taps {
                            let w = k[j]
                            let inRow = input.baseAddress! + mirror(y + j - radius, height) * width
                            for x in 0..<width { out[x] += w * inRow[x] }
                        }
                    }
                }
            }
        }
    }
}

/// Slow, obviously correct twins of the fast kernels, for tests.
public enum Reference {
    /// The 2-D Gaussian blur as a direct double sum (see ``GaussianBlur``), O(W·H·R²), in `Double`.
    public static func gaussianBlur(_ pixels: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        let g = GaussianBlur.kernel(sigma: sigma).map(Double.init)
        let radius = g.count / 2
        var out = [Float](repeating: 0, count: pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0
                for i in -radius...radius {
                    for j in -radius...radius {
                        let yy = GaussianBlur.mirror(y + i, height), xx = GaussianBlur.mirror(x + j, width)
                        sum += g[i + radius] * g[j + radius] * Double(pixels[yy * width + xx])
                    }
                }
                out[y * width + x] = Float(sum)
            }
        }
        return out
    }

    /// The Poisson(λ) probability mass function e^{−λ} λᵏ / k!, computed in log space.
    public static func poissonProbability(_ k: Int, lambda: Double) -> Double {
        guard k >= 0 else { return 0 }
        var logFactorial = 0.0
        if k > 1 { for j in 2...k { logFactorial += log(Double(j)) } }
        return exp(-lambda + Double(k) * log(lambda) - logFactorial)
    }
}
