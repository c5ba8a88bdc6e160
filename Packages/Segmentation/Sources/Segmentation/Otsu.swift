import ImageCore

/// Otsu's global threshold (Otsu 1979): the non-parametric threshold that maximises the between-class
/// variance of the image histogram.
///
/// For a histogram with counts `h[i]` at bin centres `c[i]`, i = 0…n−1, and a split after bin t
/// (class 0 = bins 0…t, class 1 = bins t+1…n−1):
///
///     ω₀(t) = Σ_{i≤t} h[i],  ω₁(t) = Σ_{i>t} h[i],  μ₀ = Σ_{i≤t} h[i]c[i] / ω₀,  μ₁ = Σ_{i>t} h[i]c[i] / ω₁
///     t* = argmax_t ω₀(t) ω₁(t) (μ₀(t) − μ₁(t))²      (the first t on ties)
///
/// and the threshold is `c[t*]`; foreground is `value > c[t*]`. ``threshold(_:bins:)`` is scikit-image's
/// `threshold_otsu` exactly: same bins, same tie rule (first maximum), and the same floating-point
/// arithmetic (partly Float32, see `scikitImageIndex`), so that near-ties — which occur in real 16-bit
/// images, where neighbouring levels' variances differ in the 7th digit — resolve identically.
/// ``thresholdIndex(counts:centers:)`` is the same criterion in plain Float64 for any histogram.
///
/// * **uint8 / uint16 images**: one bin per integer value over the whole range (256 or 65,536 bins; no
///   binning, so the threshold is an exact count). The threshold is an integer.
/// * **float32 images**: `bins` (default 256) equal bins spanning [min, max] of the finite values, edges
///   and centres in Float32 as `numpy.histogram` makes them (the last bin includes the maximum); the
///   threshold is a bin centre.
/// * **Extreme float32 values** never trap: when the finite range overflows Float32 (e.g. −3e38 and +3e38)
///   the histogram edges are computed in Float64, and when scikit-image's Float32 criterion over- or
///   underflows (such a range, or an image of subnormal values such as 1e-40) t* is chosen by
///   ``thresholdIndex(counts:centers:)`` in Float64 on the same counts; the threshold is then a Float64 bin
///   centre rounded to Float32 and clamped to [min, max].
/// * A constant image (or one finite value only) returns that value, so `value > threshold` gives **no
///   foreground**. An image without finite values returns 0. NaN and ±∞ are ignored.
public enum Otsu {
    /// The index t* of the threshold bin for `counts` (first maximum); nil when fewer than two bins are
    /// occupied. `centers` are the bin centres (same count).
    public static func thresholdIndex(counts: [Int], centers: [Double]) -> Int? {
        precondition(counts.count == centers.count, "Otsu: \(counts.count) counts but \(centers.count) centres")
        let occupied = counts.indices.filter { counts[$0] > 0 }
        guard let first = occupied.first, let last = occupied.last, first < last else { return nil }
        var total = 0.0, totalSum = 0.0
        for i in first...last { total += Double(counts[i]); totalSum += Double(counts[i]) * centers[i] }
        var weight0 = 0.0, sum0 = 0.0, best = -Double.infinity, bestIndex = first
        for t in first..<last {
            let h = Double(counts[t])
            weight0 += h
            sum0 += h * centers[t]
            let weight1 = total - weight0
            let difference = sum0 / weight0 - (totalSum - sum0) / weight1
            let between = weight0 * weight1 * difference * difference
            if between > best { best = between; bestIndex = t }
        }
        return bestIndex
    }

    /// Otsu's threshold of `plane` (see the type's documentation); foreground is `pixel > threshold`.
    /// `bins` applies to float32 planes only.
    public static func threshold(_ plane: ImagePlane, bins: Int = 256) -> Float {
        switch plane.sampleType {
        case .uint8, .uint16: return integerThreshold(plane.pixels, levels: plane.sampleType == .uint8 ? 256 : 65536)
        case .float32: return floatThreshold(plane.pixels, bins: bins)
        }
    }

    /// Exact-histogram Otsu for integer-valued pixels in 0..<levels (values are rounded and clamped).
    static func integerThreshold(_ pixels: [Float], levels: Int) -> Float {
        var counts = [Int](repeating: 0, count: levels)
        let top = Float(levels - 1)
        pixels.withUnsafeBufferPointer { p in
            counts.withUnsafeMutableBufferPointer { h in
                for v in p where v.isFinite {
                    h[Int(min(max(v, 0), top).rounded())] += 1
                }
            }
        }
        guard let first = counts.firstIndex(where: { $0 > 0 }), let last = counts.lastIndex(where: { $0 > 0 }) else { return 0 }
        guard first < last else { return Float(first) }
        return Float(first + scikitImageIndex(integerCounts: Array(counts[first...last]), firstCenter: first))
    }

    /// t* computed with scikit-image 0.26's arithmetic for integer images, so that near-ties resolve the
    /// same way: counts as Float32, ω₀ and ω₁ as Float32 cumulative sums, Σ h·c as Float64 cumulative
    /// sums, and the product ω₀ω₁ rounded to Float32 before it multiplies (μ₀ − μ₁)² in Float64.
    static func scikitImageIndex(integerCounts counts: [Int], firstCenter: Int) -> Int {
        let n = counts.count
        var w1 = [Float](repeating: 0, count: n), w2 = [Float](repeating: 0, count: n)
        var m1 = [Double](repeating: 0, count: n), m2 = [Double](repeating: 0, count: n)
        var w: Float = 0, sum = 0.0
        for i in 0..<n {
            w += Float(counts[i]); sum += Double(Float(counts[i])) * Double(firstCenter + i)
            w1[i] = w; m1[i] = sum / Double(w)
        }
        w = 0; sum = 0
        for i in stride(from: n - 1, through: 0, by: -1) {
            w += Float(counts[i]); sum += Double(Float(counts[i])) * Double(firstCenter + i)
            w2[i] = w; m2[i] = sum / Double(w)
        }
        var best = -Double.infinity, bestIndex = 0
        for t in 0..<(n - 1) {
            let d = m1[t] - m2[t + 1]
            let v = Double(w1[t] * w2[t + 1]) * (d * d)
            if v > best { best = v; bestIndex = t }       // NaN (empty class) never wins
        }
        return bestIndex
    }

    /// t* with scikit-image 0.26's arithmetic for float images: everything in Float32 (counts, centres,
    /// the cumulative sums, the class means and the variance).
    static func scikitImageIndex(floatCounts counts: [Int], centers: [Float]) -> Int {
        scikitImageCriterion(floatCounts: counts, centers: centers).index
    }

    /// ``scikitImageIndex(floatCounts:centers:)`` and the between-class variance at t* (−∞ when no split
    /// gave a number).
    static func scikitImageCriterion(floatCounts counts: [Int], centers: [Float]) -> (index: Int, best: Float) {
        let n = counts.count
        var w1 = [Float](repeating: 0, count: n), w2 = [Float](repeating: 0, count: n)
        var m1 = [Float](repeating: 0, count: n), m2 = [Float](repeating: 0, count: n)
        var w: Float = 0, sum: Float = 0
        for i in 0..<n {
            w += Float(counts[i]); sum += Float(counts[i]) * centers[i]
            w1[i] = w; m1[i] = sum / w
        }
        w = 0; sum = 0
        for i in stride(from: n - 1, through: 0, by: -1) {
            w += Float(counts[i]); sum += Float(counts[i]) * centers[i]
            w2[i] = w; m2[i] = sum / w
        }
        var best = -Float.infinity, bestIndex = 0
        for t in 0..<(n - 1) {
            let d = m1[t] - m2[t + 1]
            let v = w1[t] * w2[t + 1] * (d * d)
            if v > best { best = v; bestIndex = t }
        }
        return (bestIndex, best)
    }

    /// `numpy.histogram(values, bins, range=(min, max))` with Float32 edges, then Otsu on the centres.
    static func floatThreshold(_ pixels: [Float], bins: Int) -> Float {
        precondition(bins >= 2, "Otsu: need at least 2 bins, got \(bins)")
        var lo = Float.infinity, hi = -Float.infinity
        for v in pixels where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        guard lo.isFinite else { return 0 }
        guard lo < hi else { return lo }
        let (counts, centers) = histogram(pixels, bins: bins, low: lo, high: hi)
        let (index, best) = scikitImageCriterion(floatCounts: counts, centers: centers)
        // Usable when the centres and the best between-class variance are finite and positive; Float32
        // over- or underflows for a range beyond ±1.7e38 or one of subnormal values: then Float64.
        if best.isFinite, best > 0, centers.allSatisfy(\.isFinite) { return centers[index] }
        let wide = (0..<bins).map { i -> Double in
            let step = (Double(hi) - Double(lo)) / Double(bins)
            return Double(lo) + (Double(i) + 0.5) * step
        }
        guard let t = thresholdIndex(counts: counts, centers: wide) else { return lo }
        return min(hi, max(lo, Float(wide[t])))
    }

    /// Equal-width histogram of the finite values in [low, high] as `numpy.histogram` computes it for
    /// float32 data: edges `low + i · step` with step = (high − low)/bins, all in Float32 as
    /// `numpy.linspace` computes them for Float32 bounds (last edge = high), bin i holds
    /// edges[i] ≤ v < edges[i+1] (the last bin also holds v = high); centres (edges[i] + edges[i+1]) / 2
    /// in Float32.
    public static func histogram(_ values: [Float], bins: Int, low: Float, high: Float) -> (counts: [Int], centers: [Float]) {
        // numpy.linspace(low, high, bins + 1) in the Float32 of its arguments: step and edges rounded to Float32.
        // When high − low overflows Float32 (a range wider than 3.4e38), edges and centres are computed in
        // Float64 and rounded to Float32 instead (numpy would overflow; we stay finite).
        let step = (high - low) / Float(bins)
        let wide = !step.isFinite
        var edges = (0...bins).map { (i: Int) -> Float in
            if wide { return Float(Double(low) + Double(i) * ((Double(high) - Double(low)) / Double(bins))) }
            let scaled = Float(i) * step
            return scaled + low
        }
        edges[bins] = high
        var counts = [Int](repeating: 0, count: bins)
        // The bin estimate in Float64: (v − low)·bins/(high − low) is finite for every finite Float32 pair
        // (in Float32 it overflows for subnormal ranges and wide ones), clamped to the bins before converting.
        let scale = Double(bins) / (Double(high) - Double(low))
        for v in values where v.isFinite && v >= low && v <= high {
            let estimate = (Double(v) - Double(low)) * scale
            var i = estimate >= Double(bins - 1) ? bins - 1 : (estimate > 0 ? Int(estimate) : 0)
            if i > 0 && v < edges[i] { i -= 1 }
            if i < bins - 1 && v >= edges[i + 1] { i += 1 }
            counts[i] += 1
        }
        let centers = (0..<bins).map { i -> Float in
            let c = (edges[i] + edges[i + 1]) / 2
            return c.isFinite ? c : Float((Double(edges[i]) + Double(edges[i + 1])) / 2)
        }
        return (counts, centers)
    }
}
