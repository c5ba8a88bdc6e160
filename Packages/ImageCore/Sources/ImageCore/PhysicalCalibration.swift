/// The physical size of an image's pixels and the time between its frames, as read from a file's
/// metadata (ImageJ resolution tags and description, OME-XML `PhysicalSize*` and `TimeIncrement`) and
/// written back to every TIFF a tool produces (MicroscopyIO).
///
/// Lengths are in ``unit`` (a spelling of a length unit: `"µm"`, `"nm"`, `"mm"`, `"cm"`, `"m"`,
/// `"inch"`, or whatever the file said); every micrometre spelling (`micron`, `um`, `µm`, `\u00B5m`)
/// is normalised to `"µm"`. Times are in ``timeUnit`` (`"sec"` when the file gave none: ImageJ's
/// default). A `nil` field is unknown, and nothing is written for it.
///
/// Resampling a plane from `w × h` to `w' × h'` pixels keeps the field of view, so the pixel size
/// becomes `pixelWidth · w / w'` and `pixelHeight · h / h'` (≈ pixel size / F for a scale factor F);
/// ``resampled(width:height:toWidth:toHeight:)`` does this. Z spacing and the frame interval are
/// unchanged by resampling in X and Y.
public struct PhysicalCalibration: Equatable, Sendable {
    /// The width of a pixel (X spacing) in ``unit``, > 0 and finite when set.
    public var pixelWidth: Double?
    /// The height of a pixel (Y spacing) in ``unit``, > 0 and finite when set.
    public var pixelHeight: Double?
    /// The distance between Z slices in ``unit``, > 0 and finite when set.
    public var sliceSpacing: Double?
    /// The length unit of the three spacings (`"µm"` for every micrometre spelling); nil: unknown.
    public var unit: String?
    /// The time between frames (T) in ``timeUnit``, > 0 and finite when set.
    public var frameInterval: Double?
    /// The unit of ``frameInterval`` (`"sec"`, `"ms"`, `"min"`, …); nil: seconds.
    public var timeUnit: String?

    /// Creates a calibration; non-positive or non-finite sizes are dropped (nil), and the unit is
    /// normalised (``normalizedLengthUnit(_:)``).
    public init(pixelWidth: Double? = nil, pixelHeight: Double? = nil, sliceSpacing: Double? = nil,
                unit: String? = nil, frameInterval: Double? = nil, timeUnit: String? = nil) {
        self.pixelWidth = Self.positive(pixelWidth)
        self.pixelHeight = Self.positive(pixelHeight)
        self.sliceSpacing = Self.positive(sliceSpacing)
        self.unit = unit.flatMap(Self.normalizedLengthUnit)
        self.frameInterval = Self.positive(frameInterval)
        self.timeUnit = timeUnit.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether nothing is known (no size, no interval).
    public var isEmpty: Bool {
        pixelWidth == nil && pixelHeight == nil && sliceSpacing == nil && frameInterval == nil
    }

    /// The calibration of a plane resampled from `width × height` to `newWidth × newHeight` pixels over
    /// the same field of view: `pixelWidth · width / newWidth`, `pixelHeight · height / newHeight`; the
    /// rest unchanged. Sizes that are not positive leave the calibration as it is.
    public func resampled(width: Int, height: Int, toWidth newWidth: Int, toHeight newHeight: Int) -> PhysicalCalibration {
        guard width > 0, height > 0, newWidth > 0, newHeight > 0 else { return self }
        var result = self
        result.pixelWidth = pixelWidth.map { $0 * Double(width) / Double(newWidth) }
        result.pixelHeight = pixelHeight.map { $0 * Double(height) / Double(newHeight) }
        return result
    }

    /// `"µm"` for `micron`, `microns`, `um`, `µm` (micro sign U+00B5 or Greek mu U+03BC) and ImageJ's
    /// escaped `\u00B5m`; other non-empty spellings unchanged (trimmed); nil for an empty text.
    public static func normalizedLengthUnit(_ text: String) -> String? {
        let trimmed = String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        guard !trimmed.isEmpty else { return nil }
        switch trimmed.lowercased() {
        case "micron", "microns", "um", "µm", "μm", "\\u00b5m", "micrometer", "micrometre", "micrometers", "micrometres":
            return "µm"
        default:
            return trimmed
        }
    }

    /// Metres per `unit` for the length units OME and ImageJ use (m, cm, mm, µm, nm, pm, Å, inch), or nil.
    public static func metres(per unit: String) -> Double? {
        switch normalizedLengthUnit(unit) {
        case "m": 1
        case "cm": 1e-2
        case "mm": 1e-3
        case "µm": 1e-6
        case "nm": 1e-9
        case "pm": 1e-12
        case "Å", "angstrom": 1e-10
        case "inch", "in": 0.0254
        default: nil
        }
    }

    private static func positive(_ value: Double?) -> Double? {
        guard let value, value.isFinite, value > 0 else { return nil }
        return value
    }
}
