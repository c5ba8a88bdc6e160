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
    /// `PhysicalSizeX/Y/Z` as numbers, with their units (`PhysicalSizeXUnit`, …; OME's default is µm).
    var physicalSizeX: Double?
    var physicalSizeY: Double?
    var physicalSizeZ: Double?
    var physicalSizeXUnit: String?
    var physicalSizeYUnit: String?
    var physicalSizeZUnit: String?
    /// `TimeIncrement` and `TimeIncrementUnit` (OME's default is s).
    var timeIncrement: Double?
    var timeIncrementUnit: String?
    /// The `Name` of each `<Channel>` inside `<Pixels>`, in order (nil where a channel has no name).
    var channelNames: [String?] = []
}

/// The `key=value` lines of an ImageJ description that matter for reading planes.
struct ImageJDescription: Equatable {
    var images: Int?
    var channels: Int?
    var slices: Int?
    var frames: Int?
    /// `unit=` (ImageJ's `\u00B5m` escapes undone), `spacing=` (Z), `finterval=`, `tunit=`.
    var unit: String?
    var spacing: Double?
    var frameInterval: Double?
    var timeUnit: String?
    /// The display range `min=` / `max=`.
    var displayMin: Double?
    var displayMax: Double?
    /// `channel_name=`: the name of the (single) channel, written by MicroscopyIO from an OME channel name.
    var channelName: String?
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
        pixels.physicalSizeX = attributes["PhysicalSizeX"].flatMap(parseNumber)
        pixels.physicalSizeY = attributes["PhysicalSizeY"].flatMap(parseNumber)
        pixels.physicalSizeZ = attributes["PhysicalSizeZ"].flatMap(parseNumber)
        pixels.physicalSizeXUnit = attributes["PhysicalSizeXUnit"].map(unescapeXML)
        pixels.physicalSizeYUnit = attributes["PhysicalSizeYUnit"].map(unescapeXML)
        pixels.physicalSizeZUnit = attributes["PhysicalSizeZUnit"].map(unescapeXML)
        pixels.timeIncrement = attributes["TimeIncrement"].flatMap(parseNumber)
        pixels.timeIncrementUnit = attributes["TimeIncrementUnit"].map(unescapeXML)
        // The <Channel> elements of this <Pixels> (up to its end tag, or the next <Pixels>).
        var end = bytes.count
        if let close = findEndTag(named: "Pixels", in: bytes, from: start) { end = close }
        if let next = findElement(named: "Pixels", in: bytes, from: start), next < end { end = next }
        var offset = start
        while pixels.channelNames.count < 100_000,
              let found = findElement(named: "Channel", in: bytes, from: offset), found < end {
            let channel = scanAttributes(bytes, from: found)
            pixels.channelNames.append(channel["Name"].map(unescapeXML))
            offset = found
        }
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
            case "unit": description.unit = unescapeImageJ(value)
            case "spacing": description.spacing = parseNumber(value)
            case "finterval": description.frameInterval = parseNumber(value)
            case "tunit": description.timeUnit = unescapeImageJ(value)
            case "min": description.displayMin = parseNumber(value)
            case "max": description.displayMax = parseNumber(value)
            case "channel_name": description.channelName = unescapeImageJ(value)
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

    /// A finite decimal number (`0.619`, `1e-3`), or nil.
    static func parseNumber(_ text: String) -> Double? {
        let trimmed = Substring(text).trimmingSpaces()
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64,
              trimmed.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45 }),
              let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }

    /// Undoes the five predefined XML entities and decimal/hex character references.
    static func unescapeXML(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            rest = rest[amp...]
            guard let semicolon = rest.prefix(12).firstIndex(of: ";") else { result += "&"; rest = rest.dropFirst(); continue }
            let entity = rest[rest.index(after: rest.startIndex)..<semicolon]
            var replacement: String?
            switch entity {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let code = UInt32(entity.dropFirst(2), radix: 16) {
                    replacement = Unicode.Scalar(code).map { String(Character($0)) }
                } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()) {
                    replacement = Unicode.Scalar(code).map { String(Character($0)) }
                }
            }
            if let replacement {
                result += replacement
                rest = rest[rest.index(after: semicolon)...]
            } else {
                result += "&"
                rest = rest.dropFirst()
            }
        }
        return result + rest
    }

    /// Undoes ImageJ's `\uXXXX` escapes of non-ASCII characters (e.g. `\u00B5m` → `µm`).
    static func unescapeImageJ(_ text: String) -> String {
        guard text.contains("\\u") else { return text }
        var result = ""
        var rest = Substring(text)
        while let backslash = rest.firstIndex(of: "\\") {
            result += rest[..<backslash]
            rest = rest[backslash...]
            let hex = rest.dropFirst(2).prefix(4)
            if rest.dropFirst().first == "u", hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) {
                result.unicodeScalars.append(scalar)
                rest = rest.dropFirst(6)
            } else {
                result += "\\"
                rest = rest.dropFirst()
            }
        }
        return result + rest
    }

    /// Index of the first end tag `</name>` or `</prefix:name>` at or after `start`, or nil.
    static func findEndTag(named name: String, in bytes: [UInt8], from start: Int) -> Int? {
        let nameBytes = Array(name.utf8)
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "<"), bytes[index + 1] == UInt8(ascii: "/") {
                var end = index + 2
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
                var local = bytes[(index + 2)..<end]
                if let colon = local.lastIndex(of: UInt8(ascii: ":")) { local = local[(colon + 1)...] }
                if Array(local) == nameBytes { return index }
                index = end
            } else {
                index += 1
            }
        }
        return nil
    }

    /// Index just after the name of the first start tag `<name` or `<prefix:name` that is followed by
    /// whitespace, `/` or `>`.
    static func findElement(named name: String, in bytes: [UInt8], from start: Int = 0) -> Int? {
        let nameBytes = Array(name.utf8)
        var index = max(0, start)
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
