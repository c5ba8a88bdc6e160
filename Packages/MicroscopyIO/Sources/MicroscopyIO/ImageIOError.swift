import Foundation

/// The one error type of MicroscopyIO: which file, what kind of failure, and a one-line reason.
///
/// `description` (and `localizedDescription`) is a single line `"<path>: <reason>"`, e.g.
/// `data/x.tif: truncated file (page 0: strip 3 (of 5) ends at byte 91234, but the file has 60000 bytes)`.
public struct ImageIOError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// What went wrong, for callers that branch on the failure.
    public enum Kind: String, Sendable, Equatable {
        /// The path does not exist.
        case fileNotFound
        /// The path exists but cannot be opened or read (permissions, a directory, an I/O error).
        case unreadable
        /// The file is not a TIFF or PNG (wrong signature, empty file, text, random bytes).
        case notAnImage
        /// The file ends before the data its header announces.
        case truncated
        /// The file is damaged or inconsistent (bad directory, decoder error, contradictory metadata).
        case corrupt
        /// A valid image whose format MicroscopyIO does not read (RGB TIFF, 1-bit, 12-bit, signed, complex...).
        case unsupportedFormat
        /// The image has zero width or height.
        case emptyImage
        /// The header announces an image larger than `ImageLimits.maximumPlanePixels`.
        case tooLarge
        /// A channel, Z, T or page index is outside the valid range.
        case indexOutOfRange
        /// The caller passed something that cannot be written (mismatched sizes, a label too large for the sample type...).
        case invalidArgument
        /// Creating, writing or renaming the output failed.
        case writeFailed
    }

    /// The file the error is about, as the caller spelled it.
    public let path: String
    /// The kind of failure.
    public let kind: Kind
    /// One line explaining the failure, without the path.
    public let reason: String

    /// Creates an error; line breaks in `reason` are replaced by spaces.
    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = ImageIOError.oneLine(reason)
    }

    /// `"<path>: <reason>"`, one line.
    public var description: String { "\(path): \(reason)" }

    /// Same as `description`, so that `localizedDescription` is useful too.
    public var errorDescription: String? { description }

    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            result.append(character.isNewline || character == "\t" ? " " : character)
        }
        return result
    }
}
