import CycleGAN
import Foundation
import Metrics
import MicroscopyIO
import NN
import NuclearScale
import Segmentation
import TensorCore

/// A validation image with its known nuclei (a synthetic source-style image and its instance mask).
public struct ValidationImage: Sendable {
    /// The file.
    public var path: String
    /// The raw plane (intensities) and its normalized values.
    public var raw: ImagePlane
    public var normalized: [Float]
    /// Instance labels.
    public var truth: LabelImage
    /// Otsu foreground IoU of the raw image and 8-connected component counts of the raw Otsu mask and of
    /// the truth foreground (computed once).
    public var rawIoU: Double
    public var rawCount: Int
    public var truthCount: Int
}

/// What one evaluation of G on the validation images gives (paper §4: the enhanced image must
/// segment well with fixed-parameter Otsu, and must neither erase nor invent nuclei).
public struct ValidationScores: Sendable, Equatable {
    /// Images evaluated.
    public var images: Int
    /// Geometric mean over images of the Otsu foreground IoU of the raw and of the enhanced images.
    public var rawIoU: Double
    public var enhancedIoU: Double
    /// Nuclei counted as the 8-connected components of a foreground, summed over the images: of the truth
    /// mask, of Otsu on the raw images, of Otsu on the enhanced images.
    public var truthCount: Int
    public var rawCount: Int
    public var enhancedCount: Int
    /// Truth nuclei of which less than half the area is foreground after enhancement (erased), as a
    /// fraction of all truth nuclei.
    public var missedFraction: Double
    /// Enhanced-image components that touch no truth nucleus (invented), as a fraction of the truth count.
    public var inventedFraction: Double

    /// `(enhancedCount − truthCount) / truthCount`: how far the nucleus count after enhancement departs
    /// from the count of the known nuclei (components of the truth foreground, so that touching nuclei
    /// count once in both).
    public var countChange: Double { truthCount > 0 ? Double(enhancedCount - truthCount) / Double(truthCount) : 0 }

    /// The model-selection score: `enhancedIoU − |countChange| − missedFraction − inventedFraction`
    /// (higher is better): a generator that segments well but erases or invents nuclei loses.
    public var score: Double { enhancedIoU - abs(countChange) - missedFraction - inventedFraction }
}

/// Validation of a generator on images with known nuclei.
public enum Validation {
    /// Loads `images/NAME` and `masks/NAME` pairs of `folder` (sn-synth's layout), at most `limit` (0 = all).
    /// With `modelDiameter`, images and masks are resampled (masks by nearest neighbour) so that the
    /// masks' median equivalent diameter, over all loaded masks, matches it.
    /// - Throws: ``TrainingError`` naming the file.
    public static func load(folder: String, limit: Int, low: Double = 1, high: Double = 99.8,
                            modelDiameter: Double? = nil) throws -> [ValidationImage] {
        let imageFolder = (folder as NSString).appendingPathComponent("images")
        let maskFolder = (folder as NSString).appendingPathComponent("masks")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: imageFolder) else {
            throw TrainingError.data("\(folder): no images/ folder (expected images/NAME.tif and masks/NAME.tif, as sn-synth writes)")
        }
        var selected = names.filter { $0.hasSuffix(".tif") || $0.hasSuffix(".tiff") || $0.hasSuffix(".png") }.sorted()
        if limit > 0 { selected = Array(selected.prefix(limit)) }
        guard !selected.isEmpty else { throw TrainingError.data("\(imageFolder): no image found") }
        let pairs: [(path: String, raw: ImagePlane, truth: LabelImage)] = try selected.map { name in
            let path = (imageFolder as NSString).appendingPathComponent(name)
            let maskPath = (maskFolder as NSString).appendingPathComponent(name)
            do {
                let raw = try readImage(path)
                let truth = try readLabels(maskPath)
                guard truth.width == raw.width && truth.height == raw.height else {
                    throw TrainingError.data("\(maskPath): \(truth.width)x\(truth.height) mask for a \(raw.width)x\(raw.height) image")
                }
                return (path, raw, truth)
            } catch let error as TrainingError {
                throw error
            } catch {
                throw TrainingError.data("\(error)")
            }
        }
        var mapping = ScaleMapping(imageDiameter: 1, modelDiameter: 1)
        if let modelDiameter, let d = MaskDiameter.median(pairs.map(\.truth.labels)) {
            mapping = ScaleMapping(imageDiameter: d, modelDiameter: modelDiameter)
        }
        return try pairs.map { pair in
            let path = pair.path
            var raw = pair.raw, truth = pair.truth
            if !mapping.isIdentity {
                let r = mapping.toModel(raw.pixels, width: raw.width, height: raw.height)
                raw = ImagePlane(width: r.width, height: r.height, pixels: r.pixels, sampleType: .float32)
                truth = LabelImage(width: r.width, height: r.height,
                                   labels: Resampling.resampleLabels(truth.labels, width: truth.width, height: truth.height,
                                                                     toWidth: r.width, toHeight: r.height))
            }
            do {
                let n = IntensityNormalization.percentiles(of: raw.pixels, low: low, high: high)
                let rawLabels = ConnectedComponents.label(raw, above: Otsu.threshold(raw))
                return ValidationImage(path: path, raw: raw, normalized: n.apply(raw.pixels).map { $0.isFinite ? $0 : 0 },
                                       truth: truth, rawIoU: try Scores.foregroundIoU(prediction: rawLabels, truth: truth),
                                       rawCount: ConnectedComponents.count(rawLabels),
                                       truthCount: ConnectedComponents.count(ConnectedComponents.label(BinaryMask(truth))))
            } catch let error as TrainingError {
                throw error
            } catch {
                throw TrainingError.data("\(error)")
            }
        }
    }

    /// Scores `generator` (G: X → Y) on `images`: each normalized image goes through G whole, then global
    /// Otsu and 8-connected labelling on the output (float32, 256 bins).
    public static func evaluate(_ generator: ResNetGenerator, on images: [ValidationImage]) -> ValidationScores {
        var enhancedIoUs: [Double] = [], rawIoUs: [Double] = []
        var truthCount = 0, rawCount = 0, enhancedCount = 0, truthNuclei = 0, missed = 0, invented = 0
        for v in images {
            let out = applyWhole(generator, v.normalized, width: v.raw.width, height: v.raw.height)
            let plane = ImagePlane(width: v.raw.width, height: v.raw.height, pixels: out)
            let labels = ConnectedComponents.label(plane, above: Otsu.threshold(plane))
            enhancedIoUs.append((try? Scores.foregroundIoU(prediction: labels, truth: v.truth)) ?? 0)
            rawIoUs.append(v.rawIoU)
            truthCount += v.truthCount
            rawCount += v.rawCount
            enhancedCount += ConnectedComponents.count(labels)
            let e = erasedAndInvented(enhanced: labels, truth: v.truth)
            truthNuclei += e.truthNuclei
            missed += e.missed
            invented += e.invented
        }
        return ValidationScores(images: images.count, rawIoU: Scores.geometricMean(rawIoUs) ?? 0,
                                enhancedIoU: Scores.geometricMean(enhancedIoUs) ?? 0, truthCount: truthCount,
                                rawCount: rawCount, enhancedCount: enhancedCount,
                                missedFraction: truthNuclei > 0 ? Double(missed) / Double(truthNuclei) : 0,
                                inventedFraction: truthCount > 0 ? Double(invented) / Double(truthCount) : 0)
    }

    /// Truth nuclei (instances) of which less than half the pixels are foreground in `enhanced` (missed),
    /// and components of `enhanced` with no truth pixel (invented): Metrics' ``NucleusCounts``.
    public static func erasedAndInvented(enhanced: LabelImage, truth: LabelImage) -> (truthNuclei: Int, missed: Int, invented: Int) {
        // One size by construction (the validation image and its mask); a mismatch counts nothing.
        guard let c = try? NucleusCounts.of(prediction: enhanced.labels, truth: truth.labels) else { return (0, 0, 0) }
        return (c.truthNuclei, c.missed, c.invented)
    }

    /// G on one normalized plane as a whole: reflection-padded at the bottom and right to multiples of 4,
    /// then cropped back.
    static func applyWhole(_ generator: ResNetGenerator, _ pixels: [Float], width: Int, height: Int) -> [Float] {
        let (pw, ph) = ((width + 3) / 4 * 4, (height + 3) / 4 * 4)
        func reflect(_ i: Int, _ n: Int) -> Int { i < n ? i : max(0, 2 * (n - 1) - i) }
        var padded = [Float](repeating: 0, count: pw * ph)
        for y in 0..<ph { for x in 0..<pw { padded[y * pw + x] = pixels[reflect(y, height) * width + reflect(x, width)] } }
        let out = generator(Variable(Tensor(shape: [1, 1, ph, pw], scalars: padded))).value.scalars
        var cropped = [Float](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { cropped[y * width + x] = out[y * pw + x] } }
        return cropped
    }
}
