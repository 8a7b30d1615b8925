import FleetProtocol
import Foundation

/// One join token for every coordinator on a shared store. The token files stay per data
/// dir, but which join token is accepted is decided by the store: the first instance seeds
/// it from its `join.token`, a rotation through any instance is stored (hash and expiry
/// only) before it takes effect and is announced, and every instance follows it (and takes
/// it again at each resync). Without this, `fleetctl token rotate join` through A would leave
/// the old token working on B.
///
/// ```swift
/// try await fleet.shareJoinToken(secrets)                       // at start, several coordinators
/// let rotated = try await fleet.rotateJoinToken(secrets, validFor: 7 * 24 * 3600)
/// ```
extension Fleet {
    /// Takes the store's join token, or seeds the store with this instance's.
    public func shareJoinToken(_ secrets: CoordinatorSecrets) async throws {
        sharedSecrets = secrets
        guard let stored = try await store.sharedJoinToken() else {
            try await store.saveSharedJoinToken(secrets.sharedJoin(rotatedAt: Date()))
            return
        }
        if secrets.adoptJoin(stored) {
            logger.warning("""
                \(secrets.joinTokenPath) is not the join token the coordinators on this database accept \
                (it was rotated on another coordinator): agents must use that one; \
                `fleetctl token rotate join` makes a new one and writes it here
                """, metadata: ["rotatedAt": "\(stored.rotatedAt.formatted(.iso8601))"])
        }
    }

    /// Rotates the join token; on a shared store the new one is stored (and announced)
    /// before this instance's file and memory change, so a failed store write changes nothing.
    public func rotateJoinToken(_ secrets: CoordinatorSecrets, validFor seconds: TimeInterval?,
                                now: Date = Date()) async throws -> CoordinatorSecrets.RotatedJoinToken {
        guard sharedSecrets != nil else { return try secrets.rotateJoin(validFor: seconds, now: now) }
        let token = Tokens.generate(prefix: "sfj_")
        let expiresAt = seconds.map { now.addingTimeInterval($0) }
        try await store.saveSharedJoinToken(SharedJoinToken(hash: Tokens.hash(token), expiresAt: expiresAt, rotatedAt: now))
        let rotated = try secrets.commitJoin(token: token, expiresAt: expiresAt)
        await announce(.joinToken)
        logger.notice("join token rotated for every coordinator on the database")
        return rotated
    }

    /// Follows a rotation made through another instance.
    func reloadJoinToken() async throws {
        guard let secrets = sharedSecrets, let stored = try await store.sharedJoinToken() else { return }
        if secrets.adoptJoin(stored) {
            logger.notice("join token rotated on another coordinator: the old one is refused here too",
                          metadata: ["rotatedAt": "\(stored.rotatedAt.formatted(.iso8601))"])
        }
    }
}
