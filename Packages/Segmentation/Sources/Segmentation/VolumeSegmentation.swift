import ImageCore

extension ThresholdSegmenter {
    /// 3-D instance labels of a Z stack (`slices`, all of one size, in Z order): one label image per slice,
    /// an object keeping one label through every slice it spans. The steps, chosen so that a stack of **one
    /// slice gives exactly** ``segment(_:)``'s labels:
    ///
    /// 1. Foreground: `.otsu` uses **one Otsu threshold over the whole stack** (the histogram of every voxel,
    ///    with the stack's sample type, as ``Otsu/threshold(_:bins:)`` for one plane), so that slices above
    ///    and below the cells, which hold no nuclei, are not forced to split their noise into two classes;
    ///    `.adaptive` thresholds each slice against its own local means (its neighbourhood is in-plane).
    /// 2. Hole filling (when on) **per slice**, as in 2-D: a dark nucleolus or a dim centre is closed in the
    ///    slices that cut it even where it is open towards the top or bottom of the nucleus.
    /// 3. 3-D connected components (``VolumeComponents``: `.four` → 6-, `.eight` → 26-connectivity).
    /// 4. Size filter: an object is removed when its **largest cross-section** (its pixel count in the
    ///    slice where it is widest) is below ``minimumArea`` — the 2-D rule applied to the object's widest
    ///    slice, so the same `minimumArea` works whatever the Z sampling (``Morphology/removeSmallObjects(slices:minimumArea:)``).
    public func segment(volume slices: [ImagePlane]) -> [LabelImage] {
        guard let first = slices.first else { return [] }
        precondition(slices.allSatisfy { $0.width == first.width && $0.height == first.height },
                     "ThresholdSegmenter: slices of different sizes")
        var masks: [BinaryMask]
        switch method {
        case .otsu:
            let stack = ImagePlane(width: first.width, height: first.height * slices.count,
                                   pixels: slices.flatMap(\.pixels), sampleType: first.sampleType)
            let threshold = Otsu.threshold(stack)
            masks = slices.map { BinaryMask.above(threshold, in: $0) }
        case .adaptive(let local):
            masks = slices.map { local.foreground($0) }
        }
        if fillHoles { masks = masks.map { Morphology.fillHoles($0, connectivity: connectivity) } }
        var labels = VolumeComponents.label(masks, connectivity: connectivity)
        if minimumArea > 1 { labels = Morphology.removeSmallObjects(slices: labels, minimumArea: minimumArea) }
        return labels
    }
}

extension Morphology {
    /// Removes the 3-D objects (labels shared across `slices`) whose **largest cross-section** — the most
    /// pixels they have in any one slice — is below `minimumArea`, and renumbers the rest 1…K in the order of
    /// their old labels. For one slice this is ``removeSmallObjects(_:minimumArea:)``. `minimumArea` ≤ 1
    /// keeps everything (renumbering only).
    public static func removeSmallObjects(slices: [LabelImage], minimumArea: Int) -> [LabelImage] {
        var largest: [UInt32: Int] = [:]
        for slice in slices {
            var area: [UInt32: Int] = [:]
            for l in slice.labels where l != 0 { area[l, default: 0] += 1 }
            for (l, a) in area { largest[l] = max(largest[l] ?? 0, a) }
        }
        var newLabel: [UInt32: UInt32] = [:]
        var next: UInt32 = 0
        for l in largest.keys.sorted() where largest[l]! >= minimumArea { next += 1; newLabel[l] = next }
        return slices.map { slice in
            var out = slice
            for i in out.labels.indices where out.labels[i] != 0 { out.labels[i] = newLabel[out.labels[i]] ?? 0 }
            return out
        }
    }
}
