import ImageCore

/// A small PNG of an image or a label image, ready to embed in the page.
public struct Thumbnail: Equatable, Sendable {
    /// Width and height in pixels (each ≤ the requested maximum side).
    public var width: Int, height: Int
    /// The PNG file.
    public var png: [UInt8]

    /// The `data:image/png;base64,…` URI of ``png``.
    public var dataURI: String { Base64.dataURI(png) }

    /// The integer downsampling factor that brings the longer side to at most `maxSide`:
    /// f = max(1, ⌈max(width, height) / maxSide⌉). The thumbnail is ⌈width/f⌉ × ⌈height/f⌉.
    public static func factor(width: Int, height: Int, maxSide: Int) -> Int {
        let side = max(width, height), m = max(maxSide, 1)
        return max(1, (side + m - 1) / m)
    }

    /// An intensity thumbnail: gray 0…255, normalized per image by its 1st and 99.8th percentiles
    /// (`IntensityNormalization.percentiles`, finite pixels only) and downsampled by box averages:
    ///
    ///     g(x, y) = round(255 · clamp((mean of the finite pixels of block (x, y) − p1) / (p99.8 − p1), 0, 1))
    ///
    /// over f × f blocks (``factor(width:height:maxSide:)``; blocks at the right and bottom edges may be smaller).
    /// A block without a finite pixel, and every pixel of an image whose percentiles coincide (constant, or no
    /// finite pixel), is 0.
    /// - Precondition: the plane is at least 1 × 1.
    public static func intensity(_ plane: ImagePlane, maxSide: Int = 192) -> Thumbnail {
        let (w, h) = (plane.width, plane.height)
        let f = factor(width: w, height: h, maxSide: maxSide)
        let tw = (w + f - 1) / f, th = (h + f - 1) / f
        let n = IntensityNormalization.percentiles(of: plane.pixels, low: 1, high: 99.8)
        let low = Double(n.low), range = Double(n.high) - Double(n.low)
        var gray = [UInt8](repeating: 0, count: tw * th)
        for ty in 0..<th {
            for tx in 0..<tw {
                var sum = 0.0, count = 0
                for y in (ty * f)..<min((ty + 1) * f, h) {
                    for x in (tx * f)..<min((tx + 1) * f, w) {
                        let v = plane.pixels[y * w + x]
                        if v.isFinite { sum += Double(v); count += 1 }
                    }
                }
                guard count > 0, range > 0, range.isFinite else { continue }
                let t = ((sum / Double(count)) - low) / range
                gray[ty * tw + tx] = t.isFinite ? UInt8((min(max(t, 0), 1) * 255).rounded()) : 0
            }
        }
        return Thumbnail(width: tw, height: th, png: PNGEncoder.gray(gray, width: tw, height: th))
    }

    /// A label thumbnail: each pixel the ``LabelColors`` color of its label (0 black), downsampled by nearest
    /// neighbour: thumbnail pixel (x, y) takes the label at (min(x·f + f/2, width − 1), min(y·f + f/2, height − 1)).
    /// - Precondition: the image is at least 1 × 1.
    public static func labels(_ image: LabelImage, maxSide: Int = 192) -> Thumbnail {
        let (w, h) = (image.width, image.height)
        let f = factor(width: w, height: h, maxSide: maxSide)
        let tw = (w + f - 1) / f, th = (h + f - 1) / f
        var indices = [UInt8](repeating: 0, count: tw * th)
        for ty in 0..<th {
            let y = min(ty * f + f / 2, h - 1)
            for tx in 0..<tw {
                let x = min(tx * f + f / 2, w - 1)
                indices[ty * tw + tx] = LabelColors.index(image.labels[y * w + x])
            }
        }
        return Thumbnail(width: tw, height: th, png: PNGEncoder.palette(indices, width: tw, height: th, palette: LabelColors.palette))
    }
}
