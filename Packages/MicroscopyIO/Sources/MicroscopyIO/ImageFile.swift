import Foundation
import _CPNG
import _CTIFF
import _CTIFFSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TIFF (classic or BigTIFF, incl. OME-TIFF and ImageJ hyperstacks) or PNG file opened for reading.
///
/// Opening recognises the format from the first bytes (not the file name), reads every TIFF page
/// directory and the stack metadata of the first page. Planes are decoded on demand:
///
/// ```swift
/// let file = try ImageFile(path: "movie.ome.tif")
/// print(file.dimensions.sizeC, file.dimensions.sizeT)          // e.g. 4, 10
/// let nuclei = try file.plane(channel: 0, t: 9)                  // ImagePlane, Float intensities
/// let masks = try file.labels(channel: 2, t: 9)                  // LabelImage, UInt32 labels
/// ```
///
/// Supported pages: one sample per pixel, 8- or 16-bit unsigned integer or 32-bit float intensities
/// (`plane`), or 8-, 16- or 32-bit unsigned integer labels (`labels`); strips or tiles; any
/// compression libtiff decodes (at least none, LZW, deflate, PackBits), with or without predictor;
/// photometric min-is-black or min-is-white (integer intensities are inverted: `max - value`).
/// Everything else (RGB, palette intensities, 1/4/12-bit, signed, 64-bit, complex) throws
/// `.unsupportedFormat`.
///
/// Layout: OME-XML (first `<Pixels>` element) and ImageJ descriptions define C, Z, T and the page
/// order; any other file is a Z stack of all its pages (`plane(page:)` reads pages as a flat list).
///
/// Errors are `ImageIOError`s naming the file; libtiff and libpng never print on stderr.
/// An `ImageFile` can be shared between threads (reads are serialised by a lock).
public final class ImageFile: @unchecked Sendable {
    /// The path as given to `init(path:)`.
    public let path: String
    /// The container format, from the file's signature.
    public let format: ImageFileFormat
    /// Number of pages (TIFF directories in the main chain; 1 for PNG).
    public let pageCount: Int
    /// Plane size, C / Z / T sizes and page order.
    public let dimensions: StackDimensions
    /// Pixel size, Z spacing, unit and frame interval from the first page's OME-XML (`PhysicalSizeX/Y/Z`
    /// with their units, `TimeIncrement`) or from its resolution tags and ImageJ description (`unit=`,
    /// `spacing=`, `finterval=`, `tunit=`); empty for PNG and for files without physical metadata.
    public let calibration: PhysicalCalibration
    /// The name of each channel (OME `<Channel Name=…>`; for a one-channel ImageJ file MicroscopyIO's
    /// `channel_name=` key), `sizeC` entries, nil where unknown.
    public let channelNames: [String?]
    /// The display range of each channel (ImageJ `min=` / `max=` of a one-channel file), `sizeC` entries.
    public let displayRanges: [ClosedRange<Double>?]

    private let lock = NSLock()
    private var tiff: TIFFHandle?
    private let pages: [TIFFPage]
    private let pngInfo: sn_png_info?
    private let fileSize: UInt64

    /// Opens `path` and reads its header (for TIFF: every page directory and the first page's
    /// ImageDescription). Throws `ImageIOError` for a missing, unreadable, empty, non-image,
    /// truncated or damaged file, a zero-sized first page, or contradictory stack metadata.
    public init(path: String) throws {
        self.path = path
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw ImageIOError(path: path, kind: .fileNotFound, reason: "no such file")
            }
            throw ImageIOError(path: path, kind: .unreadable, reason: "cannot open (\(String(cString: strerror(code))))")
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw ImageIOError(path: path, kind: .unreadable, reason: "is a directory, not an image file")
        }
        fileSize = UInt64(max(0, status.st_size))
        if fileSize == 0 {
            throw ImageIOError(path: path, kind: .notAnImage, reason: "empty file (0 bytes)")
        }
        let head = try Self.readHead(path: path, count: 16)
        let signature = Signature(head)
        switch signature {
        case .png:
            format = .png
            let info = try PNGReading.header(path: path)
            pngInfo = info
            pages = []
            tiff = nil
            pageCount = 1
            dimensions = StackDimensions(width: Int(info.width), height: Int(info.height),
                                         sizeC: 1, sizeZ: 1, sizeT: 1, order: .xyzct, kind: .plain)
            calibration = PhysicalCalibration()
            channelNames = [nil]
            displayRanges = [nil]
        case .tiff(let big, let littleEndian):
            format = big ? .bigTIFF : .tiff
            pngInfo = nil
            let headerSize = big ? 16 : 8
            guard head.count >= headerSize else {
                throw ImageIOError(path: path, kind: .truncated,
                                   reason: "truncated file (\(fileSize) bytes; the \(big ? "BigTIFF" : "TIFF") header needs \(headerSize))")
            }
            let firstIFD = big ? readUInt64(head, at: 8, littleEndian: littleEndian)
                               : UInt64(readUInt32(head, at: 4, littleEndian: littleEndian))
            if firstIFD == 0 {
                throw ImageIOError(path: path, kind: .corrupt, reason: "damaged TIFF: the header points to no page directory")
            }
            // A cut inside the first directory makes libtiff fail with a generic message: say what happened.
            let layout = TIFFDirectoryLayout(path: path, fileSize: fileSize, littleEndian: littleEndian, bigTIFF: big)
            try layout.requireComplete(at: firstIFD, page: 0)
            let handle: TIFFHandle
            do {
                handle = try TIFFHandle(path: path, mode: "r", fileSize: fileSize)
            } catch let error as ImageIOError {
                // libtiff refuses zero-sized and overflowing sizes with technical messages.
                if let size = layout.imageSize(at: firstIFD) {
                    if size.width == 0 || size.height == 0 {
                        throw ImageIOError(path: path, kind: .emptyImage,
                                           reason: "zero-sized image (page 0 is \(size.width) x \(size.height) pixels)")
                    }
                    let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
                    if overflow || pixels > UInt64(ImageLimits.maximumPlanePixels) {
                        throw ImageIOError(path: path, kind: .tooLarge,
                                           reason: "image too large (page 0 is \(size.width) x \(size.height) pixels; the limit is \(ImageLimits.maximumPlanePixels) pixels per plane)")
                    }
                }
                throw error
            }
            let scanned = try handle.scanPages(littleEndian: littleEndian, bigTIFF: big)
            tiff = handle
            pages = scanned.pages
            pageCount = scanned.pages.count
            dimensions = try Self.stackDimensions(path: path, pages: scanned.pages, description: scanned.description)
            let first = scanned.pages[0].info
            let metadata = FileMetadata.read(
                description: scanned.description,
                page: ResolutionTags(x: first.x_resolution, y: first.y_resolution, unit: first.resolution_unit),
                sizeC: dimensions.sizeC)
            calibration = metadata.calibration
            let sizeC = dimensions.sizeC
            channelNames = (0..<sizeC).map { $0 < metadata.channelNames.count ? metadata.channelNames[$0] : nil }
            displayRanges = (0..<sizeC).map { $0 < metadata.displayRanges.count ? metadata.displayRanges[$0] : nil }
        case .tiffPrefix:
            throw ImageIOError(path: path, kind: .truncated,
                               reason: "truncated file (\(fileSize) bytes: only part of a TIFF header)")
        case .pngPrefix:
            throw ImageIOError(path: path, kind: .truncated,
                               reason: "truncated file (\(fileSize) bytes: only part of the PNG signature)")
        case .unknown:
            throw ImageIOError(path: path, kind: .notAnImage,
                               reason: "not a TIFF or PNG file (unrecognised signature \(hexPrefix(head)))")
        }
        if dimensions.width == 0 || dimensions.height == 0 {
            throw ImageIOError(path: path, kind: .emptyImage,
                               reason: "zero-sized image (\(dimensions.width) x \(dimensions.height) pixels)")
        }
    }

    /// The page index of (channel, z, t) under `dimensions.order`, after checking each index
    /// against its size. Throws `.indexOutOfRange` naming the file and the valid range.
    public func pageIndex(channel: Int = 0, z: Int = 0, t: Int = 0) throws -> Int {
        try checkIndex(channel, size: dimensions.sizeC, name: "channel")
        try checkIndex(z, size: dimensions.sizeZ, name: "z")
        try checkIndex(t, size: dimensions.sizeT, name: "t")
        return dimensions.pageIndex(channel: channel, z: z, t: t)
    }

    /// What a TIFF written from `channel` should keep: the file's calibration, the channel's name and
    /// display range (see ``ImageMetadata``). A channel out of range gives the calibration alone.
    public func metadata(channel: Int = 0) -> ImageMetadata {
        guard channel >= 0, channel < channelNames.count else { return ImageMetadata(calibration: calibration) }
        return ImageMetadata(calibration: calibration, channelName: channelNames[channel], displayRange: displayRanges[channel])
    }

    /// The sample type of a page's intensities, or nil if `plane(page:)` would throw for this page.
    public func sampleType(page: Int = 0) -> SampleType? {
        if let info = pngInfo { return info.bit_depth == 16 ? .uint16 : .uint8 }
        guard page >= 0, page < pages.count else { return nil }
        return try? pages[page].intensityFormat(path: path, page: page).type
    }

    /// Reads the intensity plane (channel, z, t) as `Float` (see `ImagePlane`). PNG color images
    /// are converted to gray (see `PNGReading`).
    public func plane(channel: Int = 0, z: Int = 0, t: Int = 0) throws -> ImagePlane {
        try plane(page: pageIndex(channel: channel, z: z, t: t))
    }

    /// Reads page `page` (0..<pageCount, file order) as an intensity plane.
    public func plane(page: Int) throws -> ImagePlane {
        try checkIndex(page, size: pageCount, name: "page")
        if pngInfo != nil { return try PNGReading.readGray(path: path) }
        try checkGeometry(page: page)
        lock.lock()
        defer { lock.unlock() }
        guard let tiff else { throw ImageIOError(path: path, kind: .unreadable, reason: "file is closed") }
        return try tiff.readPlane(page: page, info: pages[page], path: path)
    }

    /// Reads the label image (channel, z, t): uint8, uint16 or uint32 samples, exactly, as `UInt32`.
    public func labels(channel: Int = 0, z: Int = 0, t: Int = 0) throws -> LabelImage {
        try labels(page: pageIndex(channel: channel, z: z, t: t))
    }

    /// Reads page `page` (0..<pageCount, file order) as a label image (stored values, exactly;
    /// the photometric interpretation is ignored and palette PNG / TIFF indices are the labels).
    public func labels(page: Int) throws -> LabelImage {
        try checkIndex(page, size: pageCount, name: "page")
        if pngInfo != nil { return try PNGReading.readLabels(path: path) }
        try checkGeometry(page: page)
        lock.lock()
        defer { lock.unlock() }
        guard let tiff else { throw ImageIOError(path: path, kind: .unreadable, reason: "file is closed") }
        return try tiff.readLabels(page: page, info: pages[page], path: path)
    }

    /// In an OME or ImageJ stack every page used by the layout must have the stack's plane size.
    /// (Pages of a plain multi-page TIFF may differ; each plane then has its own page's size.)
    private func checkGeometry(page: Int) throws {
        guard dimensions.kind != .plain, page < dimensions.planeCount else { return }
        let info = pages[page].info
        if Int(info.width) != dimensions.width || Int(info.height) != dimensions.height {
            throw ImageIOError(path: path, kind: .corrupt,
                               reason: "page \(page) is \(info.width) x \(info.height) pixels, but the \(dimensions.kind == .ome ? "OME" : "ImageJ") stack's planes are \(dimensions.width) x \(dimensions.height)")
        }
    }

    private func checkIndex(_ index: Int, size: Int, name: String) throws {
        guard index >= 0, index < size else {
            let range = size == 1 ? "only \(name) 0 exists" : "valid \(name) indices are 0...\(size - 1)"
            throw ImageIOError(path: path, kind: .indexOutOfRange,
                               reason: "\(name) index \(index) is out of range (\(range))")
        }
    }

    private static func readHead(path: String, count: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ImageIOError(path: path, kind: .unreadable, reason: "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + got, count - got) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageIOError(path: path, kind: .unreadable, reason: "read error (\(String(cString: strerror(errno))))")
            }
            if n == 0 { break }
            got += n
        }
        return Array(bytes[0..<got])
    }

    /// Derives C/Z/T and the order from the first page's description, checking it against the pages.
    private static func stackDimensions(path: String, pages: [TIFFPage], description: String?) throws -> StackDimensions {
        let first = pages[0]
        let width = Int(first.info.width)
        let height = Int(first.info.height)
        let plain = StackDimensions(width: width, height: height, sizeC: 1, sizeZ: pages.count, sizeT: 1,
                                    order: .xyzct, kind: .plain)
        guard let description else { return plain }

        if StackMetadataParser.isOME(description), let ome = StackMetadataParser.omePixels(description) {
            guard let sizeC = ome.sizeC, let sizeZ = ome.sizeZ, let sizeT = ome.sizeT,
                  sizeC > 0, sizeZ > 0, sizeT > 0 else {
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "OME-XML <Pixels> lacks valid SizeC, SizeZ or SizeT attributes")
            }
            let orderText = (ome.dimensionOrder ?? "XYZCT").uppercased()
            guard let order = DimensionOrder(rawValue: orderText) else {
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "OME-XML DimensionOrder \"\(ome.dimensionOrder ?? "")\" is not one of XYZCT, XYZTC, XYCZT, XYCTZ, XYTZC, XYTCZ")
            }
            if let sizeX = ome.sizeX, let sizeY = ome.sizeY, sizeX != width || sizeY != height {
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "OME-XML says \(sizeX) x \(sizeY) pixels (SizeX x SizeY) but page 0 is \(width) x \(height)")
            }
            let pageFormat = first.info.sample_format == 4 ? 1 : Int(first.info.sample_format)  // 4: untyped = unsigned
            if let type = ome.type, let expected = omeTypeBits(type), expected != (Int(first.info.bits_per_sample), pageFormat),
               first.info.samples_per_pixel == 1 {
                throw ImageIOError(path: path, kind: .corrupt,
                                   reason: "OME-XML Type=\"\(type)\" does not match page 0 (\(first.formatDescription))")
            }
            let dimensions = StackDimensions(width: width, height: height, sizeC: sizeC, sizeZ: sizeZ, sizeT: sizeT,
                                             order: order, kind: .ome)
            try checkPlaneCount(path: path, dimensions: dimensions, pages: pages, source: "OME-XML")
            return dimensions
        }
        if let imageJ = StackMetadataParser.imageJ(description) {
            var channels = imageJ.channels ?? 1
            var slices = imageJ.slices ?? 1
            var frames = imageJ.frames ?? 1
            if channels == 0 || slices == 0 || frames == 0 {
                throw ImageIOError(path: path, kind: .corrupt, reason: "ImageJ description has a zero channels, slices or frames count")
            }
            if let images = imageJ.images, images > 1, channels == 1, slices == 1, frames == 1 {
                slices = images  // a plain ImageJ stack
            }
            if imageJ.channels == nil && imageJ.slices == nil && imageJ.frames == nil && imageJ.images == nil {
                slices = pages.count
                channels = 1
                frames = 1
            }
            let dimensions = StackDimensions(width: width, height: height, sizeC: channels, sizeZ: slices, sizeT: frames,
                                             order: .xyczt, kind: .imageJ)
            try checkPlaneCount(path: path, dimensions: dimensions, pages: pages, source: "ImageJ metadata")
            return dimensions
        }
        return plain
    }

    private static func checkPlaneCount(path: String, dimensions: StackDimensions, pages: [TIFFPage], source: String) throws {
        let (product, overflow1) = dimensions.sizeC.multipliedReportingOverflow(by: dimensions.sizeZ)
        let (total, overflow2) = product.multipliedReportingOverflow(by: dimensions.sizeT)
        let shape = "C=\(dimensions.sizeC), Z=\(dimensions.sizeZ), T=\(dimensions.sizeT)"
        if overflow1 || overflow2 || total > pages.count {
            if pages[0].info.samples_per_pixel > 1 {
                throw ImageIOError(path: path, kind: .unsupportedFormat,
                                   reason: "unsupported sample format: \(pages[0].info.samples_per_pixel) samples per pixel (RGB or multi-sample pages); only single-sample pages are supported")
            }
            let hint = dimensions.kind == .ome
                ? "multi-file OME-TIFF datasets are not supported"
                : "ImageJ files that hold more images than pages (e.g. > 4 GiB) are not supported"
            throw ImageIOError(path: path, kind: .unsupportedFormat,
                               reason: "\(source) describes \(overflow1 || overflow2 ? "too many" : String(total)) planes (\(shape)) but the file has only \(pages.count) page\(pages.count == 1 ? "" : "s") (\(hint))")
        }
    }

    /// (bits, TIFF sample format) of an OME pixel type, for a consistency check.
    private static func omeTypeBits(_ type: String) -> (Int, Int)? {
        switch type.lowercased() {
        case "uint8": return (8, 1)
        case "uint16": return (16, 1)
        case "uint32": return (32, 1)
        case "int8": return (8, 2)
        case "int16": return (16, 2)
        case "int32": return (32, 2)
        case "float": return (32, 3)
        case "double": return (64, 3)
        default: return nil
        }
    }
}

/// Reads the first page of `path` (channel 0, z 0, t 0) as an intensity plane; dispatches on the
/// file's signature (TIFF, BigTIFF or PNG). See `ImageFile` for formats and errors.
public func readImage(_ path: String) throws -> ImagePlane {
    try ImageFile(path: path).plane()
}

/// Reads the first page of `path` as a label image (uint8/uint16/uint32 samples, exact).
public func readLabels(_ path: String) throws -> LabelImage {
    try ImageFile(path: path).labels()
}

// MARK: - Signature

private enum Signature {
    case tiff(big: Bool, littleEndian: Bool)
    case png
    case tiffPrefix
    case pngPrefix
    case unknown

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let tiffMagics: [([UInt8], Bool, Bool)] = [
        ([0x49, 0x49, 0x2A, 0x00], false, true), ([0x4D, 0x4D, 0x00, 0x2A], false, false),
        ([0x49, 0x49, 0x2B, 0x00], true, true), ([0x4D, 0x4D, 0x00, 0x2B], true, false),
    ]

    init(_ head: [UInt8]) {
        if head.count >= 8, Array(head[0..<8]) == Signature.pngSignature { self = .png; return }
        if head.count >= 4 {
            for (magic, big, little) in Signature.tiffMagics where Array(head[0..<4]) == magic {
                self = .tiff(big: big, littleEndian: little)
                return
            }
        }
        if head.count < 8, Array(Signature.pngSignature[0..<head.count]) == head { self = .pngPrefix; return }
        if head.count < 4, Signature.tiffMagics.contains(where: { Array($0.0[0..<head.count]) == head }) {
            self = .tiffPrefix
            return
        }
        self = .unknown
    }
}

private func hexPrefix(_ bytes: [UInt8]) -> String {
    bytes.prefix(8).map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }.joined(separator: " ")
}

func readUInt32(_ bytes: [UInt8], at offset: Int, littleEndian: Bool) -> UInt32 {
    var value: UInt32 = 0
    for i in 0..<4 {
        let byte = UInt32(bytes[offset + (littleEndian ? 3 - i : i)])
        value = (value << 8) | byte
    }
    return value
}

func readUInt64(_ bytes: [UInt8], at offset: Int, littleEndian: Bool) -> UInt64 {
    var value: UInt64 = 0
    for i in 0..<8 {
        let byte = UInt64(bytes[offset + (littleEndian ? 7 - i : i)])
        value = (value << 8) | byte
    }
    return value
}

func readUInt16(_ bytes: [UInt8], at offset: Int, littleEndian: Bool) -> UInt16 {
    littleEndian ? UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
                 : UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
}
