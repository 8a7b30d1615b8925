import Foundation
import GRDB

/// Coordinator instances and the leader lease on SQLite ("v5-coordinators").
///
/// The lease is one row (`name = 'coordinator'`) changed only inside IMMEDIATE transactions,
/// which take SQLite's write lock before reading: two processes sharing the file serialise
/// on it, so the row alone decides who leads, and its `term` only grows.
extension SQLiteFleetStore: CoordinatorRegistry, LeaderLease {
    static let leaseName = "coordinator"

    static func registerCoordinatorsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-coordinators") { db in
            try db.execute(sql: """
                CREATE TABLE coordinators (id TEXT PRIMARY KEY, hostname TEXT NOT NULL, version TEXT NOT NULL,
                    url TEXT NOT NULL, startedAt REAL NOT NULL, lastSeen REAL NOT NULL);
                CREATE TABLE leader_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, term INTEGER NOT NULL,
                    expiresAt REAL NOT NULL);
                """)
        }
    }

    /// One IMMEDIATE transaction (the write lock is taken before the first read).
    func immediate<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw StoreError.unavailable("an immediate transaction committed without a result") }
                return result
            }
        } catch let error as DatabaseError {
            throw Self.classify(error)
        }
    }

    // MARK: CoordinatorRegistry

    public func upsertCoordinator(_ instance: CoordinatorInstance) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO coordinators (id, hostname, version, url, startedAt, lastSeen) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET hostname = excluded.hostname, version = excluded.version,
                    url = excluded.url, startedAt = excluded.startedAt, lastSeen = excluded.lastSeen
                """, arguments: [instance.id, instance.hostname, instance.version, instance.url,
                                 instance.startedAt.timeIntervalSince1970, instance.lastSeen.timeIntervalSince1970])
        }
    }

    public func coordinators() async throws -> [CoordinatorInstance] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM coordinators ORDER BY lastSeen DESC, id").map { row in
                CoordinatorInstance(id: row["id"], hostname: row["hostname"], version: row["version"], url: row["url"],
                                    startedAt: Date(timeIntervalSince1970: row["startedAt"]),
                                    lastSeen: Date(timeIntervalSince1970: row["lastSeen"]))
            }
        }
    }

    public func removeCoordinators(lastSeenBefore cutoff: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM coordinators WHERE lastSeen < ?", arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    // MARK: LeaderLease

    private static func grant(_ db: Database) throws -> LeaseGrant? {
        try Row.fetchOne(db, sql: "SELECT holder, term, expiresAt FROM leader_lease WHERE name = ?", arguments: [leaseName])
            .map { LeaseGrant(holder: $0["holder"], term: $0["term"], expiresAt: Date(timeIntervalSince1970: $0["expiresAt"])) }
    }

    private static func store(_ grant: LeaseGrant, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO leader_lease (name, holder, term, expiresAt) VALUES (?, ?, ?, ?)",
                       arguments: [leaseName, grant.holder, grant.term, grant.expiresAt.timeIntervalSince1970])
    }

    public func acquireLease(holder: String, ttl: TimeInterval, now: Date) async throws -> LeaseGrant? {
        try await immediate { db in
            let current = try Self.grant(db)
            let next: LeaseGrant
            if let current, current.expiresAt > now {
                guard current.holder == holder else { return nil }
                next = LeaseGrant(holder: holder, term: current.term, expiresAt: now.addingTimeInterval(ttl))
            } else {
                next = LeaseGrant(holder: holder, term: (current?.term ?? 0) + 1, expiresAt: now.addingTimeInterval(ttl))
            }
            try Self.store(next, db)
            return next
        }
    }

    public func renewLease(holder: String, term: Int64, ttl: TimeInterval, now: Date) async throws -> LeaseGrant? {
        try await immediate { db in
            guard let current = try Self.grant(db), current.holder == holder, current.term == term,
                  current.expiresAt > now else { return nil }
            let next = LeaseGrant(holder: holder, term: term, expiresAt: now.addingTimeInterval(ttl))
            try Self.store(next, db)
            return next
        }
    }

    public func releaseLease(holder: String, term: Int64) async throws {
        try await immediate { db in
            guard var current = try Self.grant(db), current.holder == holder, current.term == term else { return }
            current.expiresAt = Date(timeIntervalSince1970: 0)
            try Self.store(current, db)
        }
    }

    public func leaseHolder() async throws -> LeaseGrant? {
        try await pool.read { db in try Self.grant(db) }
    }
}
