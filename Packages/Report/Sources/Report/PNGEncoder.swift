/// A small in-memory PNG encoder for the report's thumbnails: 8-bit gray (color type 0) and 8-bit palette
/// (color type 3) images, compressed with deflate (RFC 1951) in one fixed-Huffman block after a greedy LZ77
/// pass (32 KiB window, matches of 3…258 bytes), wrapped in zlib (RFC 1950: header `78 01`, Adler-32) and
/// PNG chunks (each with its CRC-32). Any PNG decoder reads the result; it is smaller than stored blocks on the
/// flat regions of label images and not much larger than zlib's output on noisy microscopy.
///
/// Scanline filters: gray rows each take the filter (None, Sub, Up, Average, Paeth) with the least sum of
/// |signed residuals| (the PNG specification's heuristic); palette rows use None, as the specification advises.
public enum PNGEncoder {
    /// The PNG file of an 8-bit gray image.
    /// - Parameters:
    ///   - gray: `width · height` samples, row-major, top row first.
    /// - Precondition: width, height ≥ 1 and `gray.count == width · height`.
    public static func gray(_ gray: [UInt8], width: Int, height: Int) -> [UInt8] {
        precondition(width >= 1 && height >= 1 && gray.count == width * height, "gray PNG: bad size")
        let filtered = filterRows(gray, width: width, height: height, adaptive: true)
        return file(width: width, height: height, colorType: 0, palette: nil, filtered: filtered)
    }

    /// The PNG file of an 8-bit palette image.
    /// - Parameters:
    ///   - indices: `width · height` palette indices, row-major, top row first; each < `palette.count`.
    ///   - palette: 1…256 colors.
    public static func palette(_ indices: [UInt8], width: Int, height: Int, palette: [RGB]) -> [UInt8] {
        precondition(width >= 1 && height >= 1 && indices.count == width * height, "palette PNG: bad size")
        precondition((1...256).contains(palette.count), "palette PNG: 1...256 colors")
        let filtered = filterRows(indices, width: width, height: height, adaptive: false)
        return file(width: width, height: height, colorType: 3, palette: palette, filtered: filtered)
    }

    static func file(width: Int, height: Int, colorType: UInt8, palette: [RGB]?, filtered: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        appendBigEndian(UInt32(width), to: &header)
        appendBigEndian(UInt32(height), to: &header)
        header += [8, colorType, 0, 0, 0]
        appendChunk("IHDR", header, to: &out)
        if let palette { appendChunk("PLTE", palette.flatMap { [$0.r, $0.g, $0.b] }, to: &out) }
        appendChunk("IDAT", zlib(filtered), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Each row prefixed by its filter byte, the row's samples replaced by the filter's residuals.
    static func filterRows(_ samples: [UInt8], width: Int, height: Int, adaptive: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((width + 1) * height)
        let zero = [UInt8](repeating: 0, count: width)
        for y in 0..<height {
            let row = Array(samples[(y * width)..<((y + 1) * width)])
            let up = y == 0 ? zero : Array(samples[((y - 1) * width)..<(y * width)])
            guard adaptive else { out.append(0); out += row; continue }
            var best: (type: UInt8, residuals: [UInt8], cost: Int)? = nil
            for type in UInt8(0)...4 {
                var residuals = [UInt8](repeating: 0, count: width)
                var cost = 0
                for x in 0..<width {
                    let a = x > 0 ? Int(row[x - 1]) : 0, b = Int(up[x]), c = x > 0 ? Int(up[x - 1]) : 0
                    let predictor: Int
                    switch type {
                    case 0: predictor = 0
                    case 1: predictor = a
                    case 2: predictor = b
                    case 3: predictor = (a + b) / 2
                    default: predictor = paeth(a, b, c)
                    }
                    let r = UInt8(truncatingIfNeeded: Int(row[x]) - predictor)
                    residuals[x] = r
                    cost += abs(Int(Int8(bitPattern: r)))
                }
                if best == nil || cost < best!.cost { best = (type, residuals, cost) }
            }
            out.append(best!.type)
            out += best!.residuals
        }
        return out
    }

    /// The Paeth predictor of PNG: of a (left), b (up), c (up-left), the one closest to a + b − c.
    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
    }

    static func appendBigEndian(_ v: UInt32, to out: inout [UInt8]) {
        out += [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &out)
        let body = Array(type.utf8) + data
        out += body
        appendBigEndian(crc32(body), to: &out)
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected, initial and final XOR 0xFFFFFFFF), as PNG and zlib's `crc32`.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// Adler-32 (RFC 1950): A = 1 + Σ b_i, B = Σ A_i, both mod 65521; the checksum is B·2¹⁶ + A.
    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < bytes.count {
            let end = min(i + 5552, bytes.count)
            while i < end { a += UInt32(bytes[i]); b += a; i += 1 }
            a %= 65521; b %= 65521
        }
        return b << 16 | a
    }

    /// A zlib stream of `bytes`: header 0x78 0x01, ``deflate(_:)``, Adler-32 big-endian.
    public static func zlib(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        out += deflate(bytes)
        appendBigEndian(adler32(bytes), to: &out)
        return out
    }

    // MARK: deflate

    /// Bits written least-significant first, as deflate packs them.
    struct BitWriter {
        var bytes: [UInt8] = []
        var buffer: UInt64 = 0
        var count = 0
        mutating func write(_ value: UInt32, bits: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += bits
            while count >= 8 { bytes.append(UInt8(buffer & 0xFF)); buffer >>= 8; count -= 8 }
        }
        /// Writes a Huffman code (given most-significant bit first, as RFC 1951 lists them).
        mutating func writeCode(_ code: UInt32, bits: Int) {
            var reversed: UInt32 = 0
            for i in 0..<bits where code & (1 << UInt32(i)) != 0 { reversed |= 1 << UInt32(bits - 1 - i) }
            write(reversed, bits: bits)
        }
        mutating func flush() -> [UInt8] {
            if count > 0 { bytes.append(UInt8(buffer & 0xFF)); buffer = 0; count = 0 }
            return bytes
        }
    }

    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                      4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// The fixed Huffman code of a literal/length symbol 0…287 (RFC 1951 §3.2.6).
    static func writeSymbol(_ symbol: Int, _ w: inout BitWriter) {
        switch symbol {
        case 0...143: w.writeCode(UInt32(0x30 + symbol), bits: 8)
        case 144...255: w.writeCode(UInt32(0x190 + symbol - 144), bits: 9)
        case 256...279: w.writeCode(UInt32(symbol - 256), bits: 7)
        default: w.writeCode(UInt32(0xC0 + symbol - 280), bits: 8)
        }
    }

    /// Raw deflate data (RFC 1951) of `bytes`: one final block with the fixed Huffman codes, greedy LZ77
    /// matches found through hash chains of 3-byte prefixes (at most 64 candidates per position).
    public static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var w = BitWriter()
        w.write(1, bits: 1)  // BFINAL
        w.write(1, bits: 2)  // BTYPE = 01, fixed Huffman
        let n = bytes.count
        let window = 32768, hashSize = 1 << 15, maxChain = 64
        var head = [Int](repeating: -1, count: hashSize)
        var previous = [Int](repeating: -1, count: window)
        func hash(_ i: Int) -> Int {
            (Int(bytes[i]) << 10 ^ Int(bytes[i + 1]) << 5 ^ Int(bytes[i + 2])) & (hashSize - 1)
        }
        func insert(_ i: Int) {
            guard i + 2 < n else { return }
            let h = hash(i)
            previous[i % window] = head[h]
            head[h] = i
        }
        var i = 0
        while i < n {
            var bestLength = 0, bestDistance = 0
            if i + 2 < n {
                var candidate = head[hash(i)]
                var chain = 0
                let limit = min(258, n - i)
                while candidate >= 0 && i - candidate <= window && chain < maxChain {
                    var length = 0
                    while length < limit && bytes[candidate + length] == bytes[i + length] { length += 1 }
                    if length > bestLength { bestLength = length; bestDistance = i - candidate; if length == limit { break } }
                    let next = previous[candidate % window]
                    if next >= candidate { break }  // the slot was reused by a newer position
                    candidate = next
                    chain += 1
                }
            }
            if bestLength >= 3 {
                var code = lengthBase.count - 1
                while lengthBase[code] > bestLength { code -= 1 }
                writeSymbol(257 + code, &w)
                if lengthExtra[code] > 0 { w.write(UInt32(bestLength - lengthBase[code]), bits: lengthExtra[code]) }
                var d = distanceBase.count - 1
                while distanceBase[d] > bestDistance { d -= 1 }
                w.writeCode(UInt32(d), bits: 5)
                if distanceExtra[d] > 0 { w.write(UInt32(bestDistance - distanceBase[d]), bits: distanceExtra[d]) }
                for k in i..<(i + bestLength) { insert(k) }
                i += bestLength
            } else {
                writeSymbol(Int(bytes[i]), &w)
                insert(i)
                i += 1
            }
        }
        writeSymbol(256, &w)
        return w.flush()
    }
}
