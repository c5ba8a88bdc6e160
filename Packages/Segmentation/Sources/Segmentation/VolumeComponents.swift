import ImageCore

/// Connected-component labelling of a 3-D binary volume (a Z stack): `depth` slices of `height` rows ×
/// `width` columns, slice-major then row-major (voxel (z, y, x) at index (z · height + y) · width + x).
///
/// **Adjacency** follows the in-plane ``Connectivity``, so that a volume of one slice is labelled exactly
/// as the 2-D image:
/// - `.four` → **6-connectivity**: voxels sharing a face (scikit-image `label(connectivity=1)` in 3-D);
/// - `.eight` → **26-connectivity**: voxels sharing a face, an edge or a corner (scikit-image
///   `label(connectivity=3)`, its default for 3-D arrays).
///
/// Labels are 1…K in **raster order of each component's first voxel** (slice, row, column), as
/// `skimage.measure.label`. Algorithm: the run-based two-pass labelling of ``ConnectedComponents`` with the
/// rows of the previous slice as further neighbours (row y of slice z − 1 with 6-connectivity; rows
/// y − 1…y + 1, columns widened by one, with 26-connectivity). O(voxels). The slow twin is
/// ``Reference/labelVolume(_:width:height:depth:connectivity:)`` (flood fill).
public enum VolumeComponents {
    /// Labels the voxels `i` for which `isForeground(i)` holds; returns `width · height · depth` labels.
    public static func label(width: Int, height: Int, depth: Int, connectivity: Connectivity,
                             isForeground: (Int) -> Bool) -> [UInt32] {
        precondition(width >= 0 && height >= 0 && depth >= 0, "VolumeComponents: negative size")
        var output = [UInt32](repeating: 0, count: width * height * depth)
        guard width > 0 && height > 0 && depth > 0 else { return output }
        let reach = connectivity == .eight ? 1 : 0
        var starts: [Int32] = [], ends: [Int32] = [], parent: [Int32] = []
        var rowFirstRun: [Int] = []      // first run of row r = z · height + y; rowFirstRun[rows] = run count
        let rows = depth * height
        rowFirstRun.reserveCapacity(rows + 1)

        @inline(__always) func find(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x {
                parent[Int(x)] = parent[Int(parent[Int(x)])]
                x = parent[Int(x)]
            }
            return x
        }
        @inline(__always) func union(_ a: Int32, _ b: Int32) {
            let ra = find(a), rb = find(b)
            if ra < rb { parent[Int(rb)] = ra } else if rb < ra { parent[Int(ra)] = rb }
        }

        for r in 0..<rows {
            rowFirstRun.append(starts.count)
            let (z, y) = (r / height, r % height)
            // Neighbour rows, all already complete: (z, y − 1) with the in-plane reach; in slice z − 1 the row
            // y (6-connectivity) or rows y − 1…y + 1 (26-connectivity), with the same column reach.
            var neighbours: [Int] = []
            if y > 0 { neighbours.append(r - 1) }
            if z > 0 {
                for dy in -reach...reach where y + dy >= 0 && y + dy < height { neighbours.append(r - height + dy) }
            }
            var cursors = neighbours.map { rowFirstRun[$0] }
            let base = r * width
            var x = 0
            while x < width {
                if !isForeground(base + x) { x += 1; continue }
                let start = x
                while x < width && isForeground(base + x) { x += 1 }
                let run = Int32(starts.count)
                starts.append(Int32(start)); ends.append(Int32(x)); parent.append(run)
                let lo = Int32(start - reach), hi = Int32(x + reach)
                for (n, row) in neighbours.enumerated() {
                    let end = rowFirstRun[row + 1]          // row < r, so row + 1 ≤ r is recorded
                    while cursors[n] < end && ends[cursors[n]] <= lo { cursors[n] += 1 }
                    var k = cursors[n]
                    while k < end && starts[k] < hi { union(Int32(k), run); k += 1 }
                }
            }
        }
        rowFirstRun.append(starts.count)

        var labelOfRun = [UInt32](repeating: 0, count: starts.count)
        var next: UInt32 = 0
        output.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows {
                for k in rowFirstRun[r]..<rowFirstRun[r + 1] {
                    let root = Int(find(Int32(k)))
                    if root == k { next += 1; labelOfRun[k] = next } else { labelOfRun[k] = labelOfRun[root] }
                    let l = labelOfRun[k]
                    for x in Int(starts[k])..<Int(ends[k]) { out[r * width + x] = l }
                }
            }
        }
        return output
    }

    /// Labels the foreground (non-zero bytes) of a volume given as one ``BinaryMask`` per slice (all of
    /// one size); returns one label image per slice.
    public static func label(_ slices: [BinaryMask], connectivity: Connectivity = .eight) -> [LabelImage] {
        guard let first = slices.first else { return [] }
        precondition(slices.allSatisfy { $0.width == first.width && $0.height == first.height },
                     "VolumeComponents: slices of different sizes")
        let (w, h) = (first.width, first.height)
        let n = w * h
        let mask = slices.flatMap(\.pixels)
        let flat = mask.withUnsafeBufferPointer { m in
            label(width: w, height: h, depth: slices.count, connectivity: connectivity) { m[$0] != 0 }
        }
        return (0..<slices.count).map { LabelImage(width: w, height: h, labels: Array(flat[($0 * n)..<(($0 + 1) * n)])) }
    }
}
