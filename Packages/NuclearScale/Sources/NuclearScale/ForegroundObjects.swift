/// Foreground objects of a plane by a global Otsu threshold: the small, dependency-free segmentation that
/// ``DiameterEstimator`` measures sizes with at each smoothing level.
public enum ForegroundObjects {
    /// Otsu's threshold over a `bins`-bin histogram between the finite minimum and maximum of `values`
    /// (the threshold maximises the between-class variance; foreground = value > threshold), or nil when
    /// the values are constant or not finite. Where the criterion is flat across a gap of empty bins, the
    /// threshold is the middle of the gap (a two-level image is split half-way between its levels).
    public static func otsuThreshold(_ values: [Float], bins: Int = 256) -> Float? {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        guard lo < hi else { return nil }
        let scale = Double(bins) / (Double(hi) - Double(lo))
        var histogram = [Double](repeating: 0, count: bins)
        for v in values where v.isFinite {
            histogram[min(bins - 1, max(0, Int((Double(v) - Double(lo)) * scale)))] += 1
        }
        let total = histogram.reduce(0, +)
        var sumAll = 0.0
        for (i, h) in histogram.enumerated() { sumAll += Double(i) * h }
        var weightBelow = 0.0, sumBelow = 0.0, best = -1.0, bestIndex = 0, lastBestIndex = 0
        for i in 0..<(bins - 1) {
            weightBelow += histogram[i]
            sumBelow += Double(i) * histogram[i]
            let weightAbove = total - weightBelow
            guard weightBelow > 0, weightAbove > 0 else { continue }
            let meanBelow = sumBelow / weightBelow, meanAbove = (sumAll - sumBelow) / weightAbove
            let between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if between > best {
                (best, bestIndex, lastBestIndex) = (between, i, i)
            } else if between == best && lastBestIndex == i - 1 {
                lastBestIndex = i  // empty bins after the best split leave the criterion unchanged
            }
        }
        // The upper edge of the last bin below the threshold; where the criterion is flat over a run of
        // empty bins (a gap in the histogram, e.g. a two-level image), the middle of that run.
        return Float(Double(lo) + (Double(bestIndex + 1) + Double(lastBestIndex + 1)) / 2 / scale)
    }

    /// Connected-component labels (1…count in raster order of first pixel, 0 outside `mask`) by
    /// union–find over a raster scan (path halving; the smaller root wins, so roots are first pixels).
    static func components(_ mask: [Bool], width: Int, height: Int, eightConnected: Bool) -> (labels: [UInt32], count: Int) {
        let n = mask.count
        guard n > 0 else { return ([], 0) }
        var provisional = [Int32](repeating: -1, count: n)
        // At most one provisional label per pixel; plain buffers keep the inner loop free of exclusivity checks.
        let parent = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { parent.deallocate() }
        var count: Int32 = 0
        @inline(__always) func root(_ a: Int32, _ parent: UnsafeMutablePointer<Int32>) -> Int32 {
            var r = a
            while parent[Int(r)] != r {
                let g = parent[Int(parent[Int(r)])]
                parent[Int(r)] = g
                r = g
            }
            return r
        }
        /// Merges the sets of `label` and `other` (a neighbour's provisional label, −1 for background).
        @inline(__always) func join(_ label: inout Int32, _ other: Int32, _ parent: UnsafeMutablePointer<Int32>) {
            guard other >= 0 else { return }
            if label < 0 { label = other; return }
            let (ra, rb) = (root(label, parent), root(other, parent))
            if ra != rb { parent[Int(max(ra, rb))] = min(ra, rb) }
        }
        mask.withUnsafeBufferPointer { m in
            provisional.withUnsafeMutableBufferPointer { p in
                for y in 0..<height {
                    let row = y * width
                    for x in 0..<width where m[row + x] {
                        let i = row + x
                        var label: Int32 = -1
                        if x > 0 { join(&label, p[i - 1], parent) }
                        if y > 0 {
                            join(&label, p[i - width], parent)
                            if eightConnected {
                                if x > 0 { join(&label, p[i - width - 1], parent) }
                                if x + 1 < width { join(&label, p[i - width + 1], parent) }
                            }
                        }
                        if label < 0 {
                            label = count
                            parent[Int(count)] = count
                            count += 1
                        }
                        p[i] = label
                    }
                }
            }
        }
        // Final labels in raster order of each component's first pixel.
        var final = [UInt32](repeating: 0, count: Int(count))
        var next: UInt32 = 0
        var labels = [UInt32](repeating: 0, count: n)
        for i in 0..<n where provisional[i] >= 0 {
            let r = Int(root(provisional[i], parent))
            if final[r] == 0 { next += 1; final[r] = next }
            labels[i] = final[r]
        }
        return (labels, Int(next))
    }

    /// The areas of the objects of a smoothed plane measured at a **fraction of their maximum** (half by
    /// default): each 8-connected, hole-filled component of `image > threshold` is replaced by the region
    /// connected to its peak whose values are at least b + fraction · (peak − b), b the background level (the median of the values at or below
    /// the threshold), with that region's holes filled. This is the full-width-at-half-maximum extent of
    /// each object on its own, so dim nuclei that a global threshold cuts into and small blurred ones that
    /// it widens both measure as their outlines. A region may not enter another component and may hold
    /// at most 4× its component's area + 64 pixels (beyond that, haze: the component's own area is used).
    ///
    /// With `saddle` (``SaddleSplit``), the region stops at saddles: it grows from the peak highest pixel
    /// first (a priority flood), and a pixel joins only while it is at most
    /// s = max(heightFraction · (peak − b), noiseFactor · σ_noise) above the lowest value joined so far
    /// (σ_noise: ``noiseSigma(_:width:height:)`` of the plane). Two touching nuclei that one component
    /// holds then measure as the brighter one alone, not as their union; a rise smaller than s (noise,
    /// texture within a nucleus) does not stop it. Without it (nil) the region is every connected pixel
    /// above the level.
    public static func halfMaximumAreas(_ image: [Float], width: Int, height: Int, threshold: Float, fraction: Float = 0.5,
                                        saddle: SaddleSplit? = nil) -> [Int] {
        let mask = image.map { $0 > threshold }
        let filled = filledMask(mask, width: width, height: height)
        let (labels, count) = components(filled, width: width, height: height, eightConnected: true)
        guard count > 0 else { return [] }
        var below: [Float] = []
        let step = max(1, image.count / 8192)
        for i in stride(from: 0, to: image.count, by: step) where image[i] <= threshold && image[i].isFinite { below.append(image[i]) }
        below.sort()
        let background = below.isEmpty ? threshold : below[below.count / 2]
        var area = [Int](repeating: 0, count: count)
        var peak = [Int](repeating: -1, count: count)
        for i in 0..<labels.count where labels[i] > 0 {
            let c = Int(labels[i]) - 1
            area[c] += 1
            if peak[c] < 0 || image[i] > image[peak[c]] { peak[c] = i }
        }
        let noiseSlack = saddle.map { $0.noiseFactor * noiseSigma(image, width: width, height: height) } ?? 0
        var visited = [Int32](repeating: -1, count: image.count)  // component index that claimed the pixel
        var heap = MaxHeap()
        var queue: [Int] = []
        var out = [Int](repeating: 0, count: count)
        for c in 0..<count {
            let p = peak[c]
            let level = background + fraction * (image[p] - background)
            let cap = 4 * area[c] + 64
            queue.removeAll(keepingCapacity: true)
            visited[p] = Int32(c)
            var (minX, maxX, minY, maxY) = (p % width, p % width, p / width, p / width)
            var overflow = false
            /// The pixels next to `i` that may join: at or above the level, not yet seen, and not in another component.
            func candidates(of i: Int, _ body: (Int) -> Void) {
                let (x, y) = (i % width, i / width)
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                for dy in -1...1 {
                    let yy = y + dy
                    guard yy >= 0 && yy < height else { continue }
                    for dx in -1...1 {
                        let xx = x + dx
                        guard xx >= 0 && xx < width else { continue }
                        let n = yy * width + xx
                        guard visited[n] != Int32(c), image[n] >= level else { continue }
                        let owner = labels[n]
                        guard owner == 0 || Int(owner) - 1 == c else { continue }
                        visited[n] = Int32(c)
                        body(n)
                    }
                }
            }
            if let saddle {
                // Priority flood: highest first; a pixel more than `slack` above the water (the lowest value
                // joined so far) lies beyond a saddle and stays out.
                let slack = max(saddle.heightFraction * (image[p] - background), noiseSlack)
                var water = image[p]
                heap.removeAll()
                heap.push(image[p], p)
                while let (v, i) = heap.pop() {
                    if v > water + slack { continue }
                    water = min(water, v)
                    queue.append(i)
                    candidates(of: i) { heap.push(image[$0], $0) }
                    if queue.count > cap { overflow = true; break }
                }
            } else {
                queue.append(p)
                var head = 0
                while head < queue.count {
                    let i = queue[head]; head += 1
                    candidates(of: i) { queue.append($0) }
                    if queue.count > cap { overflow = true; break }
                }
            }
            if overflow { out[c] = area[c]; continue }
            // Fill the region's holes inside its bounding box (one pixel of margin).
            let bx0 = max(0, minX - 1), bx1 = min(width - 1, maxX + 1), by0 = max(0, minY - 1), by1 = min(height - 1, maxY + 1)
            let (bw, bh) = (bx1 - bx0 + 1, by1 - by0 + 1)
            var local = [Bool](repeating: false, count: bw * bh)
            for i in queue { local[(i / width - by0) * bw + (i % width - bx0)] = true }
            out[c] = filledMask(local, width: bw, height: bh).reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        return out
    }

    /// How ``halfMaximumAreas(_:width:height:threshold:fraction:saddle:)`` stops a region at a saddle between
    /// touching objects: a rise of more than max(`heightFraction` · the object's height above the background,
    /// `noiseFactor` · the plane's noise σ) above the lowest value reached ends the region there.
    public struct SaddleSplit: Sendable, Equatable {
        /// The rise allowed, as a fraction of the object's peak above the background.
        public var heightFraction: Float
        /// The rise allowed, in noise σ of the plane (``ForegroundObjects/noiseSigma(_:width:height:)``).
        public var noiseFactor: Float
        /// Creates the rule.
        public init(heightFraction: Float, noiseFactor: Float) {
            self.heightFraction = heightFraction
            self.noiseFactor = noiseFactor
        }
    }

    /// The noise σ of a plane from the median absolute difference of horizontal neighbours (every second
    /// row): σ ≈ median|x(i+1) − x(i)| / (0.6745 · √2), exact for white Gaussian noise on a flat plane and
    /// little moved by edges, which few differences cross. 0 for planes narrower than 2 px; non-finite
    /// samples are skipped.
    public static func noiseSigma(_ image: [Float], width: Int, height: Int) -> Float {
        guard width >= 2, height >= 1 else { return 0 }
        var differences: [Float] = []
        differences.reserveCapacity((height + 1) / 2 * (width - 1))
        for y in Swift.stride(from: 0, to: height, by: 2) {
            let row = y * width
            for x in 1..<width {
                let d = abs(image[row + x] - image[row + x - 1])
                if d.isFinite { differences.append(d) }
            }
        }
        guard !differences.isEmpty else { return 0 }
        let middle = differences.count / 2
        let median = differences.withUnsafeMutableBufferPointer { b -> Float in
            // Quickselect of the median (the plain sort is the twin in the tests).
            var (lo, hi) = (0, b.count - 1)
            while lo < hi {
                let pivot = b[(lo + hi) / 2]
                var (i, j) = (lo, hi)
                while i <= j {
                    while b[i] < pivot { i += 1 }
                    while b[j] > pivot { j -= 1 }
                    if i <= j { b.swapAt(i, j); i += 1; j -= 1 }
                }
                if middle <= j { hi = j } else if middle >= i { lo = i } else { break }
            }
            return b[middle]
        }
        return median / (0.6745 * Float(2).squareRoot())
    }

    /// `mask` with its holes (background components, 4-connected, that do not touch the border) filled:
    /// every background pixel a 4-connected flood from the border cannot reach becomes foreground.
    static func filledMask(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        let n = mask.count
        var filled = [Bool](repeating: true, count: n)  // true until reached from the border
        guard n > 0 else { return filled }
        let stack = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer { stack.deallocate() }
        mask.withUnsafeBufferPointer { m in
            filled.withUnsafeMutableBufferPointer { f in
                var top = 0
                var border: [Int] = Array(0..<width) + Array(((height - 1) * width)..<n)
                for y in 0..<height { border.append(y * width); border.append(y * width + width - 1) }
                for i in border where !m[i] && f[i] { f[i] = false; stack[top] = i; top += 1 }
                while top > 0 {
                    top -= 1
                    let i = stack[top]
                    let (x, y) = (i % width, i / width)
                    if x > 0, !m[i - 1], f[i - 1] { f[i - 1] = false; stack[top] = i - 1; top += 1 }
                    if x + 1 < width, !m[i + 1], f[i + 1] { f[i + 1] = false; stack[top] = i + 1; top += 1 }
                    if y > 0, !m[i - width], f[i - width] { f[i - width] = false; stack[top] = i - width; top += 1 }
                    if y + 1 < height, !m[i + width], f[i + width] { f[i + width] = false; stack[top] = i + width; top += 1 }
                }
            }
        }
        return filled
    }
}

/// A binary max-heap of (value, index) pairs: the priority flood's queue.
struct MaxHeap {
    private var values: [Float] = []
    private var indices: [Int] = []

    mutating func removeAll() { values.removeAll(keepingCapacity: true); indices.removeAll(keepingCapacity: true) }

    mutating func push(_ value: Float, _ index: Int) {
        values.append(value); indices.append(index)
        var k = values.count - 1
        while k > 0 {
            let up = (k - 1) / 2
            guard values[up] < values[k] else { break }
            values.swapAt(up, k); indices.swapAt(up, k)
            k = up
        }
    }

    /// The largest value and its index (nil when empty).
    mutating func pop() -> (Float, Int)? {
        guard let top = values.first else { return nil }
        let index = indices[0]
        let (lastValue, lastIndex) = (values.removeLast(), indices.removeLast())
        if !values.isEmpty {
            values[0] = lastValue; indices[0] = lastIndex
            var k = 0
            while true {
                let (l, r) = (2 * k + 1, 2 * k + 2)
                var m = k
                if l < values.count && values[l] > values[m] { m = l }
                if r < values.count && values[r] > values[m] { m = r }
                if m == k { break }
                values.swapAt(m, k); indices.swapAt(m, k)
                k = m
            }
        }
        return (top, index)
    }
}
