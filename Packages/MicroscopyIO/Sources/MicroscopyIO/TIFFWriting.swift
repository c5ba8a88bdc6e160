import _CTIFF
import _CTIFFSupport

/// The value written to the TIFF Software tag.
let softwareTag = "SaliencyNet MicroscopyIO"

/// Writes intensity planes as a TIFF: one page per plane, in the given order.
///
/// Samples are converted from `Float`: for `.uint8` / `.uint16` each value is rounded to the
/// nearest integer (halves away from zero) and clamped to 0...255 / 0...65535, NaN becomes 0;
/// `.float32` stores the values unchanged. Pages are min-is-black, single-sample, in strips of about
/// 256 KiB, little-endian; BigTIFF is used automatically when the uncompressed data exceeds
/// 3.5 GiB (2 GiB with compression).
/// With a `layout`, an ImageJ hyperstack description (`images=`, `channels=`, `slices=`, `frames=`)
/// is stored in the first page, and `planes` must be in ImageJ order (channel fastest, then Z, then T).
/// With a layout, metadata or annotations the file gets an ImageJ description (also for one plane: `images=1`;
/// several planes without a layout are a stack of slices); without any, a plain TIFF (a Z stack when several
/// planes). `metadata` is stored as ImageJ stores it
/// (see ``ImageMetadata``): XResolution / YResolution = 1 / pixel size with ResolutionUnit none (inch or cm
/// when that is the unit), and `unit=`, `spacing=`, `finterval=`, `tunit=`, `min=`/`max=`, `channel_name=`
/// description keys. With `annotations`, each pair is added to the description as a `key=value` line
/// (keys and values lose any `=`, newline or carriage return), e.g. `nucleus_diameter_px=23.4`.
/// The file is written atomically (see `writeFileAtomically(to:_:)`).
///
/// - Parameters:
///   - planes: at least one plane; all must have the same width and height (> 0) and
///     `pixels.count == width * height`.
///   - path: the output file (replaced if it exists).
///   - sampleType: the stored sample type; nil uses `planes[0].sampleType`.
///   - compression: `.none` (default), `.lzw` or `.deflate`.
///   - layout: optional hyperstack shape; `channels * slices * frames` must equal `planes.count`.
/// - Throws: `ImageIOError` (`.invalidArgument` or `.writeFailed`) naming `path`.
public func writeTIFF(_ planes: [ImagePlane], to path: String, sampleType: SampleType? = nil,
                      compression: TIFFCompression = .none, layout: HyperstackLayout? = nil,
                      metadata: ImageMetadata = ImageMetadata(),
                      annotations: [(key: String, value: String)] = []) throws {
    guard let first = planes.first else {
        throw ImageIOError(path: path, kind: .invalidArgument, reason: "no planes to write")
    }
    let type = sampleType ?? first.sampleType
    try validateSizes(planes.map { ($0.width, $0.height, $0.pixels.count) }, layout: layout, path: path)
    let pages = planes.map { plane in
        TIFFPageSource(width: plane.width, height: plane.height, bytesPerSample: type.bitsPerSample / 8,
                       sampleFormat: type == .float32 ? 3 : 1) { destination in
            fillSamples(plane.pixels, type: type, into: destination)
        }
    }
    try writeTIFFPages(pages, to: path, compression: compression, layout: layout, metadata: metadata, annotations: annotations)
}

/// Writes one intensity plane as a single-page TIFF (see `writeTIFF(_:to:sampleType:compression:layout:metadata:annotations:)`).
public func writeTIFF(_ plane: ImagePlane, to path: String, sampleType: SampleType? = nil,
                      compression: TIFFCompression = .none, metadata: ImageMetadata = ImageMetadata()) throws {
    try writeTIFF([plane], to: path, sampleType: sampleType, compression: compression, layout: nil, metadata: metadata)
}

/// Writes label images as a TIFF, one page per image, losslessly (labels never pass through
/// floating point).
///
/// - Parameters:
///   - images: at least one label image, all of the same width and height (> 0).
///   - path: the output file (replaced if it exists; written atomically).
///   - sampleType: `.uint8`, `.uint16` or `.uint32`; nil picks uint16 when every label is at most
///     65535, else uint32. A label larger than the chosen type holds is an `.invalidArgument` error
///     (never silently truncated).
///   - compression: `.none` (default), `.lzw` or `.deflate` (labels compress very well).
///   - layout: optional hyperstack shape, as for `writeTIFF`.
///   - metadata: calibration and channel name (a display range is written too when given), as for `writeTIFF`.
///   - annotations: `key=value` lines for the ImageJ description, as for `writeTIFF`.
public func writeLabels(_ images: [LabelImage], to path: String, sampleType: LabelSampleType? = nil,
                        compression: TIFFCompression = .none, layout: HyperstackLayout? = nil,
                        metadata: ImageMetadata = ImageMetadata(),
                        annotations: [(key: String, value: String)] = []) throws {
    guard !images.isEmpty else {
        throw ImageIOError(path: path, kind: .invalidArgument, reason: "no label images to write")
    }
    try validateSizes(images.map { ($0.width, $0.height, $0.labels.count) }, layout: layout, path: path)
    let maximum = images.reduce(UInt32(0)) { max($0, $1.maximumLabel) }
    let type = sampleType ?? LabelSampleType.smallest(holding: maximum)
    guard maximum <= type.maximumLabel else {
        throw ImageIOError(path: path, kind: .invalidArgument,
                           reason: "label \(maximum) does not fit in \(type.rawValue) (maximum \(type.maximumLabel))")
    }
    let bytesPerSample: Int
    switch type {
    case .uint8: bytesPerSample = 1
    case .uint16: bytesPerSample = 2
    case .uint32: bytesPerSample = 4
    }
    let pages = images.map { image in
        TIFFPageSource(width: image.width, height: image.height, bytesPerSample: bytesPerSample, sampleFormat: 1) { destination in
            fillLabels(image.labels, bytesPerSample: bytesPerSample, into: destination)
        }
    }
    try writeTIFFPages(pages, to: path, compression: compression, layout: layout, metadata: metadata, annotations: annotations)
}

/// Writes one label image as a single-page TIFF (see `writeLabels(_:to:sampleType:compression:layout:metadata:annotations:)`).
public func writeLabels(_ image: LabelImage, to path: String, sampleType: LabelSampleType? = nil,
                        compression: TIFFCompression = .none, metadata: ImageMetadata = ImageMetadata()) throws {
    try writeLabels([image], to: path, sampleType: sampleType, compression: compression, layout: nil, metadata: metadata)
}

// MARK: - Internals

/// One page to write: its geometry and a closure that fills a packed row-major sample buffer.
struct TIFFPageSource {
    var width: Int
    var height: Int
    var bytesPerSample: Int
    var sampleFormat: UInt16
    var fill: (UnsafeMutableRawPointer) -> Void
}

func validateSizes(_ sizes: [(width: Int, height: Int, count: Int)], layout: HyperstackLayout?, path: String) throws {
    let (width, height, _) = sizes[0]
    for (index, size) in sizes.enumerated() {
        if size.width <= 0 || size.height <= 0 {
            throw ImageIOError(path: path, kind: .invalidArgument,
                               reason: "zero-sized image (plane \(index) is \(size.width) x \(size.height) pixels)")
        }
        let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        if overflow || pixels > ImageLimits.maximumPlanePixels || size.width > Int(UInt32.max) || size.height > Int(UInt32.max) {
            throw ImageIOError(path: path, kind: .invalidArgument,
                               reason: "image too large (plane \(index) is \(size.width) x \(size.height) pixels)")
        }
        if size.count != pixels {
            throw ImageIOError(path: path, kind: .invalidArgument,
                               reason: "plane \(index) has \(size.count) values for \(size.width) x \(size.height) pixels")
        }
        if size.width != width || size.height != height {
            throw ImageIOError(path: path, kind: .invalidArgument,
                               reason: "plane \(index) is \(size.width) x \(size.height) but plane 0 is \(width) x \(height); all planes of a stack must have the same size")
        }
    }
    if let layout {
        guard layout.channels > 0, layout.slices > 0, layout.frames > 0,
              layout.channels * layout.slices * layout.frames == sizes.count else {
            throw ImageIOError(path: path, kind: .invalidArgument,
                               reason: "hyperstack layout C=\(layout.channels) x Z=\(layout.slices) x T=\(layout.frames) does not match \(sizes.count) planes")
        }
    }
}

func imageJDescription(_ layout: HyperstackLayout) -> String {
    let images = layout.channels * layout.slices * layout.frames
    var text = "ImageJ=1.11a\nimages=\(images)\n"
    if layout.channels > 1 { text += "channels=\(layout.channels)\n" }
    if layout.slices > 1 { text += "slices=\(layout.slices)\n" }
    if layout.frames > 1 { text += "frames=\(layout.frames)\n" }
    if [layout.channels, layout.slices, layout.frames].filter({ $0 > 1 }).count > 1 || layout.channels > 1 {
        text += "hyperstack=true\nmode=grayscale\n"
    }
    text += "loop=false\n"
    return text
}

/// The TIFF predictor written for `compression` and `sampleFormat` (3: IEEE float), chosen so that every
/// common reader decodes the file: the horizontal predictor (2) with LZW on integer samples (decoded by
/// ImageJ for decades and by tifffile without imagecodecs); no predictor (1) with deflate (ImageJ before
/// 1.53v cannot undo predictor 2 on deflated 16-bit data) and none for float32 (the floating-point predictor 3
/// needs imagecodecs in tifffile and is unknown to ImageJ 1.53/1.54; predictor 2 on float is not portable).
func tiffPredictor(compression: TIFFCompression, sampleFormat: UInt16) -> UInt16 {
    compression == .lzw && sampleFormat != 3 ? 2 : 1
}

private func writeTIFFPages(_ pages: [TIFFPageSource], to path: String, compression: TIFFCompression,
                            layout: HyperstackLayout?, metadata: ImageMetadata,
                            annotations: [(key: String, value: String)] = []) throws {
    let totalBytes = pages.reduce(0) { $0 + $1.width * $1.height * $1.bytesPerSample }
    // Classic TIFF offsets are 32-bit. LZW can expand noisy data, so compressed output switches earlier.
    let bigTIFF = totalBytes > (compression == .none ? (7 << 29) : (1 << 31))  // 3.5 GiB / 2 GiB
    // An ImageJ description when there is something to say: a layout, metadata or annotations (a plain
    // stack of several pages then becomes an ImageJ stack of that many slices).
    let description: String? = layout != nil || !metadata.isEmpty || !annotations.isEmpty
        ? imageJDescription(layout ?? HyperstackLayout(slices: pages.count), metadata: metadata, annotations: annotations)
        : nil
    let resolution = resolutionTags(metadata.calibration)
    try writeFileAtomically(to: path) { temporary in
        let handle = try TIFFHandle(path: temporary, mode: bigTIFF ? "w8" : "w", fileSize: 0, reportedPath: path)
        for (index, page) in pages.enumerated() {
            let rowBytes = page.width * page.bytesPerSample
            let rowsPerStrip = max(1, min(page.height, (256 * 1024) / rowBytes))
            let compressionCode: UInt16
            switch compression {
            case .none: compressionCode = 1
            case .lzw: compressionCode = 5
            case .deflate: compressionCode = 8
            }
            let predictor = tiffPredictor(compression: compression, sampleFormat: page.sampleFormat)
            handle.clearMessages()
            let tagsSet = sn_tiff_set_page_tags(
                handle.tif, UInt32(page.width), UInt32(page.height), UInt16(page.bytesPerSample * 8),
                page.sampleFormat, compressionCode, predictor, UInt32(rowsPerStrip),
                index == 0 ? description : nil, softwareTag,
                UInt16(clamping: index), UInt16(clamping: pages.count))
            let resolutionSet = resolution.map { sn_tiff_set_resolution(handle.tif, $0.x, $0.y, $0.unit) } ?? 1
            guard tagsSet == 1, resolutionSet == 1 else {
                throw ImageIOError(path: path, kind: .writeFailed,
                                   reason: "cannot set the TIFF tags of page \(index) (libtiff: \(handle.libtiffMessage))")
            }
            // The directory goes before its pixels ([IFD 0][data 0][IFD 1][data 1]…, as ImageJ lays pages out):
            // with data first, tifffile reads an uncompressed ImageJ stack whose next directory starts beyond
            // `images × plane bytes` as one contiguous block (a "virtual" stack) and returns garbage planes.
            guard TIFFCheckpointDirectory(handle.tif) == 1 else {
                throw ImageIOError(path: path, kind: .writeFailed,
                                   reason: "cannot write the directory of page \(index) (libtiff: \(handle.libtiffMessage))")
            }
            let bytes = rowBytes * page.height
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
            defer { buffer.deallocate() }
            page.fill(buffer)
            var row = 0
            var strip: UInt32 = 0
            while row < page.height {
                let rows = min(rowsPerStrip, page.height - row)
                let written = TIFFWriteEncodedStrip(handle.tif, strip, buffer + row * rowBytes, tmsize_t(rows * rowBytes))
                guard written >= 0 else {
                    throw ImageIOError(path: path, kind: .writeFailed,
                                       reason: "cannot write page \(index), strip \(strip) (libtiff: \(handle.libtiffMessage))")
                }
                row += rows
                strip += 1
            }
            guard TIFFWriteDirectory(handle.tif) == 1 else {
                throw ImageIOError(path: path, kind: .writeFailed,
                                   reason: "cannot write the directory of page \(index) (libtiff: \(handle.libtiffMessage))")
            }
        }
        handle.clearMessages()
        guard TIFFFlush(handle.tif) == 1 else {
            throw ImageIOError(path: path, kind: .writeFailed, reason: "cannot flush the TIFF (libtiff: \(handle.libtiffMessage))")
        }
    }
}

/// XResolution, YResolution (pixels per unit) and ResolutionUnit for `calibration`, or nil without a pixel
/// size: ImageJ's convention, unit 1 (none; the unit is in the description) except inch (2) and cm (3).
func resolutionTags(_ calibration: PhysicalCalibration) -> (x: Double, y: Double, unit: UInt16)? {
    guard let width = calibration.pixelWidth ?? calibration.pixelHeight,
          let height = calibration.pixelHeight ?? calibration.pixelWidth else { return nil }
    let unit: UInt16 = switch calibration.unit {
    case "inch": 2
    case "cm": 3
    default: 1
    }
    return (1 / width, 1 / height, unit)
}

/// Converts `Float` intensities into packed samples of `type` (round half away from zero, clamp,
/// NaN -> 0 for integer types).
func fillSamples(_ pixels: [Float], type: SampleType, into destination: UnsafeMutableRawPointer) {
    pixels.withUnsafeBufferPointer { source in
        let count = source.count
        guard let input = source.baseAddress else { return }
        switch type {
        case .uint8:
            let out = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { out[i] = UInt8(clampedRounding(input[i], maximum: 255)) }
        case .uint16:
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = UInt16(clampedRounding(input[i], maximum: 65535)) }
        case .float32:
            destination.copyMemory(from: input, byteCount: count * 4)
        }
    }
}

@inline(__always)
func clampedRounding(_ value: Float, maximum: Float) -> Float {
    // NaN fails both comparisons below and would stay NaN: map it to 0 first.
    let v = value.isNaN ? 0 : value.rounded(.toNearestOrAwayFromZero)
    return v < 0 ? 0 : (v > maximum ? maximum : v)
}

func fillLabels(_ labels: [UInt32], bytesPerSample: Int, into destination: UnsafeMutableRawPointer) {
    labels.withUnsafeBufferPointer { source in
        let count = source.count
        guard let input = source.baseAddress else { return }
        switch bytesPerSample {
        case 1:
            let out = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { out[i] = UInt8(truncatingIfNeeded: input[i]) }
        case 2:
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = UInt16(truncatingIfNeeded: input[i]) }
        default:
            destination.copyMemory(from: input, byteCount: count * 4)
        }
    }
}
