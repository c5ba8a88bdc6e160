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
    /// Instance labels resampled onto another grid (labels cannot be interpolated): output pixel (i, j)
    /// takes the label with the largest weight in its footprint, the same tent footprint
    /// ``resample(_:width:height:toWidth:toHeight:)`` gives intensities (weights w_y · w_x, background 0
    /// counted as a label; ties go to the smaller label). So a label image and its intensity image, resampled
    /// alike, stay aligned: growing, this is the nearest source pixel (the one whose cell holds the output
    /// pixel's centre); shrinking, it is the label that covers most of the output pixel's (tent-weighted)
    /// area, where a single nearest sample would shift labels by up to half a source pixel against the
    /// intensities (a quarter of an output pixel at 0.5×).
    ///
    /// ``Reference/resampleLabels(_:width:height:toWidth:toHeight:)`` is the slow 2-D twin.
    public static func resampleLabels(_ labels: [UInt32], width: Int, height: Int, toWidth newWidth: Int, toHeight newHeight: Int) -> [UInt32] {
        precondition(labels.count == width * height, "label count \(labels.count) ≠ \(width) × \(height)")
        if newWidth == width && newHeight == height { return labels }
        let fx = footprints(from: width, to: newWidth), fy = footprints(from: height, to: newHeight)
        var out = [UInt32](repeating: 0, count: newWidth * newHeight)
        out.withUnsafeMutableBufferPointer { dst in
            let d = dst.baseAddress!
            labels.withUnsafeBufferPointer { src in
                let l = src.baseAddress!
                ParallelRows.run(newHeight) { i in
                    var candidates: [(label: UInt32, weight: Float)] = []
                    let f = fy[i]
                    for j in 0..<newWidth {
                        let g = fx[j]
                        candidates.removeAll(keepingCapacity: true)
                        for (a, wy) in f.weights.enumerated() {
                            let row = l + (f.start + a) * width + g.start
                            for (b, wx) in g.weights.enumerated() {
                                let label = row[b], w = wy * wx
                                if let k = candidates.firstIndex(where: { $0.label == label }) {
                                    candidates[k].weight += w
                                } else {
                                    candidates.append((label, w))
                                }
                            }
                        }
                        var best = candidates[0]
                        for c in candidates.dropFirst() where c.weight > best.weight || (c.weight == best.weight && c.label < best.label) {
                            best = c
                        }
                        d[i * newWidth + j] = best.label
                    }
                }
            }
        }
        return out
    }
}
