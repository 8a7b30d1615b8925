import FleetProtocol
import Foundation
import PostgresNIO

/// `AlertStore` on PostgreSQL: the tables of "v2-alerting", JSON bodies keyed by id.
extension PostgresFleetStore {
    public func loadAlerting() async throws -> AlertingSnapshot {
        let logger = logger
        let (alerts, groups, pending, silences) = try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            return (try await connection.texts("SELECT body FROM alerts ORDER BY fingerprint", logger: logger),
                    try await connection.texts("SELECT body FROM alert_groups ORDER BY id", logger: logger),
                    try await connection.texts("SELECT body FROM notifications WHERE state = 'pending' ORDER BY created_at, id",
                                               logger: logger),
                    try await connection.texts("SELECT body FROM silences ORDER BY ends_at DESC", logger: logger))
        }
        return AlertingSnapshot(alerts: try Self.decode(AlertRecord.self, alerts, what: "alerting record"),
                                groups: try Self.decode(GroupRecord.self, groups, what: "alerting record"),
                                pending: try Self.decode(OutboxEntry.self, pending, what: "alerting record"),
                                silences: try Self.decode(SilenceView.self, silences, what: "alerting record"))
    }

    public func commitAlerting(_ commit: AlertingCommit) async throws {
        guard !commit.isEmpty else { return }
        let alerts = try commit.upsertAlerts.map { ($0.alert.fingerprint, $0.alert.endsAt, try Self.encode($0)) }
        let groups = try commit.upsertGroups.map { ($0.id, try Self.encode($0)) }
        let notifications = try commit.newNotifications.map { ($0, try Self.encode($0)) }
        let logger = logger
        try await transaction { connection in
            for (fingerprint, resolvedAt, body) in alerts {
                try await connection.query("""
                    INSERT INTO alerts (fingerprint, resolved_at, body) VALUES (\(fingerprint), \(resolvedAt), \(body))
                    ON CONFLICT (fingerprint) DO UPDATE SET resolved_at = excluded.resolved_at, body = excluded.body
                    """, logger: logger)
            }
            if !commit.deleteAlerts.isEmpty {
                try await connection.query("DELETE FROM alerts WHERE fingerprint = ANY(\(commit.deleteAlerts))", logger: logger)
            }
            for (id, body) in groups {
                try await connection.query("""
                    INSERT INTO alert_groups (id, body) VALUES (\(id), \(body))
                    ON CONFLICT (id) DO UPDATE SET body = excluded.body
                    """, logger: logger)
            }
            if !commit.deleteGroups.isEmpty {
                try await connection.query("DELETE FROM alert_groups WHERE id = ANY(\(commit.deleteGroups))", logger: logger)
            }
            for (entry, body) in notifications {
                // Idempotent: a notification id is stored once.
                try await connection.query("""
                    INSERT INTO notifications (id, receiver, state, created_at, finished_at, body)
                    VALUES (\(entry.notification.id), \(entry.notification.receiver), \(entry.state.rawValue),
                            \(entry.notification.createdAt), NULL, \(body))
                    ON CONFLICT (id) DO NOTHING
                    """, logger: logger)
            }
        }
    }

    public func updateOutbox(_ entry: OutboxEntry) async throws {
        let body = try Self.encode(entry)
        let finished: Date? = entry.state == .pending ? nil : (entry.sentAt ?? Date())
        try await execute("""
            UPDATE notifications SET state = \(entry.state.rawValue), finished_at = \(finished), body = \(body)
            WHERE id = \(entry.notification.id)
            """)
    }

    public func outbox(failedOnly: Bool, limit: Int) async throws -> [OutboxEntry] {
        let bodies = try await texts("""
            SELECT body FROM notifications WHERE (NOT \(failedOnly) OR state = 'failed')
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """)
        return try Self.decode(OutboxEntry.self, bodies, what: "alerting record")
    }

    public func saveSilence(_ silence: SilenceView) async throws {
        let body = try Self.encode(silence)
        try await execute("""
            INSERT INTO silences (id, ends_at, body) VALUES (\(silence.id), \(silence.endsAt), \(body))
            ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at, body = excluded.body
            """)
    }

    public func silences(includeExpired: Bool, now: Date) async throws -> [SilenceView] {
        let all = try Self.decode(SilenceView.self, try await texts("SELECT body FROM silences ORDER BY ends_at DESC, id"),
                                  what: "alerting record")
        return includeExpired ? all : all.filter { $0.state == .active && $0.endsAt > now }
    }

    public func pruneAlerting(before cutoff: Date) async throws -> Int {
        let logger = logger
        return try await transaction { connection in
            var removed = try await connection.count(
                "DELETE FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < \(cutoff) RETURNING 1", logger: logger)
            removed += try await connection.count(
                "DELETE FROM notifications WHERE state != 'pending' AND finished_at < \(cutoff) RETURNING 1", logger: logger)
            removed += try await connection.count("DELETE FROM silences WHERE ends_at < \(cutoff) RETURNING 1", logger: logger)
            return removed
        }
    }
}
