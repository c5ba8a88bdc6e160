#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Slow, obviously correct twins of the fast kernels, for tests.
public enum Reference {
    /// ``Resampling/resample(_:width:height:toWidth:toHeight:)`` evaluated directly in 2-D: every output
    /// pixel sums the tent weights of every input pixel, w = w_y · w_x, with no precomputed footprints.
    public static func resample(_ pixels: [Float], width: Int, height: Int, toWidth newWidth: Int, toHeight newHeight: Int) -> [Float] {
        func tent(_ j: Int, _ i: Int, _ n: Int, _ m: Int) -> Double {
            let scale = Double(n) / Double(m)
            let f = max(1, scale)
            let c = (Double(i) + 0.5) * scale
            return max(0, 1 - abs(Double(j) + 0.5 - c) / f)
        }
        var out = [Float](repeating: 0, count: newWidth * newHeight)
        for oy in 0..<newHeight {
            for ox in 0..<newWidth {
                var acc = 0.0, total = 0.0
                for y in 0..<height {
                    let wy = tent(y, oy, height, newHeight)
                    if wy == 0 { continue }
                    for x in 0..<width {
                        let w = wy * tent(x, ox, width, newWidth)
                        if w == 0 { continue }
                        acc += w * Double(pixels[y * width + x])
                        total += w
                    }
                }
                out[oy * newWidth + ox] = Float(acc / total)
            }
        }
        return out
    }

    /// ``Resampling/resampleLabels(_:width:height:toWidth:toHeight:)`` evaluated directly in 2-D: every
    /// output pixel sums, per label, the tent weights w_y · w_x of every input pixel (no precomputed
    /// footprints) and takes the label of largest total, the smaller label on ties.
    public static func resampleLabels(_ labels: [UInt32], width: Int, height: Int, toWidth newWidth: Int, toHeight newHeight: Int) -> [UInt32] {
        if newWidth == width && newHeight == height { return labels }
        func weights(_ n: Int, _ m: Int, _ i: Int) -> [Double] {
            let scale = Double(n) / Double(m), f = max(1, scale), c = (Double(i) + 0.5) * scale
            let w = (0..<n).map { max(0, 1 - abs(Double($0) + 0.5 - c) / f) }
            let total = w.reduce(0, +)
            return w.map { $0 / total }
        }
        var out = [UInt32](repeating: 0, count: newWidth * newHeight)
        for i in 0..<newHeight {
            let wy = weights(height, newHeight, i)
            for j in 0..<newWidth {
                let wx = weights(width, newWidth, j)
                var total: [UInt32: Double] = [:]
                for y in 0..<height where wy[y] > 0 {
                    for x in 0..<width where wx[x] > 0 { total[labels[y * width + x], default: 0] += wy[y] * wx[x] }
                }
                let top = total.values.max()!
                // Ties within rounding (the fast kernel sums Float products in another order).
                out[i * newWidth + j] = total.filter { $0.value >= top - 1e-6 }.keys.min()!
            }
        }
        return out
    }

    /// ``GaussianBlur/blur(_:width:height:sigma:)`` as a direct 2-D sum over the (2R+1)² window with the
    /// product kernel and mirrored indices, in Double.
    public static func gaussianBlur(_ pixels: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        guard sigma >= 0.05 else { return pixels }
        let radius = Int((4 * sigma).rounded(.up))
        let g = (-radius...radius).map { k in exp(-Double(k * k) / (2 * sigma * sigma)) }
        let total = g.reduce(0, +)
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var acc = 0.0
                for i in -radius...radius {
                    for j in -radius...radius {
                        let yy = GaussianBlur.mirror(y + i, height), xx = GaussianBlur.mirror(x + j, width)
                        acc += g[i + radius] * g[j + radius] * Double(pixels[yy * width + xx])
                    }
                }
                out[y * width + x] = Float(acc / (total * total))
            }
        }
        return out
    }
}
