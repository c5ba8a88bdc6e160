/// How a tool is told an image's nucleus diameter: `--diameter auto|D`.
public enum DiameterSetting: Sendable, Equatable, CustomStringConvertible {
    /// Estimate it from each image (``DiameterEstimator``).
    case auto
    /// The given median nucleus diameter, px of the input image.
    case fixed(Double)

    /// The range of diameters a user may give, px.
    public static let allowedRange: ClosedRange<Double> = 1...2000

    /// Parses `auto` or a number of pixels in ``allowedRange``; nil for anything else (0, negative, NaN,
    /// infinite, absurd or not a number).
    public init?(argument: String) {
        if argument == "auto" { self = .auto; return }
        guard let d = Double(argument), d.isFinite, Self.allowedRange.contains(d) else { return nil }
        self = .fixed(d)
    }

    /// `auto` or the number.
    public var description: String {
        switch self {
        case .auto: "auto"
        case .fixed(let d): "\(d)"
        }
    }
}

/// The diameter a tool works with for one image or stack, and where it came from.
public struct ResolvedDiameter: Sendable, Equatable {
    /// Where ``diameter`` came from.
    public enum Source: String, Sendable, Equatable {
        /// Given with `--diameter D`.
        case given
        /// Estimated from the image.
        case estimated
        /// Measured on instance masks that come with the images (training data).
        case masks
        /// The estimate failed (no contrast or no nuclei): the model's own diameter, so nothing is rescaled.
        case fallback
    }
    /// Median nucleus diameter, px of the input image.
    public var diameter: Double
    /// Where it came from.
    public var source: Source
    /// The estimate, when one was made.
    public var estimate: DiameterEstimate?

    /// Creates a resolved diameter.
    public init(diameter: Double, source: Source, estimate: DiameterEstimate?) {
        self.diameter = diameter
        self.source = source
        self.estimate = estimate
    }

    /// Resolves `setting` for a stack of planes (one plane for a 2-D image): the given diameter, the
    /// estimate from the planes, or, when that fails, `fallback` (a model's own diameter, so the tool
    /// runs at the model's scale unchanged).
    public static func resolve(_ setting: DiameterSetting, planes: [[Float]], width: Int, height: Int,
                               fallback: Double, estimator: DiameterEstimator = DiameterEstimator()) -> ResolvedDiameter {
        switch setting {
        case .fixed(let d):
            return ResolvedDiameter(diameter: d, source: .given, estimate: nil)
        case .auto:
            let e = estimator.estimate(stack: planes, width: width, height: height)
            if let d = e.diameter { return ResolvedDiameter(diameter: d, source: .estimated, estimate: e) }
            return ResolvedDiameter(diameter: fallback, source: .fallback, estimate: e)
        }
    }

    /// `key=value` pairs for an output's metadata (the ImageJ description of a TIFF):
    /// `nucleus_diameter_px`, `nucleus_diameter_source` and, with a model, `model_nucleus_diameter_px`.
    public func annotations(modelDiameter: Double?) -> [(key: String, value: String)] {
        var a: [(key: String, value: String)] = [("nucleus_diameter_px", format(diameter, 2)), ("nucleus_diameter_source", source.rawValue)]
        if let m = modelDiameter { a.append(("model_nucleus_diameter_px", format(m, 2))) }
        return a
    }

    /// One line for stderr, e.g. `nucleus diameter 23.4 px (estimated from 812 objects); rescaled by 0.504 to the model's 11.8 px`.
    public func summary(modelDiameter: Double?) -> String {
        var s = "nucleus diameter " + format(diameter) + " px"
        switch source {
        case .given: s += " (given)"
        case .estimated: s += " (estimated from \(estimate?.objectCount ?? 0) objects)"
        case .masks: s += " (measured on the masks beside the images)"
        case .fallback:
            let why = estimate?.status == .noContrast ? "the image has no contrast" : "too few nuclei stand out (\(estimate?.objectCount ?? 0) objects)"
            s += " (not estimated: \(why); using the model's own)"
        }
        if let m = modelDiameter {
            let mapping = ScaleMapping(imageDiameter: diameter, modelDiameter: m)
            s += mapping.isIdentity ? "; at the model's \(format(m)) px, not rescaled"
                                    : "; rescaled by \(format(mapping.factor, 3)) to the model's \(format(m)) px"
        }
        return s
    }
}

/// Formats a number with `digits` decimals.
func format(_ v: Double, _ digits: Int = 1) -> String {
    guard v.isFinite else { return "\(v)" }
    let p = pow10(digits)
    let r = (v * p).rounded() / p
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        s += "." + String(repeating: "0", count: digits)
    }
    return s
}

private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 10 } }

/// The resampling that brings an image whose nuclei measure ``imageDiameter`` px to a model that works at
/// ``modelDiameter`` px, and back:
///
///     factor = clamp(modelDiameter / imageDiameter, 1/16, 16)
///
/// Sides scale by `factor` (rounded); within ``tolerance`` of 1 the image is used as it is (the models
/// were trained with ±25 % size jitter, and resampling costs a little sharpness). Outputs mapped back
/// always have the input's exact shape.
public struct ScaleMapping: Sendable, Equatable {
    /// Median nucleus diameter in the input image, px.
    public var imageDiameter: Double
    /// The model's nucleus diameter, px.
    public var modelDiameter: Double
    /// Relative scale change below which nothing is resampled.
    public var tolerance: Double

    /// Bounds on the factor.
    public static let factorRange: ClosedRange<Double> = (1.0 / 16)...16

    /// A mapping (diameters > 0; others give the identity).
    public init(imageDiameter: Double, modelDiameter: Double, tolerance: Double = 0.05) {
        self.imageDiameter = imageDiameter
        self.modelDiameter = modelDiameter
        self.tolerance = tolerance
    }

    /// modelDiameter / imageDiameter within ``factorRange`` (1 when either is not a positive number).
    public var factor: Double {
        guard imageDiameter > 0, modelDiameter > 0, imageDiameter.isFinite, modelDiameter.isFinite else { return 1 }
        return min(Self.factorRange.upperBound, max(Self.factorRange.lowerBound, modelDiameter / imageDiameter))
    }

    /// Whether the image is used at its own size.
    public var isIdentity: Bool { abs(factor - 1) <= tolerance }

    /// The size of a `width` × `height` plane at the model's scale.
    public func scaledSize(width: Int, height: Int) -> (width: Int, height: Int) {
        isIdentity ? (width, height) : Resampling.scaledSize(width: width, height: height, factor: factor)
    }

    /// A plane brought to the model's scale: its pixels and size.
    public func toModel(_ pixels: [Float], width: Int, height: Int) -> (pixels: [Float], width: Int, height: Int) {
        let s = scaledSize(width: width, height: height)
        return (Resampling.resample(pixels, width: width, height: height, toWidth: s.width, toHeight: s.height), s.width, s.height)
    }

    /// A plane at the model's scale (`scaledWidth` × `scaledHeight`, from ``scaledSize(width:height:)``)
    /// brought back to the input's `width` × `height`.
    public func fromModel(_ pixels: [Float], scaledWidth: Int, scaledHeight: Int, width: Int, height: Int) -> [Float] {
        Resampling.resample(pixels, width: scaledWidth, height: scaledHeight, toWidth: width, toHeight: height)
    }
}
