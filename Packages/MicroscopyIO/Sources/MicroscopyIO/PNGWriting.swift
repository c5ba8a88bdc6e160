import _CPNG

/// zlib level for PNG output (0...9). 1 (fastest) writes noisy 16-bit microscopy images about 4x
/// faster than zlib's default 6 for files only a few percent larger.
let pngCompressionLevel: Int32 = 1

/// Writes an intensity plane as a gray PNG (8- or 16-bit), atomically.
///
/// Values are rounded to the nearest integer (halves away from zero) and clamped to 0...255 or
/// 0...65535; NaN becomes 0.
///
/// - Parameters:
///   - plane: width and height > 0, `pixels.count == width * height`.
///   - path: the output file (replaced if it exists).
///   - sampleType: `.uint8` or `.uint16`; nil derives it from `plane.sampleType` (`.float32`
///     planes then need an explicit choice and throw `.invalidArgument`).
/// - Throws: `ImageIOError` (`.invalidArgument`, `.writeFailed`) naming `path`.
public func writePNG(_ plane: ImagePlane, to path: String, sampleType: PNGSampleType? = nil) throws {
    try validateSizes([(plane.width, plane.height, plane.pixels.count)], layout: nil, path: path)
    let type: PNGSampleType
    if let sampleType {
        type = sampleType
    } else {
        switch plane.sampleType {
        case .uint8: type = .uint8
        case .uint16: type = .uint16
        case .float32:
            throw ImageIOError(path: path, kind: .invalidArgument,
                               reason: "a float32 plane cannot be stored in PNG as is; pass sampleType: .uint8 or .uint16")
        }
    }
    let sampleBytes = type == .uint16 ? 2 : 1
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: plane.pixels.count * sampleBytes, alignment: 16)
    defer { buffer.deallocate() }
    fillSamples(plane.pixels, type: type == .uint16 ? .uint16 : .uint8, into: buffer)
    try writeGrayPNG(buffer, width: plane.width, height: plane.height, bitDepth: sampleBytes * 8, to: path)
}

/// Writes a label image as a gray PNG (8- or 16-bit), losslessly and atomically.
///
/// - Parameters:
///   - sampleType: `.uint8` or `.uint16`; nil picks uint8 when every label is at most 255, else
///     uint16. Labels above 65535 cannot be stored in PNG: use `writeLabels` (TIFF) instead; a label
///     larger than the chosen type holds throws `.invalidArgument`.
public func writeLabelsPNG(_ image: LabelImage, to path: String, sampleType: PNGSampleType? = nil) throws {
    try validateSizes([(image.width, image.height, image.labels.count)], layout: nil, path: path)
    let maximum = image.maximumLabel
    let type = sampleType ?? (maximum <= 255 ? .uint8 : .uint16)
    let limit: UInt32 = type == .uint16 ? 65535 : 255
    guard maximum <= limit else {
        throw ImageIOError(path: path, kind: .invalidArgument,
                           reason: "label \(maximum) does not fit in a \(type == .uint16 ? 16 : 8)-bit PNG (maximum \(limit)); write labels above 65535 as TIFF")
    }
    let sampleBytes = type == .uint16 ? 2 : 1
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: image.labels.count * sampleBytes, alignment: 16)
    defer { buffer.deallocate() }
    fillLabels(image.labels, bytesPerSample: sampleBytes, into: buffer)
    try writeGrayPNG(buffer, width: image.width, height: image.height, bitDepth: sampleBytes * 8, to: path)
}

private func writeGrayPNG(_ samples: UnsafeMutableRawPointer, width: Int, height: Int, bitDepth: Int, to path: String) throws {
    guard width <= Int(Int32.max), height <= Int(Int32.max) else {
        throw ImageIOError(path: path, kind: .invalidArgument, reason: "image too large for PNG (\(width) x \(height))")
    }
    try writeFileAtomically(to: path) { temporary in
        var message = [CChar](repeating: 0, count: Int(SN_PNG_MESSAGE_CAPACITY))
        let status = sn_png_write_gray(temporary, UInt32(width), UInt32(height), Int32(bitDepth), samples,
                                       pngCompressionLevel, &message, message.count)
        guard status == SN_PNG_OK else {
            throw ImageIOError(path: path, kind: status == SN_PNG_INVALID_ARGUMENT ? .invalidArgument : .writeFailed,
                               reason: "cannot write the PNG (\(String(cString: message)))")
        }
    }
}
