import Foundation
import _CTIFF
import _CTIFFSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libtiff's largest single allocation for one file (compressed strip buffers, tag arrays).
let libtiffAllocationLimit: Int64 = 1 << 32

/// One TIFF page directory as scanned at open time.
struct TIFFPage {
    var info: sn_tiff_page

    init(_ info: sn_tiff_page) { self.info = info }

    /// E.g. "16-bit unsigned integer", "32-bit float", "1-bit unsigned integer", "3 samples per pixel".
    var formatDescription: String {
        let bits = Int(info.bits_per_sample)
        var text: String
        switch info.sample_format {
        case 1, 4: text = "\(bits)-bit unsigned integer"
        case 2: text = "\(bits)-bit signed integer"
        case 3: text = "\(bits)-bit float"
        case 5: text = "\(bits)-bit complex integer"
        case 6: text = "\(bits)-bit complex float"
        default: text = "\(bits)-bit samples of unknown format \(info.sample_format)"
        }
        if info.samples_per_pixel != 1 { text += ", \(info.samples_per_pixel) samples per pixel" }
        return text
    }

    private var photometricName: String {
        switch info.photometric {
        case 0: return "min-is-white"
        case 1: return "min-is-black"
        case 2: return "RGB"
        case 3: return "palette color"
        case 4: return "transparency mask"
        case 5: return "CMYK/separated"
        case 6: return "YCbCr"
        case 8, 9, 10: return "CIE L*a*b*"
        case 32844, 32845: return "LogL/LogLuv"
        default: return "code \(info.photometric)"
        }
    }

    private func checkSingleSample(path: String, page: Int) throws {
        if info.samples_per_pixel != 1 {
            let what = info.has_photometric != 0 && info.photometric == 2 ? "an RGB page" : "a multi-sample page"
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported format: page \(page) is \(what) (\(info.samples_per_pixel) samples per pixel); only single-sample (gray) pages are supported")
        }
        if info.depth > 1 {
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported format: page \(page) is volumetric (ImageDepth \(info.depth))")
        }
    }

    /// The intensity sample type and whether values must be inverted (min-is-white).
    func intensityFormat(path: String, page: Int) throws -> (type: SampleType, invert: Bool) {
        try checkSingleSample(path: path, page: page)
        var invert = false
        if info.has_photometric != 0 {
            switch info.photometric {
            case 0: invert = true
            case 1: break
            case 3:
                throw ImageIOError(path: path, kind: .unsupportedFormat,
                                   reason: "unsupported format: page \(page) is palette color (read it with labels(...) to get the palette indices)")
            default:
                throw ImageIOError(path: path, kind: .unsupportedFormat,
                                   reason: "unsupported format: page \(page) has photometric interpretation \(photometricName)")
            }
        }
        let format = info.sample_format == 4 ? 1 : info.sample_format
        let type: SampleType
        switch (info.bits_per_sample, format) {
        case (8, 1): type = .uint8
        case (16, 1): type = .uint16
        case (32, 3): type = .float32
        case (32, 1):
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported sample format for intensities: page \(page) has 32-bit unsigned integer samples (read them with labels(...)); intensities must be 8- or 16-bit unsigned integer or 32-bit float")
        default:
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported sample format: page \(page) has \(formatDescription) samples; supported are 8- and 16-bit unsigned integer and 32-bit float")
        }
        if invert && type == .float32 {
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported format: page \(page) is min-is-white 32-bit float (no defined white level)")
        }
        return (type, invert)
    }

    /// The label sample type (stored values are the labels; photometric is ignored).
    func labelFormat(path: String, page: Int) throws -> LabelSampleType {
        try checkSingleSample(path: path, page: page)
        if info.has_photometric != 0, ![0, 1, 3].contains(info.photometric) {
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported format for labels: page \(page) has photometric interpretation \(photometricName)")
        }
        let format = info.sample_format == 4 ? 1 : info.sample_format
        switch (info.bits_per_sample, format) {
        case (8, 1): return .uint8
        case (16, 1): return .uint16
        case (32, 1): return .uint32
        default:
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "unsupported sample format for labels: page \(page) has \(formatDescription) samples; labels must be 8-, 16- or 32-bit unsigned integers")
        }
    }
}

/// Reads the raw structure of TIFF directories (IFDs) straight from the file, to tell a truncated
/// file from a damaged one when libtiff fails.
struct TIFFDirectoryLayout {
    let path: String
    let fileSize: UInt64
    let littleEndian: Bool
    let bigTIFF: Bool

    enum Extent {
        /// The directory is complete; `next` is the offset of the following directory (0: none).
        case directory(end: UInt64, next: UInt64)
        /// The directory starts at or beyond the end of the file.
        case beyondEnd
        /// The directory starts inside the file but its entries or next pointer do not fit.
        case cutOff(needed: UInt64)
        /// The file could not be read.
        case unknown
    }

    func inspect(at offset: UInt64) -> Extent {
        let countSize: UInt64 = bigTIFF ? 8 : 2
        let entrySize: UInt64 = bigTIFF ? 20 : 12
        let pointerSize: UInt64 = bigTIFF ? 8 : 4
        if offset >= fileSize { return .beyondEnd }
        guard offset <= fileSize - countSize else { return .cutOff(needed: offset + countSize) }
        guard let countBytes = readBytes(at: offset, count: Int(countSize)) else { return .unknown }
        let count = bigTIFF ? readUInt64(countBytes, at: 0, littleEndian: littleEndian)
                            : UInt64(readUInt16(countBytes, at: 0, littleEndian: littleEndian))
        guard count < (1 << 40) else { return .cutOff(needed: UInt64.max) }
        let end = offset + countSize + count * entrySize + pointerSize
        guard end <= fileSize else { return .cutOff(needed: end) }
        guard let pointer = readBytes(at: end - pointerSize, count: Int(pointerSize)) else { return .unknown }
        let next = bigTIFF ? readUInt64(pointer, at: 0, littleEndian: littleEndian)
                           : UInt64(readUInt32(pointer, at: 0, littleEndian: littleEndian))
        return .directory(end: end, next: next)
    }

    /// ImageWidth and ImageLength of the (complete) directory at `offset`, when both are present.
    func imageSize(at offset: UInt64) -> (width: UInt64, height: UInt64)? {
        guard case .directory(let end, _) = inspect(at: offset) else { return nil }
        let countSize = bigTIFF ? 8 : 2
        let entrySize = bigTIFF ? 20 : 12
        let length = Int(end - offset)
        guard length <= 1 << 24, let bytes = readBytes(at: offset, count: length) else { return nil }
        var width: UInt64?
        var height: UInt64?
        var entry = countSize
        while entry + entrySize <= length - (bigTIFF ? 8 : 4) {
            let tag = readUInt16(bytes, at: entry, littleEndian: littleEndian)
            let type = readUInt16(bytes, at: entry + 2, littleEndian: littleEndian)
            let valueOffset = entry + (bigTIFF ? 12 : 8)
            var value: UInt64?
            switch type {
            case 3: value = UInt64(readUInt16(bytes, at: valueOffset, littleEndian: littleEndian))
            case 4: value = UInt64(readUInt32(bytes, at: valueOffset, littleEndian: littleEndian))
            case 16: value = bigTIFF ? readUInt64(bytes, at: valueOffset, littleEndian: littleEndian) : nil
            default: value = nil
            }
            if tag == 256 { width = value }
            if tag == 257 { height = value }
            entry += entrySize
        }
        guard let width, let height else { return nil }
        return (width, height)
    }

    /// Throws `.truncated` when the directory of `page` at `offset` does not fit in the file.
    func requireComplete(at offset: UInt64, page: Int) throws {
        switch inspect(at: offset) {
        case .beyondEnd:
            throw ImageIOError(path: path, kind: .truncated,
                               reason: "truncated file (the directory of page \(page) at byte \(offset) lies beyond the end of the \(fileSize)-byte file)")
        case .cutOff(let needed):
            let neededText = needed == UInt64.max ? "an absurd number of entries" : "\(needed) bytes"
            throw ImageIOError(path: path, kind: .truncated,
                               reason: "truncated file (the directory of page \(page) at byte \(offset) needs \(neededText), but the file has \(fileSize) bytes)")
        case .directory, .unknown:
            return
        }
    }

    private func readBytes(at offset: UInt64, count: Int) -> [UInt8]? {
        guard offset < fileSize, UInt64(count) <= fileSize - offset else { return nil }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, count, off_t(offset)) }
        return got == count ? bytes : nil
    }
}

/// An open libtiff handle with per-file error capture. Not thread-safe (ImageFile locks).
final class TIFFHandle {
    let tif: OpaquePointer
    let messages: UnsafeMutablePointer<sn_tiff_messages>
    let path: String
    let fileSize: UInt64
    private var currentPage = 0

    /// Opens `path` with libtiff `mode`; errors name `reportedPath` (default: `path`), e.g. the
    /// final destination when `path` is a temporary file.
    init(path: String, mode: String, fileSize: UInt64, reportedPath: String? = nil) throws {
        self.path = reportedPath ?? path
        self.fileSize = fileSize
        messages = UnsafeMutablePointer<sn_tiff_messages>.allocate(capacity: 1)
        messages.initialize(to: sn_tiff_messages())
        guard let handle = sn_tiff_open(path, mode, messages, libtiffAllocationLimit) else {
            let detail = TIFFHandle.collect(messages)
            messages.deallocate()
            let kind: ImageIOError.Kind = mode.hasPrefix("r") ? .corrupt : .writeFailed
            let action = mode.hasPrefix("r") ? "cannot read the TIFF structure" : "cannot create the TIFF file"
            throw ImageIOError(path: reportedPath ?? path, kind: kind,
                               reason: detail.isEmpty ? action : "\(action) (libtiff: \(detail))")
        }
        tif = handle
    }

    deinit {
        TIFFClose(tif)
        messages.deallocate()
    }

    static func collect(_ messages: UnsafeMutablePointer<sn_tiff_messages>) -> String {
        var text = withUnsafePointer(to: &messages.pointee.errors) {
            $0.withMemoryRebound(to: CChar.self, capacity: Int(SN_TIFF_MESSAGE_CAPACITY)) { String(cString: $0) }
        }
        let stray = String(cString: sn_tiff_thread_messages())
        if !stray.isEmpty { text += text.isEmpty ? stray : "; " + stray }
        return text
    }

    /// libtiff's warnings since the last `clearMessages()`, one line.
    var libtiffWarnings: String {
        withUnsafePointer(to: &messages.pointee.warnings) {
            $0.withMemoryRebound(to: CChar.self, capacity: Int(SN_TIFF_MESSAGE_CAPACITY)) { String(cString: $0) }
        }
    }

    /// libtiff's messages since the last `clearMessages()`, one line.
    var libtiffMessage: String { TIFFHandle.collect(messages) }

    func clearMessages() { sn_tiff_clear_messages(messages) }

    /// " (libtiff: ...)" or "".
    private var libtiffSuffix: String {
        let message = libtiffMessage
        return message.isEmpty ? "" : " (libtiff: \(message))"
    }

    /// Reads every directory of the main chain (the first is already loaded by TIFFOpen).
    func scanPages(littleEndian: Bool, bigTIFF: Bool) throws -> (pages: [TIFFPage], description: String?) {
        var pages: [TIFFPage] = []
        var description: String?
        while true {
            // libtiff skips a tag whose data it cannot read with only a warning; in a truncated
            // file that silently drops e.g. the OME-XML. Treat it as the damage it is.
            let warnings = libtiffWarnings
            if warnings.contains("IO error during reading") {
                throw ImageIOError(path: path, kind: .truncated,
                                   reason: "truncated file (page \(pages.count): tag data lies beyond the end of the \(fileSize)-byte file; libtiff: \(warnings))")
            }
            var info = sn_tiff_page()
            guard sn_tiff_page_info(tif, &info) == 1 else {
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "damaged TIFF: page \(pages.count) lacks ImageWidth, ImageLength or tile size\(libtiffSuffix)")
            }
            if pages.isEmpty, let text = sn_tiff_image_description(tif) {
                description = String(cString: text)
            }
            pages.append(TIFFPage(info))
            if pages.count > 10_000_000 {
                throw ImageIOError(path: path, kind: .tooLarge, reason: "more than 10000000 pages")
            }
            clearMessages()
            if TIFFReadDirectory(tif) == 0 {
                if TIFFHandle.collect(messages).isEmpty { break }
                let nextPage = pages.count
                let detail = libtiffMessage
                let layout = TIFFDirectoryLayout(path: path, fileSize: fileSize, littleEndian: littleEndian, bigTIFF: bigTIFF)
                if case .directory(_, let next) = layout.inspect(at: info.directory_offset), next != 0 {
                    try layout.requireComplete(at: next, page: nextPage)
                }
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "damaged TIFF: the directory of page \(nextPage) cannot be read (libtiff: \(detail))")
            }
        }
        currentPage = pages.count - 1
        return (pages, description)
    }

    private func select(page: Int, info: TIFFPage) throws {
        guard page != currentPage else { return }
        clearMessages()
        guard TIFFSetSubDirectory(tif, info.info.directory_offset) == 1 else {
            throw ImageIOError(path: path, kind: .corrupt,
                               reason: "damaged TIFF: the directory of page \(page) cannot be read again\(libtiffSuffix)")
        }
        currentPage = page
    }

    /// Decodes page `page` (already selected) into `destination` (height * width * bytesPerSample
    /// bytes, rows packed) strip by strip or tile by tile.
    private func decode(page: Int, info pageInfo: TIFFPage, bytesPerSample: Int, into destination: UnsafeMutableRawPointer) throws {
        let info = pageInfo.info
        let width = Int(info.width)
        let height = Int(info.height)
        let rowBytes = width * bytesPerSample
        if info.is_tiled != 0 {
            let tileWidth = Int(info.tile_width)
            let tileHeight = Int(info.tile_length)
            guard tileWidth > 0, tileHeight > 0 else {
                throw ImageIOError(path: path, kind: .corrupt, reason: "damaged TIFF: page \(page) has a zero tile size")
            }
            let across = (width + tileWidth - 1) / tileWidth
            let down = (height + tileHeight - 1) / tileHeight
            let tileCount = across * down
            guard Int(info.strile_count) >= tileCount else {
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "damaged TIFF: page \(page) has \(info.strile_count) tiles but needs \(tileCount)")
            }
            let (tilePixels, overflow) = tileWidth.multipliedReportingOverflow(by: tileHeight)
            guard !overflow, tilePixels <= ImageLimits.maximumPlanePixels else {
                throw ImageIOError(path: path, kind: .tooLarge,
                                   reason: "page \(page) has absurdly large tiles (\(tileWidth) x \(tileHeight))")
            }
            let tileBytes = tilePixels * bytesPerSample
            let tileBuffer = UnsafeMutableRawPointer.allocate(byteCount: tileBytes, alignment: 16)
            defer { tileBuffer.deallocate() }
            let tileRowBytes = tileWidth * bytesPerSample
            for tileRow in 0..<down {
                for tileColumn in 0..<across {
                    let tile = tileRow * across + tileColumn
                    try checkStrile(tile, of: tileCount, page: page, noun: "tile")
                    clearMessages()
                    let got = TIFFReadEncodedTile(tif, UInt32(tile), tileBuffer, tmsize_t(tileBytes))
                    guard got == tileBytes else {
                        throw ImageIOError(path: path, kind: .corrupt,
                                           reason: "damaged TIFF: page \(page), tile \(tile) (of \(tileCount)) could not be decoded\(libtiffSuffix)")
                    }
                    let x0 = tileColumn * tileWidth
                    let y0 = tileRow * tileHeight
                    let copyBytes = min(tileWidth, width - x0) * bytesPerSample
                    for row in 0..<min(tileHeight, height - y0) {
                        (destination + (y0 + row) * rowBytes + x0 * bytesPerSample)
                            .copyMemory(from: tileBuffer + row * tileRowBytes, byteCount: copyBytes)
                    }
                }
            }
        } else {
            let rowsPerStrip = min(Int(info.rows_per_strip), height)
            guard rowsPerStrip > 0 else {
                throw ImageIOError(path: path, kind: .corrupt, reason: "damaged TIFF: page \(page) has RowsPerStrip 0")
            }
            let stripCount = (height + rowsPerStrip - 1) / rowsPerStrip
            guard Int(info.strile_count) >= stripCount else {
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "damaged TIFF: page \(page) has \(info.strile_count) strips but needs \(stripCount)")
            }
            for strip in 0..<stripCount {
                let rows = min(rowsPerStrip, height - strip * rowsPerStrip)
                let bytes = rows * rowBytes
                try checkStrile(strip, of: stripCount, page: page, noun: "strip")
                clearMessages()
                let got = TIFFReadEncodedStrip(tif, UInt32(strip), destination + strip * rowsPerStrip * rowBytes, tmsize_t(bytes))
                guard got == bytes else {
                    throw ImageIOError(path: path, kind: .corrupt,
                                       reason: "damaged TIFF: page \(page), strip \(strip) (of \(stripCount)) could not be decoded\(libtiffSuffix)")
                }
            }
        }
    }

    /// Throws `.truncated` when strip/tile `index` claims bytes beyond the end of the file.
    private func checkStrile(_ index: Int, of count: Int, page: Int, noun: String) throws {
        let offset = TIFFGetStrileOffset(tif, UInt32(index))
        let byteCount = TIFFGetStrileByteCount(tif, UInt32(index))
        if byteCount > 0, offset > fileSize || byteCount > fileSize - offset {
            let end = offset.addingReportingOverflow(byteCount)
            let endText = end.overflow ? "beyond byte 2^64" : "at byte \(end.partialValue)"
            throw ImageIOError(path: path, kind: .truncated,
                               reason: "truncated file (page \(page): \(noun) \(index) (of \(count)) ends \(endText), but the file has \(fileSize) bytes)")
        }
    }

    /// Validates size limits and returns (width, height, pixel count): the limit on pixels per plane, then
    /// the decoded size (`bytesPerSample` per pixel) against what the file's size can hold at the largest
    /// expansion of the page's compression (``ImageLimits/maximumExpansion(tiffCompression:)``), so that a
    /// header claiming gigabytes in a small file fails before any buffer is allocated.
    private func checkedSize(page: Int, info: TIFFPage, bytesPerSample: Int) throws -> (Int, Int, Int) {
        let (width, height, pixels) = try checkedSize(page: page, info: info)
        let compression = Int(info.info.compression)
        let ratio = UInt64(ImageLimits.maximumExpansion(tiffCompression: compression))
        let decoded = UInt64(pixels) * UInt64(bytesPerSample)
        let (capacity, overflow) = fileSize.multipliedReportingOverflow(by: ratio)
        if !overflow, decoded > capacity {
            throw ImageIOError(path: path, kind: .truncated,
                               reason: "truncated or damaged file (page \(page) claims \(width) x \(height) pixels, \(decoded) bytes decoded, but the \(fileSize)-byte file can hold at most \(capacity) with compression \(compression) (expansion up to \(ratio):1))")
        }
        return (width, height, pixels)
    }

    /// Validates size limits and returns (width, height, pixel count).
    private func checkedSize(page: Int, info: TIFFPage) throws -> (Int, Int, Int) {
        let width = Int(info.info.width)
        let height = Int(info.info.height)
        if width == 0 || height == 0 {
            throw ImageIOError(path: path, kind: .emptyImage, reason: "zero-sized image (page \(page) is \(width) x \(height) pixels)")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= ImageLimits.maximumPlanePixels else {
            throw ImageIOError(path: path, kind: .tooLarge,
                               reason: "image too large (page \(page) is \(width) x \(height) pixels; the limit is \(ImageLimits.maximumPlanePixels) pixels per plane)")
        }
        return (width, height, pixels)
    }

    func readPlane(page: Int, info: TIFFPage, path: String) throws -> ImagePlane {
        let format = try info.intensityFormat(path: path, page: page)
        let bytesPerSample = format.type.bitsPerSample / 8
        let (width, height, count) = try checkedSize(page: page, info: info, bytesPerSample: bytesPerSample)
        try select(page: page, info: info)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * bytesPerSample, alignment: 16)
        defer { raw.deallocate() }
        try decode(page: page, info: info, bytesPerSample: bytesPerSample, into: raw)
        let pixels = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = buffer.baseAddress!
            switch format.type {
            case .uint8:
                let source = raw.assumingMemoryBound(to: UInt8.self)
                if format.invert {
                    for i in 0..<count { out[i] = Float(255 &- source[i]) }
                } else {
                    for i in 0..<count { out[i] = Float(source[i]) }
                }
            case .uint16:
                let source = raw.assumingMemoryBound(to: UInt16.self)
                if format.invert {
                    for i in 0..<count { out[i] = Float(65535 &- source[i]) }
                } else {
                    for i in 0..<count { out[i] = Float(source[i]) }
                }
            case .float32:
                (UnsafeMutableRawPointer(out)).copyMemory(from: raw, byteCount: count * 4)
            }
            initialized = count
        }
        return ImagePlane(width: width, height: height, pixels: pixels, sampleType: format.type)
    }

    func readLabels(page: Int, info: TIFFPage, path: String) throws -> LabelImage {
        let type = try info.labelFormat(path: path, page: page)
        let bytesPerSample: Int
        switch type {
        case .uint8: bytesPerSample = 1
        case .uint16: bytesPerSample = 2
        case .uint32: bytesPerSample = 4
        }
        let (width, height, count) = try checkedSize(page: page, info: info, bytesPerSample: bytesPerSample)
        try select(page: page, info: info)
        let labels = try [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = buffer.baseAddress!
            if type == .uint32 {
                try decode(page: page, info: info, bytesPerSample: 4, into: UnsafeMutableRawPointer(out))
            } else {
                let raw = UnsafeMutableRawPointer.allocate(byteCount: count * bytesPerSample, alignment: 16)
                defer { raw.deallocate() }
                try decode(page: page, info: info, bytesPerSample: bytesPerSample, into: raw)
                if type == .uint8 {
                    let source = raw.assumingMemoryBound(to: UInt8.self)
                    for i in 0..<count { out[i] = UInt32(source[i]) }
                } else {
                    let source = raw.assumingMemoryBound(to: UInt16.self)
                    for i in 0..<count { out[i] = UInt32(source[i]) }
                }
            }
            initialized = count
        }
        return LabelImage(width: width, height: height, labels: labels)
    }
}
