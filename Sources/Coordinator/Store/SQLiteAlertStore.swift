import FleetProtocol
import Foundation
import GRDB

/// `AlertStore` on SQLite: JSON bodies keyed by id, with the columns the queries need.
extension SQLiteFleetStore {
    static func registerAlertingMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-alerting") { db in
            try db.execute(sql: """
                CREATE TABLE alerts (fingerprint TEXT PRIMARY KEY, resolvedAt REAL, body BLOB NOT NULL);
                CREATE TABLE alert_groups (id TEXT PRIMARY KEY, body BLOB NOT NULL);
                CREATE TABLE notifications (id TEXT PRIMARY KEY, receiver TEXT NOT NULL, state TEXT NOT NULL,
                    createdAt REAL NOT NULL, finishedAt REAL, body BLOB NOT NULL);
                CREATE INDEX notifications_state ON notifications(state, createdAt);
                CREATE TABLE silences (id TEXT PRIMARY KEY, endsAt REAL NOT NULL, body BLOB NOT NULL);
                """)
        }
    }

    public func loadAlerting() async throws -> AlertingSnapshot {
        try await pool.read { db in
            let alerts = try Self.decodeAll(AlertRecord.self, db, "SELECT body FROM alerts")
            let groups = try Self.decodeAll(GroupRecord.self, db, "SELECT body FROM alert_groups")
            let pending = try Self.decodeAll(OutboxEntry.self, db,
                                             "SELECT body FROM notifications WHERE state = 'pending' ORDER BY createdAt, id")
            let silences = try Self.decodeAll(SilenceView.self, db, "SELECT body FROM silences ORDER BY endsAt DESC")
            return AlertingSnapshot(alerts: alerts, groups: groups, pending: pending, silences: silences)
        }
    }

    public func commitAlerting(_ commit: AlertingCommit) async throws {
        guard !commit.isEmpty else { return }
        let encoded = try EncodedCommit(commit)
        try await write { db in
            for (fingerprint, resolvedAt, body) in encoded.alerts {
                try db.execute(sql: "INSERT OR REPLACE INTO alerts (fingerprint, resolvedAt, body) VALUES (?, ?, ?)",
                               arguments: [fingerprint, resolvedAt, body])
            }
            for fingerprint in commit.deleteAlerts {
                try db.execute(sql: "DELETE FROM alerts WHERE fingerprint = ?", arguments: [fingerprint])
            }
            for (id, body) in encoded.groups {
                try db.execute(sql: "INSERT OR REPLACE INTO alert_groups (id, body) VALUES (?, ?)", arguments: [id, body])
            }
            for id in commit.deleteGroups {
                try db.execute(sql: "DELETE FROM alert_groups WHERE id = ?", arguments: [id])
            }
            for (entry, body) in zip(commit.newNotifications, encoded.notifications) {
                // Idempotent: a notification id is stored once.
                try db.execute(sql: """
                    INSERT OR IGNORE INTO notifications (id, receiver, state, createdAt, finishedAt, body)
                    VALUES (?, ?, ?, ?, NULL, ?)
                    """, arguments: [entry.notification.id, entry.notification.receiver, entry.state.rawValue,
                                     entry.notification.createdAt.timeIntervalSince1970, body])
            }
        }
    }

    public func updateOutbox(_ entry: OutboxEntry) async throws {
        let body = try WireCoding.encode(entry)
        let finished = (entry.state == .pending ? nil : (entry.sentAt ?? Date()))?.timeIntervalSince1970
        try await write { db in
            try db.execute(sql: "UPDATE notifications SET state = ?, finishedAt = ?, body = ? WHERE id = ?",
                           arguments: [entry.state.rawValue, finished, body, entry.notification.id])
        }
    }

    public func outbox(failedOnly: Bool, limit: Int) async throws -> [OutboxEntry] {
        try await pool.read { db in
            let filter = failedOnly ? "WHERE state = 'failed'" : ""
            return try Self.decodeAll(OutboxEntry.self, db,
                                      "SELECT body FROM notifications \(filter) ORDER BY createdAt DESC, id DESC LIMIT ?",
                                      [limit])
        }
    }

    public func saveSilence(_ silence: SilenceView) async throws {
        let body = try WireCoding.encode(silence)
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO silences (id, endsAt, body) VALUES (?, ?, ?)",
                           arguments: [silence.id, silence.endsAt.timeIntervalSince1970, body])
        }
    }

    public func silences(includeExpired: Bool, now: Date) async throws -> [SilenceView] {
        try await pool.read { db in
            let all = try Self.decodeAll(SilenceView.self, db, "SELECT body FROM silences ORDER BY endsAt DESC, id")
            return includeExpired ? all : all.filter { $0.state == .active && $0.endsAt > now }
        }
    }

    public func pruneAlerting(before cutoff: Date) async throws -> Int {
        let time = cutoff.timeIntervalSince1970
        return try await write { db in
            try db.execute(sql: "DELETE FROM alerts WHERE resolvedAt IS NOT NULL AND resolvedAt < ?", arguments: [time])
            var removed = db.changesCount
            try db.execute(sql: "DELETE FROM notifications WHERE state != 'pending' AND finishedAt < ?", arguments: [time])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM silences WHERE endsAt < ?", arguments: [time])
            return removed + db.changesCount
        }
    }

    private static func decodeAll<T: Decodable>(_ type: T.Type, _ db: Database, _ sql: String,
                                                _ arguments: StatementArguments = []) throws -> [T] {
        try Data.fetchAll(db, sql: sql, arguments: arguments).map { body in
            do { return try WireCoding.decode(T.self, from: body) } catch {
                throw StoreError.corrupt("alerting record: \(error)")
            }
        }
    }
}

/// A commit's bodies, encoded before the transaction starts.
private struct EncodedCommit: Sendable {
    var alerts: [(String, Double?, Data)] = []
    var groups: [(String, Data)] = []
    var notifications: [Data] = []

    init(_ commit: AlertingCommit) throws {
        alerts = try commit.upsertAlerts.map {
            ($0.alert.fingerprint, $0.alert.endsAt?.timeIntervalSince1970, try WireCoding.encode($0))
        }
        groups = try commit.upsertGroups.map { ($0.id, try WireCoding.encode($0)) }
        notifications = try commit.newNotifications.map { try WireCoding.encode($0) }
    }
}
