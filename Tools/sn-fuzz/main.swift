// sn-fuzz: a deterministic mutation fuzzer for the code that reads untrusted data — TIFF and PNG decoding,
// Otsu's threshold, star-convex polygon post-processing, the model-file loader and the nucleus-diameter
// estimator that every tool runs on every input by default. Input i of a target is
// a pure function of (--seed, target, i), so any input reproduces on its own (--start i --count 1).
// A crash (trap, signal) prints the target and input index before the process dies; a broken invariant
// is reported on stderr and makes the exit status 1. See docs/fuzzing.md.
import Foundation
import MicroscopyIO
import NN
import NuclearScale
import Segmentation
import StarSegmentation
import TensorCore
import ToolSupport

enum Target: String, ArgumentChoice { case all, tiff, png, otsu, star, model, diameter }

var spec = CommandSpec(
    name: "sn-fuzz",
    summary: "Run a deterministic mutation fuzzer over SaliencyNet's readers and post-processing.",
    discussion: """
    Targets: tiff and png (mutated files through ImageFile: open, every page as plane and labels), otsu
    (Otsu.threshold on planes of extreme float32 values), star (StarModel.labels and StarPolygon.pixels on
    random network outputs), model (SafeTensorsFile.decode, ModelMetadata on mutated model files), diameter
    (DiameterEstimator on planes and stacks of disks, noise and extreme values, tiled and whole).
    Seeds are made in memory; --corpus adds the .tif/.png/.safetensors files of a folder.
    Prints one line per target: inputs executed, outcomes, seconds. A crash prints
    'sn-fuzz: CRASH target T input I (signal S)' and dies; reproduce with --target T --start I --count 1.
    Exit status: 0 no failure, 1 an invariant failed, 2 usage error.
    """)
spec.extremeValues = "Inputs are generated; extreme and non-finite values are what the otsu and star targets feed in."
let targetKey = spec.option("target", default: Target.all, help: "Which target to run.")
let secondsKey = spec.option("seconds", default: 2.0, help: "Time budget per target, s.")
let seedKey = spec.option("seed", default: 1, help: "Seed of the input sequence.")
let startKey = spec.option("start", default: 0, help: "Index of the first input.")
let countKey = spec.option("count", default: Int.max, help: "At most this many inputs per target.")
let corpusKey = spec.optionalOption("corpus", as: String.self, help: "Folder whose image and model files join the seeds.")
let keepCRCKey = spec.flag("keep-png-crc", help: "png: leave chunk CRCs as mutated (by default 7 of 8 mutants get them recomputed).")
let args = spec.parseOrExit()
let diagnostics = Diagnostics(tool: "sn-fuzz")

// MARK: Crash reporting

/// What is running, for the signal handler (plain globals: a handler may read memory, nothing more).
nonisolated(unsafe) var runningTarget: UInt8 = 0
nonisolated(unsafe) var runningIndex: UInt64 = 0
let targetNames: [Target] = [.tiff, .png, .otsu, .star, .model, .diameter]

func installCrashHandler() {
    for s in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
        signal(s) { number in
            var text = Array("sn-fuzz: CRASH target ".utf8)
            let names = ["tiff", "png", "otsu", "star", "model", "diameter"]
            text += Array(names[Int(runningTarget) % names.count].utf8)
            text += Array(" input ".utf8)
            var digits: [UInt8] = []
            var v = runningIndex
            repeat { digits.append(UInt8(48 + v % 10)); v /= 10 } while v > 0
            text += digits.reversed()
            text += Array(" (signal ".utf8)
            var s = UInt32(number), sd: [UInt8] = []
            repeat { sd.append(UInt8(48 + s % 10)); s /= 10 } while s > 0
            text += sd.reversed() + Array(")\n".utf8)
            _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            signal(number, SIG_DFL)
            raise(number)
        }
    }
}

// MARK: Random values

/// The generator of input `index` of `target`.
func generator(_ target: Target, _ index: Int) -> PhiloxGenerator {
    PhiloxGenerator(seed: UInt64(truncatingIfNeeded: args[seedKey]) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(targetNames.firstIndex(of: target)!),
                    stream: UInt64(index))
}

/// A float from a palette of edge cases, or a random bit pattern, or an ordinary value.
func extremeFloat(_ r: inout PhiloxGenerator) -> Float {
    let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                             .leastNormalMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, Float(1e-40 as Double), 3e38, -3e38,
                             3.4e38, 1, 255, 65535, 65536, -1, 0.5]
    switch Int.random(in: 0..<4, using: &r) {
    case 0: return specials.randomElement(using: &r)!
    case 1: return Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &r))
    case 2: return Float.random(in: -1...1, using: &r) * Float(pow(10, Double(Int.random(in: -45...38, using: &r))))
    default: return Float.random(in: 0...1000, using: &r)
    }
}

/// A plane of `n` values: a few distinct extreme values repeated (as real images have), or all random.
func extremeValues(_ n: Int, _ r: inout PhiloxGenerator) -> [Float] {
    if Bool.random(using: &r) {
        let palette = (0..<Int.random(in: 1...4, using: &r)).map { _ in extremeFloat(&r) }
        return (0..<n).map { _ in palette.randomElement(using: &r)! }
    }
    return (0..<n).map { _ in extremeFloat(&r) }
}

// MARK: Byte mutation

/// CRC-32 (ISO-HDLC, polynomial 0xEDB88320, as PNG chunks use) of `bytes`.
let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

/// Recomputes the CRC of every complete chunk of a (mutated) PNG, so that the mutant gets past libpng's
/// checksum check and reaches the header parser and the decoder: walks the chunks from byte 8 (length,
/// type, data, CRC) and rewrites each CRC over type + data; stops at the first chunk that does not fit.
/// The zlib Adler-32 inside IDAT is left as it is.
func fixPNGChecksums(_ bytes: inout [UInt8]) {
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        let end = offset + 8 + length
        guard length <= 0x7FFF_FFFF, end + 4 <= bytes.count else { return }
        let crc = crc32(bytes[(offset + 4)..<end])
        bytes[end] = UInt8(crc >> 24)
        bytes[end + 1] = UInt8((crc >> 16) & 0xFF)
        bytes[end + 2] = UInt8((crc >> 8) & 0xFF)
        bytes[end + 3] = UInt8(crc & 0xFF)
        offset = end + 4
    }
}

/// 1–4 mutations of `seed`: bit flips, interesting bytes and words (either byte order), truncation,
/// insertion, deletion and splicing from `other`. Offsets favour the first and last 512 bytes, where
/// headers and (in libtiff's files) directories sit.
func mutate(_ seed: [UInt8], other: [UInt8], _ r: inout PhiloxGenerator) -> [UInt8] {
    var b = seed
    func offset() -> Int {
        guard !b.isEmpty else { return 0 }
        switch Int.random(in: 0..<3, using: &r) {
        case 0: return Int.random(in: 0..<min(b.count, 512), using: &r)
        case 1: return max(0, b.count - 1 - Int.random(in: 0..<min(b.count, 512), using: &r))
        default: return Int.random(in: 0..<b.count, using: &r)
        }
    }
    let words: [UInt32] = [0, 1, 2, 7, 8, 16, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 32768, 0x7FFF_FFFF, 0x8000_0000,
                           0xFFFF_FFFF, UInt32(truncatingIfNeeded: seed.count), UInt32(truncatingIfNeeded: seed.count + 1)]
    for _ in 0..<Int.random(in: 1...4, using: &r) {
        switch Int.random(in: 0..<8, using: &r) {
        case 0 where !b.isEmpty:
            let o = offset(); b[o] ^= 1 << UInt8.random(in: 0...7, using: &r)
        case 1 where !b.isEmpty:
            b[offset()] = [0, 1, 0x7F, 0x80, 0xFF].randomElement(using: &r)!
        case 2, 3:
            let w = words.randomElement(using: &r)!, width = Bool.random(using: &r) ? 2 : 4
            let big = Bool.random(using: &r), o = offset()
            for k in 0..<width where o + k < b.count {
                let shift = big ? 8 * (width - 1 - k) : 8 * k
                b[o + k] = UInt8(truncatingIfNeeded: w >> shift)
            }
        case 4:
            b = Array(b.prefix(Int.random(in: 0...b.count, using: &r)))
        case 5:
            let o = offset(), n = Int.random(in: 1...64, using: &r)
            b.insert(contentsOf: (0..<n).map { _ in UInt8.random(in: 0...255, using: &r) }, at: min(o, b.count))
        case 6 where !b.isEmpty:
            let o = offset(); b.removeSubrange(o..<min(b.count, o + Int.random(in: 1...64, using: &r)))
        default:
            guard !other.isEmpty, !b.isEmpty else { continue }
            let from = Int.random(in: 0..<other.count, using: &r), n = min(other.count - from, Int.random(in: 1...256, using: &r))
            let o = offset()
            for k in 0..<n where o + k < b.count { b[o + k] = other[from + k] }
        }
    }
    return b
}

// MARK: Seeds

let scratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let dir = PathName.join(base, "sn-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}()

func fileBytes(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

func corpusFiles(_ extensions: [String]) -> [[UInt8]] {
    guard let folder = args[corpusKey],
          let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    return names.sorted().filter { n in extensions.contains { n.lowercased().hasSuffix($0) } }
        .compactMap { n -> [UInt8]? in
            let p = PathName.join(folder, n)
            guard let a = try? FileManager.default.attributesOfItem(atPath: p), (a[.size] as? Int ?? .max) <= 1 << 20 else { return nil }
            return fileBytes(p)
        }
}

/// Small files written by MicroscopyIO: every sample type, compression and a hyperstack.
func imageSeeds(png: Bool) throws -> [[UInt8]] {
    var r = PhiloxGenerator(seed: 12, stream: png ? 1 : 0)
    var seeds: [[UInt8]] = []
    let path = PathName.join(scratch, png ? "seed.png" : "seed.tif")
    for (w, h) in [(7, 5), (33, 17), (64, 40)] {
        let values = (0..<(w * h)).map { _ in Float(Int.random(in: 0...255, using: &r)) }
        if png {
            try writePNG(ImagePlane(width: w, height: h, pixels: values, sampleType: .uint8), to: path)
            seeds.append(fileBytes(path)!)
            try writePNG(ImagePlane(width: w, height: h, pixels: values.map { $0 * 200 }, sampleType: .uint16), to: path)
            seeds.append(fileBytes(path)!)
            try writeLabelsPNG(LabelImage(width: w, height: h, labels: values.map { UInt32($0) % 7 }), to: path)
            seeds.append(fileBytes(path)!)
            continue
        }
        for compression in [TIFFCompression.none, .lzw, .deflate] {
            for type in [SampleType.uint8, .uint16, .float32] {
                try writeTIFF(ImagePlane(width: w, height: h, pixels: values, sampleType: type), to: path, compression: compression)
                seeds.append(fileBytes(path)!)
            }
            try writeLabels(LabelImage(width: w, height: h, labels: values.map { UInt32($0) * 70_000 }), to: path, compression: compression)
            seeds.append(fileBytes(path)!)
        }
        let planes = (0..<4).map { k in ImagePlane(width: w, height: h, pixels: values.map { $0 + Float(k) }, sampleType: .uint16) }
        try writeTIFF(planes, to: path, compression: .deflate, layout: HyperstackLayout(channels: 2, slices: 2, frames: 1))
        seeds.append(fileBytes(path)!)
    }
    return seeds + corpusFiles(png ? [".png"] : [".tif", ".tiff"])
}

/// Small model files: real-looking metadata and tiny tensors (plus the metadata of any corpus model).
func modelSeeds() -> [[UInt8]] {
    var metadata = ModelMetadata(architecture: "saliencynet-cyclegan", hyperparameters: ["ngf": "8", "blocks": "2"],
                                 intensityNormalization: ["low_percentile": "1", "high_percentile": "99.8"],
                                 training: ["iteration": "12", ModelMetadata.nucleusDiameterKey: "17.5"]).flattened
    let tensors = ["G.conv1.weight": Tensor(shape: [2, 1, 3, 3], scalars: (0..<18).map { Float($0) / 7 }),
                   "G.conv1.bias": Tensor(shape: [2], scalars: [0.5, -1])]
    var seeds = [SafeTensorsFile(tensors: tensors, metadata: metadata).encoded(),
                 SafeTensorsFile(tensors: [:], metadata: metadata).encoded()]
    if let folder = args[corpusKey], let names = try? FileManager.default.contentsOfDirectory(atPath: folder) {
        for n in names.sorted() where n.hasSuffix(".safetensors") {
            guard let f = try? SafeTensorsFile.read(from: PathName.join(folder, n)) else { continue }
            metadata = f.metadata
            seeds.append(SafeTensorsFile(tensors: tensors, metadata: metadata).encoded())
        }
    }
    return seeds
}

// MARK: Targets

struct Tally {
    var inputs = 0, accepted = 0, rejected = 0, failures = 0
    /// Image inputs whose header was parsed (ImageFile opened): they reached the decoder.
    var opened = 0
    mutating func fail(_ target: Target, _ index: Int, _ message: String) {
        failures += 1
        diagnostics.error("target \(target.rawValue) input \(index): \(message)")
    }
}

func writeScratch(_ bytes: [UInt8], _ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func runImage(_ target: Target, seeds: [[UInt8]], index: Int, tally: inout Tally) {
    var r = generator(target, index)
    let seed = seeds[Int.random(in: 0..<seeds.count, using: &r)], other = seeds.randomElement(using: &r)!
    let path = PathName.join(scratch, target == .png ? "input.png" : "input.tif")
    var bytes = mutate(seed, other: other, &r)
    if target == .png, !args[keepCRCKey], Int.random(in: 0..<8, using: &r) != 0 { fixPNGChecksums(&bytes) }
    writeScratch(bytes, path)
    do {
        let file = try ImageFile(path: path)
        tally.opened += 1
        var anyDecoded = false
        for page in 0..<min(file.pageCount, 4) {
            if let p = try? file.plane(page: page) {
                anyDecoded = true
                if p.pixels.count != p.width * p.height { tally.fail(target, index, "plane of \(p.pixels.count) pixels for \(p.width)x\(p.height)") }
            }
            if let l = try? file.labels(page: page), l.labels.count != l.width * l.height {
                tally.fail(target, index, "labels of \(l.labels.count) values for \(l.width)x\(l.height)")
            }
        }
        _ = try? file.plane(channel: file.dimensions.sizeC - 1, z: file.dimensions.sizeZ - 1, t: file.dimensions.sizeT - 1)
        if anyDecoded { tally.accepted += 1 } else { tally.rejected += 1 }
    } catch is ImageIOError {
        tally.rejected += 1
    } catch {
        tally.fail(target, index, "not an ImageIOError: \(error)")
    }
}

func runOtsu(index: Int, tally: inout Tally) {
    var r = generator(.otsu, index)
    let n = Int.random(in: 0..<8, using: &r) == 0 ? Int.random(in: 1...4096, using: &r) : Int.random(in: 1...64, using: &r)
    let type = [SampleType.float32, .float32, .uint8, .uint16].randomElement(using: &r)!
    let values = extremeValues(n, &r)
    let bins = [2, 3, 256, 256, 1000].randomElement(using: &r)!
    let t = Otsu.threshold(ImagePlane(width: n, height: 1, pixels: values, sampleType: type), bins: bins)
    let finite = values.filter(\.isFinite)
    if !t.isFinite { tally.fail(.otsu, index, "threshold \(t) is not finite") }
    if type == .float32, let lo = finite.min(), let hi = finite.max(), !(t >= lo && t <= hi) {
        tally.fail(.otsu, index, "threshold \(t) outside [\(lo), \(hi)]")
    }
    tally.accepted += 1
}

func runStar(index: Int, tally: inout Tally) {
    var r = generator(.star, index)
    let (w, h) = (Int.random(in: 1...20, using: &r), Int.random(in: 1...20, using: &r))
    let rays = [3, 4, 8, 16, 32].randomElement(using: &r)!
    let probability = extremeValues(w * h, &r)
    let distances = extremeValues(rays * w * h, &r)
    let thresholds = StarThresholds(probability: Float.random(in: -0.1...1, using: &r), overlap: Double.random(in: -0.1...1.1, using: &r))
    let (ow, oh) = Bool.random(using: &r) ? (w, h) : (Int.random(in: 1...40, using: &r), Int.random(in: 1...40, using: &r))
    let labels = StarModel.labels(probability: probability, distances: distances, width: w, height: h, rays: rays,
                                  thresholds: thresholds, outputWidth: ow, outputHeight: oh)
    if labels.labels.count != ow * oh { tally.fail(.star, index, "\(labels.labels.count) labels for \(ow)x\(oh)") }
    let candidates = (0..<(w * h)).filter { probability[$0] > thresholds.probability }.count
    if Int(labels.maximumLabel) > candidates { tally.fail(.star, index, "label \(labels.maximumLabel) > \(candidates) candidates") }
    // A polygon with arbitrary centre and distances: indices in range, increasing.
    let centres: [Double] = [.nan, .infinity, -1e300, 1e300, 1e19, -1e19, Double(Float.greatestFiniteMagnitude), 3.5, -2, 10]
    let polygon = StarPolygon(y: centres.randomElement(using: &r)!, x: centres.randomElement(using: &r)!,
                              distances: extremeValues(rays, &r), score: 1)
    let pixels = polygon.pixels(width: w, height: h)
    if let bad = pixels.first(where: { $0 < 0 || $0 >= w * h }) {
        tally.fail(.star, index, "polygon pixel \(bad) outside 0..<\(w * h)")
    } else if let bad = zip(pixels, pixels.dropFirst()).first(where: { $0 >= $1 }) {
        tally.fail(.star, index, "polygon pixels out of order: \(bad.0) then \(bad.1) (\(w)x\(h), centre \(polygon.y), \(polygon.x), distances \(polygon.distances))")
    }
    tally.accepted += 1
}

func runModel(seeds: [[UInt8]], index: Int, tally: inout Tally) {
    var r = generator(.model, index)
    let seed = seeds[Int.random(in: 0..<seeds.count, using: &r)]
    var bytes = mutate(seed, other: seeds.randomElement(using: &r)!, &r)
    // Half of the inputs mutate inside the JSON header only (past the 8-byte length), keeping the length valid.
    if Bool.random(using: &r), seed.count > 16 {
        let length = Int(seed[0]) | Int(seed[1]) << 8 | Int(seed[2]) << 16
        let header = Array(seed[8..<min(seed.count, 8 + length)])
        var mutated = mutate(header, other: Array(#"{}[]",:\"0-1e999 nan"#.utf8), &r)
        mutated = Array(mutated.prefix(header.count)) + Array(repeating: 0x20, count: max(0, header.count - mutated.count))
        bytes = Array(seed[0..<8]) + mutated + Array(seed[min(seed.count, 8 + length)...])
    }
    do {
        let file = try SafeTensorsFile.decode(bytes, path: "fuzz.safetensors")
        for (name, t) in file.tensors where t.count != t.shape.reduce(1, *) {
            tally.fail(.model, index, "tensor \(name): \(t.count) values for shape \(t.shape)")
        }
        let metadata = try ModelMetadata(flattened: file.metadata, path: "fuzz.safetensors")
        _ = try? metadata.nucleusDiameter(path: "fuzz.safetensors")
        tally.accepted += 1
    } catch is CheckpointError {
        tally.rejected += 1
    } catch {
        tally.fail(.model, index, "not a CheckpointError: \(error)")
    }
}

/// DiameterEstimator on a random plane or stack: disks of a random size on a background, with noise or extreme
/// values mixed in, or extreme values alone; sometimes with tiny tiles so that the tiled path runs. A measured
/// estimate is a finite diameter > 0 from at least one object; any other status has no diameter.
func runDiameter(index: Int, tally: inout Tally) {
    var r = generator(.diameter, index)
    let (w, h) = (Int.random(in: 1...96, using: &r), Int.random(in: 1...96, using: &r))
    let planes = Int.random(in: 0..<4, using: &r) == 0 ? Int.random(in: 1...3, using: &r) : 1
    func plane() -> [Float] {
        if Int.random(in: 0..<3, using: &r) == 0 { return extremeValues(w * h, &r) }
        let background = Int.random(in: 0..<4, using: &r) == 0 ? extremeFloat(&r) : Float.random(in: 0...100, using: &r)
        let peak = Int.random(in: 0..<4, using: &r) == 0 ? extremeFloat(&r) : background + Float.random(in: 1...1000, using: &r)
        let radius = Double.random(in: 0.5...30, using: &r)
        var v = [Float](repeating: background, count: w * h)
        for _ in 0..<Int.random(in: 0...40, using: &r) {
            let (cy, cx) = (Double.random(in: 0..<Double(h), using: &r), Double.random(in: 0..<Double(w), using: &r))
            for y in 0..<h where abs(Double(y) - cy) <= radius {
                for x in 0..<w where (Double(y) - cy) * (Double(y) - cy) + (Double(x) - cx) * (Double(x) - cx) <= radius * radius {
                    v[y * w + x] = peak
                }
            }
        }
        let noise = Float.random(in: 0...50, using: &r)
        for i in v.indices {
            v[i] += noise * Float.random(in: -1...1, using: &r)
            if Int.random(in: 0..<200, using: &r) == 0 { v[i] = extremeFloat(&r) }
        }
        return v
    }
    var estimator = DiameterEstimator()
    if Bool.random(using: &r) {
        estimator.maximumAnalysedPixels = Int.random(in: 1...4096, using: &r)
        estimator.tileSide = Int.random(in: 16...64, using: &r)
        estimator.tileCount = Int.random(in: 1...5, using: &r)
    }
    let stack = (0..<planes).map { _ in plane() }
    let e = planes == 1 ? estimator.estimate(stack[0], width: w, height: h) : estimator.estimate(stack: stack, width: w, height: h)
    switch e.status {
    case .measured:
        if let d = e.diameter, d.isFinite, d > 0, e.objectCount >= 1 {} else {
            tally.fail(.diameter, index, "measured \(String(describing: e.diameter)) from \(e.objectCount) objects (\(w)x\(h), \(planes) planes)")
        }
    case .noContrast, .noNuclei:
        if e.diameter != nil { tally.fail(.diameter, index, "status \(e.status.rawValue) with diameter \(e.diameter!)") }
    }
    tally.accepted += 1
}

// MARK: Main

installCrashHandler()
defer { try? FileManager.default.removeItem(atPath: scratch) }
let chosen: [Target] = args[targetKey] == .all ? targetNames : [args[targetKey]]
var failed = false
do {
    let tiffSeeds = chosen.contains(.tiff) ? try imageSeeds(png: false) : []
    let pngSeeds = chosen.contains(.png) ? try imageSeeds(png: true) : []
    let models = chosen.contains(.model) ? modelSeeds() : []
    var total = 0
    for target in chosen {
        runningTarget = UInt8(targetNames.firstIndex(of: target)!)
        var tally = Tally()
        let start = Date()
        var index = args[startKey]
        let limit = args[countKey]
        while tally.inputs < limit {
            // The clock is read every 64 inputs (cheap targets run millions).
            if tally.inputs % 64 == 0, Date().timeIntervalSince(start) >= args[secondsKey] { break }
            runningIndex = UInt64(index)
            switch target {
            case .tiff: runImage(.tiff, seeds: tiffSeeds, index: index, tally: &tally)
            case .png: runImage(.png, seeds: pngSeeds, index: index, tally: &tally)
            case .otsu: runOtsu(index: index, tally: &tally)
            case .star: runStar(index: index, tally: &tally)
            case .model: runModel(seeds: models, index: index, tally: &tally)
            case .diameter: runDiameter(index: index, tally: &tally)
            case .all: break
            }
            tally.inputs += 1
            index += 1
        }
        total += tally.inputs
        failed = failed || tally.failures > 0
        let openedText = target == .tiff || target == .png ? ", \(tally.opened) opened" : ""
        writeStdout("\(target.rawValue): \(tally.inputs) inputs (\(tally.accepted) accepted\(openedText), \(tally.rejected) rejected with an error), "
                    + "\(tally.failures) failures, 0 crashes, \(String(format: "%.1f", Date().timeIntervalSince(start))) s\n")
    }
    if chosen.count > 1 { writeStdout("total: \(total) inputs, 0 crashes\n") }
} catch {
    diagnostics.error("cannot make the seed files: \(error)")
    failed = true
}
try? FileManager.default.removeItem(atPath: scratch)
exitProcess(failed ? .someInputsFailed : .success)
