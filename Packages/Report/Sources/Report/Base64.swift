/// Base64 encoding (RFC 4648, standard alphabet `A–Z a–z 0–9 + /`, `=` padding, no line breaks), the same
/// text as Foundation's `Data.base64EncodedString()`: every 3 bytes b0 b1 b2 become the 4 characters of the
/// 6-bit groups of the 24-bit number b0·2¹⁶ + b1·2⁸ + b2; a final 1 or 2 bytes are padded with zero bits and
/// the missing characters written as `=`. Empty input gives "".
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The base64 text of `bytes` (length 4·⌈n/3⌉).
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A `data:` URI: `data:MIME;base64,` followed by ``encode(_:)`` of `bytes`.
    public static func dataURI(_ bytes: [UInt8], mimeType: String = "image/png") -> String {
        "data:\(mimeType);base64," + encode(bytes)
    }
}
