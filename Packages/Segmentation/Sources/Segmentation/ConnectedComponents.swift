import ImageCore

/// Connected-component labelling of a binary mask into instance labels.
///
/// Labels are 1…K in **raster order of each component's first pixel** (row by row, left to right), 0 is
/// background — the numbering of scikit-image's `skimage.measure.label(mask, connectivity=1|2)`.
///
/// Algorithm (run-based two-pass): each row is cut into runs of foreground pixels; a run is joined (union–
/// find with path halving, the root being the earliest run) with every run of the row above that
/// overlaps it — columns [start, end) overlapping [start − 1, end + 1) for 8-connectivity, [start, end)
/// for 4-connectivity; then each root gets the next label in run order and the runs are painted.
/// O(pixels), one pass over the mask plus one write per foreground pixel. The slow twin is
/// ``Reference/label(_:connectivity:)`` (flood fill).
public enum ConnectedComponents {
    /// Labels the foreground components of `mask`.
    public static func label(_ mask: BinaryMask, connectivity: Connectivity = .eight) -> LabelImage {
        label(width: mask.width, height: mask.height, connectivity: connectivity) { mask.pixels[$0] != 0 }
    }

    /// Labels the pixels of `plane` strictly above `threshold` (the mask is never stored).
    public static func label(_ plane: ImagePlane, above threshold: Float, connectivity: Connectivity = .eight) -> LabelImage {
        plane.pixels.withUnsafeBufferPointer { p in
            label(width: plane.width, height: plane.height, connectivity: connectivity) { p[$0] > threshold }
        }
    }

    /// Labels the pixels `i` (row-major index) for which `isForeground(i)` holds: the one-slice case of
    /// ``VolumeComponents/label(width:height:depth:connectivity:isForeground:)``, whose run-based passes
    /// are the algorithm above.
    public static func label(width: Int, height: Int, connectivity: Connectivity,
                             isForeground: (Int) -> Bool) -> LabelImage {
        guard width > 0 && height > 0 else { return LabelImage(width: width, height: height) }
        return LabelImage(width: width, height: height,
                          labels: VolumeComponents.label(width: width, height: height, depth: 1, connectivity: connectivity,
                                                         isForeground: isForeground))
    }

    /// Number of components (the largest label of a labelling made here).
    public static func count(_ labels: LabelImage) -> Int { Int(labels.maximumLabel) }
}
