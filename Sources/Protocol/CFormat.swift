import Glibc

/// The C library's `snprintf` for `%.*f`: the one formatting rule where matching `printf`'s
/// rounding by hand is not worth it. Linux only, like the rest of FleetProtocol since it
/// imports FoundationEssentials.
enum CFormat {
    static func fixed(_ value: Double, decimals: Int) -> String {
        let precision = Int32(clamping: max(0, min(decimals, 40)))
        var buffer = [CChar](repeating: 0, count: 400)
        let written = withVaList([precision, value]) { args in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*f", args) }
        }
        guard written > 0 else { return "" }
        let bytes = buffer.prefix(min(Int(written), buffer.count - 1)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
