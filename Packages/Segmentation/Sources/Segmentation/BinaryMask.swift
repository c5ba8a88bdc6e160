import ImageCore

/// A foreground/background image: `height` rows × `width` columns, row-major like ``ImagePlane``
/// (the pixel at row y, column x is `pixels[y * width + x]`). One byte per pixel: 0 = background,
/// anything else = foreground (the functions here write 1).
public struct BinaryMask: Equatable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height` bytes, 0 = background, non-zero = foreground.
    public var pixels: [UInt8]

    /// A mask from its bytes; `pixels.count` must equal `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "BinaryMask: \(pixels.count) pixels for \(width) x \(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An all-background mask.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height))
    }

    /// The foreground of a label image: label > 0.
    public init(_ labels: LabelImage) {
        self.init(width: labels.width, height: labels.height, pixels: labels.labels.map { $0 > 0 ? 1 : 0 })
    }

    /// Whether the pixel at (row, column) is foreground.
    public subscript(row: Int, column: Int) -> Bool {
        get { pixels[row * width + column] != 0 }
        set { pixels[row * width + column] = newValue ? 1 : 0 }
    }

    /// Number of foreground pixels.
    public var foregroundCount: Int { pixels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    /// The pixels strictly above `threshold`: `image > threshold`, as scikit-image's convention for
    /// Otsu (`image > threshold_otsu(image)`). NaN is background.
    public static func above(_ threshold: Float, in plane: ImagePlane) -> BinaryMask {
        BinaryMask(width: plane.width, height: plane.height, pixels: plane.pixels.map { $0 > threshold ? 1 : 0 })
    }
}

/// Pixel adjacency of connected components: `.four` joins pixels sharing an edge (the 4 horizontal and
/// vertical neighbours; scikit-image `connectivity=1`), `.eight` also joins diagonal neighbours
/// (scikit-image `connectivity=2`, the default of `skimage.measure.label` in 2-D).
public enum Connectivity: Int, Sendable, CaseIterable {
    case four = 4
    case eight = 8

    /// The adjacency of the background that complements this foreground adjacency (8 ↔ 4), so that a
    /// closed foreground ring encloses a hole.
    public var complement: Connectivity { self == .four ? .eight : .four }
}
