import FleetProtocol
import Foundation
import Testing

@Suite struct HexTests {
    @Test func lowercaseHexMatchesTheFormattedBytes() {
        let bytes: [UInt8] = [0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xff]
        #expect(bytes.lowercaseHex == "00010f107f80abff")
        #expect([UInt8]().lowercaseHex == "")
        let all = (0...255).map(UInt8.init)
        #expect(all.lowercaseHex == all.map { String(format: "%02x", $0) }.joined())
    }
}
