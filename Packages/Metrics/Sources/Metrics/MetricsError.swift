/// Why two images cannot be scored against each other.
public enum MetricsError: Error, Equatable, CustomStringConvertible {
    /// The images differ in size (width × height of each).
    case sizeMismatch(prediction: (width: Int, height: Int), truth: (width: Int, height: Int))
    /// The matching threshold is outside (0, 1].
    case invalidThreshold(Double)

    /// Equal when the descriptions are.
    public static func == (a: MetricsError, b: MetricsError) -> Bool { a.description == b.description }

    /// One line, e.g. `prediction is 256 x 256 px but truth is 128 x 128 px`.
    public var description: String {
        switch self {
        case let .sizeMismatch(p, t):
            return "prediction is \(p.width) x \(p.height) px but truth is \(t.width) x \(t.height) px"
        case let .invalidThreshold(t):
            return "the IoU threshold must be in (0, 1], got \(t)"
        }
    }
}
