#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A nucleolus: a Gaussian dip in a nucleus's stain, intensity × (1 − depth · e^{−r²/2w²}).
public struct Nucleolus: Sendable, Equatable {
    /// Centre offset along the nucleus's major axis, as a fraction of a.
    public var u: Double
    /// Centre offset along the minor axis, as a fraction of b.
    public var v: Double
    /// Width w as a fraction of the mean semi-axis (a + b) / 2.
    public var width: Double
    /// Relative depth of the dip, 0…1.
    public var depth: Double
    /// Creates a nucleolus.
    public init(u: Double, v: Double, width: Double, depth: Double) {
        self.u = u; self.v = v; self.width = width; self.depth = depth
    }
}

/// One synthetic nucleus: a star-convex body in 3-D.
///
/// Laterally, its outline at full size is r(α) = r_e(α) · m(α) around the centre (x, y), with α the
/// angle from the major axis (direction `angle`),
///
///     r_e(α) = a b / √((b cos α)² + (a sin α)²)            (an ellipse with semi-axes a ≥ b)
///     m(α)   = 1 + Σ_{k=2..5} a_k cos(k α + p_k),  Σ|a_k| < 1   (irregular outline; m ≡ 1 for an ellipse)
///
/// In depth it is capped like an ellipsoid of z semi-axis c: the cross-section at depth z is the
/// outline scaled by s(z) = √(1 − ((z − z₀)/c)²), empty when |z − z₀| ≥ c.
public struct SyntheticNucleus: Sendable, Equatable {
    /// Centre column, px (pixel (row, col) has its centre at (col + ½, row + ½)).
    public var x: Double
    /// Centre row, px.
    public var y: Double
    /// Centre depth z₀, px.
    public var z: Double
    /// Lateral semi-major axis a, px.
    public var a: Double
    /// Lateral semi-minor axis b, px.
    public var b: Double
    /// Direction of the major axis, radians.
    public var angle: Double
    /// Depth semi-axis c, px.
    public var c: Double
    /// Harmonic amplitudes a_2…a_5 of the outline (all 0 for an ellipse).
    public var harmonicAmplitudes: [Double]
    /// Harmonic phases p_2…p_5.
    public var harmonicPhases: [Double]
    /// Brightness B (relative to the style's brightest nucleus, 1).
    public var brightness: Double
    /// Nucleoli (dark dips in the chromatin stain).
    public var nucleoli: [Nucleolus]

    /// The outline's radial factor m(α) given cos α and sin α.
    @inline(__always)
    func outlineFactor(cos c1: Double, sin s1: Double) -> Double {
        var m = 1.0
        var ck = c1, sk = s1
        for k in 0..<4 {
            // (ck, sk) ← angle (k + 2) α by complex multiplication.
            let nc = ck * c1 - sk * s1
            sk = sk * c1 + ck * s1
            ck = nc
            let amplitude = harmonicAmplitudes[k]
            if amplitude != 0 {
                m += amplitude * (ck * cos(harmonicPhases[k]) - sk * sin(harmonicPhases[k]))
            }
        }
        return m
    }

    /// Whether the outline has harmonics (is not a plain ellipse).
    var isIrregular: Bool { harmonicAmplitudes.contains { $0 != 0 } }

    /// The full-size radius r(φ) along image direction φ (radians).
    public func radius(towards phi: Double) -> Double {
        let alpha = phi - angle
        let ca = cos(alpha), sa = sin(alpha)
        let re = a * b / ((b * ca) * (b * ca) + (a * sa) * (a * sa)).squareRoot()
        return re * outlineFactor(cos: ca, sin: sa)
    }

    /// An upper bound on r(φ): a · (1 + Σ|a_k|).
    public var boundingRadius: Double { a * (1 + harmonicAmplitudes.reduce(0) { $0 + abs($1) }) }

    /// The cross-section scale s(z) = √(1 − ((z − z₀)/c)²), or 0 when the plane misses the nucleus.
    public func scale(atDepth depth: Double) -> Double {
        let t = (depth - z) / c
        return t * t >= 1 ? 0 : (1 - t * t).squareRoot()
    }

    /// The equivalent diameter 2√(A/π) of the full-size outline, A = ½∮r(φ)² dφ (numerically).
    public var equivalentDiameter: Double {
        let n = 360
        var area = 0.0
        for i in 0..<n {
            let r = radius(towards: 2 * Double.pi * Double(i) / Double(n))
            area += 0.5 * r * r * (2 * Double.pi / Double(n))
        }
        return 2 * (area / Double.pi).squareRoot()
    }
}
