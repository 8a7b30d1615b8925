import FleetProtocol
import Foundation
import PostgresNIO

/// Node snapshots on PostgreSQL: the liveness several coordinators share. Each instance
/// flushes the nodes that reported to it in one batched upsert (every second); every row
/// carries its node's last heartbeat, a change marker on the server's clock and the writing
/// instance, so the others can read what changed since their last look.
extension PostgresFleetStore {
    public func saveSnapshots(_ snapshots: [NodeSnapshot], writer: String) async throws {
        guard !snapshots.isEmpty else { return }
        // One statement for the whole flush (up to every node): one round trip.
        // A name listed twice keeps its newest heartbeat, as one upsert after another would.
        var latest: [String: NodeSnapshot] = [:]
        for snapshot in snapshots where latest[snapshot.name].map({ $0.lastHeartbeat <= snapshot.lastHeartbeat }) ?? true {
            latest[snapshot.name] = snapshot
        }
        let batch = latest.values.sorted { $0.name < $1.name }
        let names = batch.map(\.name)
        let bodies = try batch.map { try Self.encode(SnapshotBody($0)) }
        let beats = batch.map(\.lastHeartbeat)
        // The WHERE keeps a newer row: an instance that still holds an older view of a node
        // that moved to another instance cannot overwrite what that one wrote.
        try await execute("""
            INSERT INTO snapshots (name, body, last_heartbeat, updated_at, writer)
            SELECT u.name, u.body, u.beat, clock_timestamp(), \(writer)
            FROM unnest(\(names)::text[], \(bodies)::text[], \(beats)::timestamptz[]) AS u(name, body, beat)
            ON CONFLICT (name) DO UPDATE SET body = excluded.body, last_heartbeat = excluded.last_heartbeat,
                updated_at = excluded.updated_at, writer = excluded.writer
            WHERE snapshots.last_heartbeat <= excluded.last_heartbeat
            """)
    }

    public func loadSnapshots() async throws -> [NodeSnapshot] {
        try Self.decode(SnapshotBody.self, try await texts("SELECT body FROM snapshots ORDER BY name"),
                        what: "node snapshot").map(\.snapshot)
    }

    public func snapshotsChanged(since cursor: Date?, overlap: TimeInterval, excludingWriter: String?) async throws -> SnapshotChanges {
        let after = cursor?.addingTimeInterval(-overlap) ?? Date.distantPast
        let logger = logger
        return try await withConnection { connection in
            var snapshots: [NodeSnapshot] = []
            var newest = cursor
            let rows = try await connection.query("""
                SELECT body, updated_at FROM snapshots
                WHERE updated_at > \(after) AND writer IS DISTINCT FROM \(excludingWriter)::text
                ORDER BY updated_at
                """, logger: logger)
            for try await (body, changed) in rows.decode((String, Date).self) {
                snapshots.append(try Self.decode(SnapshotBody.self, body, what: "node snapshot").snapshot)
                if newest.map({ changed > $0 }) ?? true { newest = changed }
            }
            return SnapshotChanges(snapshots: snapshots, cursor: newest)
        }
    }

    public func deleteSnapshot(node: String) async throws {
        try await execute("DELETE FROM snapshots WHERE name = \(node)")
    }
}
