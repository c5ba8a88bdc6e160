import Foundation
import MicroscopyIO
import NuclearScale

/// The nucleus diameter of a training domain, and bringing a domain to another diameter.
///
/// sn-train brings both domains to the **target** domain's diameter, the scale G and F then work at, and
/// records it in every model file as `training.nucleus_diameter` (tools rescale each image to it). A
/// domain's diameter is given (`--source-diameter D`, `--target-diameter D`) or, with `auto`, measured:
/// the median equivalent diameter of its masks where the images come with them (a folder with `images/`
/// and `masks/` of the same names, as sn-synth writes), else the median of
/// ``NuclearScale/DiameterEstimator`` estimates over up to ``estimatedPlanes`` evenly spaced planes.
public enum DomainScale {
    /// Planes of a domain that `auto` estimates from (evenly spaced).
    public static let estimatedPlanes = 16

    /// The domain's median nucleus diameter, px, or nil when `auto` finds neither masks nor nuclei.
    /// - Throws: ``TrainingError`` naming the file when a mask cannot be read.
    public static func resolve(_ setting: DiameterSetting, domain: ImageDomain, files: [String], name: String) throws -> ResolvedDiameter? {
        if case .fixed(let d) = setting { return ResolvedDiameter(diameter: d, source: .given, estimate: nil) }
        if let d = try maskDiameter(files: files) {
            return ResolvedDiameter(diameter: d, source: .masks, estimate: nil)
        }
        let n = min(domain.slices.count, estimatedPlanes)
        let chosen = (0..<n).map { n == 1 ? 0 : $0 * (domain.slices.count - 1) / (n - 1) }
        let estimator = DiameterEstimator()
        var estimates: [Double] = []
        var objects = 0
        for i in Set(chosen).sorted() {
            let s = domain.slices[i]
            let e = estimator.estimate(s.pixels, width: s.width, height: s.height)
            if let d = e.diameter { estimates.append(d); objects += e.objectCount }
        }
        guard let median = MaskDiameter.median(values: estimates) else { return nil }
        return ResolvedDiameter(diameter: median, source: .estimated,
                                estimate: DiameterEstimate(diameter: median, objectCount: objects, status: .measured))
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

extension ImageDomain {
    /// The domain with every plane resampled by `mapping` (to the model's diameter); planes smaller than
    /// `minimumSide` afterwards are an error naming them.
    public func rescaled(_ mapping: ScaleMapping, minimumSide: Int) throws -> ImageDomain {
        ImageDomain(slices: try slices.map { s in
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
