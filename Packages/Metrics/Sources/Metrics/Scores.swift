import Foundation
import ImageCore

/// Per-image and per-dataset scores of a segmentation (the paper's Table 2 statistics).
public enum Scores {
    /// Foreground IoU = |S ∩ G| / |S ∪ G|, with S the predicted foreground (label > 0) and G the true
    /// foreground. **Both empty** (nothing to find, nothing found): 1. Only one empty: 0.
    /// Throws ``MetricsError/sizeMismatch(prediction:truth:)`` when the sizes differ.
    public static func foregroundIoU(prediction: LabelImage, truth: LabelImage) throws -> Double {
        try checkSizes(prediction: prediction, truth: truth)
        return try foregroundIoU(prediction: prediction.labels, truth: truth.labels)
    }

    /// Foreground IoU of Z stacks (one label image per slice, in Z order), over voxels: |S ∩ G| / |S ∪ G|
    /// with the same rules as for one image. Throws ``MetricsError/stackMismatch(prediction:truth:)`` when
    /// the slice sizes or counts differ.
    public static func foregroundIoU(prediction: [LabelImage], truth: [LabelImage]) throws -> Double {
        try checkSizes(prediction: prediction, truth: truth)
        return try foregroundIoU(prediction: prediction.flatMap(\.labels), truth: truth.flatMap(\.labels))
    }

    /// Foreground IoU of labels of any dimension as plain arrays (element i of both is the same pixel or
    /// voxel). Throws ``MetricsError/countMismatch(prediction:truth:)`` when the lengths differ.
    public static func foregroundIoU(prediction: [UInt32], truth: [UInt32]) throws -> Double {
        guard prediction.count == truth.count else {
            throw MetricsError.countMismatch(prediction: prediction.count, truth: truth.count)
        }
        var intersection = 0, union = 0
        prediction.withUnsafeBufferPointer { p in
            truth.withUnsafeBufferPointer { g in
                for i in 0..<p.count {
                    let s = p[i] != 0, t = g[i] != 0
                    if s && t { intersection += 1 }
                    if s || t { union += 1 }
                }
            }
        }
        return union == 0 ? 1 : Double(intersection) / Double(union)
    }

    /// The dataset score: the geometric mean exp(mean log IoU) of per-image IoUs. An IoU of 0 (or below
    /// 10⁻⁶) counts as **10⁻⁶**, so one failed image pulls the mean down hard but does not make it 0
    /// (the rule of `scripts/validate_synth.py`). nil for no values.
    public static func geometricMean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return exp(values.map { log(max($0, 1e-6)) }.reduce(0, +) / Double(values.count))
    }

    /// Arithmetic mean; nil for no values.
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Median (the mean of the two middle values for an even count, as `numpy.median`); nil for no values.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// The paper's saliency measure SNR = (m − μ_B) / σ_B: m the largest intensity inside the truth's
    /// nuclei (label > 0), μ_B and σ_B the mean and the population standard deviation (ddof 0) of every
    /// background pixel (label 0). The same definition as `sn-synth`'s manifest. nil when there is no
    /// nucleus pixel, no background pixel, or σ_B = 0. Non-finite intensities are skipped.
    public static func signalToNoise(image: ImagePlane, truth: LabelImage) throws -> Double? {
        guard image.width == truth.width && image.height == truth.height else {
            throw MetricsError.sizeMismatch(prediction: (image.width, image.height), truth: (truth.width, truth.height))
        }
        return signalToNoise(labels: truth.labels) { Double(image.pixels[$0]) }
    }

    /// The paper's SNR (see ``signalToNoise(image:truth:)``) over pixels of any storage: `intensity(i)` is
    /// the intensity of pixel `i` in `0..<labels.count`, `labels[i]` its instance label (0 = background).
    /// Used by `Synthesis` for its manifests, so that both packages share one definition.
    /// Welford's single pass; non-finite intensities are skipped.
    public static func signalToNoise(labels: [UInt32], intensity: (Int) -> Double) -> Double? {
        var maximum = -Double.infinity
        var n = 0.0, mean = 0.0, m2 = 0.0
        for i in labels.indices {
            let v = intensity(i)
            guard v.isFinite else { continue }
            if labels[i] != 0 {
                maximum = max(maximum, v)
            } else {
                n += 1
                let d = v - mean
                mean += d / n
                m2 += d * (v - mean)
            }
        }
        guard maximum.isFinite, n > 0 else { return nil }
        let std = (m2 / n).squareRoot()
        guard std > 0 else { return nil }
        return (maximum - mean) / std
    }

    static func checkSizes(prediction: [LabelImage], truth: [LabelImage]) throws {
        let p = (prediction.first?.width ?? 0, prediction.first?.height ?? 0, prediction.count)
        let t = (truth.first?.width ?? 0, truth.first?.height ?? 0, truth.count)
        let uniform = prediction.allSatisfy { $0.width == p.0 && $0.height == p.1 } && truth.allSatisfy { $0.width == t.0 && $0.height == t.1 }
        guard uniform && p == t else {
            throw MetricsError.stackMismatch(prediction: (p.0, p.1, p.2), truth: (t.0, t.1, t.2))
        }
    }

    static func checkSizes(prediction: LabelImage, truth: LabelImage) throws {
        guard prediction.width == truth.width && prediction.height == truth.height else {
            throw MetricsError.sizeMismatch(prediction: (prediction.width, prediction.height),
                                            truth: (truth.width, truth.height))
        }
    }
}
