#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NuclearScale

/// A nucleus with the per-pixel constants of its outline precomputed.
struct PreparedNucleus {
    var nucleus: SyntheticNucleus
    var cosAngle: Double
    var sinAngle: Double
    var irregular: Bool

    init(_ n: SyntheticNucleus) {
        nucleus = n
        cosAngle = cos(n.angle)
        sinAngle = sin(n.angle)
        irregular = n.isIrregular
    }
}

/// Renders the object planes O_z: nuclei cross-sections × brightness × profile × texture.
///
/// Pixel p (centre (col + ½, row + ½)) and a nucleus whose cross-section at depth z has scale s: with
/// (u, v) the pixel's offset in the nucleus frame (major, minor axis) and d = √(u² + v²),
///
///     ρ = √((u/a)² + (v/b)²) / (m(α) · s)        (normalised radius; ρ ≤ 1 inside the outline)
///     coverage = clamp(½ + d (1/ρ − 1), 0, 1)     (signed radial distance to the outline, ±½ px)
///
/// Where outlines overlap, the pixel belongs to the nucleus with the smallest ρ (touching nuclei
/// share a straight-ish border instead of adding up). The object value is
///
///     O(p) = coverage · B · (1 − dome · min(ρ, 1)²) · T(p) · Π_nucleoli (1 − depth · e^{−r²/2w²})
///
/// with T = max(0, 1 + texture · field) the chromatin texture; the label of p at the focal plane is
/// the owner's when ρ ≤ 1 (the pixel's centre lies inside the outline, i.e. coverage ≥ ½).
struct PlaneRenderer {
    let width: Int
    let height: Int
    let nuclei: [PreparedNucleus]
    let texture: [Float]
    let dome: Double
    var best: [Float]
    var owner: [Int32]
    var coverage: [Float]

    init(width: Int, height: Int, nuclei: [SyntheticNucleus], texture: [Float], dome: Double) {
        self.width = width
        self.height = height
        self.nuclei = nuclei.map(PreparedNucleus.init)
        self.texture = texture
        self.dome = dome
        best = [Float](repeating: .infinity, count: width * height)
        owner = [Int32](repeating: -1, count: width * height)
        coverage = [Float](repeating: 0, count: width * height)
    }

    /// Whether any nucleus cuts depth `z` (visibly: s · b ≥ 0.25 px).
    func anyNucleus(atDepth z: Double) -> Bool {
        nuclei.contains { $0.nucleus.scale(atDepth: z) * $0.nucleus.b >= 0.25 }
    }

    /// Adds O_z to `value`; when `labels` is given, writes the owner's index + 1 (0 = background) there.
    mutating func render(depth z: Double, into value: inout [Float], labels: UnsafeMutablePointer<UInt32>? = nil) {
        let count = width * height
        for i in 0..<count { best[i] = .infinity; owner[i] = -1; coverage[i] = 0 }
        var touched = false
        for (index, prepared) in nuclei.enumerated() {
            let n = prepared.nucleus
            let s = n.scale(atDepth: z)
            guard s * n.b >= 0.25 else { continue }
            touched = true
            let reach = n.boundingRadius * s + 1.5
            let x0 = max(0, Int((n.x - reach).rounded(.down))), x1 = min(width - 1, Int((n.x + reach).rounded(.up)))
            let y0 = max(0, Int((n.y - reach).rounded(.down))), y1 = min(height - 1, Int((n.y + reach).rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { continue }
            let invA = 1 / (n.a * s), invB = 1 / (n.b * s)
            for row in y0...y1 {
                let dy = Double(row) + 0.5 - n.y
                for col in x0...x1 {
                    let dx = Double(col) + 0.5 - n.x
                    let u = dx * prepared.cosAngle + dy * prepared.sinAngle
                    let v = -dx * prepared.sinAngle + dy * prepared.cosAngle
                    var rho = ((u * invA) * (u * invA) + (v * invB) * (v * invB)).squareRoot()
                    let d = (u * u + v * v).squareRoot()
                    if prepared.irregular && d > 0 {
                        rho /= n.outlineFactor(cos: u / d, sin: v / d)
                    }
                    let cov = rho > 0 ? min(1, max(0, 0.5 + d * (1 / rho - 1))) : 1
                    let p = row * width + col
                    if cov > 0 && Float(rho) < best[p] {
                        best[p] = Float(rho)
                        owner[p] = Int32(index)
                        coverage[p] = Float(cov)
                    }
                }
            }
        }
        if let labels {
            for p in 0..<count { labels[p] = (owner[p] >= 0 && best[p] <= 1) ? UInt32(owner[p] + 1) : 0 }
        }
        guard touched else { return }
        for p in 0..<count where owner[p] >= 0 {
            let prepared = nuclei[Int(owner[p])]
            let n = prepared.nucleus
            let rho = Double(min(best[p], 1))
            var v = Double(coverage[p]) * n.brightness * (1 - dome * rho * rho) * Double(texture[p])
            if !n.nucleoli.isEmpty {
                let s = n.scale(atDepth: z)
                let dx = Double(p % width) + 0.5 - n.x, dy = Double(p / width) + 0.5 - n.y
                let u = dx * prepared.cosAngle + dy * prepared.sinAngle
                let w = -dx * prepared.sinAngle + dy * prepared.cosAngle
                let mean = 0.5 * (n.a + n.b) * s
                for nucleolus in n.nucleoli {
                    let du = u - nucleolus.u * n.a * s, dv = w - nucleolus.v * n.b * s
                    let width = nucleolus.width * mean
                    v *= 1 - nucleolus.depth * exp(-(du * du + dv * dv) / (2 * width * width))
                }
            }
            value[p] += Float(v)
        }
    }
}

/// Smooth random fields used by the optics.
enum Fields {
    /// Chromatin texture T = max(0, 1 + amplitude · F), F white Gaussian noise smoothed by a Gaussian of
    /// σ = `grain` and divided by its exact standard deviation Σ_i g_i² (so F has unit variance).
    static func texture(width: Int, height: Int, amplitude: Double, grain: Double, using rng: inout SplitMix64) -> [Float] {
        let count = width * height
        guard amplitude > 0 else { return [Float](repeating: 1, count: count) }
        var field = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let (z1, z2) = rng.normalPair()
            field[i] = Float(z1)
            if i + 1 < count { field[i + 1] = Float(z2) }
            i += 2
        }
        GaussianBlur.apply(&field, width: width, height: height, sigma: grain)
        let g = GaussianBlur.kernel(sigma: grain)
        let std = g.reduce(Float(0)) { $0 + $1 * $1 }
        let scale = Float(amplitude) / std
        for p in 0..<count { field[p] = max(0, 1 + scale * field[p]) }
        return field
    }
}
