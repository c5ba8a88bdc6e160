import Foundation
import MicroscopyIO
import NuclearScale

/// The nucleus diameters of a training domain, and bringing a domain to another diameter.
///
/// sn-train brings both domains to the **target** domain's diameter, the scale G and F then work at, and
/// records it in every model file as `training.nucleus_diameter` (tools rescale each image to it). A
/// domain's diameter is given (`--source-diameter D`, `--target-diameter D`) or, with `auto`, measured:
/// - where the images come with masks (a folder with `images/` and `masks/` of the same names, as sn-synth
///   writes), the median equivalent diameter of all the masks, one diameter for the domain;
/// - else **per file**: the median of ``NuclearScale/DiameterEstimator`` estimates over up to
///   ``estimatedPlanesPerFile`` evenly spaced planes of each file, as sn-enhance estimates each image it
///   enhances. A user's folder may mix magnifications (or crops rendered at 1× and 2×); one diameter for
///   all would shrink the small nuclei and leave the large ones large. A file where no nuclei stand out
///   takes the median of the other files.
public enum DomainScale {
    /// Planes of each file that `auto` estimates from (evenly spaced).
    public static let estimatedPlanesPerFile = 3

    /// The domain's nucleus diameters, or nil when `auto` finds neither masks nor nuclei.
    /// - Throws: ``TrainingError`` naming the file when a mask cannot be read.
    public static func resolve(_ setting: DiameterSetting, domain: ImageDomain, files: [String], name: String) throws -> DomainDiameters? {
        let n = domain.slices.count
        if case .fixed(let d) = setting {
            return DomainDiameters(domain: ResolvedDiameter(diameter: d, source: .given, estimate: nil), planes: Array(repeating: d, count: n))
        }
        if let d = try maskDiameter(files: files) {
            return DomainDiameters(domain: ResolvedDiameter(diameter: d, source: .masks, estimate: nil), planes: Array(repeating: d, count: n))
        }
        // The planes of each file, in order (ImageDomain.load keeps a file's planes together).
        var groups: [[Int]] = []
        for (i, s) in domain.slices.enumerated() {
            if let last = groups.last?.last, domain.slices[last].file == s.file { groups[groups.count - 1].append(i) } else { groups.append([i]) }
        }
        let estimator = DiameterEstimator()
        var fileDiameters: [Double?] = []
        var objects = 0
        for group in groups {
            let k = min(group.count, estimatedPlanesPerFile)
            let chosen = Set((0..<k).map { k == 1 ? group[0] : group[$0 * (group.count - 1) / (k - 1)] }).sorted()
            var estimates: [Double] = []
            for i in chosen {
                let s = domain.slices[i]
                let e = estimator.estimate(s.pixels, width: s.width, height: s.height)
                if let d = e.diameter { estimates.append(d); objects += e.objectCount }
            }
            fileDiameters.append(MaskDiameter.median(values: estimates))
        }
        guard let median = MaskDiameter.median(values: fileDiameters.compactMap { $0 }) else { return nil }
        var planes = Array(repeating: median, count: n)
        for (group, d) in zip(groups, fileDiameters) { for i in group { planes[i] = d ?? median } }
        return DomainDiameters(domain: ResolvedDiameter(diameter: median, source: .estimated,
                                                        estimate: DiameterEstimate(diameter: median, objectCount: objects, status: .measured)),
                               planes: planes)
    }

    /// The median equivalent diameter over the masks of `files` when every file is `…/images/NAME` with a
    /// `…/masks/NAME` beside it; nil otherwise.
    static func maskDiameter(files: [String]) throws -> Double? {
        var labels: [[UInt32]] = []
        for path in files {
            let folder = (path as NSString).deletingLastPathComponent
            guard (folder as NSString).lastPathComponent == "images" else { return nil }
            let mask = (((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("masks") as NSString)
                .appendingPathComponent((path as NSString).lastPathComponent)
            guard FileManager.default.fileExists(atPath: mask) else { return nil }
            do {
                let file = try ImageFile(path: mask)
                for t in 0..<file.dimensions.sizeT {
                    for z in 0..<file.dimensions.sizeZ { labels.append(try file.labels(z: z, t: t).labels) }
                }
            } catch {
                throw TrainingError.data("\(error)")
            }
        }
        return MaskDiameter.median(labels)
    }
}

/// A training domain's nucleus diameters: the domain's median (recorded in model files) and each plane's
/// (what the plane is rescaled from).
public struct DomainDiameters: Sendable, Equatable {
    /// The domain's median diameter and where it came from.
    public var domain: ResolvedDiameter
    /// Each plane's diameter, px, in the order of ``ImageDomain/slices``.
    public var planes: [Double]

    /// Creates the diameters.
    public init(domain: ResolvedDiameter, planes: [Double]) {
        self.domain = domain
        self.planes = planes
    }

    /// The smallest and largest plane diameters, or nil when every plane has the domain's.
    public var spread: ClosedRange<Double>? {
        guard let lo = planes.min(), let hi = planes.max(), lo < hi else { return nil }
        return lo...hi
    }

    /// One line for a diagnostic: ``ResolvedDiameter/summary(modelDiameter:)``, and the per-file spread when
    /// the planes differ.
    public func summary(modelDiameter: Double?) -> String {
        guard let spread else { return domain.summary(modelDiameter: modelDiameter) }
        let text = domain.summary(modelDiameter: nil) + String(format: "; per file %.1f–%.1f px", spread.lowerBound, spread.upperBound)
        return text + (modelDiameter.map { String(format: ", each file rescaled to the model's %.1f px", $0) } ?? "")
    }
}

extension NormalizedSlice {
    /// The file the plane came from: ``origin`` without its ` [z Z, t T]` suffix.
    public var file: String {
        guard let r = origin.range(of: " [z ", options: .backwards), origin.hasSuffix("]") else { return origin }
        return String(origin[..<r.lowerBound])
    }
}

extension ImageDomain {
    /// The domain with plane `i` resampled by `mappings[i]`; planes smaller than `minimumSide` afterwards
    /// are an error naming them. - Precondition: one mapping per plane.
    public func rescaled(_ mappings: [ScaleMapping], minimumSide: Int) throws -> ImageDomain {
        precondition(mappings.count == slices.count, "ImageDomain.rescaled: \(mappings.count) mappings for \(slices.count) planes")
        return ImageDomain(slices: try zip(slices, mappings).map { s, mapping in
            let r = mapping.isIdentity ? (pixels: s.pixels, width: s.width, height: s.height)
                                       : mapping.toModel(s.pixels, width: s.width, height: s.height)
            guard r.width >= minimumSide && r.height >= minimumSide else {
                throw TrainingError.data(mapping.isIdentity
                    ? "\(s.origin): \(s.width)x\(s.height) is smaller than the \(minimumSide) px crop"
                    : "\(s.origin): \(r.width)x\(r.height) after rescaling by \(mapping.factor) to the model's nucleus diameter, smaller than the \(minimumSide) px crop")
            }
            return NormalizedSlice(origin: s.origin, width: r.width, height: r.height, pixels: r.pixels)
        })
    }
}
