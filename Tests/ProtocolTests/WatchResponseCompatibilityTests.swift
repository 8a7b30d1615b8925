import FleetProtocol
import Foundation
import Testing

@Suite struct WatchResponseCompatibilityTests {
    /// A newer coordinator's command kind must not cost an older agent its assignment or the
    /// commands it does know.
    @Test func aCommandOfAnUnknownKindIsLeftOutNotFatal() throws {
        let json = """
            {"assignment": null, "commands": [
              {"id": "c1", "kind": "restartRecorder", "target": "ROST1", "node": "pi1",
               "issuedAt": "2026-12-01T06:00:00Z", "expiresAt": "2026-12-01T06:05:00Z"},
              {"id": "c2", "kind": "someFutureKind", "target": "ROST1", "node": "pi1",
               "issuedAt": "2026-12-01T06:00:00Z", "expiresAt": "2026-12-01T06:05:00Z"}]}
            """
        let answer = try WireCoding.decode(WatchResponse.self, from: Data(json.utf8))
        #expect(answer.commands.map(\.id) == ["c1"])
        #expect(answer.assignment == nil)
        // A body that is not a watch answer at all still fails.
        #expect(throws: (any Error).self) { try WireCoding.decode(WatchResponse.self, from: Data("[1]".utf8)) }
        // And what the coordinator encodes round-trips.
        let again = try WireCoding.decode(WatchResponse.self, from: try WireCoding.encode(answer))
        #expect(again == answer)
    }
}
