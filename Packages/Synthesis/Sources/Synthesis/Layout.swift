#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Random placement of nuclei in an image (2-D) or a volume (Z stack).
///
/// Each nucleus draws its shape (``NucleusLayout/drawShape(_:using:)``), then a centre: with probability
/// `clustering` against a random already placed nucleus (centre distance (r_j(φ) + r_new(φ + π)) ·
/// U(contact, 1.7) along a random direction φ, so neighbours touch or nearly touch), otherwise
/// uniformly in the image. A candidate is refused when it comes closer to a placed nucleus that it
/// overlaps in depth (|z_i − z_j| < c_i + c_j) than `contact · (r_i + r_j)` along the line joining the
/// centres. Up to 60 candidates per wanted nucleus are tried; very crowded requests therefore saturate.
public enum NucleusLayout {
    /// Draws a nucleus's shape, brightness and nucleoli (position left at 0):
    ///
    ///     d = diameter · clip(exp(diameterSpread · N(0,1)), diameterClip),  q ~ U(axisRatio)
    ///     a = d / (2√q),  b = d√q / 2  (so πab = πd²/4),  angle ~ U(0, π),  c = thickness · d / 2
    ///
    /// With probability `irregularFraction` the outline gets harmonics a_k = w_k · irregularity / Σw,
    /// w_k ~ U(0, 1) / (k − 1), p_k ~ U(0, 2π). Brightness ~ `brightnessDistribution` on `brightness`.
    public static func drawShape(_ p: NucleusParameters, using rng: inout SplitMix64) -> SyntheticNucleus {
        let factor = min(max(exp(p.diameterSpread * rng.normal()), p.diameterClip.lowerBound), p.diameterClip.upperBound)
        let d = p.diameter * factor
        let q = rng.uniform(in: p.axisRatio)
        let a = d / (2 * q.squareRoot())
        let b = d * q.squareRoot() / 2
        let angle = rng.uniform() * Double.pi
        var amplitudes = [0.0, 0.0, 0.0, 0.0]
        var phases = [0.0, 0.0, 0.0, 0.0]
        if rng.uniform() < p.irregularFraction {
            var weights = (0..<4).map { k in rng.uniform() / Double(k + 1) }
            let total = weights.reduce(0, +)
            let strength = p.irregularity * rng.uniform(in: 0.4...1.0)
            for k in 0..<4 {
                weights[k] = total > 0 ? weights[k] / total * strength : 0
                amplitudes[k] = weights[k]
                phases[k] = rng.uniform() * 2 * Double.pi
            }
        }
        let brightness: Double
        switch p.brightnessDistribution {
        case .uniform: brightness = rng.uniform(in: p.brightness)
        case .logUniform: brightness = rng.logUniform(in: p.brightness)
        }
        var nucleoli: [Nucleolus] = []
        let count = p.nucleoli > 0 ? rng.index(below: p.nucleoli + 1) : 0
        for _ in 0..<count {
            nucleoli.append(Nucleolus(u: rng.uniform(in: -0.45...0.45), v: rng.uniform(in: -0.45...0.45),
                                      width: rng.uniform(in: 0.12...0.22), depth: p.nucleolusDepth * rng.uniform(in: 0.5...1.0)))
        }
        return SyntheticNucleus(x: 0, y: 0, z: 0, a: a, b: b, angle: angle, c: p.thickness * d / 2,
                                harmonicAmplitudes: amplitudes, harmonicPhases: phases, brightness: brightness,
                                nucleoli: nucleoli)
    }

    /// Places nuclei for one image.
    ///
    /// - 2-D (`slices == 1`, focal plane z = 0): N ~ Poisson(density · densityFactor · W·H / 10⁴) in-focus
    ///   nuclei with |z₀| ≤ 0.3 c (cross-section ≥ 95 % of full size), then M ~ Poisson(outOfFocusNuclei · E[N])
    ///   out-of-focus nuclei with |z₀| = c + U(0.3, 3)·δ, which never cut the focal plane (no label; haze).
    /// - Stack of n slices at z_k = k · zStep: nuclei fill the depth range [−c̄ − 3δ, (n−1)·zStep + c̄ + 3δ]
    ///   (length L, c̄ the mean depth semi-axis) with N ~ Poisson(density · densityFactor · W·H / 10⁴ · L / 2c̄),
    ///   so that a slice cuts on average as many nuclei as a 2-D image holds.
    public static func place(_ parameters: SynthesisParameters, densityFactor: Double, width: Int, height: Int,
                             slices: Int, using rng: inout SplitMix64) -> [SyntheticNucleus] {
        let p = parameters.nuclei
        let delta = parameters.optics.planeSpacing
        let area = Double(width * height)
        let meanInFocus = p.density * densityFactor * area / 1e4
        let meanC = p.thickness * p.diameter / 2
        var placed: [SyntheticNucleus] = []
        if slices <= 1 {
            let wanted = Poisson.sample(meanInFocus, using: &rng)
            placeMany(wanted, into: &placed, parameters: p, width: width, height: height, using: &rng) { n, rng in
                rng.uniform(in: -0.3...0.3) * n.c
            }
            let haze = Poisson.sample(parameters.optics.outOfFocusNuclei * meanInFocus, using: &rng)
            for _ in 0..<haze {
                var n = drawShape(p, using: &rng)
                n.x = rng.uniform() * Double(width)
                n.y = rng.uniform() * Double(height)
                let side: Double = rng.uniform() < 0.5 ? -1 : 1
                n.z = side * (n.c + rng.uniform(in: 0.3...3.0) * delta)
                placed.append(n)
            }
        } else {
            let zStep = parameters.stack.zStep
            let low = -meanC - 3 * delta
            let high = Double(slices - 1) * zStep + meanC + 3 * delta
            let wanted = Poisson.sample(meanInFocus * (high - low) / (2 * meanC), using: &rng)
            placeMany(wanted, into: &placed, parameters: p, width: width, height: height, using: &rng) { _, rng in
                rng.uniform(in: low...high)
            }
        }
        return placed
    }

    /// Places up to `wanted` nuclei with the clustering / contact rule; `depth` draws a nucleus's z₀.
    ///
    /// Conflicts are looked up in a uniform grid of cells as wide as twice the largest possible
    /// bounding radius, so only nuclei in the 3 × 3 neighbouring cells are compared (the decision is
    /// the same as comparing with every placed nucleus: farther ones can never be too close).
    static func placeMany(_ wanted: Int, into placed: inout [SyntheticNucleus], parameters p: NucleusParameters,
                          width: Int, height: Int, using rng: inout SplitMix64,
                          depth: (SyntheticNucleus, inout SplitMix64) -> Double) {
        let first = placed.count
        var attempts = 0
        let maxAttempts = 60 * wanted + 100
        var accepted = 0
        let largestBound = p.diameter * p.diameterClip.upperBound / (2 * max(p.axisRatio.lowerBound, 0.01).squareRoot())
            * (1 + p.irregularity)
        let cell = max(4, 2 * largestBound)
        let columns = Int(Double(width) / cell) + 1, rows = Int(Double(height) / cell) + 1
        var grid = [[Int]](repeating: [], count: columns * rows)
        func cellOf(_ x: Double, _ y: Double) -> (Int, Int) {
            (min(columns - 1, max(0, Int(x / cell))), min(rows - 1, max(0, Int(y / cell))))
        }
        while accepted < wanted && attempts < maxAttempts {
            attempts += 1
            var n = drawShape(p, using: &rng)
            n.z = depth(n, &rng)
            if placed.count > first && rng.uniform() < p.clustering {
                let neighbour = placed[first + rng.index(below: placed.count - first)]
                let phi = rng.uniform() * 2 * Double.pi
                let distance = (neighbour.radius(towards: phi) + n.radius(towards: phi + Double.pi))
                    * rng.uniform(in: p.contact...max(p.contact, 1.7))
                n.x = neighbour.x + distance * cos(phi)
                n.y = neighbour.y + distance * sin(phi)
                guard n.x >= 0, n.x < Double(width), n.y >= 0, n.y < Double(height) else { continue }
            } else {
                n.x = rng.uniform() * Double(width)
                n.y = rng.uniform() * Double(height)
            }
            let (cx, cy) = cellOf(n.x, n.y)
            var neighbours: [SyntheticNucleus] = []
            for gy in max(0, cy - 1)...min(rows - 1, cy + 1) {
                for gx in max(0, cx - 1)...min(columns - 1, cx + 1) {
                    for index in grid[gy * columns + gx] { neighbours.append(placed[index]) }
                }
            }
            if conflicts(n, with: neighbours[...], contact: p.contact) { continue }
            grid[cy * columns + cx].append(placed.count)
            placed.append(n)
            accepted += 1
        }
    }

    /// Whether `n` comes closer than `contact · (r_n + r_j)` to a nucleus it overlaps in depth.
    static func conflicts(_ n: SyntheticNucleus, with others: ArraySlice<SyntheticNucleus>, contact: Double) -> Bool {
        let bound = n.boundingRadius
        for o in others {
            if abs(o.z - n.z) >= o.c + n.c { continue }
            let dx = n.x - o.x, dy = n.y - o.y
            let distance = (dx * dx + dy * dy).squareRoot()
            if distance >= contact * (bound + o.boundingRadius) { continue }
            let phi = atan2(dy, dx)
            if distance < contact * (o.radius(towards: phi) + n.radius(towards: phi + Double.pi)) { return true }
        }
        return false
    }
}
