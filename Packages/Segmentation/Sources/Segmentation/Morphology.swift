import ImageCore

/// Post-processing of masks and label images.
public enum Morphology {
    /// Fills the holes of `mask`: background regions that do not touch the image border become
    /// foreground. Background regions are connected with `connectivity.complement`, i.e. 4-connected
    /// for an 8-connected foreground (the default) — `scipy.ndimage.binary_fill_holes` with its default
    /// cross structure. A foreground that touches nothing but the border keeps its border gaps.
    public static func fillHoles(_ mask: BinaryMask, connectivity: Connectivity = .eight) -> BinaryMask {
        let (w, h) = (mask.width, mask.height)
        guard w > 0 && h > 0 else { return mask }
        let background = ConnectedComponents.label(width: w, height: h, connectivity: connectivity.complement) {
            mask.pixels[$0] == 0
        }
        var touches = [Bool](repeating: false, count: Int(background.maximumLabel) + 1)
        for x in 0..<w { touches[Int(background.labels[x])] = true; touches[Int(background.labels[(h - 1) * w + x])] = true }
        for y in 0..<h { touches[Int(background.labels[y * w])] = true; touches[Int(background.labels[y * w + w - 1])] = true }
        var out = mask
        for i in 0..<(w * h) where mask.pixels[i] == 0 && !touches[Int(background.labels[i])] { out.pixels[i] = 1 }
        return out
    }

    /// Removes the objects of fewer than `minimumArea` pixels and renumbers the rest 1…K in the order of
    /// their old labels (label values need not be consecutive). `minimumArea` ≤ 1 keeps everything
    /// (renumbering only). scikit-image ≥ 0.26's `remove_small_objects(labels, max_size=minimumArea − 1)`
    /// followed by `relabel_sequential`.
    public static func removeSmallObjects(_ labels: LabelImage, minimumArea: Int) -> LabelImage {
        var area: [UInt32: Int] = [:]
        for l in labels.labels where l != 0 { area[l, default: 0] += 1 }
        var newLabel: [UInt32: UInt32] = [:]
        var next: UInt32 = 0
        for l in area.keys.sorted() where area[l]! >= minimumArea { next += 1; newLabel[l] = next }
        var out = labels
        for i in out.labels.indices where out.labels[i] != 0 { out.labels[i] = newLabel[out.labels[i]] ?? 0 }
        return out
    }

    /// Areas (pixel counts) of labels 1…maximumLabel; index 0 holds the background count.
    public static func areas(_ labels: LabelImage) -> [Int] {
        var area = [Int](repeating: 0, count: Int(labels.maximumLabel) + 1)
        for l in labels.labels { area[Int(l)] += 1 }
        return area
    }
}
