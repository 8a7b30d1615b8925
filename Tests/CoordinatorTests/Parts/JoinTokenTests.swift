@testable import FleetCoordinator
import Foundation
import Testing

@Suite struct JoinTokenTests {
    @Test func rotationReplacesTheTokenAndExpiryEndsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (secrets, _) = try CoordinatorSecrets.loadOrCreate(dataDir: dir)
        let old = try String(contentsOfFile: dir + "/join.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secrets.isJoin(old))
        let now = Date()
        let rotated = try secrets.rotateJoin(validFor: 3600, now: now)
        #expect(!secrets.isJoin(old))
        #expect(secrets.isJoin(rotated.token, now: now))
        #expect(!secrets.isJoin(rotated.token, now: now.addingTimeInterval(3601)))
        #expect(secrets.joinExpiry(ifExpired: rotated.token, now: now.addingTimeInterval(3601)) != nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/join.token")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // A restarted coordinator reads the new token and its expiry.
        let (reloaded, _) = try CoordinatorSecrets.loadOrCreate(dataDir: dir)
        #expect(reloaded.isJoin(rotated.token, now: now))
        #expect(!reloaded.isJoin(rotated.token, now: now.addingTimeInterval(3601)))
        // Rotating without an expiry removes it.
        let forever = try secrets.rotateJoin(validFor: nil)
        #expect(secrets.isJoin(forever.token, now: now.addingTimeInterval(1e9)))
        #expect(!FileManager.default.fileExists(atPath: dir + "/join.token.expires"))
    }
}
