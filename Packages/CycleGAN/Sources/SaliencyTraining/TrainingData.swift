import Foundation
import MicroscopyIO
import NuclearScale
import TensorCore

/// One image plane normalized for the networks: per-image percentiles → [−1, 1]
/// (``ImageCore/IntensityNormalization``: the low percentile maps to −1, the high one to 1, no clipping).
public struct NormalizedSlice: Sendable {
    /// Where it came from: the file, and for stacks ` [z Z, t T]`.
    public var origin: String
    /// Columns, rows.
    public var width: Int, height: Int
    /// `height × width` values, row-major.
    public var pixels: [Float]
}

/// A set of unpaired training images (one domain, X or Y): every Z/T plane of one channel of every
/// file, each normalized on its own.
public struct ImageDomain: Sendable {
    /// The planes.
    public var slices: [NormalizedSlice]

    /// The image files of `path`: a folder (its `.tif`, `.tiff`, `.png` files, sorted by name; an `images/`
    /// subfolder is used when the folder has one, as sn-synth writes them), an image file, or a text file
    /// listing one path a line (relative paths are relative to the list's folder; blank lines and lines
    /// starting with `#` are skipped).
    /// - Throws: ``TrainingError`` naming `path` when it is missing, unreadable or lists no image.
    public static func imageFiles(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TrainingError.data("\(path): no such file or folder")
        }
        let extensions = ["tif", "tiff", "png"]
        func isImage(_ name: String) -> Bool { extensions.contains((name as NSString).pathExtension.lowercased()) }
        var files: [String]
        if isDirectory.boolValue {
            var folder = path
            var sub: ObjCBool = false
            if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("images"), isDirectory: &sub), sub.boolValue {
                folder = (path as NSString).appendingPathComponent("images")
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            files = names.filter(isImage).sorted().map { (folder as NSString).appendingPathComponent($0) }
        } else if isImage(path) {
            files = [path]
        } else {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw TrainingError.data("\(path): not an image and not a readable text list of image paths")
            }
            let base = (path as NSString).deletingLastPathComponent
            files = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
                .map { $0.hasPrefix("/") || base.isEmpty ? $0 : (base as NSString).appendingPathComponent($0) }
        }
        guard !files.isEmpty else { throw TrainingError.data("\(path): no .tif, .tiff or .png image found") }
        return files
    }

    /// Loads every plane of `channel` of `files` (2-D images, Z and T stacks of any bit depth), normalized
    /// with the percentiles `low`, `high`, keeping at most `limit` planes (0 = all).
    /// - Throws: ``TrainingError`` naming the file for unreadable images, a missing channel, or a plane
    ///   smaller than `minimumSide` in either direction.
    public static func load(files: [String], channel: Int = 0, low: Double = 1, high: Double = 99.8,
                            minimumSide: Int, limit: Int = 0) throws -> ImageDomain {
        var slices: [NormalizedSlice] = []
        outer: for path in files {
            do {
                let file = try ImageFile(path: path)
                let d = file.dimensions
                guard channel < d.sizeC else {
                    throw TrainingError.data("\(path): channel \(channel) requested, the image has \(d.sizeC)")
                }
                guard d.width >= minimumSide && d.height >= minimumSide else {
                    throw TrainingError.data("\(path): \(d.width)x\(d.height) is smaller than the \(minimumSide) px crop")
                }
                for t in 0..<d.sizeT {
                    for z in 0..<d.sizeZ {
                        let plane = try file.plane(channel: channel, z: z, t: t)
                        let n = IntensityNormalization.percentiles(of: plane.pixels, low: low, high: high)
                        let origin = d.sizeZ * d.sizeT > 1 ? "\(path) [z \(z), t \(t)]" : path
                        slices.append(NormalizedSlice(origin: origin, width: plane.width, height: plane.height,
                                                      pixels: n.apply(plane.pixels).map { $0.isFinite ? $0 : 0 }))
                        if limit > 0 && slices.count >= limit { break outer }
                    }
                }
            } catch let error as TrainingError {
                throw error
            } catch {
                throw TrainingError.data("\(error)")
            }
        }
        return ImageDomain(slices: slices)
    }

    /// A batch `[N, 1, c, c]` of random augmented crops: for each item, a uniformly chosen plane, a
    /// uniformly placed `c × c` window, and one of the 8 symmetries of the square (a rotation by
    /// 0/90/180/270° and an optional horizontal flip, which together give the vertical flip too).
    /// With `scaleJitter` j > 0 the window's side is `c · s` instead (s log-uniform in [1/(1+j), 1+j],
    /// drawn before the symmetry; at most the plane's shorter side), resampled to `c × c` by
    /// NuclearScale's anti-aliased ``NuclearScale/Resampling``: nuclei vary in size by up to ±j around the
    /// domain's diameter. Every choice comes from `random`, so a batch is a pure function of the
    /// generator's state (j = 0 draws exactly what it always drew).
    ///
    /// With `downsample` D > 1, each crop, with probability ½, loses resolution
    /// as an image of nuclei r× smaller than the model's does in the tools: it is shrunk to round(c / r)
    /// px (anti-aliased) and enlarged back to c (interpolated), both by ``NuclearScale/Resampling``, the
    /// chain sn-enhance applies to a plane whose nuclei are r× below the model's diameter; r is
    /// log-uniform in [1, D]. So G also learns the softer planes of small-nucleus images (D = 1 draws
    /// exactly what it always drew). With `downsampleMinimum` m > 1 (a model for small nuclei only),
    /// every crop is softened, with r log-uniform in [m, D].
    public func batch(count: Int, crop c: Int, scaleJitter: Double = 0, downsample: Double = 1,
                      downsampleMinimum: Double = 1, random: inout PhiloxGenerator) -> Tensor {
        precondition(!slices.isEmpty, "ImageDomain.batch: no images")
        precondition(scaleJitter >= 0 && scaleJitter < 1, "ImageDomain.batch: scale jitter must be in [0, 1)")
        precondition(downsample >= 1 && downsample <= Self.maximumDownsample, "ImageDomain.batch: downsample must be in [1, \(Self.maximumDownsample)]")
        precondition(downsampleMinimum >= 1 && downsampleMinimum <= downsample, "ImageDomain.batch: downsampleMinimum must be in [1, downsample]")
        var out = [Float](repeating: 0, count: count * c * c)
        for item in 0..<count {
            let s = slices[Int.random(in: 0..<slices.count, using: &random)]
            var side = c
            if scaleJitter > 0 {
                let range = log(1 + scaleJitter)
                let factor = exp(Double.random(in: -range...range, using: &random))
                side = min(min(s.width, s.height), max(4, Int((Double(c) * factor).rounded())))
            }
            let y0 = Int.random(in: 0...(s.height - side), using: &random)
            let x0 = Int.random(in: 0...(s.width - side), using: &random)
            let symmetry = Int.random(in: 0..<8, using: &random)
            // The window, brought to c × c (resample returns it unchanged when side == c).
            var raw = [Float](repeating: 0, count: side * side)
            for yy in 0..<side { for xx in 0..<side { raw[yy * side + xx] = s.pixels[(y0 + yy) * s.width + x0 + xx] } }
            var window = Resampling.resample(raw, width: side, height: side, toWidth: c, toHeight: c)
            if downsample > 1 && (downsampleMinimum > 1 || Bool.random(using: &random)) {
                let r = exp(Double.random(in: log(downsampleMinimum)...log(downsample), using: &random))
                window = Self.softened(window, side: c, factor: r)
            }
            out.withUnsafeMutableBufferPointer { buffer in
                let base = item * c * c
                for yy in 0..<c {
                    for xx in 0..<c {
                        // Output (yy, xx) reads the window at the transformed position.
                        let (sy, sx) = Self.symmetric(yy, xx, side: c, symmetry: symmetry)
                        buffer[base + yy * c + xx] = window[sy * c + sx]
                    }
                }
            }
        }
        return Tensor(shape: [count, 1, c, c], scalars: out)
    }

    /// The largest `downsample` factor of ``batch(count:crop:scaleJitter:downsample:random:)``.
    public static let maximumDownsample = 4.0

    /// A `side × side` plane shrunk by `factor` (to max(4, round(side / factor)) px, anti-aliased) and
    /// enlarged back to `side × side` (interpolated): the resolution an image of nuclei `factor`× smaller
    /// keeps through sn-enhance's rescaling. The identity when the shrunk side equals `side`.
    public static func softened(_ plane: [Float], side: Int, factor: Double) -> [Float] {
        let small = max(4, Int((Double(side) / factor).rounded()))
        guard small < side else { return plane }
        let shrunk = Resampling.resample(plane, width: side, height: side, toWidth: small, toHeight: small)
        return Resampling.resample(shrunk, width: small, height: small, toWidth: side, toHeight: side)
    }

    /// The source position of output `(y, x)` under symmetry `k` of a `side × side` square:
    /// bit 2 flips horizontally first, bits 0–1 rotate by `k mod 4` quarter turns.
    static func symmetric(_ y: Int, _ x: Int, side: Int, symmetry k: Int) -> (Int, Int) {
        let m = side - 1
        var (py, px) = (y, x)
        switch k & 3 {
        case 1: (py, px) = (px, m - py)
        case 2: (py, px) = (m - py, m - px)
        case 3: (py, px) = (m - px, py)
        default: break
        }
        if k & 4 != 0 { px = m - px }
        return (py, px)
    }
}

/// Why a training run could not start or stopped.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// Unusable training or validation data (the message names the file).
    case data(String)
    /// A checkpoint that cannot be resumed (the message names the file and the difference).
    case checkpoint(String)
    /// A loss became NaN or infinite; the last good checkpoint (if any) is kept.
    case nonFiniteLoss(iteration: Int, loss: String, lastGoodCheckpoint: String?)

    public var description: String {
        switch self {
        case .data(let m), .checkpoint(let m): return m
        case .nonFiniteLoss(let i, let name, let kept):
            return "loss \(name) is not finite at iteration \(i); training stopped"
                + (kept.map { ", the last good checkpoint is \($0)" } ?? " before the first checkpoint")
        }
    }
}
