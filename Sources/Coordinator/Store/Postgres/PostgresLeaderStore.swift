import Foundation
import Logging
import PostgresNIO

extension PostgresFleetStore {
    /// Whose clock the leader lease reads.
    public enum LeaseClock: Sendable {
        /// The database server's (`clock_timestamp()`), for every lease statement: coordinators
        /// sharing the database need not have clocks in step. The `now` passed in is ignored.
        case server
        /// The `now` each call passes in (the lease contract tests move time with it).
        case caller
    }
}

/// Coordinator instances and the leader lease on PostgreSQL ("v5-coordinators"), with the
/// semantics of the SQLite store.
///
/// The lease is one row (`name = 'coordinator'`) changed only by single conditional
/// statements: acquiring is one `INSERT … ON CONFLICT DO UPDATE … WHERE`, which locks the
/// row (or inserts it) and re-checks the condition on its latest version, so of several
/// racing instances exactly one takes a free lease; renewing and releasing are one
/// conditional `UPDATE` each. Times in the row come from the server's clock by default.
extension PostgresFleetStore: CoordinatorRegistry, LeaderLease {
    static let leaseName = "coordinator"

    /// `now` to bind: nil makes the statements read `clock_timestamp()`.
    private func clockBinding(_ now: Date) -> Date? {
        switch leaseClock {
        case .server: return nil
        case .caller: return now
        }
    }

    /// Exact to the microsecond the server keeps (whole seconds come back as whole seconds).
    private static func date(micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// The rows of a `… RETURNING holder, term, <micros of expires_at>` statement.
    private func grants(_ query: PostgresQuery) async throws -> [LeaseGrant] {
        let logger = logger
        return try await withConnection { connection in
            var grants: [LeaseGrant] = []
            for try await (holder, term, micros) in try await connection.query(query, logger: logger)
                .decode((String, Int64, Int64).self) {
                grants.append(LeaseGrant(holder: holder, term: term, expiresAt: Self.date(micros: micros)))
            }
            return grants
        }
    }

    // MARK: CoordinatorRegistry

    public func upsertCoordinator(_ instance: CoordinatorInstance) async throws {
        try await execute("""
            INSERT INTO coordinators (id, hostname, version, url, started_at, last_seen)
            VALUES (\(instance.id), \(instance.hostname), \(instance.version), \(instance.url),
                    \(instance.startedAt), \(instance.lastSeen))
            ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, version = excluded.version,
                url = excluded.url, started_at = excluded.started_at, last_seen = excluded.last_seen
            """)
    }

    public func coordinators() async throws -> [CoordinatorInstance] {
        let logger = logger
        return try await withConnection { connection in
            var result: [CoordinatorInstance] = []
            let rows = try await connection.query("""
                SELECT id, hostname, version, url, (extract(epoch FROM started_at) * 1000000)::bigint,
                    (extract(epoch FROM last_seen) * 1000000)::bigint
                FROM coordinators ORDER BY last_seen DESC, id
                """, logger: logger)
            for try await (id, hostname, version, url, started, seen) in rows
                .decode((String, String, String, String, Int64, Int64).self) {
                result.append(CoordinatorInstance(id: id, hostname: hostname, version: version, url: url,
                                                  startedAt: Self.date(micros: started), lastSeen: Self.date(micros: seen)))
            }
            return result
        }
    }

    public func removeCoordinators(lastSeenBefore cutoff: Date) async throws -> Int {
        let logger = logger
        return try await withConnection { connection in
            try await connection.count("DELETE FROM coordinators WHERE last_seen < \(cutoff) RETURNING 1", logger: logger)
        }
    }

    // MARK: LeaderLease

    public func acquireLease(holder: String, ttl: TimeInterval, now: Date) async throws -> LeaseGrant? {
        // Free or expired: term + 1; live and ours: same term, new expiry; live and another's:
        // the WHERE leaves the row alone and nothing is returned.
        try await grants("""
            WITH clock AS (SELECT coalesce(\(clockBinding(now))::timestamptz, clock_timestamp()) AS now)
            INSERT INTO leader_lease AS lease (name, holder, term, expires_at)
            SELECT \(Self.leaseName), \(holder), 1, clock.now + make_interval(secs => \(ttl)) FROM clock
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                term = CASE WHEN lease.expires_at > (SELECT now FROM clock) THEN lease.term ELSE lease.term + 1 END,
                expires_at = excluded.expires_at
            WHERE lease.expires_at <= (SELECT now FROM clock) OR lease.holder = excluded.holder
            RETURNING holder, term, (extract(epoch FROM expires_at) * 1000000)::bigint
            """).first
    }

    public func renewLease(holder: String, term: Int64, ttl: TimeInterval, now: Date) async throws -> LeaseGrant? {
        try await grants("""
            WITH clock AS (SELECT coalesce(\(clockBinding(now))::timestamptz, clock_timestamp()) AS now)
            UPDATE leader_lease SET expires_at = clock.now + make_interval(secs => \(ttl)) FROM clock
            WHERE name = \(Self.leaseName) AND holder = \(holder) AND term = \(term) AND expires_at > clock.now
            RETURNING holder, term, (extract(epoch FROM expires_at) * 1000000)::bigint
            """).first
    }

    public func releaseLease(holder: String, term: Int64) async throws {
        try await execute("""
            UPDATE leader_lease SET expires_at = to_timestamp(0)
            WHERE name = \(Self.leaseName) AND holder = \(holder) AND term = \(term)
            """)
    }

    public func leaseHolder() async throws -> LeaseGrant? {
        try await grants("""
            SELECT holder, term, (extract(epoch FROM expires_at) * 1000000)::bigint FROM leader_lease
            WHERE name = \(Self.leaseName)
            """).first
    }

    /// One query, with the same clock as the other lease statements.
    public func isLeader(holder: String, term: Int64, now: Date) async throws -> Bool {
        let logger = logger
        let binding = clockBinding(now)
        return try await withConnection { connection in
            try await connection.count("""
                SELECT 1 FROM leader_lease
                WHERE name = \(Self.leaseName) AND holder = \(holder) AND term = \(term)
                    AND expires_at > coalesce(\(binding)::timestamptz, clock_timestamp())
                """, logger: logger) == 1
        }
    }
}
