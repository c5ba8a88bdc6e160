import _CPNG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PNG decoding (through the setjmp-guarded C shim `_CPNG`).
///
/// Intensities (`ImageFile.plane`) of a PNG:
/// - gray 8- or 16-bit: the stored values (`SampleType.uint8` / `.uint16`);
/// - gray 1-, 2- or 4-bit: scaled to 8 bits by bit replication (1-bit 1 -> 255, 2-bit 3 -> 255,
///   4-bit 15 -> 255), `SampleType.uint8`;
/// - RGB, RGBA and palette images (palette entries are looked up first): converted to gray with
///   ITU-R BT.709 luma weights, as scikit-image's `rgb2gray` does:
///   `gray = 0.2125 * R + 0.7154 * G + 0.0721 * B` (weights sum to 1), computed in `Float` in the
///   stored scale (0...255 or 0...65535, not rescaled to 0...1), so results are generally not integers;
/// - alpha (gray+alpha, RGBA) and tRNS transparency are ignored: the colour values are used as
///   stored, not composited onto any background;
/// - no gamma or colour-profile correction is applied.
///
/// Labels (`ImageFile.labels`) of a PNG: the stored gray values, or palette indices for palette
/// images, unscaled (1-, 2-, 4-, 8- and 16-bit); RGB(A) and gray+alpha PNGs are rejected.
enum PNGReading {
    /// BT.709 luma weight of red.
    static let redWeight: Float = 0.2125
    /// BT.709 luma weight of green.
    static let greenWeight: Float = 0.7154
    /// BT.709 luma weight of blue.
    static let blueWeight: Float = 0.0721

    private final class Reader {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { sn_png_close(pointer) }
    }

    private static func error(_ status: sn_png_status, _ message: String, path: String) -> ImageIOError {
        switch status {
        case SN_PNG_OPEN_FAILED:
            return ImageIOError(path: path, kind: .unreadable, reason: "cannot open (\(message))")
        case SN_PNG_NOT_PNG:
            return ImageIOError(path: path, kind: .notAnImage, reason: "not a PNG file (\(message))")
        case SN_PNG_TRUNCATED:
            return ImageIOError(path: path, kind: .truncated, reason: "truncated file (libpng: \(message))")
        case SN_PNG_NO_MEMORY:
            return ImageIOError(path: path, kind: .tooLarge, reason: "out of memory while decoding the PNG")
        default:
            if message.contains("is zero") {
                return ImageIOError(path: path, kind: .emptyImage, reason: "zero-sized image (libpng: \(message))")
            }
            if message.contains("exceeds") || message.contains("too large") {
                return ImageIOError(path: path, kind: .tooLarge, reason: "image too large (libpng: \(message))")
            }
            return ImageIOError(path: path, kind: .corrupt, reason: "damaged PNG (libpng: \(message))")
        }
    }

    private static func open(path: String, rawIndices: Bool) throws -> (Reader, sn_png_info) {
        var reader: OpaquePointer?
        var info = sn_png_info()
        var message = [CChar](repeating: 0, count: Int(SN_PNG_MESSAGE_CAPACITY))
        let status = sn_png_open(path, rawIndices ? 1 : 0, &reader, &info, &message, message.count)
        guard status == SN_PNG_OK, let reader else {
            throw error(status, String(cString: message), path: path)
        }
        let owned = Reader(reader)
        if info.width == 0 || info.height == 0 {
            throw ImageIOError(path: path, kind: .emptyImage, reason: "zero-sized image (\(info.width) x \(info.height) pixels)")
        }
        let (pixels, overflow) = Int(info.width).multipliedReportingOverflow(by: Int(info.height))
        guard !overflow, pixels <= ImageLimits.maximumPlanePixels else {
            throw ImageIOError(path: path, kind: .tooLarge,
                               reason: "image too large (\(info.width) x \(info.height) pixels; the limit is \(ImageLimits.maximumPlanePixels) pixels per plane)")
        }
        // Before any pixel buffer: the compressed data of a file this size cannot decode to more pixels.
        var fileStatus = stat()
        if stat(path, &fileStatus) == 0, UInt64(pixels) > ImageLimits.maximumPNGPixels(fileSize: UInt64(max(0, fileStatus.st_size))) {
            throw ImageIOError(path: path, kind: .truncated,
                               reason: "truncated or damaged file (the header claims \(info.width) x \(info.height) pixels, more than a \(fileStatus.st_size)-byte PNG can hold)")
        }
        return (owned, info)
    }

    /// Header facts (after the default transforms), for `ImageFile`.
    static func header(path: String) throws -> sn_png_info {
        try open(path: path, rawIndices: false).1
    }

    /// Decodes the whole image; returns the raw buffer (caller deallocates) and the info.
    private static func decode(path: String, rawIndices: Bool) throws -> (UnsafeMutableRawPointer, sn_png_info) {
        let (reader, info) = try open(path: path, rawIndices: rawIndices)
        let height = Int(info.height)
        let rowBytes = info.row_bytes
        let (total, overflow) = rowBytes.multipliedReportingOverflow(by: height)
        guard !overflow, total <= 16 * ImageLimits.maximumPlanePixels else {
            throw ImageIOError(path: path, kind: .tooLarge, reason: "image too large (\(info.width) x \(info.height) pixels)")
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 16)
        var message = [CChar](repeating: 0, count: Int(SN_PNG_MESSAGE_CAPACITY))
        let status = sn_png_read(reader.pointer, raw, rowBytes, &message, message.count)
        guard status == SN_PNG_OK else {
            raw.deallocate()
            throw error(status, String(cString: message), path: path)
        }
        return (raw, info)
    }

    /// Reads a PNG as a gray intensity plane (see the type's documentation for the conversions).
    static func readGray(path: String) throws -> ImagePlane {
        let (raw, info) = try decode(path: path, rawIndices: false)
        defer { raw.deallocate() }
        let width = Int(info.width)
        let height = Int(info.height)
        let channels = Int(info.channels)
        let sixteen = info.bit_depth == 16
        guard channels >= 1, channels <= 4, info.bit_depth == 8 || sixteen else {
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported PNG layout (\(channels) channels of \(info.bit_depth) bits)")
        }
        let count = width * height
        let rowBytes = info.row_bytes
        let pixels = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = buffer.baseAddress!
            for y in 0..<height {
                let row = raw + y * rowBytes
                let target = out + y * width
                if sixteen {
                    convertRow(row.assumingMemoryBound(to: UInt16.self), channels: channels, width: width, into: target)
                } else {
                    convertRow(row.assumingMemoryBound(to: UInt8.self), channels: channels, width: width, into: target)
                }
            }
            initialized = count
        }
        return ImagePlane(width: width, height: height, pixels: pixels, sampleType: sixteen ? .uint16 : .uint8)
    }

    @inline(__always)
    private static func convertRow<T: BinaryInteger>(_ row: UnsafePointer<T>, channels: Int, width: Int,
                                                     into out: UnsafeMutablePointer<Float>) {
        switch channels {
        case 1:
            for x in 0..<width { out[x] = Float(row[x]) }
        case 2:
            for x in 0..<width { out[x] = Float(row[2 * x]) }
        default:
            for x in 0..<width {
                let base = channels * x
                out[x] = redWeight * Float(row[base]) + greenWeight * Float(row[base + 1])
                    + blueWeight * Float(row[base + 2])
            }
        }
    }

    /// Reads a gray or palette PNG as labels (stored values / palette indices, exact).
    static func readLabels(path: String) throws -> LabelImage {
        let (raw, info) = try decode(path: path, rawIndices: true)
        defer { raw.deallocate() }
        guard info.channels == 1, info.bit_depth == 8 || info.bit_depth == 16 else {
            let what = info.color_type == 4 ? "gray+alpha" : info.color_type == 6 ? "RGBA" : info.color_type == 2 ? "RGB" : "\(info.channels)-channel"
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported format for labels: \(what) PNG; labels must be a gray or palette PNG")
        }
        let width = Int(info.width)
        let height = Int(info.height)
        let count = width * height
        let rowBytes = info.row_bytes
        let labels = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = buffer.baseAddress!
            for y in 0..<height {
                let row = raw + y * rowBytes
                if info.bit_depth == 16 {
                    let source = row.assumingMemoryBound(to: UInt16.self)
                    for x in 0..<width { out[y * width + x] = UInt32(source[x]) }
                } else {
                    let source = row.assumingMemoryBound(to: UInt8.self)
                    for x in 0..<width { out[y * width + x] = UInt32(source[x]) }
                }
            }
            initialized = count
        }
        return LabelImage(width: width, height: height, labels: labels)
    }
}
