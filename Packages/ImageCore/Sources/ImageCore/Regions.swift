/// A rectangle of whole pixels: columns `x ..< x + width`, rows `y ..< y + height` (0-based, row 0 at the top).
///
/// Used to cut a region of interest out of a plane (``ImagePlane/cropped(to:)``,
/// ``LabelImage/cropped(to:)``), for example to split a field of view into training and test parts.
public struct PixelRegion: Equatable, Sendable, CustomStringConvertible {
    /// First column.
    public var x: Int
    /// First row.
    public var y: Int
    /// Number of columns.
    public var width: Int
    /// Number of rows.
    public var height: Int

    /// A region; no precondition (``fits(width:height:)`` checks it against an image).
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Parses `"X,Y,W,H"` (four integers, optional spaces); nil for anything else or W, H < 1, X, Y < 0.
    public init?(parsing text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.filter { $0 != " " }) }
        guard parts.count == 4, let x = parts[0], let y = parts[1], let w = parts[2], let h = parts[3],
              x >= 0, y >= 0, w >= 1, h >= 1 else { return nil }
        self.init(x: x, y: y, width: w, height: h)
    }

    /// True when the region is non-empty and lies wholly inside a `width` × `height` image.
    public func fits(width: Int, height: Int) -> Bool {
        x >= 0 && y >= 0 && self.width >= 1 && self.height >= 1
            && x <= width - self.width && y <= height - self.height
    }

    /// `"X,Y,W,H"`, the form ``init(parsing:)`` reads.
    public var description: String { "\(x),\(y),\(width),\(height)" }

    /// The region's samples of a row-major `imageWidth`-wide array, row-major. Precondition: it fits.
    func cut<T>(_ samples: [T], imageWidth: Int) -> [T] {
        var out: [T] = []
        out.reserveCapacity(width * height)
        for row in y..<(y + height) {
            let start = row * imageWidth + x
            out.append(contentsOf: samples[start..<(start + width)])
        }
        return out
    }
}

extension ImagePlane {
    /// The pixels of `region`, a `region.width` × `region.height` plane of the same sample type.
    /// Precondition: `region.fits(width: width, height: height)`.
    public func cropped(to region: PixelRegion) -> ImagePlane {
        precondition(region.fits(width: width, height: height), "ImagePlane: region \(region) outside \(width) x \(height)")
        return ImagePlane(width: region.width, height: region.height, pixels: region.cut(pixels, imageWidth: width),
                          sampleType: sampleType)
    }
}

extension LabelImage {
    /// The labels of `region`, unchanged (an object cut by the region's edge keeps its label).
    /// Precondition: `region.fits(width: width, height: height)`.
    public func cropped(to region: PixelRegion) -> LabelImage {
        precondition(region.fits(width: width, height: height), "LabelImage: region \(region) outside \(width) x \(height)")
        return LabelImage(width: region.width, height: region.height, labels: region.cut(labels, imageWidth: width))
    }
}
