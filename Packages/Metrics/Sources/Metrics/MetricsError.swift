/// Why two images cannot be scored against each other.
public enum MetricsError: Error, Equatable, CustomStringConvertible {
    /// The images differ in size (width × height of each).
    case sizeMismatch(prediction: (width: Int, height: Int), truth: (width: Int, height: Int))
    /// The matching threshold is outside (0, 1].
    case invalidThreshold(Double)
    /// Two Z stacks differ in slice size or slice count (width × height × slices of each).
    case stackMismatch(prediction: (width: Int, height: Int, slices: Int), truth: (width: Int, height: Int, slices: Int))
    /// Two plain label arrays differ in length (pixel or voxel counts).
    case countMismatch(prediction: Int, truth: Int)

    /// Equal when the descriptions are.
    public static func == (a: MetricsError, b: MetricsError) -> Bool { a.description == b.description }

    /// One line, e.g. `prediction is 256 x 256 px but truth is 128 x 128 px`, or for stacks
    /// `prediction is 64 x 64 px x 5 slices but truth is 64 x 64 px x 6 slices`.
    public var description: String {
        switch self {
        case let .sizeMismatch(p, t):
            return "prediction is \(p.width) x \(p.height) px but truth is \(t.width) x \(t.height) px"
        case let .stackMismatch(p, t):
            return "prediction is \(p.width) x \(p.height) px x \(p.slices) slices but truth is \(t.width) x \(t.height) px x \(t.slices) slices"
        case let .countMismatch(p, t):
            return "prediction has \(p) pixels but truth has \(t)"
        case let .invalidThreshold(t):
            return "the IoU threshold must be in (0, 1], got \(t)"
        }
    }
}
