@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// Coordinators on one store accept one join token: the first seeds the store with its
/// file's token, a later instance with a different file takes the stored one, and a rotation
/// through one is followed by the other (by its announcement, or at the next resync), so the
/// old token stops working everywhere.
@Suite struct SharedJoinTokenTests {
    struct Instance {
        let fleet: Fleet
        let secrets: CoordinatorSecrets
        let dir: String
        var fileToken: String { ((try? String(contentsOfFile: dir + "/join.token", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func makeInstance(store path: String, root: String, name: String) async throws -> Instance {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (secrets, _) = try CoordinatorSecrets.loadOrCreate(dataDir: dir)
        let fleet = Fleet(store: try SQLiteFleetStore(path: path), logger: Logger(label: name),
                          metrics: CoordinatorMetrics(), secretFiles: .skip)
        try await fleet.load()
        try await fleet.shareJoinToken(secrets)
        return Instance(fleet: fleet, secrets: secrets, dir: dir)
    }

    @Test func oneJoinTokenForEveryCoordinatorOnTheStore() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("join-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try await makeInstance(store: root + "/c.sqlite", root: root, name: "a")
        let b = try await makeInstance(store: root + "/c.sqlite", root: root, name: "b")
        let first = a.fileToken
        #expect(first != b.fileToken, "each data dir created its own join.token")
        // b took a's token from the store: its own file's token is refused.
        #expect(a.secrets.isJoin(first) && b.secrets.isJoin(first))
        #expect(!b.secrets.isJoin(b.fileToken))

        // Rotation through a: stored before a's file changes; b follows the announcement.
        let rotated = try await a.fleet.rotateJoinToken(a.secrets, validFor: 3600)
        #expect(a.fileToken == rotated.token)
        #expect(a.secrets.isJoin(rotated.token) && !a.secrets.isJoin(first))
        #expect(b.secrets.isJoin(first), "b has not followed yet")
        await b.fleet.follow(.joinToken)
        #expect(b.secrets.isJoin(rotated.token) && !b.secrets.isJoin(first))
        let expiry = try #require(b.secrets.joinExpiresAt)
        #expect(abs(expiry.timeIntervalSince(try #require(rotated.expiresAt))) < 1, "the expiry travels (to the store's precision)")

        // A rotation b misses is taken at its next resync.
        let again = try await a.fleet.rotateJoinToken(a.secrets, validFor: nil)
        await b.fleet.follow(.resync)
        #expect(b.secrets.isJoin(again.token) && !b.secrets.isJoin(rotated.token))
        #expect(b.secrets.joinExpiresAt == nil)

        // A coordinator restarted with its stale file takes the stored token again.
        let restarted = try await makeInstance(store: root + "/c.sqlite", root: root, name: "b")
        #expect(restarted.secrets.isJoin(again.token) && !restarted.secrets.isJoin(restarted.fileToken))
    }

    @Test func aSingleCoordinatorRotatesItsOwnFileOnly() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("join-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (secrets, _) = try CoordinatorSecrets.loadOrCreate(dataDir: root)
        let store = try SQLiteFleetStore(path: root + "/c.sqlite")
        let fleet = Fleet(store: store, logger: Logger(label: "solo"), metrics: CoordinatorMetrics(), secretFiles: .skip)
        try await fleet.load()
        let rotated = try await fleet.rotateJoinToken(secrets, validFor: nil)
        #expect(secrets.isJoin(rotated.token))
        #expect(try await store.sharedJoinToken() == nil, "nothing shared without other coordinators")
    }
}
