import FleetProtocol
import Foundation
import PostgresNIO

/// Desired state, revisions, rollouts, reported items, commands and retention on PostgreSQL.
extension PostgresFleetStore {
    // MARK: Desired state

    public func loadDesiredState() async throws -> StoredDesiredState? {
        let logger = logger
        // One transaction: the revision, the desired state and the assignments are one snapshot.
        let loaded: (String, String, [String])? = try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            guard let revision = try await connection.texts("SELECT value FROM meta WHERE key = 'revision'", logger: logger).first,
                  let desired = try await connection.texts("SELECT value FROM meta WHERE key = 'desired'", logger: logger).first
            else { return nil }
            return (revision, desired, try await connection.texts("SELECT body FROM assignments", logger: logger))
        }
        guard let (revisionText, desired, bodies) = loaded, let revision = Int(revisionText) else { return nil }
        var assignments: [String: Assignment] = [:]
        for assignment in try Self.decode(Assignment.self, bodies, what: "assignment") {
            assignments[assignment.node] = assignment
        }
        return StoredDesiredState(revision: revision, desired: Data(desired.utf8), assignments: assignments)
    }

    public func commitRevision(_ record: RevisionRecord, inventory: RevisionInventory?, desired: Data,
                               changedAssignments: [Assignment], deletedNodes: [String]) async throws {
        var listed = record
        listed.files = nil
        let recordBody = try Self.encode(listed)
        let inventoryBody = try inventory.map { try Self.encode($0) }
        let assignmentBodies = try changedAssignments.map { ($0.node, $0.revision, try Self.encode($0)) }
        let desiredText = String(decoding: desired, as: UTF8.self)
        let logger = logger
        try await transaction { connection in
            for (key, value) in [("revision", String(record.revision)), ("desired", desiredText)] {
                try await connection.query("""
                    INSERT INTO meta (key, value) VALUES (\(key), \(value))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, logger: logger)
            }
            for (node, revision, body) in assignmentBodies {
                try await connection.query("""
                    INSERT INTO assignments (node, revision, body) VALUES (\(node), \(revision), \(body))
                    ON CONFLICT (node) DO UPDATE SET revision = excluded.revision, body = excluded.body
                    """, logger: logger)
            }
            if !deletedNodes.isEmpty {
                try await connection.query("DELETE FROM assignments WHERE node = ANY(\(deletedNodes))", logger: logger)
            }
            try await connection.query("""
                INSERT INTO revisions (revision, body) VALUES (\(record.revision), \(recordBody))
                ON CONFLICT (revision) DO UPDATE SET body = excluded.body
                """, logger: logger)
            if let inventoryBody {
                try await connection.query("""
                    INSERT INTO revision_inventories (revision, body) VALUES (\(record.revision), \(inventoryBody))
                    ON CONFLICT (revision) DO UPDATE SET body = excluded.body
                    """, logger: logger)
            } else {
                try await connection.query("DELETE FROM revision_inventories WHERE revision = \(record.revision)",
                                           logger: logger)
            }
        }
    }

    public func revisions(limit: Int) async throws -> [RevisionRecord] {
        try Self.decode(RevisionRecord.self,
                        try await texts("SELECT body FROM revisions ORDER BY revision DESC LIMIT \(limit)"), what: "revision")
    }

    public func revision(_ number: Int) async throws -> StoredRevision? {
        let logger = logger
        let rows: [(String, String?)] = try await withConnection { connection in
            var rows: [(String, String?)] = []
            let query: PostgresQuery = """
                SELECT r.body, i.body FROM revisions r LEFT JOIN revision_inventories i ON i.revision = r.revision
                WHERE r.revision = \(number)
                """
            for try await row in try await connection.query(query, logger: logger).decode((String, String?).self) {
                rows.append(row)
            }
            return rows
        }
        guard let (body, inventory) = rows.first else { return nil }
        let record = try Self.decode(RevisionRecord.self, body, what: "revision \(number)")
        return StoredRevision(record: record, inventory: try inventory.map {
            try Self.decode(RevisionInventory.self, $0, what: "inventory of revision \(number)")
        })
    }

    // MARK: Rollouts

    public func saveRollout(_ rollout: StoredRollout) async throws {
        let body = String(decoding: rollout.body, as: UTF8.self)
        try await execute("""
            INSERT INTO rollouts (revision, state, updated_at, body)
            VALUES (\(rollout.revision), \(rollout.state), \(rollout.updatedAt), \(body))
            ON CONFLICT (revision) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, body = excluded.body
            """)
    }

    public func loadLatestRollout(upTo revision: Int) async throws -> StoredRollout? {
        let logger = logger
        return try await withConnection { connection in
            let rows = try await connection.query("""
                SELECT revision, state, updated_at, body FROM rollouts WHERE revision <= \(revision)
                ORDER BY revision DESC LIMIT 1
                """, logger: logger)
            for try await (number, state, at, body) in rows.decode((Int, String, Date, String).self) {
                return StoredRollout(revision: number, state: state, updatedAt: at, body: Data(body.utf8))
            }
            return nil
        }
    }

    // MARK: Reported items

    public func recordEvents(_ events: [AgentEvent], node: String) async throws {
        guard !events.isEmpty else { return }
        let rows = try events.map { ($0, try Self.encode($0)) }
        let logger = logger
        try await transaction { connection in
            for (event, body) in rows {
                try await connection.query("""
                    INSERT INTO events (id, node, station, time, body)
                    VALUES (\(event.id), \(node), \(event.station), \(event.time), \(body)) ON CONFLICT (id) DO NOTHING
                    """, logger: logger)
            }
        }
    }

    public func recentEvents(node: String?, station: String?, limit: Int) async throws -> [AgentEvent] {
        let bodies = try await texts("""
            SELECT body FROM events WHERE (\(node)::text IS NULL OR node = \(node))
            AND (\(station)::text IS NULL OR station = \(station)) ORDER BY time DESC LIMIT \(limit)
            """)
        return try Self.decode(AgentEvent.self, bodies, what: "event")
    }

    /// Each segment is read `FOR UPDATE` and written in one transaction. A segment not yet
    /// stored has no row to lock, so a transaction-scoped advisory lock on its key comes
    /// first; segments are taken in key order so that two reports cannot deadlock.
    public func recordSegments(_ segments: [SegmentRecord], node: String,
                               merge: @escaping @Sendable (SegmentRecord?, SegmentRecord) -> SegmentRecord) async throws {
        guard !segments.isEmpty else { return }
        let ordered = segments.enumerated().sorted {
            ($0.element.station, $0.element.name, $0.offset) < ($1.element.station, $1.element.name, $1.offset)
        }.map(\.element)
        let logger = logger
        try await transaction { connection in
            for segment in ordered {
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext(\(segment.station) || '/' || \(segment.name)))", logger: logger)
                let stored = try await connection.texts("""
                    SELECT body FROM segments WHERE station = \(segment.station) AND name = \(segment.name) FOR UPDATE
                    """, logger: logger).first.flatMap { try? WireCoding.decode(SegmentRecord.self, from: Data($0.utf8)) }
                let merged = merge(stored, segment)
                let body = try Self.encode(merged)
                try await connection.query("""
                    INSERT INTO segments (station, name, node, start, body)
                    VALUES (\(merged.station), \(merged.name), \(node), \(merged.start), \(body))
                    ON CONFLICT (station, name) DO UPDATE SET node = excluded.node, start = excluded.start, body = excluded.body
                    """, logger: logger)
            }
        }
    }

    public func segments(station: String, from: Date?, to: Date?) async throws -> [SegmentRecord] {
        let bodies = try await texts("""
            SELECT body FROM segments WHERE station = \(station)
            AND (\(from)::timestamptz IS NULL OR start >= \(from)) AND (\(to)::timestamptz IS NULL OR start <= \(to))
            ORDER BY start
            """)
        return try Self.decode(SegmentRecord.self, bodies, what: "segment")
    }

    public func firstSegment(station: String) async throws -> SegmentRecord? {
        let bodies = try await texts("SELECT body FROM segments WHERE station = \(station) ORDER BY start LIMIT 1")
        return try Self.decode(SegmentRecord.self, bodies, what: "segment").first
    }

    public func recordJobRuns(_ runs: [JobRun], node: String) async throws {
        guard !runs.isEmpty else { return }
        let rows = try runs.map { ($0, try Self.encode($0)) }
        let logger = logger
        try await transaction { connection in
            for (run, body) in rows {
                try await connection.query("""
                    INSERT INTO job_runs (id, node, job, started_at, body)
                    VALUES (\(run.id), \(node), \(run.job), \(run.startedAt), \(body)) ON CONFLICT (id) DO NOTHING
                    """, logger: logger)
            }
        }
    }

    // MARK: Commands

    public func saveCommand(_ command: CommandView) async throws {
        let body = try Self.encode(command)
        try await execute("""
            INSERT INTO commands (id, target, state, issued_at, body)
            VALUES (\(command.id), \(command.target), \(command.state.rawValue), \(command.issuedAt), \(body))
            ON CONFLICT (id) DO UPDATE SET target = excluded.target, state = excluded.state,
                issued_at = excluded.issued_at, body = excluded.body
            """)
    }

    public func command(id: String) async throws -> CommandView? {
        try Self.decode(CommandView.self, try await texts("SELECT body FROM commands WHERE id = \(id)"), what: "command").first
    }

    public func commands(inStates states: [CommandView.State]) async throws -> [CommandView] {
        guard !states.isEmpty else { return [] }
        let names = states.map(\.rawValue)
        return try Self.decode(CommandView.self,
                               try await texts("SELECT body FROM commands WHERE state = ANY(\(names)) ORDER BY issued_at"),
                               what: "command")
    }

    public func recentCommands(target: String, limit: Int) async throws -> [CommandView] {
        try Self.decode(CommandView.self, try await texts("""
            SELECT body FROM commands WHERE target = \(target) ORDER BY issued_at DESC LIMIT \(limit)
            """), what: "command")
    }

    // MARK: Retention

    public func pruneHistory(before cutoff: Date, keepingCommandStates: [CommandView.State]) async throws -> Int {
        let kept = keepingCommandStates.map(\.rawValue)
        let logger = logger
        return try await transaction { connection in
            var removed = try await connection.count("DELETE FROM events WHERE time < \(cutoff) RETURNING 1", logger: logger)
            removed += try await connection.count("DELETE FROM job_runs WHERE started_at < \(cutoff) RETURNING 1",
                                                  logger: logger)
            removed += try await connection.count("""
                DELETE FROM commands WHERE issued_at < \(cutoff) AND NOT (state = ANY(\(kept))) RETURNING 1
                """, logger: logger)
            return removed
        }
    }
}
