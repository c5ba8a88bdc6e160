/// Parsing of the two kinds of stack metadata found in a first page's ImageDescription.
/// Both parsers are small, dependency-free scanners that never trap on odd input: anything they
/// cannot make sense of yields `nil` (the file is then treated as a plain stack) or a
/// `MetadataProblem` with a one-line explanation.

/// The `<Pixels>` attributes of OME-XML that matter for reading planes.
struct OMEPixels: Equatable {
    var sizeX: Int?
    var sizeY: Int?
    var sizeC: Int?
    var sizeZ: Int?
    var sizeT: Int?
    var dimensionOrder: String?
    var type: String?
}

/// The `key=value` lines of an ImageJ description that matter for reading planes.
struct ImageJDescription: Equatable {
    var images: Int?
    var channels: Int?
    var slices: Int?
    var frames: Int?
}

enum StackMetadataParser {
    /// Whether `text` looks like OME-XML (an `<OME` or `<prefix:OME` element).
    static func isOME(_ text: String) -> Bool {
        findElement(named: "OME", in: Array(text.utf8)) != nil
    }

    /// Attributes of the first `<Pixels ...>` element (optionally namespace-prefixed), or nil.
    static func omePixels(_ text: String) -> OMEPixels? {
        let bytes = Array(text.utf8)
        guard let start = findElement(named: "Pixels", in: bytes) else { return nil }
        let attributes = scanAttributes(bytes, from: start)
        var pixels = OMEPixels()
        pixels.sizeX = attributes["SizeX"].flatMap(parseCount)
        pixels.sizeY = attributes["SizeY"].flatMap(parseCount)
        pixels.sizeC = attributes["SizeC"].flatMap(parseCount)
        pixels.sizeZ = attributes["SizeZ"].flatMap(parseCount)
        pixels.sizeT = attributes["SizeT"].flatMap(parseCount)
        pixels.dimensionOrder = attributes["DimensionOrder"]
        pixels.type = attributes["Type"]
        return pixels
    }

    /// The ImageJ fields of a description starting with `ImageJ=`, or nil for other descriptions.
    static func imageJ(_ text: String) -> ImageJDescription? {
        guard text.hasPrefix("ImageJ=") else { return nil }
        var description = ImageJDescription()
        for line in text.split(whereSeparator: { $0.isNewline }) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingSpaces()
            let value = String(line[line.index(after: equals)...].trimmingSpaces())
            switch key {
            case "images": description.images = parseCount(value)
            case "channels": description.channels = parseCount(value)
            case "slices": description.slices = parseCount(value)
            case "frames": description.frames = parseCount(value)
            default: break
            }
        }
        return description
    }

    /// A non-negative decimal integer below 2^31, or nil.
    static func parseCount(_ text: String) -> Int? {
        let trimmed = Substring(text).trimmingSpaces()
        guard !trimmed.isEmpty, trimmed.utf8.count <= 10,
              trimmed.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let value = Int(trimmed), value < (1 << 31) else { return nil }
        return value
    }

    /// Index just after the name of the first start tag `<name` or `<prefix:name` that is followed by
    /// whitespace, `/` or `>`.
    static func findElement(named name: String, in bytes: [UInt8]) -> Int? {
        let nameBytes = Array(name.utf8)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else { index += 1; continue }
            // Read the tag name (letters, digits, '_', '-', '.', ':').
            var end = index + 1
            while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
            let tag = bytes[(index + 1)..<end]
            var local = tag[...]
            if let colon = tag.lastIndex(of: UInt8(ascii: ":")) { local = tag[(colon + 1)...] }
            if Array(local) == nameBytes,
               end == bytes.count || isSpace(bytes[end]) || bytes[end] == UInt8(ascii: "/") || bytes[end] == UInt8(ascii: ">") {
                return end
            }
            index = max(end, index + 1)
        }
        return nil
    }

    /// Attributes `name="value"` or `name='value'` from `start` up to the closing `>` of the tag.
    /// Prefixes are dropped from attribute names. Malformed parts are skipped.
    static func scanAttributes(_ bytes: [UInt8], from start: Int) -> [String: String] {
        var attributes: [String: String] = [:]
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ">") { break }
            if isSpace(byte) || byte == UInt8(ascii: "/") { index += 1; continue }
            guard isNameByte(byte) else { index += 1; continue }
            let nameStart = index
            while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
            var name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            if let colon = name.lastIndex(of: ":") { name = String(name[name.index(after: colon)...]) }
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { break }
            let quote = bytes[index]
            guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { continue }
            index += 1
            let valueStart = index
            while index < bytes.count, bytes[index] != quote { index += 1 }
            if attributes[name] == nil {
                attributes[name] = String(decoding: bytes[valueStart..<min(index, bytes.count)], as: UTF8.self)
            }
            index += 1
        }
        return attributes
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: ":") || byte >= 0x80
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
