#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// The image value types (ImagePlane, SampleType, LabelImage, IntensityNormalization) live in the codec-free
// leaf package ImageCore; re-exported so that `import MicroscopyIO` keeps providing them.
@_exported import ImageCore

/// The storage type of instance labels in a file or requested for writing.
public enum LabelSampleType: String, Sendable, Equatable, CaseIterable {
    /// 8-bit unsigned integer labels (0...255).
    case uint8
    /// 16-bit unsigned integer labels (0...65535).
    case uint16
    /// 32-bit unsigned integer labels (0...4294967295).
    case uint32

    /// The largest label this type can store.
    public var maximumLabel: UInt32 {
        switch self {
        case .uint8: return UInt32(UInt8.max)
        case .uint16: return UInt32(UInt16.max)
        case .uint32: return UInt32.max
        }
    }

    /// The smallest type of uint16 and uint32 that holds `maximumLabel` (uint16 for 0...65535).
    public static func smallest(holding maximumLabel: UInt32) -> LabelSampleType {
        maximumLabel <= UInt32(UInt16.max) ? .uint16 : .uint32
    }
}

/// The bit depth of a gray PNG to write.
public enum PNGSampleType: String, Sendable, Equatable, CaseIterable {
    /// 8-bit gray (values 0...255).
    case uint8
    /// 16-bit gray (values 0...65535).
    case uint16
}

/// TIFF compression for writing. LZW and deflate use a predictor: horizontal differencing for
/// integer samples and the floating-point predictor (TIFF predictor 3) for float32.
public enum TIFFCompression: String, Sendable, Equatable, CaseIterable {
    /// No compression: fastest to write and read.
    case none
    /// LZW (TIFF compression 5) with a predictor.
    case lzw
    /// Deflate / zlib (TIFF compression 8, "Adobe deflate") with a predictor; zlib's default level.
    case deflate
}

/// Order in which the pages of a multi-dimensional file run through channel (C), Z and time (T),
/// spelled like OME's `DimensionOrder`: after X and Y, the first letter varies fastest.
///
/// For `.xytcz` (OME `XYTCZ`) the page index of (c, z, t) is `t + sizeT * (c + sizeC * z)`.
public enum DimensionOrder: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// Z fastest, then C, then T.
    case xyzct = "XYZCT"
    /// Z fastest, then T, then C.
    case xyztc = "XYZTC"
    /// C fastest, then Z, then T (ImageJ hyperstacks).
    case xyczt = "XYCZT"
    /// C fastest, then T, then Z.
    case xyctz = "XYCTZ"
    /// T fastest, then Z, then C.
    case xytzc = "XYTZC"
    /// T fastest, then C, then Z.
    case xytcz = "XYTCZ"

    /// The OME spelling, e.g. "XYTCZ".
    public var description: String { rawValue }
}

/// Which metadata defined a file's channel / Z / T layout.
public enum StackMetadataKind: String, Sendable, Equatable {
    /// No stack metadata (plain TIFF or PNG): the pages are a Z stack with one channel and one time point.
    case plain
    /// OME-XML in the first page's ImageDescription (`<Pixels SizeC= SizeZ= SizeT= DimensionOrder=>`).
    case ome
    /// An ImageJ ImageDescription (`images=`, `channels=`, `slices=`, `frames=`; C fastest, then Z, then T).
    case imageJ
}

/// The shape of an opened file: plane size, channel / Z / T sizes and the page order.
public struct StackDimensions: Equatable, Sendable {
    /// Columns of a plane (from the metadata, equal to the first page's width).
    public var width: Int
    /// Rows of a plane.
    public var height: Int
    /// Number of channels (C).
    public var sizeC: Int
    /// Number of Z slices.
    public var sizeZ: Int
    /// Number of time points (T).
    public var sizeT: Int
    /// The order of the pages (see `DimensionOrder`).
    public var order: DimensionOrder
    /// Where the layout came from.
    public var kind: StackMetadataKind

    /// Creates dimensions.
    public init(width: Int, height: Int, sizeC: Int, sizeZ: Int, sizeT: Int,
                order: DimensionOrder, kind: StackMetadataKind) {
        self.width = width
        self.height = height
        self.sizeC = sizeC
        self.sizeZ = sizeZ
        self.sizeT = sizeT
        self.order = order
        self.kind = kind
    }

    /// `sizeC * sizeZ * sizeT`: the number of pages the layout uses (the file may have more).
    public var planeCount: Int { sizeC * sizeZ * sizeT }

    /// The page holding (channel, z, t) under `order`, without range checks.
    public func pageIndex(channel: Int, z: Int, t: Int) -> Int {
        switch order {
        case .xyzct: return z + sizeZ * (channel + sizeC * t)
        case .xyztc: return z + sizeZ * (t + sizeT * channel)
        case .xyczt: return channel + sizeC * (z + sizeZ * t)
        case .xyctz: return channel + sizeC * (t + sizeT * z)
        case .xytzc: return t + sizeT * (z + sizeZ * channel)
        case .xytcz: return t + sizeT * (channel + sizeC * z)
        }
    }
}

/// A hyperstack layout to record when writing a multi-page TIFF (as an ImageJ ImageDescription,
/// which ImageJ/Fiji, tifffile and `ImageFile` understand). The planes must be given in ImageJ
/// order: channel fastest, then slice (Z), then frame (T), i.e. plane index `c + channels * (z + slices * t)`.
public struct HyperstackLayout: Equatable, Sendable {
    /// Number of channels (C), at least 1.
    public var channels: Int
    /// Number of Z slices, at least 1.
    public var slices: Int
    /// Number of time points (T), at least 1.
    public var frames: Int

    /// Creates a layout.
    public init(channels: Int = 1, slices: Int = 1, frames: Int = 1) {
        self.channels = channels
        self.slices = slices
        self.frames = frames
    }
}

/// Sanity limits applied before allocating memory for an image: a header is checked against them (and
/// against the file's size, ``maximumExpansion(tiffCompression:)``) before any buffer for its pixels is made.
public enum ImageLimits {
    /// The default of ``maximumPlanePixels``: 2^30 pixels (4 GiB as `Float`).
    public static let defaultMaximumPlanePixels = 1 << 30

    /// The largest plane MicroscopyIO reads or writes: the environment variable
    /// `SALIENCYNET_MAX_PLANE_PIXELS` when it holds a positive integer, else 2^30 pixels (4 GiB as `Float`).
    /// Headers announcing more (or whose width * height overflows) are rejected with `.tooLarge`.
    public static let maximumPlanePixels: Int = {
        guard let text = getenv("SALIENCYNET_MAX_PLANE_PIXELS"), let value = Int(String(cString: text)), value > 0 else {
            return defaultMaximumPlanePixels
        }
        return value
    }()

    /// The largest ratio of decoded bytes to stored bytes accepted for a TIFF compression scheme: a page
    /// whose decoded size exceeds `file size × ratio` cannot be stored in the file and is rejected as
    /// `.truncated` before its buffer is allocated. Generous bounds of each codec's real maximum:
    /// none 1, PackBits 64 (2 bytes → 128), deflate 1100 (zlib's limit is 1032:1), LZW 4096 (12-bit codes
    /// for strings of at most ~4000 bytes) and 4096 for any other scheme.
    public static func maximumExpansion(tiffCompression: Int) -> Int {
        switch tiffCompression {
        case 1: return 1
        case 32773: return 64
        case 8, 32946: return 1100
        default: return 4096
        }
    }

    /// The largest number of pixels a PNG of `fileSize` bytes can decode to: deflate expands at most
    /// 1032:1 (1100 here) and a 1-bit image packs 8 pixels per byte, so `fileSize × 8 × 1100`.
    public static func maximumPNGPixels(fileSize: UInt64) -> UInt64 {
        fileSize.multipliedReportingOverflow(by: 8 * 1100).overflow ? .max : fileSize * 8 * 1100
    }
}

/// The container format of an opened file, recognised from its first bytes.
public enum ImageFileFormat: String, Sendable, Equatable {
    /// Classic TIFF (`II*\0` or `MM\0*`).
    case tiff
    /// BigTIFF (`II+\0` or `MM\0+`).
    case bigTIFF
    /// PNG (the 8-byte PNG signature).
    case png
}
