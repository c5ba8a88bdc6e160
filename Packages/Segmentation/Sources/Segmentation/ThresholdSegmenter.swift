import ImageCore

/// Which threshold separates nuclei from background.
public enum ThresholdMethod: Sendable, Equatable {
    /// Global Otsu (``Otsu``): one threshold for the whole image, foreground = pixel > threshold.
    case otsu
    /// Adaptive: pixel > local mean + contrast · (p99.8 − p1) (``LocalMeanThreshold``).
    case adaptive(LocalMeanThreshold)
}

/// Fixed-parameter threshold segmentation: threshold → optional hole filling → connected components →
/// optional small-object removal. A pure function of the image and these settings.
///
/// Defaults are the paper's plain Otsu: 8-connected components, no hole filling, no size filter.
public struct ThresholdSegmenter: Sendable, Equatable {
    /// The threshold.
    public var method: ThresholdMethod
    /// Adjacency of the components (and, complemented, of the holes).
    public var connectivity: Connectivity
    /// Whether enclosed background regions become part of the surrounding object (``Morphology/fillHoles(_:connectivity:)``).
    public var fillHoles: Bool
    /// Objects with fewer pixels are removed (0 or 1: keep all).
    public var minimumArea: Int

    /// A segmenter; see the properties.
    public init(method: ThresholdMethod = .otsu, connectivity: Connectivity = .eight, fillHoles: Bool = false, minimumArea: Int = 0) {
        self.method = method
        self.connectivity = connectivity
        self.fillHoles = fillHoles
        self.minimumArea = minimumArea
    }

    /// The foreground mask (after hole filling, before labelling).
    public func foreground(_ plane: ImagePlane) -> BinaryMask {
        var mask: BinaryMask
        switch method {
        case .otsu: mask = BinaryMask.above(Otsu.threshold(plane), in: plane)
        case .adaptive(let local): mask = local.foreground(plane)
        }
        if fillHoles { mask = Morphology.fillHoles(mask, connectivity: connectivity) }
        return mask
    }

    /// Instance labels 1…K (raster order of first pixel after size filtering), 0 = background.
    public func segment(_ plane: ImagePlane) -> LabelImage {
        var labels: LabelImage
        if method == .otsu && !fillHoles {
            labels = ConnectedComponents.label(plane, above: Otsu.threshold(plane), connectivity: connectivity)
        } else {
            labels = ConnectedComponents.label(foreground(plane), connectivity: connectivity)
        }
        if minimumArea > 1 { labels = Morphology.removeSmallObjects(labels, minimumArea: minimumArea) }
        return labels
    }
}
