#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An sRGB color with 8-bit channels.
public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { (self.r, self.g, self.b) = (r, g, b) }

    /// `#rrggbb`, lower-case hex.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        return "#" + String([r, g, b].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// Relative luminance-ish brightness 0…1 of the gamma-encoded channels, (0.299 r + 0.587 g + 0.114 b) / 255:
    /// text on a cell is white below 0.5, black above.
    public var brightness: Double { (0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)) / 255 }
}

/// The sequential color scale of the heatmaps: viridis (the nine evenly spaced colors of R's `viridis(9)`,
/// matplotlib's map), linearly interpolated in sRGB between neighbouring stops. Dark purple at 0, yellow at 1;
/// its lightness rises monotonically, so it reads in gray and for common color-vision deficiencies.
public enum SequentialScale {
    /// The stops at t = 0, 1/8, …, 1.
    public static let stops: [RGB] = [
        RGB(0x44, 0x01, 0x54), RGB(0x47, 0x2D, 0x7B), RGB(0x3B, 0x52, 0x8B), RGB(0x2C, 0x72, 0x8E), RGB(0x21, 0x90, 0x8C),
        RGB(0x27, 0xAD, 0x81), RGB(0x5D, 0xC8, 0x63), RGB(0xAA, 0xDC, 0x32), RGB(0xFD, 0xE7, 0x25),
    ]

    /// The color of `t` (clamped to [0, 1]): with s = t·(k − 1) for k stops, i = ⌊s⌋ and f = s − i,
    /// each channel is round(c_i + f·(c_{i+1} − c_i)). NaN gives nil (a missing value).
    public static func color(_ t: Double) -> RGB? {
        guard !t.isNaN else { return nil }
        let s = min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(s.rounded(.down)), stops.count - 2)
        let f = s - Double(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + f * (Double(y) - Double(x))).rounded()) }
        return RGB(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b))
    }
}

/// Colors of instance labels in the thumbnails: label 0 (background) is black; any other label gets one of
/// 255 distinct bright colors, chosen by a hash of its value, so neighbouring labels usually differ:
///
///     index(label) = 1 + splitmix64(label) mod 255        (0 for label 0)
///     palette[i]   = HSV(hue = frac(i · 0.6180339887), saturation = 0.55 + 0.4·frac(i · 0.381966), value = 0.95)
public enum LabelColors {
    /// The palette: entry 0 black, entries 1…255 the label colors.
    public static let palette: [RGB] = [RGB(0, 0, 0)] + (1...255).map { i in
        let hue = (Double(i) * 0.6180339887).truncatingRemainder(dividingBy: 1)
        let saturation = 0.55 + 0.4 * (Double(i) * 0.381966).truncatingRemainder(dividingBy: 1)
        return hsv(hue: hue, saturation: saturation, value: 0.95)
    }

    /// The palette index of `label`: 0 for 0, else 1 + splitmix64(label) mod 255.
    public static func index(_ label: UInt32) -> UInt8 {
        guard label != 0 else { return 0 }
        var z = UInt64(label) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return UInt8(1 + z % 255)
    }

    /// The color of `label`.
    public static func color(_ label: UInt32) -> RGB { palette[Int(index(label))] }

    /// HSV (each in [0, 1]) to 8-bit sRGB, the standard six-sector formula.
    static func hsv(hue: Double, saturation: Double, value: Double) -> RGB {
        let h = hue * 6, sector = Int(h.rounded(.down)) % 6, f = h - h.rounded(.down)
        let p = value * (1 - saturation), q = value * (1 - f * saturation), t = value * (1 - (1 - f) * saturation)
        let (r, g, b): (Double, Double, Double)
        switch sector {
        case 0: (r, g, b) = (value, t, p)
        case 1: (r, g, b) = (q, value, p)
        case 2: (r, g, b) = (p, value, t)
        case 3: (r, g, b) = (p, q, value)
        case 4: (r, g, b) = (t, p, value)
        default: (r, g, b) = (value, p, q)
        }
        func byte(_ x: Double) -> UInt8 { UInt8(min(max(x * 255, 0), 255).rounded()) }
        return RGB(byte(r), byte(g), byte(b))
    }
}
