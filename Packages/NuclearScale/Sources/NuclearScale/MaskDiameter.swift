/// The nucleus size of instance masks: the quantity ``DiameterEstimator`` estimates, and what model files
/// record as `training.nucleus_diameter`.
public enum MaskDiameter {
    /// Equivalent diameters d = 2√(A/π) of the objects of a label image (0 = background), one per label
    /// present, in increasing label order; A is the pixel count.
    public static func equivalentDiameters(_ labels: [UInt32]) -> [Double] {
        var area: [UInt32: Int] = [:]
        for l in labels where l != 0 { area[l, default: 0] += 1 }
        return area.keys.sorted().map { 2 * (Double(area[$0]!) / Double.pi).squareRoot() }
    }

    /// The median equivalent diameter over the objects of several label images (nil when there are none).
    /// Objects are pooled, so each nucleus counts once whatever image it is in.
    public static func median(_ labelImages: [[UInt32]]) -> Double? {
        median(values: labelImages.flatMap(equivalentDiameters))
    }

    /// The median of `values` (nil when empty).
    public static func median(values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let v = values.sorted()
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}
