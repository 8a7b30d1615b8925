import FleetProtocol
import Foundation
import GRDB

/// Node snapshots on SQLite. "v6-snapshot-liveness" adds the columns the PostgreSQL store
/// shares liveness by (last heartbeat, change marker, writer); one SQLite coordinator only
/// writes and reads its own rows, but keeps the same rules (never backwards) and answers.
extension SQLiteFleetStore {
    static func registerSnapshotLivenessMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-snapshot-liveness") { db in
            // Rows from before keep 0: any flush after the upgrade replaces them.
            try db.execute(sql: """
                ALTER TABLE snapshots ADD COLUMN lastHeartbeat REAL NOT NULL DEFAULT 0;
                ALTER TABLE snapshots ADD COLUMN updatedAt REAL NOT NULL DEFAULT 0;
                ALTER TABLE snapshots ADD COLUMN writer TEXT NOT NULL DEFAULT '';
                CREATE INDEX snapshots_updatedAt ON snapshots(updatedAt);
                """)
        }
    }

    public func saveSnapshots(_ snapshots: [NodeSnapshot], writer: String) async throws {
        guard !snapshots.isEmpty else { return }
        let rows = try snapshots.map { ($0.name, $0.lastHeartbeat.timeIntervalSince1970, try WireCoding.encode(SnapshotBody($0))) }
        try await write { db in
            let now = Date().timeIntervalSince1970
            for (name, lastHeartbeat, body) in rows {
                try db.execute(sql: """
                    INSERT INTO snapshots (name, body, lastHeartbeat, updatedAt, writer) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET body = excluded.body, lastHeartbeat = excluded.lastHeartbeat,
                        updatedAt = excluded.updatedAt, writer = excluded.writer
                    WHERE snapshots.lastHeartbeat <= excluded.lastHeartbeat
                    """, arguments: [name, body, lastHeartbeat, now, writer])
            }
        }
    }

    public func loadSnapshots() async throws -> [NodeSnapshot] {
        try await pool.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM snapshots").map {
                try Self.decode(SnapshotBody.self, $0, what: "node snapshot").snapshot
            }
        }
    }

    public func snapshotsChanged(since cursor: Date?, overlap: TimeInterval, excludingWriter: String?) async throws -> SnapshotChanges {
        let after = cursor.map { $0.timeIntervalSince1970 - overlap } ?? -Double.greatestFiniteMagnitude
        return try await pool.read { db in
            var snapshots: [NodeSnapshot] = []
            var newest = cursor
            var sql = "SELECT body, updatedAt FROM snapshots WHERE updatedAt > ?"
            var arguments: StatementArguments = [after]
            if let excludingWriter { sql += " AND writer <> ?"; arguments += [excludingWriter] }
            let rows = try Row.fetchAll(db, sql: sql + " ORDER BY updatedAt", arguments: arguments)
            for row in rows {
                let body: Data = row["body"]
                snapshots.append(try Self.decode(SnapshotBody.self, body, what: "node snapshot").snapshot)
                let changed = Date(timeIntervalSince1970: row["updatedAt"])
                if newest.map({ changed > $0 }) ?? true { newest = changed }
            }
            return SnapshotChanges(snapshots: snapshots, cursor: newest)
        }
    }

    public func deleteSnapshot(node: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM snapshots WHERE name = ?", arguments: [node])
        }
    }
}
