/// Lowercase hexadecimal of bytes (digests, HMACs), without Foundation's `String(format:)`,
/// which costs more than the SHA-256 itself on the hot path of every authenticated request.
///
/// ```swift
/// SHA256.hash(data: Data("token".utf8)).lowercaseHex   // "3c469e9d…"
/// ```
extension Sequence where Element == UInt8 {
    public var lowercaseHex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
