import FleetProtocol
import Foundation
import GRDB

/// Rollouts on SQLite ("v4-rollouts"): one row per rollout, keyed by its revision, with its
/// state for queries and the whole rollout as JSON. The newest row up to the committed revision is the current rollout (a row saved
/// for a revision whose commit then failed is ignored).
extension SQLiteFleetStore {
    static func registerRolloutMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-rollouts") { db in
            try db.execute(sql: """
                CREATE TABLE rollouts (revision INTEGER PRIMARY KEY, state TEXT NOT NULL, updatedAt REAL NOT NULL,
                    body BLOB NOT NULL)
                """)
        }
    }

    public func saveRollout(_ rollout: StoredRollout) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO rollouts (revision, state, updatedAt, body) VALUES (?, ?, ?, ?)",
                           arguments: [rollout.revision, rollout.state, rollout.updatedAt.timeIntervalSince1970, rollout.body])
        }
    }

    public func loadLatestRollout(upTo revision: Int) async throws -> StoredRollout? {
        try await pool.read { db -> StoredRollout? in
            guard let row = try Row.fetchOne(db, sql: "SELECT revision, state, updatedAt, body FROM rollouts WHERE revision <= ? ORDER BY revision DESC LIMIT 1",
                                             arguments: [revision])
            else { return nil }
            let updatedAt: Double = row["updatedAt"]
            return StoredRollout(revision: row["revision"], state: row["state"],
                                 updatedAt: Date(timeIntervalSince1970: updatedAt), body: row["body"])
        }
    }
}

/// A rollout as the store keeps it: its revision and state, and the coordinator's encoding of it.
///
/// ```swift
/// try await store.saveRollout(StoredRollout(revision: 8, state: "running", updatedAt: Date(), body: json))
/// let current = try await store.loadLatestRollout(upTo: 8)   // the newest up to revision 8
/// ```
public struct StoredRollout: Sendable, Equatable {
    public var revision: Int
    public var state: String
    public var updatedAt: Date
    public var body: Data

    public init(revision: Int, state: String, updatedAt: Date, body: Data) {
        self.revision = revision
        self.state = state
        self.updatedAt = updatedAt
        self.body = body
    }
}
