import ImageCore

/// Slow, obviously correct twins of the fast kernels of this module; the tests check that both agree.
/// Do not use them in tools: they are much slower.
public enum Reference {
    /// Connected components by breadth-first flood fill from each unlabelled foreground pixel in raster
    /// order: labels 1…K in raster order of each component's first pixel.
    public static func label(_ mask: BinaryMask, connectivity: Connectivity) -> LabelImage {
        let (w, h) = (mask.width, mask.height)
        var out = LabelImage(width: w, height: h)
        var next: UInt32 = 0
        let offsets: [(Int, Int)] = connectivity == .four
            ? [(-1, 0), (1, 0), (0, -1), (0, 1)]
            : [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
        for seed in 0..<(w * h) where mask.pixels[seed] != 0 && out.labels[seed] == 0 {
            next += 1
            out.labels[seed] = next
            var queue = [seed]
            var head = 0
            while head < queue.count {
                let p = queue[head]; head += 1
                let (y, x) = (p / w, p % w)
                for (dy, dx) in offsets {
                    let (yy, xx) = (y + dy, x + dx)
                    guard yy >= 0, yy < h, xx >= 0, xx < w else { continue }
                    let q = yy * w + xx
                    if mask.pixels[q] != 0 && out.labels[q] == 0 { out.labels[q] = next; queue.append(q) }
                }
            }
        }
        return out
    }

    /// Otsu by brute force: for every candidate split of the occupied bins, the between-class variance
    /// ω₀ω₁(μ₀ − μ₁)² computed from scratch; the first maximum.
    public static func otsuIndex(counts: [Int], centers: [Double]) -> Int? {
        let occupied = counts.indices.filter { counts[$0] > 0 }
        guard let first = occupied.first, let last = occupied.last, first < last else { return nil }
        var best = -Double.infinity, bestIndex = first
        for t in first..<last {
            var w0 = 0.0, s0 = 0.0, w1 = 0.0, s1 = 0.0
            for i in counts.indices {
                if i <= t { w0 += Double(counts[i]); s0 += Double(counts[i]) * centers[i] }
                else { w1 += Double(counts[i]); s1 += Double(counts[i]) * centers[i] }
            }
            let d = s0 / w0 - s1 / w1
            let v = w0 * w1 * d * d
            if v > best { best = v; bestIndex = t }
        }
        return bestIndex
    }

    /// The local mean threshold by direct summation over each block (mirrored borders), in Float64.
    public static func localMeanThreshold(_ pixels: [Float], width: Int, height: Int, blockSize: Int, offset: Float) -> [Float] {
        let r = blockSize / 2
        var out = [Float](repeating: 0, count: pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                var s = 0.0
                for dy in -r...r {
                    for dx in -r...r {
                        s += Double(pixels[LocalMeanThreshold.mirror(y + dy, height) * width + LocalMeanThreshold.mirror(x + dx, width)])
                    }
                }
                out[y * width + x] = Float(s / Double(blockSize * blockSize) - Double(offset))
            }
        }
        return out
    }
}

extension Reference {
    /// Greedy NMS by brute force: pixel sets of every polygon as `Set`s, each candidate (by decreasing
    /// score, ties by index) compared with every kept one: suppressed when |A ∩ B| / min(|A|, |B|) > threshold.
    public static func suppress(_ candidates: [StarPolygon], width: Int, height: Int, threshold: Double) -> [Int] {
        let sets = candidates.map { Set($0.pixels(width: width, height: height)) }
        let order = candidates.indices.sorted { (candidates[$0].score, -$0) > (candidates[$1].score, -$1) }
        var kept: [Int] = []
        for i in order where !sets[i].isEmpty {
            let suppressed = kept.contains { k in
                Double(sets[i].intersection(sets[k]).count) / Double(min(sets[i].count, sets[k].count)) > threshold
            }
            if !suppressed { kept.append(i) }
        }
        return kept
    }
}

extension Reference {
    /// 3-D connected components by breadth-first flood fill from each unlabelled foreground voxel in raster
    /// order (slice, row, column); `mask` holds `width · height · depth` voxels, slice-major. Neighbours:
    /// the 6 face neighbours for `.four`, all 26 for `.eight`. Labels 1…K in raster order of first voxel.
    public static func labelVolume(_ mask: [UInt8], width: Int, height: Int, depth: Int, connectivity: Connectivity) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: mask.count)
        var offsets: [(Int, Int, Int)] = []
        for dz in -1...1 {
            for dy in -1...1 {
                for dx in -1...1 where (dz, dy, dx) != (0, 0, 0) {
                    let nonZero = abs(dz) + abs(dy) + abs(dx)
                    if connectivity == .eight || nonZero == 1 { offsets.append((dz, dy, dx)) }
                }
            }
        }
        var next: UInt32 = 0
        for seed in mask.indices where mask[seed] != 0 && out[seed] == 0 {
            next += 1
            out[seed] = next
            var queue = [seed]
            var head = 0
            while head < queue.count {
                let p = queue[head]; head += 1
                let (z, y, x) = (p / (width * height), (p / width) % height, p % width)
                for (dz, dy, dx) in offsets {
                    let (zz, yy, xx) = (z + dz, y + dy, x + dx)
                    guard zz >= 0, zz < depth, yy >= 0, yy < height, xx >= 0, xx < width else { continue }
                    let q = (zz * height + yy) * width + xx
                    if mask[q] != 0 && out[q] == 0 { out[q] = next; queue.append(q) }
                }
            }
        }
        return out
    }
}
