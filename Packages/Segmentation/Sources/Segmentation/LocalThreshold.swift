import ImageCore

/// The adaptive (local) threshold: a pixel is foreground when it is brighter than the **mean of its
/// block × block neighbourhood** plus a margin.
///
///     T(x) = mean_{block}(I)(x) − offset,      foreground: I(x) > T(x)
///
/// This is scikit-image's `threshold_local(image, block_size, method="mean", offset, mode="reflect")`:
/// the mean is an unweighted box filter of odd side `blockSize` centred on the pixel, with the image
/// mirrored at its borders (`scipy.ndimage` "reflect": d c b a | a b c d | d c b a), accumulated in
/// Float64. Note scikit-image's sign: the offset is *subtracted*, so bright nuclei on a dark background
/// need a negative offset (a threshold above the local mean).
///
/// Nuclei images differ in exposure by orders of magnitude, so a fixed absolute offset is not a fixed
/// parameter. ``contrast`` expresses the margin relative to the image's intensity range instead:
///
///     offset = −contrast · (p99.8 − p1)        (percentiles as ``IntensityNormalization/percentiles(of:low:high:)``)
///
/// Defaults: a 51-px block (about four nucleus diameters, so that a block over a nucleus also holds
/// background) and `contrast` 0.15, the best foreground IoU on a validation set of 100 target-style
/// images (`sn-synth --style target --count 100 --seed 5`; see docs/segmentation.md).
public struct LocalMeanThreshold: Sendable, Equatable {
    /// Side of the square neighbourhood, px: odd, ≥ 3.
    public var blockSize: Int
    /// Margin above the local mean as a fraction of the image's 1–99.8 % percentile range.
    public var contrast: Float

    /// A local-mean threshold; `blockSize` must be odd and ≥ 3.
    public init(blockSize: Int = 51, contrast: Float = 0.15) {
        precondition(blockSize >= 3 && blockSize % 2 == 1, "LocalMeanThreshold: block size must be odd and >= 3, got \(blockSize)")
        self.blockSize = blockSize
        self.contrast = contrast
    }

    /// The absolute offset for `plane`: −contrast · (p99.8 − p1).
    public func offset(for plane: ImagePlane) -> Float {
        let n = IntensityNormalization.percentiles(of: plane.pixels)
        return -contrast * (n.high - n.low)
    }

    /// The foreground of `plane`: pixel > local mean − ``offset(for:)``.
    public func foreground(_ plane: ImagePlane) -> BinaryMask {
        let t = Self.thresholdImage(plane.pixels, width: plane.width, height: plane.height,
                                    blockSize: blockSize, offset: offset(for: plane))
        var mask = BinaryMask(width: plane.width, height: plane.height)
        for i in plane.pixels.indices where plane.pixels[i] > t[i] { mask.pixels[i] = 1 }
        return mask
    }

    /// The threshold image T = box mean (odd side `blockSize`, mirrored borders) − `offset`, as
    /// scikit-image's `threshold_local(..., method="mean", offset=offset, mode="reflect")`. Separable
    /// running sums in Float64: O(width · height) whatever the block size. Non-finite pixels count as 0.
    public static func thresholdImage(_ pixels: [Float], width: Int, height: Int, blockSize: Int, offset: Float) -> [Float] {
        precondition(pixels.count == width * height && blockSize >= 1 && blockSize % 2 == 1)
        guard width > 0 && height > 0 else { return [] }
        let r = blockSize / 2
        // Rows: horizontal box sums into `rows`.
        var rows = [Double](repeating: 0, count: width * height)
        var line = [Double](repeating: 0, count: width + 2 * r)
        for y in 0..<height {
            for i in 0..<(width + 2 * r) {
                let v = pixels[y * width + mirror(i - r, width)]
                line[i] = v.isFinite ? Double(v) : 0
            }
            var s = 0.0
            for i in 0..<blockSize { s += line[i] }
            rows[y * width] = s
            if width > 1 {
                for x in 1..<width {
                    s += line[x + blockSize - 1] - line[x - 1]
                    rows[y * width + x] = s
                }
            }
        }
        // Columns: vertical box sums of the row sums.
        var out = [Float](repeating: 0, count: width * height)
        let area = Double(blockSize * blockSize)
        var column = [Double](repeating: 0, count: height + 2 * r)
        for x in 0..<width {
            for i in 0..<(height + 2 * r) { column[i] = rows[mirror(i - r, height) * width + x] }
            var s = 0.0
            for i in 0..<blockSize { s += column[i] }
            out[x] = Float(s / area - Double(offset))
            if height > 1 {
                for y in 1..<height {
                    s += column[y + blockSize - 1] - column[y - 1]
                    out[y * width + x] = Float(s / area - Double(offset))
                }
            }
        }
        return out
    }

    /// `scipy.ndimage` "reflect" index: … 1 0 | 0 1 … n−1 | n−1 n−2 …, periodic with period 2n.
    @inline(__always)
    static func mirror(_ i: Int, _ n: Int) -> Int {
        var m = i % (2 * n)
        if m < 0 { m += 2 * n }
        return m < n ? m : 2 * n - 1 - m
    }
}
