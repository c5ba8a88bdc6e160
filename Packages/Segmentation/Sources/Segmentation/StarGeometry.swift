import Foundation
import ImageCore

/// The geometry of star-convex polygon segmentation (StarDist, Schmidt et al. 2018): targets computed from
/// label images, polygons from predicted distances, polygon rasterization.
///
/// Rays: `n` equally spaced directions φ_k = 2πk/n, k = 0…n−1, with unit step (dy, dx) = (sin φ_k, cos φ_k)
/// in pixels (y down the rows, x along the columns). A polygon centred on pixel (y, x) with distances d_k has
/// vertices (y + d_k sin φ_k, x + d_k cos φ_k), pixel centres at integer coordinates.
public enum StarGeometry {
    /// `value` (not NaN) clamped to `lower...upper` and converted to an index: the guarded Double → Int
    /// conversion for coordinates computed from data (±∞ and values beyond Int's range clamp too).
    @inlinable
    public static func clampedIndex(_ value: Double, _ lower: Int, _ upper: Int) -> Int {
        precondition(!value.isNaN, "StarGeometry.clampedIndex: NaN")
        if value <= Double(lower) { return lower }
        if value >= Double(upper) { return upper }
        return Int(value)
    }

    /// The unit steps (dy, dx) of `rays` equally spaced directions.
    public static func directions(_ rays: Int) -> [(dy: Double, dx: Double)] {
        (0..<rays).map { k in
            let phi = 2 * Double.pi * Double(k) / Double(rays)
            return (dy: sin(phi), dx: cos(phi))
        }
    }

    /// Star distances of every object pixel, channel-first: element `k * H * W + y * W + x` is the distance
    /// from pixel (y, x) to its object's boundary along ray k (0 on background), as stardist's `star_dist`:
    /// march from the pixel centre in unit steps (dy, dx), rounding to the nearest pixel, until the pixel
    /// leaves the image or carries another label; then step back by 1 − 0.5 / max(|dy|, |dx|) of a step
    /// (the boundary lies half a pixel beyond the last inside pixel) and return the distance walked.
    public static func distances(_ labels: LabelImage, rays: Int) -> [Float] {
        let (w, h) = (labels.width, labels.height)
        var out = [Float](repeating: 0, count: rays * w * h)
        let dirs = directions(rays)
        labels.labels.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    for x in 0..<w {
                        let value = l[y * w + x]
                        guard value != 0 else { continue }
                        for (k, d) in dirs.enumerated() {
                            var py = 0.0, px = 0.0
                            while true {
                                py += d.dy; px += d.dx
                                let yy = Int((Double(y) + py).rounded()), xx = Int((Double(x) + px).rounded())
                                if yy < 0 || yy >= h || xx < 0 || xx >= w || l[yy * w + xx] != value {
                                    let correction = 1 - 0.5 / max(abs(d.dy), abs(d.dx))
                                    py -= correction * d.dy; px -= correction * d.dx
                                    o[k * w * h + y * w + x] = Float((py * py + px * px).squareRoot())
                                    break
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The object-probability target: inside each object, the Euclidean distance to the nearest pixel
    /// outside it (other objects, background, or beyond the image border) divided by the object's largest
    /// such distance, so 1 at the object's innermost pixel(s) and small at its rim; 0 on background.
    /// Exact squared-distance transform (Felzenszwalb & Huttenlocher 2012) per object in its bounding box
    /// grown by one pixel.
    public static func probabilityTarget(_ labels: LabelImage) -> [Float] {
        let (w, h) = (labels.width, labels.height)
        var boxes: [UInt32: (y0: Int, y1: Int, x0: Int, x1: Int)] = [:]
        for y in 0..<h {
            for x in 0..<w {
                let l = labels.labels[y * w + x]
                guard l != 0 else { continue }
                if let b = boxes[l] { boxes[l] = (min(b.y0, y), max(b.y1, y), min(b.x0, x), max(b.x1, x)) } else { boxes[l] = (y, y, x, x) }
            }
        }
        var out = [Float](repeating: 0, count: w * h)
        for (l, b) in boxes {
            // Box grown by one pixel on every side (outside the image counts as outside the object).
            let bh = b.y1 - b.y0 + 3, bw = b.x1 - b.x0 + 3
            var f = [Double](repeating: 0, count: bh * bw)
            for yy in 0..<bh {
                for xx in 0..<bw {
                    let y = b.y0 - 1 + yy, x = b.x0 - 1 + xx
                    let inside = y >= 0 && y < h && x >= 0 && x < w && labels.labels[y * w + x] == l
                    f[yy * bw + xx] = inside ? 1e20 : 0
                }
            }
            squaredDistanceTransform(&f, width: bw, height: bh)
            var top = 0.0
            for v in f { top = max(top, v) }
            let scale = top > 0 ? 1 / top.squareRoot() : 0
            for yy in 1..<(bh - 1) {
                for xx in 1..<(bw - 1) {
                    let y = b.y0 - 1 + yy, x = b.x0 - 1 + xx
                    guard y < h && x < w, labels.labels[y * w + x] == l else { continue }
                    out[y * w + x] = Float(f[yy * bw + xx].squareRoot() * scale)
                }
            }
        }
        return out
    }

    /// In place: f ← min over q of (f(q) + |p − q|²), separably along rows then columns (0 = feature).
    static func squaredDistanceTransform(_ f: inout [Double], width: Int, height: Int) {
        var line = [Double](repeating: 0, count: max(width, height))
        var result = line
        for y in 0..<height {
            for x in 0..<width { line[x] = f[y * width + x] }
            transform1D(line, width, &result)
            for x in 0..<width { f[y * width + x] = result[x] }
        }
        for x in 0..<width {
            for y in 0..<height { line[y] = f[y * width + x] }
            transform1D(line, height, &result)
            for y in 0..<height { f[y * width + x] = result[y] }
        }
    }

    /// The 1-D lower envelope of parabolas (Felzenszwalb & Huttenlocher).
    static func transform1D(_ f: [Double], _ n: Int, _ d: inout [Double]) {
        var v = [Int](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n + 1)
        var k = 0
        z[0] = -.infinity; z[1] = .infinity
        for q in 1..<max(1, n) {
            var s: Double
            repeat {
                let p = v[k]
                s = ((f[q] + Double(q * q)) - (f[p] + Double(p * p))) / Double(2 * q - 2 * p)
                if s <= z[k] { k -= 1 } else { break }
            } while k >= 0
            k += 1
            v[k] = q; z[k] = s; z[k + 1] = .infinity
        }
        k = 0
        for q in 0..<n {
            while z[k + 1] < Double(q) { k += 1 }
            let p = v[k]
            d[q] = Double((q - p) * (q - p)) + f[p]
        }
    }
}

/// A star-convex polygon: a centre pixel, the distances to the boundary along equally spaced rays, and the
/// detection score (object probability at the centre).
public struct StarPolygon: Sendable, Equatable {
    /// Centre row and column (pixel-centre coordinates).
    public var y: Double, x: Double
    /// Distance along each ray (see ``StarGeometry``), px.
    public var distances: [Float]
    /// Object probability at the centre.
    public var score: Float

    /// A polygon centred on (y, x) with one distance per ray (≥ 3 rays) and a score.
    public init(y: Double, x: Double, distances: [Float], score: Float) {
        self.y = y; self.x = x; self.distances = distances; self.score = score
    }

    /// The vertices (y, x), ray order.
    public var vertices: [(y: Double, x: Double)] { vertices(directions: StarGeometry.directions(distances.count)) }

    /// The vertices (y, x), ray order, for precomputed ray directions (`StarGeometry.directions(distances.count)`).
    func vertices(directions: [(dy: Double, dx: Double)]) -> [(y: Double, x: Double)] {
        precondition(directions.count == distances.count, "StarPolygon: \(directions.count) directions for \(distances.count) rays")
        return zip(directions, distances).map { d, r in (y: y + Double(r) * d.dy, x: x + Double(r) * d.dx) }
    }

    /// Shoelace area of the polygon, px².
    public var area: Double {
        let v = vertices
        var s = 0.0
        for i in v.indices {
            let a = v[i], b = v[(i + 1) % v.count]
            s += a.x * b.y - b.x * a.y
        }
        return abs(s) / 2
    }

    /// Row-major indices of the pixels of a `width` × `height` image whose centres lie inside the polygon
    /// (even–odd rule on each row's crossings, so a non-convex outline is handled), in raster order, each
    /// pixel once. Extreme values never trap: a polygon with a non-finite vertex (a NaN or infinite centre or distance)
    /// covers no pixel, and huge finite distances are clipped to the image (a polygon reaching far beyond
    /// it covers the image rows and columns its outline spans).
    public func pixels(width: Int, height: Int) -> [Int] {
        pixels(width: width, height: height, directions: StarGeometry.directions(distances.count))
    }

    /// ``pixels(width:height:)`` with the ray directions precomputed (`StarGeometry.directions(distances.count)`),
    /// for callers that rasterize many polygons with the same number of rays.
    public func pixels(width: Int, height: Int, directions: [(dy: Double, dx: Double)]) -> [Int] {
        let v = vertices(directions: directions)
        guard v.count >= 3, v.allSatisfy({ $0.y.isFinite && $0.x.isFinite }) else { return [] }
        let minY = v.map(\.y).min()!, maxY = v.map(\.y).max()!
        let y0 = StarGeometry.clampedIndex(minY.rounded(.up), 0, height)
        let y1 = StarGeometry.clampedIndex(maxY.rounded(.down), -1, height - 1)
        guard y0 <= y1 else { return [] }
        var out: [Int] = []
        var crossings: [Double] = []
        for row in y0...y1 {
            let yc = Double(row)
            crossings.removeAll(keepingCapacity: true)
            for i in v.indices {
                let a = v[i], b = v[(i + 1) % v.count]
                // Half-open rule: an edge counts when the row lies in [min y, max y).
                if (a.y <= yc && b.y > yc) || (b.y <= yc && a.y > yc) {
                    crossings.append(a.x + (yc - a.y) / (b.y - a.y) * (b.x - a.x))
                }
            }
            // Vertices beyond ±8.9e307 can make a crossing NaN (∞ − ∞): such a polygon covers nothing.
            guard !crossings.contains(where: \.isNaN) else { return [] }
            crossings.sort()
            var i = 0
            var next = 0   // the first column not emitted yet: a self-intersecting outline can share a crossing
            while i + 1 < crossings.count {
                let xs = max(next, StarGeometry.clampedIndex(crossings[i].rounded(.up), 0, width))
                let xe = StarGeometry.clampedIndex(crossings[i + 1].rounded(.down), -1, width - 1)
                if xs <= xe { for col in xs...xe { out.append(row * width + col) }; next = xe + 1 }
                i += 2
            }
        }
        return out
    }
}

/// Non-maximum suppression of star-convex polygons and their rasterization into labels.
public enum StarPolygonSelection {
    /// Greedy NMS: candidates in order of decreasing score; a candidate is **suppressed** when, for some
    /// already kept polygon, |A ∩ B| / min(|A|, |B|) > `threshold`. Areas and intersections are pixel
    /// counts of the rasterized polygons (``StarPolygon/pixels(width:height:)``), exact on the pixel grid
    /// and robust for non-convex outlines. Empty polygons (no pixel centre inside) are dropped. Returns
    /// the indices of the kept candidates in decreasing score (ties: lower index first).
    ///
    /// Cost: every candidate is rasterized once (in blocks of ``rasterBlock`` candidates, spread over
    /// `threads` workers, ahead of the sequential greedy pass), and each of its pixels visits the kept polygons
    /// covering that pixel (per-pixel lists) with dense overlap counters. The result does not depend on
    /// `threads`; `Reference.suppress` is the brute-force twin.
    public static func suppress(_ candidates: [StarPolygon], width: Int, height: Int, threshold: Double,
                                threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Int] {
        let order = candidates.indices.sorted { (candidates[$0].score, -$0) > (candidates[$1].score, -$1) }
        let directionsByRays = directionTable(candidates)
        func raster(_ i: Int) -> [Int] {
            candidates[i].pixels(width: width, height: height, directions: directionsByRays[candidates[i].distances.count]!)
        }
        // Per pixel, a linked list of the kept polygons covering it.
        var head = [Int32](repeating: -1, count: width * height)
        var entryOwner: [Int32] = [], entryNext: [Int32] = []
        var keptArea: [Int] = []
        var kept: [Int] = []
        var overlapCount: [Int32] = []   // per kept polygon: pixels shared with the current candidate
        var touched: [Int32] = []        // kept polygons with a nonzero count for the current candidate
        let workers = max(1, threads)
        var start = 0
        while start < order.count {
            let end = min(order.count, start + rasterBlock)
            var rasters = [[Int]](repeating: [], count: end - start)
            if workers == 1 || end - start < 2 * workers {
                for j in rasters.indices { rasters[j] = raster(order[start + j]) }
            } else {
                rasters.withUnsafeMutableBufferPointer { out in
                    let block = UnsafeSendable(out)
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        for j in stride(from: w, to: block.value.count, by: workers) { block.value[j] = raster(order[start + j]) }
                    }
                }
            }
            for (j, pixels) in rasters.enumerated() {
                guard !pixels.isEmpty else { continue }
                for p in pixels {
                    var e = head[p]
                    while e >= 0 {
                        let owner = Int(entryOwner[Int(e)])
                        if overlapCount[owner] == 0 { touched.append(Int32(owner)) }
                        overlapCount[owner] += 1
                        e = entryNext[Int(e)]
                    }
                }
                var suppressed = false
                for owner in touched {
                    let o = Int(owner)
                    if !suppressed && Double(overlapCount[o]) / Double(min(pixels.count, keptArea[o])) > threshold { suppressed = true }
                    overlapCount[o] = 0
                }
                touched.removeAll(keepingCapacity: true)
                guard !suppressed else { continue }
                let id = Int32(kept.count)
                kept.append(order[start + j])
                keptArea.append(pixels.count)
                overlapCount.append(0)
                for p in pixels {
                    entryOwner.append(id); entryNext.append(head[p]); head[p] = Int32(entryOwner.count - 1)
                }
            }
            start = end
        }
        return kept
    }

    /// The ray directions (``StarGeometry/directions(_:)``) of every ray count among `polygons`, computed once each.
    static func directionTable(_ polygons: [StarPolygon]) -> [Int: [(dy: Double, dx: Double)]] {
        var table: [Int: [(dy: Double, dx: Double)]] = [:]
        for p in polygons where table[p.distances.count] == nil { table[p.distances.count] = StarGeometry.directions(p.distances.count) }
        return table
    }

    /// Candidates rasterized ahead of the greedy pass of ``suppress(_:width:height:threshold:threads:)`` at a
    /// time (bounds the memory of the pixel lists held at once).
    public static let rasterBlock = 1024

    /// Paints `polygons` into a label image in order of **increasing score** (so where polygons overlap the
    /// more probable one wins), then numbers the objects that kept at least one pixel 1…K in order of
    /// decreasing score.
    public static func rasterize(_ polygons: [StarPolygon], width: Int, height: Int) -> LabelImage {
        var canvas = [Int32](repeating: -1, count: width * height)
        let ascending = polygons.indices.sorted { (polygons[$0].score, $0) < (polygons[$1].score, $1) }
        let directionsByRays = directionTable(polygons)
        for i in ascending {
            let directions = directionsByRays[polygons[i].distances.count]!
            for p in polygons[i].pixels(width: width, height: height, directions: directions) { canvas[p] = Int32(i) }
        }
        var present = [Bool](repeating: false, count: polygons.count)
        for c in canvas where c >= 0 { present[Int(c)] = true }
        let descending = polygons.indices.sorted { (polygons[$0].score, -$0) > (polygons[$1].score, -$1) }
        var newLabel = [UInt32](repeating: 0, count: polygons.count)
        var next: UInt32 = 0
        for i in descending where present[i] { next += 1; newLabel[i] = next }
        return LabelImage(width: width, height: height, labels: canvas.map { $0 < 0 ? 0 : newLabel[Int($0)] })
    }
}

/// A value handed to concurrent workers that write disjoint elements of it (the caller guarantees that no two
/// workers touch the same element).
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
