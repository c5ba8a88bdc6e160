import Foundation
@testable import Report

/// SplitMix64: reproducible random numbers for the tests.
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// A deliberately simple inflater (RFC 1951 stored and fixed-Huffman blocks only) and PNG reader (8-bit gray and
/// palette, the five filters), written from the specifications independently of the encoder, to check it.
enum SlowPNGDecoder {
    struct Failure: Error, CustomStringConvertible { var description: String }

    struct BitReader {
        let bytes: [UInt8]
        var position = 0  // in bits
        mutating func bit() throws -> Int {
            guard position / 8 < bytes.count else { throw Failure(description: "out of data") }
            let b = Int(bytes[position / 8] >> UInt8(position % 8)) & 1
            position += 1
            return b
        }
        /// `n` bits, least significant first (extra bits, header fields).
        mutating func bits(_ n: Int) throws -> Int {
            var v = 0
            for i in 0..<n { v |= try bit() << i }
            return v
        }
        /// One fixed-Huffman literal/length symbol: codes are read most significant bit first.
        mutating func fixedSymbol() throws -> Int {
            var code = 0
            for _ in 0..<7 { code = code << 1 | (try bit()) }
            if code <= 0b0010111 { return 256 + code }
            code = code << 1 | (try bit())
            if (0x30...0xBF).contains(code) { return code - 0x30 }
            if (0xC0...0xC7).contains(code) { return 280 + code - 0xC0 }
            code = code << 1 | (try bit())
            guard (0x190...0x1FF).contains(code) else { throw Failure(description: "bad code") }
            return 144 + code - 0x190
        }
    }

    /// Length base and extra bits for symbols 257...285, built from the rules of RFC 1951 §3.2.5.
    static let lengths: [(base: Int, extra: Int)] = {
        var table: [(Int, Int)] = []
        var base = 3
        for code in 257...284 {
            let extra = code < 265 ? 0 : (code - 261) / 4
            table.append((base, extra))
            base += 1 << extra
        }
        table.append((258, 0))
        return table
    }()

    static let distances: [(base: Int, extra: Int)] = {
        var table: [(Int, Int)] = []
        var base = 1
        for code in 0...29 {
            let extra = code < 4 ? 0 : code / 2 - 1
            table.append((base, extra))
            base += 1 << extra
        }
        return table
    }()

    static func inflate(_ data: [UInt8]) throws -> [UInt8] {
        var r = BitReader(bytes: data)
        var out: [UInt8] = []
        var final = 0
        repeat {
            final = try r.bits(1)
            let type = try r.bits(2)
            switch type {
            case 0:
                r.position = (r.position + 7) / 8 * 8
                let len = try r.bits(16)
                _ = try r.bits(16)
                for _ in 0..<len { out.append(UInt8(try r.bits(8))) }
            case 1:
                while true {
                    let s = try r.fixedSymbol()
                    if s < 256 { out.append(UInt8(s)); continue }
                    if s == 256 { break }
                    let l = lengths[s - 257]
                    let length = l.base + (try r.bits(l.extra))
                    var d = 0
                    for _ in 0..<5 { d = d << 1 | (try r.bit()) }
                    let dd = distances[d]
                    let distance = dd.base + (try r.bits(dd.extra))
                    guard distance <= out.count else { throw Failure(description: "distance too far") }
                    for _ in 0..<length { out.append(out[out.count - distance]) }
                }
            default:
                throw Failure(description: "block type \(type) not supported by the test decoder")
            }
        } while final == 0
        return out
    }

    struct Image { var width: Int, height: Int, colorType: Int, samples: [UInt8], palette: [RGB] }

    static func be32(_ b: ArraySlice<UInt8>) -> Int {
        let a = Array(b)
        return Int(a[0]) << 24 | Int(a[1]) << 16 | Int(a[2]) << 8 | Int(a[3])
    }

    static func decode(_ png: [UInt8]) throws -> Image {
        guard png.count > 8, Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Failure(description: "no PNG signature")
        }
        var i = 8
        var width = 0, height = 0, colorType = -1
        var idat: [UInt8] = []
        var palette: [RGB] = []
        var sawEnd = false
        while i + 8 <= png.count {
            let length = be32(png[i..<(i + 4)])
            let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            let data = Array(png[(i + 8)..<(i + 8 + length)])
            let crc = be32(png[(i + 8 + length)..<(i + 12 + length)])
            guard UInt32(crc) == PNGEncoder.crc32(Array(png[(i + 4)..<(i + 8 + length)])) else { throw Failure(description: "bad CRC") }
            switch type {
            case "IHDR":
                width = be32(data[0..<4]); height = be32(data[4..<8]); colorType = Int(data[9])
                guard data[8] == 8 else { throw Failure(description: "bit depth") }
            case "PLTE":
                palette = stride(from: 0, to: data.count, by: 3).map { RGB(data[$0], data[$0 + 1], data[$0 + 2]) }
            case "IDAT": idat += data
            case "IEND": sawEnd = true
            default: break
            }
            i += 12 + length
        }
        guard sawEnd else { throw Failure(description: "no IEND") }
        guard idat.count > 6, (Int(idat[0]) << 8 | Int(idat[1])) % 31 == 0 else { throw Failure(description: "bad zlib header") }
        let raw = try inflate(Array(idat[2..<(idat.count - 4)]))
        let adler = be32(idat[(idat.count - 4)...])
        guard UInt32(adler) == PNGEncoder.adler32(raw) else { throw Failure(description: "bad Adler-32") }
        guard raw.count == (width + 1) * height else { throw Failure(description: "bad data length \(raw.count)") }
        var samples = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let filter = raw[y * (width + 1)]
            for x in 0..<width {
                let v = Int(raw[y * (width + 1) + 1 + x])
                let a = x > 0 ? Int(samples[y * width + x - 1]) : 0
                let b = y > 0 ? Int(samples[(y - 1) * width + x]) : 0
                let c = x > 0 && y > 0 ? Int(samples[(y - 1) * width + x - 1]) : 0
                let p: Int
                switch filter {
                case 0: p = 0
                case 1: p = a
                case 2: p = b
                case 3: p = (a + b) / 2
                case 4:
                    let e = a + b - c, pa = abs(e - a), pb = abs(e - b), pc = abs(e - c)
                    p = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure(description: "filter \(filter)")
                }
                samples[y * width + x] = UInt8((v + p) & 255)
            }
        }
        return Image(width: width, height: height, colorType: colorType, samples: samples, palette: palette)
    }
}

/// Checks that a fragment of HTML is balanced: every non-void element closed in order. Returns the first problem.
func tagBalanceProblem(_ html: String) -> String? {
    let void: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]
    var stack: [String] = []
    var rest = Substring(html)
    while let open = rest.firstIndex(of: "<") {
        guard let close = rest[open...].firstIndex(of: ">") else { return "unterminated tag" }
        let tag = rest[rest.index(after: open)..<close]
        rest = rest[rest.index(after: close)...]
        if tag.hasPrefix("!") { continue }
        if tag.hasPrefix("/") {
            let name = tag.dropFirst().lowercased()
            guard stack.last == name else { return "</\(name)> closes <\(stack.last ?? "nothing")>" }
            stack.removeLast()
            continue
        }
        let name = String(tag.prefix { !$0.isWhitespace && $0 != "/" }).lowercased()
        if tag.hasSuffix("/") || void.contains(name) { continue }
        if name == "style" || name == "script" {
            guard let end = rest.range(of: "</\(name)>") else { return "unterminated \(name)" }
            rest = rest[end.upperBound...]
            continue
        }
        stack.append(name)
    }
    return stack.isEmpty ? nil : "unclosed <\(stack.joined(separator: "> <"))>"
}
