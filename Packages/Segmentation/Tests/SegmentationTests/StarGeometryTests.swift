import Foundation
import ImageCore
import Testing
@testable import Segmentation

/// An ellipse label image: pixels whose centre satisfies ((u/a)² + (v/b)² ≤ 1) in axes rotated by `angle`.
func ellipseLabels(width: Int, height: Int, cy: Double, cx: Double, a: Double, b: Double, angle: Double, label: UInt32 = 1) -> LabelImage {
    var image = LabelImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let dy = Double(y) - cy, dx = Double(x) - cx
            let u = dx * cos(angle) + dy * sin(angle), v = -dx * sin(angle) + dy * cos(angle)
            if (u / a) * (u / a) + (v / b) * (v / b) <= 1 { image.labels[y * width + x] = label }
        }
    }
    return image
}

/// A square of side 2r centred on (y, x) as an 8-ray star polygon (corners on the diagonals).
func square(_ y: Double, _ x: Double, _ r: Float, score: Float) -> StarPolygon {
    let c = r * 2.0.squareRoot().float
    return StarPolygon(y: y, x: x, distances: [r, c, r, c, r, c, r, c], score: score)
}
extension Double { var float: Float { Float(self) } }

@Suite struct StarGeometryTests {
    /// Ellipse → star distances at its centre → polygon → label: the polygon's pixels cover the ellipse
    /// within 10 % of its area, for several shapes, orientations and ray counts.
    @Test(arguments: [32, 64])
    func ellipseRoundTrip(rays: Int) {
        for (a, b, angle) in [(8.0, 5.0, 0.3), (12.0, 4.0, 1.2), (6.0, 6.0, 0.0), (15.0, 9.0, 2.5), (5.0, 3.0, 0.8)] {
            let (w, h) = (48, 40)
            let truth = ellipseLabels(width: w, height: h, cy: 20, cx: 24, a: a, b: b, angle: angle)
            let distances = StarGeometry.distances(truth, rays: rays)
            let centre = 20 * w + 24
            let polygon = StarPolygon(y: 20, x: 24, distances: (0..<rays).map { distances[$0 * w * h + centre] }, score: 1)
            let labels = StarPolygonSelection.rasterize([polygon], width: w, height: h)
            let truthArea = truth.labels.filter { $0 != 0 }.count
            let area = labels.labels.filter { $0 != 0 }.count
            var inter = 0
            for i in truth.labels.indices where truth.labels[i] != 0 && labels.labels[i] != 0 { inter += 1 }
            #expect(abs(Double(area - truthArea)) <= 0.1 * Double(truthArea), "a \(a) b \(b) rays \(rays): \(area) vs \(truthArea)")
            #expect(Double(inter) / Double(area + truthArea - inter) > 0.9)
            #expect(abs(polygon.area - Double(truthArea)) <= 0.1 * Double(truthArea))
        }
    }

    @Test func distancesOfASquare() {
        var labels = LabelImage(width: 30, height: 30)
        for y in 10...20 { for x in 10...20 { labels.labels[y * 30 + x] = 4 } }
        let d = StarGeometry.distances(labels, rays: 4)
        let at = { (k: Int, y: Int, x: Int) in d[k * 900 + y * 30 + x] }
        // From the centre (15, 15): the boundary is half a pixel beyond the last inside pixel.
        #expect(at(0, 15, 15) == 5.5 && at(1, 15, 15) == 5.5 && at(2, 15, 15) == 5.5 && at(3, 15, 15) == 5.5)
        #expect(at(0, 15, 20) == 0.5 && at(2, 15, 20) == 10.5)
        #expect(at(0, 0, 0) == 0)   // background
        // The image border is a boundary too.
        var full = LabelImage(width: 5, height: 5)
        full.labels = [UInt32](repeating: 1, count: 25)
        #expect(StarGeometry.distances(full, rays: 4)[2 * 5 + 2] == 2.5)
    }

    @Test func probabilityTargetPeaksAtOneInside() {
        var labels = ellipseLabels(width: 40, height: 30, cy: 15, cx: 12, a: 7, b: 5, angle: 0.4)
        let second = ellipseLabels(width: 40, height: 30, cy: 15, cx: 28, a: 5, b: 5, angle: 0, label: 2)
        for i in labels.labels.indices where second.labels[i] != 0 { labels.labels[i] = 2 }
        labels.labels[0] = 3                      // a one-pixel object in the corner
        let p = StarGeometry.probabilityTarget(labels)
        for l: UInt32 in [1, 2, 3] {
            let values = labels.labels.indices.filter { labels.labels[$0] == l }.map { p[$0] }
            #expect(abs(values.max()! - 1) < 1e-6 && values.min()! > 0, "label \(l)")
        }
        #expect(p[15 * 40 + 12] == 1 && p[15 * 40 + 28] == 1)
        for i in labels.labels.indices where labels.labels[i] == 0 { #expect(p[i] == 0) }
        // Brute force: the distance from each object pixel to the nearest pixel outside its object (the
        // one-pixel frame around the image counts as outside), over the object's largest such distance.
        var nearest = [Double](repeating: 0, count: labels.labels.count)
        for i in labels.labels.indices where labels.labels[i] != 0 {
            let (y, x) = (i / 40, i % 40)
            var best = Double.infinity
            for yy in -1...30 {
                for xx in -1...40 {
                    let outside = yy < 0 || yy >= 30 || xx < 0 || xx >= 40 || labels.labels[yy * 40 + xx] != labels.labels[i]
                    if outside { best = min(best, Double((yy - y) * (yy - y) + (xx - x) * (xx - x)).squareRoot()) }
                }
            }
            nearest[i] = best
        }
        for l: UInt32 in [1, 2, 3] {
            let members = labels.labels.indices.filter { labels.labels[$0] == l }
            let top = members.map { nearest[$0] }.max()!
            for i in members { #expect(abs(Double(p[i]) - nearest[i] / top) < 1e-6) }
        }
    }

    @Test func squarePolygonPixels() {
        let s = square(10, 10, 2.5, score: 1)
        #expect(s.pixels(width: 30, height: 30).count == 25)
        #expect(abs(s.area - 25) < 1e-6)
        #expect(square(0, 0, 2.5, score: 1).pixels(width: 30, height: 30).count == 9)   // clipped at the corner
    }
}

@Suite struct StarNMSTests {
    let w = 40, h = 30

    @Test func identicalPolygonsKeepTheMoreProbable() {
        let kept = StarPolygonSelection.suppress([square(10, 10, 2.5, score: 0.6), square(10, 10, 2.5, score: 0.9)],
                                                 width: w, height: h, threshold: 0.4)
        #expect(kept == [1])
    }

    @Test func disjointPolygonsAreAllKept() {
        let kept = StarPolygonSelection.suppress([square(10, 10, 2.5, score: 0.6), square(10, 20, 2.5, score: 0.9),
                                                  square(20, 10, 2.5, score: 0.7)], width: w, height: h, threshold: 0.1)
        #expect(kept == [1, 2, 0])
    }

    /// Squares of 25 px offset by 2 columns share 15 px: ratio 0.6.
    @Test func ratioToTheSmallerAreaDecides() {
        let a = square(10, 10, 2.5, score: 0.9), b = square(10, 12, 2.5, score: 0.8)
        #expect(StarPolygonSelection.suppress([a, b], width: w, height: h, threshold: 0.5) == [0])
        #expect(StarPolygonSelection.suppress([a, b], width: w, height: h, threshold: 0.6) == [0, 1])   // 0.6 is not > 0.6
        #expect(StarPolygonSelection.suppress([a, b], width: w, height: h, threshold: 0.7) == [0, 1])
    }

    /// A small polygon inside a big one: IoU is small (9/121) but the intersection is all of the smaller
    /// polygon, so it is suppressed, whichever is more probable.
    @Test func containedPolygonIsSuppressed() {
        let big = square(15, 15, 5.5, score: 0.5), small = square(15, 15, 1.5, score: 0.9)
        #expect(StarPolygonSelection.suppress([big, small], width: w, height: h, threshold: 0.5) == [1])
        let big2 = square(15, 15, 5.5, score: 0.95)
        #expect(StarPolygonSelection.suppress([big2, small], width: w, height: h, threshold: 0.5) == [0])
    }

    /// Random crowded polygons: the linked-list NMS agrees with the brute-force twin.
    @Test func agreesWithBruteForce() {
        var rng = TestRandom(state: 21)
        for trial in 0..<40 {
            let candidates = (0..<60).map { _ in
                StarPolygon(y: rng.uniform() * 30, x: rng.uniform() * 40,
                            distances: (0..<12).map { _ in Float(1 + rng.uniform() * 5) }, score: Float(rng.uniform()))
            }
            for threshold in [0.1, 0.4, 0.7] {
                #expect(StarPolygonSelection.suppress(candidates, width: w, height: h, threshold: threshold)
                        == Reference.suppress(candidates, width: w, height: h, threshold: threshold), "trial \(trial) @ \(threshold)")
            }
        }
    }

    /// More candidates than one raster block, rasterized by 1, 2 and 3 workers: the same kept list as the
    /// brute-force twin (mixed ray counts, some empty polygons).
    @Test func blocksAndWorkersAgreeWithBruteForce() {
        var rng = TestRandom(state: 5)
        let (bw, bh) = (90, 70)
        let candidates = (0..<(StarPolygonSelection.rasterBlock * 2 + 300)).map { i in
            StarPolygon(y: rng.uniform() * Double(bh), x: rng.uniform() * Double(bw),
                        distances: (0..<(i % 3 == 0 ? 8 : 16)).map { _ in Float(i % 50 == 0 ? 0.2 : 1 + rng.uniform() * 6) },
                        score: Float(rng.uniform()))
        }
        let expected = Reference.suppress(candidates, width: bw, height: bh, threshold: 0.4)
        #expect(expected.count > 20)
        for threads in [1, 2, 3] {
            #expect(StarPolygonSelection.suppress(candidates, width: bw, height: bh, threshold: 0.4, threads: threads) == expected,
                    "threads \(threads)")
        }
    }

    @Test func rasterizationPaintsTheMoreProbableOnTop() {
        let a = square(10, 10, 2.5, score: 0.9), b = square(10, 12, 2.5, score: 0.8)
        let labels = StarPolygonSelection.rasterize([b, a], width: w, height: h)
        #expect(labels[10, 11] == 1 && labels[10, 14] == 2)   // a (label 1, most probable) wins the overlap
        #expect(labels.labels.filter { $0 == 1 }.count == 25 && labels.labels.filter { $0 == 2 }.count == 10)
        // A polygon hidden completely under a more probable one leaves no label behind.
        let hidden = StarPolygonSelection.rasterize([square(10, 10, 1.5, score: 0.1), a], width: w, height: h)
        #expect(hidden.maximumLabel == 1)
    }
}
