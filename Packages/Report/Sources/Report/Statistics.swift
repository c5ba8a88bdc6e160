#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The summary statistics of the report, with defined results on degenerate input: NaN and ±∞ values are
/// left out; an empty list (after that) gives nil.
public enum ReportStatistics {
    /// The IoU that stands in for an IoU of 0 (or less) in the geometric mean, as sn-score's summary row.
    public static let iouFloor = 1e-6

    /// Geometric mean of IoUs, sn-score's definition (`Metrics.Scores.geometricMean`):
    ///
    ///     exp( (1/n) · Σ log(max(IoU_i, 1e-6)) )
    ///
    /// over the n finite values (NaN and ±∞ left out: a missing cell). nil when there is none.
    public static func geometricMeanIoU(_ values: [Double]) -> Double? {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty else { return nil }
        return exp(finite.map { log(max($0, iouFloor)) }.reduce(0, +) / Double(finite.count))
    }

    /// Arithmetic mean `(1/n) Σ x_i` of the finite values; nil when there is none.
    public static func mean(_ values: [Double]) -> Double? {
        let finite = values.filter(\.isFinite)
        return finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
    }

    /// Median of the finite values (the mean of the two middle ones for an even count, as `numpy.median`);
    /// nil when there is none.
    public static func median(_ values: [Double]) -> Double? {
        quantile(0.5, of: values)
    }

    /// The q-quantile (q in [0, 1], clamped) of the finite values, numpy's default (`method="linear"`):
    /// with the n values sorted as v[0] ≤ … ≤ v[n−1] and h = (n − 1)·q,
    ///
    ///     Q(q) = v[⌊h⌋] + (h − ⌊h⌋) · (v[⌊h⌋ + 1] − v[⌊h⌋])      (v[n−1] when ⌊h⌋ = n − 1)
    ///
    /// nil when there is no finite value; the value itself for one.
    public static func quantile(_ q: Double, of values: [Double]) -> Double? {
        let sorted = values.filter(\.isFinite).sorted()
        return quantile(q, ofSorted: sorted)
    }

    /// ``quantile(_:of:)`` of values already sorted ascending and finite.
    static func quantile(_ q: Double, ofSorted sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let qq = q.isNaN ? 0.5 : min(max(q, 0), 1)
        let h = Double(sorted.count - 1) * qq
        let i = Int(h.rounded(.down))
        if i >= sorted.count - 1 { return sorted[sorted.count - 1] }
        return sorted[i] + (h - Double(i)) * (sorted[i + 1] - sorted[i])
    }

    /// Round axis ticks covering [low, high]: multiples of a step 1, 2 or 5 × 10^k chosen so that about
    /// `count` ticks fall in the range; the first tick is ≤ low and the last ≥ high.
    ///
    /// Degenerate input: non-finite bounds give [0, 1]'s ticks; low = high gives ticks around the value
    /// (range widened by max(|value|·0.1, 1) on each side); low > high are swapped. `count` below 2 counts as 2.
    public static func niceTicks(low: Double, high: Double, count: Int = 5) -> [Double] {
        var lo = low, hi = high
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
        if lo > hi { swap(&lo, &hi) }
        if lo == hi {
            let pad = max(abs(lo) * 0.1, 1)
            lo -= pad; hi += pad
        }
        let raw = (hi - lo) / Double(max(count, 2) - 1)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let residual = raw / magnitude
        let step = (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        guard last - first < 1000 else { return [lo, hi] }
        return stride(from: first, through: last, by: 1).map { ($0 * step * 1e12).rounded() / 1e12 }
    }
}

/// Tukey box-plot statistics of a sample (`matplotlib.boxplot`'s defaults): quartiles by numpy's linear
/// quantile (``ReportStatistics/quantile(_:of:)``), whiskers at the most extreme values within 1.5 IQR of the box
/// (never inside the box), the values beyond them as outliers.
///
///     IQR = Q3 − Q1
///     lower whisker = min( min{ x : x ≥ Q1 − 1.5·IQR }, Q1 ),  upper whisker = max( max{ x : x ≤ Q3 + 1.5·IQR }, Q3 )
///     outliers = { x : x < lower whisker or x > upper whisker }
///
/// (The `min`/`max` with the quartile matter when the only values near a quartile lie beyond the fence, e.g.
/// 0, 0, 10, 100: Q3 = 32.5, the largest value within the fence is 10, so the whisker stays at Q3, as matplotlib's.)
/// NaN and ±∞ are left out (counted in ``excluded``). One value gives a box of zero height at it.
public struct BoxStatistics: Equatable, Sendable {
    /// The number of finite values.
    public var count: Int
    /// The number of values left out (NaN, ±∞).
    public var excluded: Int
    /// First quartile Q1 (the 0.25-quantile).
    public var q1: Double
    /// Median (the 0.5-quantile).
    public var median: Double
    /// Third quartile Q3 (the 0.75-quantile).
    public var q3: Double
    /// The smallest value ≥ Q1 − 1.5·IQR, or Q1 when that is larger.
    public var lowerWhisker: Double
    /// The largest value ≤ Q3 + 1.5·IQR, or Q3 when that is smaller.
    public var upperWhisker: Double
    /// The values outside the whiskers, ascending.
    public var outliers: [Double]
    /// The smallest and largest finite value.
    public var minimum: Double, maximum: Double

    /// The statistics of `values`; nil when none is finite.
    public init?(_ values: [Double]) {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        count = sorted.count
        excluded = values.count - sorted.count
        q1 = ReportStatistics.quantile(0.25, ofSorted: sorted)!
        median = ReportStatistics.quantile(0.5, ofSorted: sorted)!
        q3 = ReportStatistics.quantile(0.75, ofSorted: sorted)!
        let iqr = q3 - q1
        let lowFence = q1 - 1.5 * iqr, highFence = q3 + 1.5 * iqr
        lowerWhisker = min(sorted.first { $0 >= lowFence } ?? q1, q1)
        upperWhisker = max(sorted.last { $0 <= highFence } ?? q3, q3)
        let (lw, uw) = (lowerWhisker, upperWhisker)
        outliers = sorted.filter { $0 < lw || $0 > uw }
        minimum = sorted[0]
        maximum = sorted[sorted.count - 1]
    }
}
