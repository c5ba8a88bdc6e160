import Dispatch

/// Separable resampling of a row-major plane onto a grid of another size, with a triangle (tent) filter
/// whose footprint follows the scale, as PIL's anti-aliased bilinear resize:
///
///     out(i) = Σ_j w(i, j) · in(j) / Σ_j w(i, j),   w(i, j) = max(0, 1 − |(j + ½) − c_i| / f),
///     c_i = (i + ½) · n / m,   f = max(1, n / m)
///
/// along each axis (n source pixels, m output pixels; pixel centres at half-integers, so the image's
/// edges map onto each other). Growing (m > n) is bilinear interpolation; shrinking (m < n) widens the
/// tent to n / m source pixels, so every source pixel contributes and nothing aliases. Weights that
/// would fall outside the image are dropped and the rest renormalised. Non-finite inputs propagate only
/// into the outputs whose footprint holds them.
///
/// ``Reference/resample(_:width:height:toWidth:toHeight:)`` is the slow 2-D twin.
public enum Resampling {
    /// One output sample's footprint along an axis: the first source index and the normalised weights.
    public struct Footprint: Sendable, Equatable {
        /// First source index.
        public var start: Int
        /// Weights of source indices start, start + 1, …; they sum to 1.
        public var weights: [Float]
    }

    /// The footprints of `outputCount` samples resampled from `inputCount` (both ≥ 1).
    public static func footprints(from inputCount: Int, to outputCount: Int) -> [Footprint] {
        precondition(inputCount >= 1 && outputCount >= 1, "sizes must be at least 1")
        let scale = Double(inputCount) / Double(outputCount)
        let f = max(1, scale)
        return (0..<outputCount).map { i in
            let c = (Double(i) + 0.5) * scale
            let lo = max(0, Int((c - f - 0.5).rounded(.down)))
            let hi = min(inputCount - 1, Int((c + f - 0.5).rounded(.up)))
            var w: [Double] = []
            var first = -1
            if lo <= hi {
                for j in lo...hi {
                    let weight = max(0, 1 - abs(Double(j) + 0.5 - c) / f)
                    if weight > 0 {
                        if first < 0 { first = j }
                        w.append(weight)
                    } else if first >= 0 {
                        break
                    }
                }
            }
            if first < 0 {  // cannot happen for sizes ≥ 1, but stay defined: nearest sample
                return Footprint(start: min(inputCount - 1, max(0, Int(c))), weights: [1])
            }
            // Trailing zero weights after `first` were not appended; leading ones skipped.
            let total = w.reduce(0, +)
            return Footprint(start: first, weights: w.map { Float($0 / total) })
        }
    }

    /// `pixels` (`height` rows of `width`) resampled to `newHeight` rows of `newWidth` (all ≥ 1).
    /// Equal sizes return the input unchanged. Rows are processed in parallel.
    public static func resample(_ pixels: [Float], width: Int, height: Int, toWidth newWidth: Int, toHeight newHeight: Int) -> [Float] {
        precondition(pixels.count == width * height, "pixel count \(pixels.count) ≠ \(width) × \(height)")
        if newWidth == width && newHeight == height { return pixels }
        let fx = footprints(from: width, to: newWidth)
        let fy = footprints(from: height, to: newHeight)
        // Horizontal pass: height × newWidth.
        var rows = [Float](repeating: 0, count: height * newWidth)
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                ParallelRows.run(height) { y in
                    let row = s + y * width, out = d + y * newWidth
                    for i in 0..<newWidth {
                        let f = fx[i]
                        var acc: Float = 0
                        for (k, w) in f.weights.enumerated() { acc += w * row[f.start + k] }
                        out[i] = acc
                    }
                }
            }
        }
        // Vertical pass: newHeight × newWidth, accumulating whole rows (vectorises).
        var out = [Float](repeating: 0, count: newHeight * newWidth)
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                ParallelRows.run(newHeight) { i in
                    let f = fy[i]
                    let o = d + i * newWidth
                    for (k, w) in f.weights.enumerated() {
                        let r = s + (f.start + k) * newWidth
                        for x in 0..<newWidth { o[x] += w * r[x] }
                    }
                }
            }
        }
        return out
    }

    /// The size of a `width` × `height` plane scaled by `factor`: each side rounded, at least 1.
    public static func scaledSize(width: Int, height: Int, factor: Double) -> (width: Int, height: Int) {
        (max(1, Int((Double(width) * factor).rounded())), max(1, Int((Double(height) * factor).rounded())))
    }
}

/// Splits row loops over the cores (Dispatch's concurrentPerform on chunks of rows).
enum ParallelRows {
    /// Runs `body(row)` for every row in 0..<count; rows are independent.
    static func run(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        let chunks = min(count, 64)
        if count < 32 {
            for r in 0..<count { body(r) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * count / chunks, hi = (c + 1) * count / chunks
                for r in lo..<hi { body(r) }
            }
        }
    }
}

extension Resampling {
    /// Instance labels resampled by nearest neighbour (labels cannot be interpolated): output pixel (i, j)
    /// takes the label of the source pixel whose cell holds the output pixel's centre,
    /// ⌊(i + ½) · n / m⌋ along each axis.
    public static func resampleLabels(_ labels: [UInt32], width: Int, height: Int, toWidth newWidth: Int, toHeight newHeight: Int) -> [UInt32] {
        precondition(labels.count == width * height, "label count \(labels.count) ≠ \(width) × \(height)")
        if newWidth == width && newHeight == height { return labels }
        let xs = (0..<newWidth).map { min(width - 1, Int((Double($0) + 0.5) * Double(width) / Double(newWidth))) }
        var out = [UInt32](repeating: 0, count: newWidth * newHeight)
        for i in 0..<newHeight {
            let y = min(height - 1, Int((Double(i) + 0.5) * Double(height) / Double(newHeight)))
            for j in 0..<newWidth { out[i * newWidth + j] = labels[y * width + xs[j]] }
        }
        return out
    }
}
