/// Percentile intensity normalization to [-1, 1] and its exact inverse.
///
/// Forward map (`apply`), with `low < high`:
///
///     y = 2 * (x - low) / (high - low) - 1
///
/// so `low` maps to -1 and `high` to +1; values outside [low, high] map outside [-1, 1] (no
/// clipping). Inverse (`invert`): `x = (y + 1) / 2 * (high - low) + low`.
///
/// Degenerate range (`high <= low`, e.g. a constant image): the map is the shift `y = x - low`
/// (inverse `x = y + low`), so a constant image becomes all zeros and is restored exactly; no
/// division by zero, no NaN. `low` and `high` must be finite.
///
/// Keep the returned parameters (e.g. in a tool's metadata, the type is `Codable`) to map network
/// output back to the input's intensity range with `invert`.
public struct IntensityNormalization: Equatable, Sendable, Codable {
    /// The intensity mapped to -1 (the low percentile of the input).
    public var low: Float
    /// The intensity mapped to +1 (the high percentile of the input).
    public var high: Float

    /// Creates a normalization with explicit parameters.
    public init(low: Float, high: Float) {
        self.low = low
        self.high = high
    }

    /// Percentile parameters of `pixels`: `low` = the `lowPercentile`-th and `high` = the
    /// `highPercentile`-th percentile (defaults 1 and 99.8).
    ///
    /// Percentile definition (numpy's default, `method="linear"`): with the `n` finite values
    /// sorted ascending as `v[0] ... v[n-1]` and `h = (n - 1) * p / 100`, the p-th percentile is
    /// `v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] - v[floor(h)])` (just `v[n-1]` when
    /// `floor(h) == n - 1`), evaluated in Double and rounded to Float.
    ///
    /// Rules: NaN and ±infinity are ignored; percentiles are clamped to 0...100 and used in
    /// ascending order. If the two percentiles coincide although the image is not constant (e.g. a
    /// dark image with fewer bright pixels than 100 - highPercentile percent), the minimum and
    /// maximum of the finite values are used instead. A constant image gives `low == high == value`
    /// (see the degenerate map above); an image without finite values gives `low == high == 0`.
    /// Runs in O(n) expected time (selection, not a full sort).
    public static func percentiles(of pixels: [Float], low lowPercentile: Double = 1,
                                   high highPercentile: Double = 99.8) -> IntensityNormalization {
        var values = pixels.filter { $0.isFinite }
        guard !values.isEmpty else { return IntensityNormalization(low: 0, high: 0) }
        let p0 = clampPercentile(min(lowPercentile, highPercentile))
        let p1 = clampPercentile(max(lowPercentile, highPercentile))
        let (lowValue, highValue) = values.withUnsafeMutableBufferPointer { buffer in
            PercentileSelection.twoPercentiles(buffer, p0, p1)
        }
        if highValue > lowValue { return IntensityNormalization(low: lowValue, high: highValue) }
        let minimum = values.min()!
        let maximum = values.max()!
        if maximum > minimum { return IntensityNormalization(low: minimum, high: maximum) }
        return IntensityNormalization(low: minimum, high: minimum)
    }

    /// The p-th percentile (0...100, clamped) of the finite values of `pixels` (numpy's linear
    /// definition, see `percentiles(of:low:high:)`); nil when there is no finite value.
    public static func percentile(_ p: Double, of pixels: [Float]) -> Float? {
        var values = pixels.filter { $0.isFinite }
        guard !values.isEmpty else { return nil }
        let q = clampPercentile(p)
        return values.withUnsafeMutableBufferPointer { PercentileSelection.twoPercentiles($0, q, q).0 }
    }

    private static func clampPercentile(_ p: Double) -> Double {
        p.isNaN ? 50 : min(100, max(0, p))
    }

    /// Whether `high > low` (the linear map is used; otherwise the degenerate shift).
    public var hasRange: Bool { high > low }

    /// Maps one intensity to the normalized scale.
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        hasRange ? (x - low) * (2 / (high - low)) - 1 : x - low
    }

    /// Maps one normalized value back to the intensity scale (inverse of `apply`).
    @inline(__always)
    public func invert(_ y: Float) -> Float {
        hasRange ? (y + 1) * ((high - low) / 2) + low : y + low
    }

    /// Maps intensities to the normalized scale, element-wise.
    public func apply(_ pixels: [Float]) -> [Float] {
        var result = pixels
        apply(to: &result)
        return result
    }

    /// Maps normalized values back to intensities, element-wise.
    public func invert(_ values: [Float]) -> [Float] {
        var result = values
        invert(in: &result)
        return result
    }

    /// In-place `apply`.
    public func apply(to pixels: inout [Float]) {
        let lowValue = low
        if hasRange {
            let scale = 2 / (high - low)
            pixels.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = (buffer[i] - lowValue) * scale - 1 }
            }
        } else {
            pixels.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] -= lowValue }
            }
        }
    }

    /// In-place `invert`.
    public func invert(in values: inout [Float]) {
        let lowValue = low
        if hasRange {
            let scale = (high - low) / 2
            values.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = (buffer[i] + 1) * scale + lowValue }
            }
        } else {
            values.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] += lowValue }
            }
        }
    }

    /// The plane with normalized pixels (`sampleType` becomes `.float32`).
    public func apply(to plane: ImagePlane) -> ImagePlane {
        ImagePlane(width: plane.width, height: plane.height, pixels: apply(plane.pixels), sampleType: .float32)
    }
}

/// Linear-interpolated percentiles by selection (3-way quickselect with median-of-3 pivots and a
/// sort fallback when partitioning degenerates).
enum PercentileSelection {
    /// Percentiles p0 <= p1 of the values in `buffer` (finite, non-empty). Reorders `buffer`.
    static func twoPercentiles(_ buffer: UnsafeMutableBufferPointer<Float>, _ p0: Double, _ p1: Double) -> (Float, Float) {
        let n = buffer.count
        let h0 = Double(n - 1) * p0 / 100
        let h1 = Double(n - 1) * p1 / 100
        let k0 = min(n - 1, Int(h0.rounded(.down)))
        let k1 = min(n - 1, max(k0, Int(h1.rounded(.down))))
        select(buffer, k0, from: 0, to: n)
        let v0 = buffer[k0]
        // After selecting k0 everything right of k0 is >= v0: the next order statistic is their minimum.
        let v0next = k0 + 1 < n ? minimum(buffer, from: k0 + 1, to: n) : v0
        select(buffer, k1, from: k0, to: n)
        let v1 = buffer[k1]
        let v1next = k1 + 1 < n ? minimum(buffer, from: k1 + 1, to: n) : v1
        return (interpolate(v0, v0next, h0 - Double(k0)), interpolate(v1, v1next, h1 - Double(k1)))
    }

    private static func interpolate(_ a: Float, _ b: Float, _ fraction: Double) -> Float {
        if fraction <= 0 || a == b { return a }
        return Float(Double(a) + fraction * (Double(b) - Double(a)))
    }

    private static func minimum(_ buffer: UnsafeMutableBufferPointer<Float>, from start: Int, to end: Int) -> Float {
        var result = buffer[start]
        for i in (start + 1)..<end where buffer[i] < result { result = buffer[i] }
        return result
    }

    /// Rearranges buffer[start..<end] so that buffer[k] holds the value it would have if sorted,
    /// smaller-or-equal values before it and greater-or-equal values after it.
    static func select(_ buffer: UnsafeMutableBufferPointer<Float>, _ k: Int, from start: Int, to end: Int) {
        var lo = start
        var hi = end  // exclusive
        var budget = 2 * (Int.bitWidth - (end - start).leadingZeroBitCount) + 8
        while hi - lo > 16 {
            if budget == 0 {
                var slice = UnsafeMutableBufferPointer(rebasing: buffer[lo..<hi])
                slice.sort()
                return
            }
            budget -= 1
            let a = buffer[lo], b = buffer[lo + (hi - lo) / 2], c = buffer[hi - 1]
            let pivot = max(min(a, b), min(max(a, b), c))
            // Dutch national flag partition: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi) > pivot.
            var lt = lo
            var i = lo
            var gt = hi - 1
            while i <= gt {
                let value = buffer[i]
                if value < pivot {
                    buffer.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if value > pivot {
                    buffer.swapAt(i, gt)
                    gt -= 1
                } else {
                    i += 1
                }
            }
            if k < lt {
                hi = lt
            } else if k > gt {
                lo = gt + 1
            } else {
                return  // buffer[k] == pivot
            }
        }
        var slice = UnsafeMutableBufferPointer(rebasing: buffer[lo..<hi])
        slice.sort()
    }
}
