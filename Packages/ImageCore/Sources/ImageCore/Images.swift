/// The storage type of intensity samples, in a file or requested for writing.
///
/// Intensities are handed to callers as `Float` in the storage type's own scale: uint8 values
/// are 0...255, uint16 values 0...65535 (every uint16 is exact in `Float`), float32 values as stored.
public enum SampleType: String, Sendable, Equatable, CaseIterable {
    /// 8-bit unsigned integer samples.
    case uint8
    /// 16-bit unsigned integer samples.
    case uint16
    /// 32-bit IEEE-754 floating-point samples.
    case float32

    /// Bits per sample: 8, 16 or 32.
    public var bitsPerSample: Int {
        switch self {
        case .uint8: return 8
        case .uint16: return 16
        case .float32: return 32
        }
    }
}

/// One 2-D intensity plane: `height` rows of `width` columns, row-major.
///
/// The pixel at row `y`, column `x` is `pixels[y * width + x]` (row 0 is the top row of the file).
/// A plane maps to one (n, c) slice of an NCHW tensor with H = `height`, W = `width`.
public struct ImagePlane: Equatable, Sendable {
    /// Number of columns (pixels per row).
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// `width * height` intensities, row-major, in the scale of `sampleType` (see `SampleType`).
    public var pixels: [Float]
    /// The storage type the intensities came from (reading) or are meant for (writing defaults).
    public var sampleType: SampleType

    /// Creates a plane. Precondition: `width >= 0`, `height >= 0` and `pixels.count == width * height`.
    public init(width: Int, height: Int, pixels: [Float], sampleType: SampleType = .float32) {
        precondition(width >= 0 && height >= 0, "ImagePlane: negative size \(width) x \(height)")
        precondition(pixels.count == width * height,
                     "ImagePlane: \(pixels.count) pixels for \(width) x \(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.sampleType = sampleType
    }

    /// A plane filled with `value`.
    public init(width: Int, height: Int, repeating value: Float = 0, sampleType: SampleType = .float32) {
        self.init(width: width, height: height,
                  pixels: [Float](repeating: value, count: max(0, width) * max(0, height)),
                  sampleType: sampleType)
    }

    /// The intensity at `row` (0..<height), `column` (0..<width).
    public subscript(row: Int, column: Int) -> Float {
        get { pixels[row * width + column] }
        set { pixels[row * width + column] = newValue }
    }
}

/// One 2-D instance label image: `height` rows of `width` columns, row-major, 0 = background.
///
/// Labels are `UInt32` and never pass through floating point, so every uint16 and uint32 label
/// survives reading and writing exactly (Float would lose integers above 2^24).
public struct LabelImage: Equatable, Sendable {
    /// Number of columns.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// `width * height` labels, row-major: the label at row `y`, column `x` is `labels[y * width + x]`.
    public var labels: [UInt32]

    /// Creates a label image. Precondition: `width >= 0`, `height >= 0`, `labels.count == width * height`.
    public init(width: Int, height: Int, labels: [UInt32]) {
        precondition(width >= 0 && height >= 0, "LabelImage: negative size \(width) x \(height)")
        precondition(labels.count == width * height,
                     "LabelImage: \(labels.count) labels for \(width) x \(height)")
        self.width = width
        self.height = height
        self.labels = labels
    }

    /// An all-background (all 0) label image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height,
                  labels: [UInt32](repeating: 0, count: max(0, width) * max(0, height)))
    }

    /// The label at `row` (0..<height), `column` (0..<width).
    public subscript(row: Int, column: Int) -> UInt32 {
        get { labels[row * width + column] }
        set { labels[row * width + column] = newValue }
    }

    /// The largest label (0 for an empty or all-background image).
    public var maximumLabel: UInt32 { labels.max() ?? 0 }
}
