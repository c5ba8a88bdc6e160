#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TensorCore

/// An error reading or writing a safetensors file or checkpoint; its description is one line
/// naming the file: `"model.safetensors: tensor 'G.c1.weight': shape [64,3,7,7] in file, [64,1,7,7] expected"`.
public struct CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file concerned.
    public var path: String
    /// What is wrong.
    public var reason: String
    /// Creates the error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    /// `"path: reason"`.
    public var description: String { "\(path): \(reason)" }
}

/// The safetensors format (Hugging Face): an 8-byte little-endian unsigned header length `L`,
/// an `L`-byte UTF-8 JSON object, then the raw tensor data. The JSON maps each tensor name to
/// `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (byte offsets into the data
/// section, little-endian row-major values) and may hold `"__metadata__"`: a string→string map.
///
/// This writer is deterministic: `__metadata__` first (keys sorted), then tensors sorted by
/// name, data in the same order, compact JSON, the header padded with spaces to a multiple of
/// 8 bytes. Only `F32` tensors are read or written.
public struct SafeTensorsFile: Equatable {
    /// Tensors by name.
    public var tensors: [String: Tensor]
    /// The `__metadata__` map.
    public var metadata: [String: String]

    /// Creates a file's contents.
    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes (see the type's description for the exact layout).
    public func encoded() -> [UInt8] {
        let names = tensors.keys.sorted()
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let end = offset + 4 * t.count
            parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { p in
                for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            }
        }
        return bytes
    }

    /// Parses a file's bytes; `path` is only used in error messages.
    /// - Throws: ``CheckpointError`` for a truncated or foreign file (bad header length, invalid
    ///   JSON, unsupported dtype, offsets outside or not covering the data section).
    public static func decode(_ bytes: [UInt8], path: String) throws -> SafeTensorsFile {
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, reason: reason) }
        guard bytes.count >= 8 else {
            throw fail("not a safetensors file (\(bytes.count) bytes, shorter than the 8-byte header length)")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length >= 2, length <= UInt64(bytes.count - 8) else {
            throw fail("not a safetensors file or truncated (header length \(length), file \(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(length)
        guard bytes[8] == UInt8(ascii: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any]
        else {
            throw fail("not a safetensors file (header is not a JSON object)")
        }
        let dataCount = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        var ranges: [(Int, Int)] = []
        for (name, entry) in object {
            if name == "__metadata__" {
                guard let map = entry as? [String: Any] else { throw fail("__metadata__ is not a string map") }
                for (k, v) in map {
                    guard let s = v as? String else { throw fail("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any], let offsetsAny = info["data_offsets"] as? [Any]
            else { throw fail("tensor '\(name)': malformed header entry") }
            guard dtype == "F32" else { throw fail("tensor '\(name)': dtype \(dtype) not supported (only F32)") }
            let shape = shapeAny.compactMap { ($0 as? NSNumber)?.intValue }
            let offsets = offsetsAny.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }), offsets.count == 2 else {
                throw fail("tensor '\(name)': malformed shape or data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            let count = shape.reduce(1, *)
            guard begin >= 0, end >= begin, end - begin == 4 * count else {
                throw fail("tensor '\(name)': data_offsets [\(begin),\(end)] do not match shape \(formatShape(shape)) of F32")
            }
            guard end <= dataCount else {
                throw fail("truncated: tensor '\(name)' ends at data byte \(end) but the file has \(dataCount) data bytes")
            }
            ranges.append((begin, end))
            let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    let o = headerEnd + begin + 4 * i
                    let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                    buffer[i] = Float(bitPattern: bits)
                }
                initialized = count
            }
            tensors[name] = Tensor(shape: shape, scalars: scalars)
        }
        ranges.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }  // empty tensors first at a shared offset
        var expected = 0
        for (b, e) in ranges {
            guard b == expected else { throw fail("tensor data overlaps or has gaps at byte \(b)") }
            expected = e
        }
        guard expected == dataCount else {
            throw fail("data section has \(dataCount) bytes but the tensors cover \(expected)")
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Reads and parses the file at `path`.
    /// - Throws: ``CheckpointError`` (unreadable, truncated or foreign file).
    public static func read(from path: String) throws -> SafeTensorsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(path: path, reason: "cannot read file")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Writes ``encoded()`` atomically: to a temporary file in the same directory, then
    /// `rename(2)` over `path`, so readers see the old file or the complete new one.
    public func write(to path: String) throws {
        try writeAtomically(encoded(), to: path)
    }
}

/// Writes `bytes` to `path` through a temporary sibling file `.<name>.tmp-<pid>-<random>` (the pattern
/// MicroscopyIO's `removeStaleTemporaryFiles(in:)` cleans up after a killed process): POSIX `write`,
/// `fsync` of the file, `rename(2)` over `path`, then `fsync` of the directory. Nothing else creates files
/// (no Foundation `.atomic` writes and their hidden `.dat.nosync*` files). On any failure the temporary
/// file is removed and the error carries the OS reason, e.g. `No space left on device`.
func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    func failure(_ what: String, _ code: Int32 = errno) -> CheckpointError {
        CheckpointError(path: path, reason: "\(what): \(String(cString: strerror(code)))")
    }
    var temporary = "", descriptor: Int32 = -1
    for _ in 0..<16 {
        temporary = "\(directory)/.\(name).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if descriptor >= 0 || errno != EEXIST { break }
    }
    guard descriptor >= 0 else { throw failure("cannot create a temporary file in \(directory)") }
    var done = false
    defer {
        if descriptor >= 0 { close(descriptor) }
        if !done { unlink(temporary) }
    }
    try bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("cannot write the checkpoint", n < 0 ? errno : EIO) }
            offset += n
        }
    }
    guard fsync(descriptor) == 0 else { throw failure("cannot flush the checkpoint to disk") }
    let closed = close(descriptor)
    descriptor = -1
    guard closed == 0 else { throw failure("cannot close the checkpoint") }
    guard rename(temporary, path) == 0 else { throw failure("cannot rename the temporary file into place") }
    done = true
    let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
        _ = fsync(directoryDescriptor)   // best effort: some file systems refuse fsync on directories
        close(directoryDescriptor)
    }
}

/// A JSON string literal with the escapes JSON requires.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                out += String(format: "\\u%04x", u.value)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// `[256,256,3,3]`: a shape as written in checkpoint messages.
func formatShape(_ shape: [Int]) -> String { "[\(shape.map(String.init).joined(separator: ","))]" }

/// The typed content of a checkpoint's `__metadata__`. Callers fill it; it is flattened to
/// string keys as follows (and parsed back by ``init(flattened:path:)``):
///
/// | Field | Key(s) |
/// | --- | --- |
/// | ``formatVersion`` | `format_version` |
/// | ``architecture`` | `architecture` (e.g. `"cyclegan-resnet9"`) |
/// | ``hyperparameters`` | `hparams.<name>` (e.g. `hparams.ngf = "64"`) |
/// | ``intensityNormalization`` | `normalization.<name>` (e.g. `normalization.low_percentile = "1"`) |
/// | ``training`` | `training.<name>` (e.g. `training.lr = "0.0002"`) |
public struct ModelMetadata: Equatable, Sendable {
    /// The checkpoint format version this code writes and accepts.
    public static let currentFormatVersion = 1
    /// The file's format version.
    public var formatVersion: Int
    /// The architecture name.
    public var architecture: String
    /// Architecture hyperparameters (channel counts, block counts, norm kind…).
    public var hyperparameters: [String: String]
    /// How input intensities were normalised (percentiles, clipping, range…).
    public var intensityNormalization: [String: String]
    /// Training settings (learning rate, epochs, seed, data…).
    public var training: [String: String]

    /// Creates metadata with the current format version.
    public init(architecture: String, hyperparameters: [String: String] = [:],
                intensityNormalization: [String: String] = [:], training: [String: String] = [:],
                formatVersion: Int = ModelMetadata.currentFormatVersion) {
        self.formatVersion = formatVersion
        self.architecture = architecture
        self.hyperparameters = hyperparameters
        self.intensityNormalization = intensityNormalization
        self.training = training
    }

    static let prefixes = ["hparams.", "normalization.", "training."]

    /// The flattened string map stored as `__metadata__`.
    public var flattened: [String: String] {
        var d: [String: String] = ["format_version": String(formatVersion), "architecture": architecture]
        for (k, v) in hyperparameters { d["hparams." + k] = v }
        for (k, v) in intensityNormalization { d["normalization." + k] = v }
        for (k, v) in training { d["training." + k] = v }
        return d
    }

    /// Parses a flattened map (unknown keys are ignored).
    /// - Throws: ``CheckpointError`` when `format_version` or `architecture` is missing or invalid.
    public init(flattened d: [String: String], path: String) throws {
        guard let v = d["format_version"], let version = Int(v) else {
            throw CheckpointError(path: path, reason: "no format_version in metadata (not a SaliencyNet checkpoint)")
        }
        guard let architecture = d["architecture"] else {
            throw CheckpointError(path: path, reason: "no architecture in metadata")
        }
        func section(_ prefix: String) -> [String: String] {
            var s: [String: String] = [:]
            for (k, v) in d where k.hasPrefix(prefix) { s[String(k.dropFirst(prefix.count))] = v }
            return s
        }
        self.init(architecture: architecture, hyperparameters: section("hparams."),
                  intensityNormalization: section("normalization."), training: section("training."),
                  formatVersion: version)
    }
}

extension ModelMetadata {
    /// The `training.` key of the median nucleus diameter of a model's training data, px: the scale the
    /// model works at. Tools bring each image's nuclei to it (NuclearScale's ScaleMapping).
    public static let nucleusDiameterKey = "nucleus_diameter"

    /// `training.nucleus_diameter` (px), or nil when the file does not record it (files written before it
    /// existed).
    /// - Throws: ``CheckpointError`` naming `path` when the value is present but not a number in (0, 10000].
    public func nucleusDiameter(path: String) throws -> Double? {
        guard let text = training[Self.nucleusDiameterKey] else { return nil }
        guard let d = Double(text), d.isFinite, d > 0, d <= 10000 else {
            throw CheckpointError(path: path, reason: "training.\(Self.nucleusDiameterKey) '\(text)' is not a diameter in pixels (0, 10000]")
        }
        return d
    }
}

/// Saving and loading a model's parameters (and buffers) with ``ModelMetadata``.
public enum Checkpoint {
    /// Writes `parameters` (by their names) and `metadata` to `path` atomically.
    /// - Precondition: parameter names are unique.
    public static func save(_ parameters: [Parameter], metadata: ModelMetadata, to path: String) throws {
        var tensors: [String: Tensor] = [:]
        for p in parameters {
            precondition(tensors[p.name] == nil, "Checkpoint.save: duplicate parameter name '\(p.name)'")
            tensors[p.name] = p.value
        }
        try SafeTensorsFile(tensors: tensors, metadata: metadata.flattened).write(to: path)
    }

    /// Loads values into `parameters` after checking that the file has the current format
    /// version, the expected architecture (when given), exactly the parameters' names and their
    /// shapes. Nothing is modified unless every check passes.
    /// - Returns: the file's metadata.
    /// - Throws: ``CheckpointError`` listing every difference, e.g.
    ///   `"m.safetensors: tensor 'G.res3.conv1.weight': shape [256,256,3,3] in file, [128,128,3,3] expected"`.
    @discardableResult
    public static func load(into parameters: [Parameter], from path: String, architecture: String? = nil) throws -> ModelMetadata {
        try load(into: parameters, from: SafeTensorsFile.read(from: path), path: path, architecture: architecture)
    }

    /// ``load(into:from:architecture:)`` on an already decoded file (`path` names it in errors).
    /// With `allowingOtherTensors`, tensors of the file that no parameter names are ignored (loading one
    /// network, e.g. the generator `G`, out of a file that holds several).
    @discardableResult
    public static func load(into parameters: [Parameter], from file: SafeTensorsFile, path: String, architecture: String? = nil,
                            allowingOtherTensors: Bool = false) throws -> ModelMetadata {
        let metadata = try ModelMetadata(flattened: file.metadata, path: path)
        guard metadata.formatVersion == ModelMetadata.currentFormatVersion else {
            throw CheckpointError(path: path, reason: "format version \(metadata.formatVersion) in file, \(ModelMetadata.currentFormatVersion) expected")
        }
        if let architecture, metadata.architecture != architecture {
            throw CheckpointError(path: path, reason: "architecture '\(metadata.architecture)' in file, '\(architecture)' expected")
        }
        var problems: [String] = []
        let expectedNames = Set(parameters.map(\.name))
        for p in parameters {
            if let t = file.tensors[p.name] {
                if t.shape != p.shape {
                    problems.append("tensor '\(p.name)': shape \(formatShape(t.shape)) in file, \(formatShape(p.shape)) expected")
                }
            } else {
                problems.append("tensor '\(p.name)' missing from file")
            }
        }
        for name in file.tensors.keys.sorted() where !allowingOtherTensors && !expectedNames.contains(name) {
            problems.append("unexpected tensor '\(name)' in file")
        }
        guard problems.isEmpty else {
            throw CheckpointError(path: path, reason: problems.joined(separator: "; "))
        }
        for p in parameters { p.value = file.tensors[p.name]! }
        return metadata
    }
}
