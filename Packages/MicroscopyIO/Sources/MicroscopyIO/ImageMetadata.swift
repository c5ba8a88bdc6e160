import Foundation

/// What a TIFF output keeps of its input besides the pixels: the physical calibration (pixel size, Z
/// spacing, unit, frame interval), and for an extracted channel its name and display range.
///
/// Read with ``ImageFile/metadata(channel:)`` (from ImageJ or OME-TIFF metadata) and handed to
/// `writeTIFF` / `writeLabels`, which store it the way ImageJ does (docs/image-io.md, "Physical metadata"):
/// - XResolution = 1 / pixelWidth, YResolution = 1 / pixelHeight (pixels per unit), ResolutionUnit 1 (none;
///   2 for inch, 3 for cm);
/// - ImageJ description keys `unit=` (`micron` for µm), `spacing=` (Z), `finterval=`, `tunit=` (when not
///   seconds), `min=` / `max=` (display range) and `channel_name=` (the OME channel name; ImageJ itself
///   ignores this key, tifffile and MicroscopyIO read it).
public struct ImageMetadata: Equatable, Sendable {
    /// Pixel size, Z spacing, unit and frame interval.
    public var calibration: PhysicalCalibration
    /// The channel's name (OME `<Channel Name=…>`, or a `channel_name=` key written by MicroscopyIO).
    public var channelName: String?
    /// The display range (ImageJ `min=` / `max=`), in the stored sample scale.
    public var displayRange: ClosedRange<Double>?

    /// Creates metadata; all parts default to unknown.
    public init(calibration: PhysicalCalibration = PhysicalCalibration(), channelName: String? = nil,
                displayRange: ClosedRange<Double>? = nil) {
        self.calibration = calibration
        self.channelName = channelName
        self.displayRange = displayRange
    }

    /// Whether there is nothing to write.
    public var isEmpty: Bool { calibration.isEmpty && channelName == nil && displayRange == nil }

    /// The metadata for label images or recomputed intensities made from this channel: the calibration and
    /// channel name, without the display range (which belongs to the input's intensities).
    public var withoutDisplayRange: ImageMetadata {
        ImageMetadata(calibration: calibration, channelName: channelName, displayRange: nil)
    }
}

/// The calibration and per-channel information of a TIFF's first page (its description and resolution tags).
struct FileMetadata {
    var calibration = PhysicalCalibration()
    /// One entry per channel (may be shorter than sizeC; missing entries are nil).
    var channelNames: [String?] = []
    var displayRanges: [ClosedRange<Double>?] = []

    /// Reads OME-XML (`PhysicalSize*`, `TimeIncrement`, channel names) or, for other files, the resolution
    /// tags with the ImageJ description (`unit=`, `spacing=`, `finterval=`, `tunit=`, `min=`/`max=`).
    /// Without ImageJ or OME metadata, resolution tags count only with ResolutionUnit inch or cm (a unitless
    /// resolution means nothing physical).
    static func read(description: String?, page: ResolutionTags, sizeC: Int) -> FileMetadata {
        var result = FileMetadata()
        if let description, StackMetadataParser.isOME(description), let ome = StackMetadataParser.omePixels(description) {
            let unit = ome.physicalSizeXUnit ?? ome.physicalSizeYUnit ?? "µm"
            func inUnit(_ value: Double?, _ from: String?) -> Double? {
                guard let value else { return nil }
                let source = from ?? "µm"
                if PhysicalCalibration.normalizedLengthUnit(source) == PhysicalCalibration.normalizedLengthUnit(unit) { return value }
                guard let a = PhysicalCalibration.metres(per: source), let b = PhysicalCalibration.metres(per: unit) else { return nil }
                return value * a / b
            }
            var timeUnit = ome.timeIncrementUnit ?? "s"
            if timeUnit == "s" { timeUnit = "sec" }
            result.calibration = PhysicalCalibration(
                pixelWidth: inUnit(ome.physicalSizeX, ome.physicalSizeXUnit),
                pixelHeight: inUnit(ome.physicalSizeY, ome.physicalSizeYUnit),
                sliceSpacing: inUnit(ome.physicalSizeZ, ome.physicalSizeZUnit),
                unit: unit, frameInterval: ome.timeIncrement, timeUnit: timeUnit)
            result.channelNames = ome.channelNames
            return result
        }
        let imageJ = description.flatMap(StackMetadataParser.imageJ)
        var unit: String? = imageJ?.unit
        if unit == nil, page.x > 0 || page.y > 0 {   // (libtiff reports the default, inch, when the tag is absent)
            switch page.unit {
            case 2: unit = "inch"
            case 3: unit = "cm"
            default: unit = nil
            }
        }
        let useResolution = unit != nil && PhysicalCalibration.normalizedLengthUnit(unit ?? "") != "pixel"
        let x = page.x > 0 && page.x.isFinite ? significant(1 / Double(page.x)) : nil
        let y = page.y > 0 && page.y.isFinite ? significant(1 / Double(page.y)) : nil
        result.calibration = PhysicalCalibration(
            pixelWidth: useResolution ? (x ?? y) : nil, pixelHeight: useResolution ? (y ?? x) : nil,
            sliceSpacing: useResolution ? imageJ?.spacing : nil, unit: useResolution ? unit : nil,
            frameInterval: imageJ?.frameInterval, timeUnit: imageJ?.timeUnit)
        if let imageJ, sizeC == 1 {
            result.channelNames = [imageJ.channelName]
            if let low = imageJ.displayMin, let high = imageJ.displayMax, low <= high {
                result.displayRanges = [low...high]
            }
        }
        return result
    }
}

/// `value` rounded to 7 significant digits: libtiff keeps resolutions as 32-bit floats (about 7.2 digits), so
/// 1 / XResolution of a file written for 0.619 µm reads 0.61900002; this gives back 0.619.
func significant(_ value: Double) -> Double {
    guard value.isFinite, value > 0 else { return value }
    let exponent = Int((log10(value)).rounded(.down))
    let scale = pow(10.0, Double(6 - exponent))
    let rounded = (value * scale).rounded() / scale
    return rounded.isFinite && rounded > 0 ? rounded : value
}

/// The resolution tags of a page: X/YResolution (pixels per unit, 0 when absent) and ResolutionUnit.
struct ResolutionTags {
    var x: Float
    var y: Float
    var unit: UInt16
}

/// The ImageJ description of a file written by MicroscopyIO: `ImageJ=`, `images=` and the hyperstack shape
/// (one plane when `layout` is nil), the calibration and channel keys of `metadata`, then `annotations`
/// as `key=value` lines. Non-ASCII characters are written as ImageJ's `\uXXXX` escapes; `=`, newlines
/// and carriage returns are dropped from keys and values.
func imageJDescription(_ layout: HyperstackLayout?, metadata: ImageMetadata,
                       annotations: [(key: String, value: String)]) -> String {
    var text = imageJDescription(layout ?? HyperstackLayout(channels: 1, slices: 1, frames: 1))
    let calibration = metadata.calibration
    func line(_ key: String, _ value: String) { text += clean(key) + "=" + clean(value) + "\n" }
    if let unit = calibration.unit, calibration.pixelWidth != nil || calibration.pixelHeight != nil || calibration.sliceSpacing != nil {
        line("unit", unit == "µm" ? "micron" : unit)
    }
    if let spacing = calibration.sliceSpacing { line("spacing", "\(spacing)") }
    if let interval = calibration.frameInterval {
        line("finterval", "\(interval)")
        if let timeUnit = calibration.timeUnit, timeUnit != "sec" { line("tunit", timeUnit) }
    }
    if let range = metadata.displayRange {
        line("min", "\(range.lowerBound)")
        line("max", "\(range.upperBound)")
    }
    if let name = metadata.channelName { line("channel_name", name) }
    for (key, value) in annotations { line(key, value) }
    return text
}

/// `text` without `=`, newlines and carriage returns, with non-ASCII characters as `\uXXXX` (ImageJ's escape;
/// characters beyond U+FFFF as two UTF-16 escapes).
private func clean(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars where scalar != "=" && scalar != "\n" && scalar != "\r" {
        if scalar.isASCII {
            result.unicodeScalars.append(scalar)
        } else {
            for unit in String(scalar).utf16 {
                let hex = String(unit, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
    }
    return result
}
