import Logging
import PostgresNIO

/// The PostgreSQL schema, as versioned migrations named like the SQLite ones ("v1",
/// "v2-alerting", "v3-revision-inventory", "v4-rollouts", "v5-coordinators",
/// "v7-credential-token-hash"). Bodies are the same JSON text
/// the SQLite store keeps; times are `timestamptz`.
///
/// All pending migrations run in one transaction that first takes a transaction-scoped
/// advisory lock, so two coordinators starting at once apply them once: the second waits,
/// then finds nothing left to do. Applied identifiers live in `fleet_migrations`.
enum PostgresMigrations {
    /// Key of the advisory lock held while migrating (outside the int4 range of the per-segment
    /// locks, which use `hashtext`).
    static let lockKey = 0x466C_6565_7400  // "Fleet\0"

    static let all: [(identifier: String, statements: [String])] = [
        ("v1", [
            "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
            "CREATE TABLE assignments (node text PRIMARY KEY, revision bigint NOT NULL, body text NOT NULL)",
            "CREATE TABLE revisions (revision bigint PRIMARY KEY, body text NOT NULL)",
            "CREATE TABLE credentials (name text PRIMARY KEY, token_hash text NOT NULL, registered_at timestamptz NOT NULL)",
            "CREATE TABLE snapshots (name text PRIMARY KEY, body text NOT NULL)",
            """
            CREATE TABLE events (id text PRIMARY KEY, node text NOT NULL, station text, time timestamptz NOT NULL,
                body text NOT NULL)
            """,
            "CREATE INDEX events_node_time ON events(node, time)",
            "CREATE INDEX events_station_time ON events(station, time)",
            """
            CREATE TABLE segments (station text NOT NULL, name text NOT NULL, node text NOT NULL,
                start timestamptz NOT NULL, body text NOT NULL, PRIMARY KEY (station, name))
            """,
            "CREATE INDEX segments_station_start ON segments(station, start)",
            """
            CREATE TABLE job_runs (id text PRIMARY KEY, node text NOT NULL, job text NOT NULL,
                started_at timestamptz NOT NULL, body text NOT NULL)
            """,
            """
            CREATE TABLE commands (id text PRIMARY KEY, target text NOT NULL, state text NOT NULL,
                issued_at timestamptz NOT NULL, body text NOT NULL)
            """,
            "CREATE INDEX commands_target ON commands(target, issued_at)",
        ]),
        ("v2-alerting", [
            "CREATE TABLE alerts (fingerprint text PRIMARY KEY, resolved_at timestamptz, body text NOT NULL)",
            "CREATE TABLE alert_groups (id text PRIMARY KEY, body text NOT NULL)",
            """
            CREATE TABLE notifications (id text PRIMARY KEY, receiver text NOT NULL, state text NOT NULL,
                created_at timestamptz NOT NULL, finished_at timestamptz, body text NOT NULL)
            """,
            "CREATE INDEX notifications_state ON notifications(state, created_at)",
            "CREATE TABLE silences (id text PRIMARY KEY, ends_at timestamptz NOT NULL, body text NOT NULL)",
        ]),
        ("v3-revision-inventory", [
            "CREATE TABLE revision_inventories (revision bigint PRIMARY KEY, body text NOT NULL)",
        ]),
        ("v4-rollouts", [
            """
            CREATE TABLE rollouts (revision bigint PRIMARY KEY, state text NOT NULL, updated_at timestamptz NOT NULL,
                body text NOT NULL)
            """,
        ]),
        ("v5-coordinators", [
            """
            CREATE TABLE coordinators (id text PRIMARY KEY, hostname text NOT NULL, version text NOT NULL,
                url text NOT NULL, started_at timestamptz NOT NULL, last_seen timestamptz NOT NULL)
            """,
            """
            CREATE TABLE leader_lease (name text PRIMARY KEY, holder text NOT NULL, term bigint NOT NULL,
                expires_at timestamptz NOT NULL)
            """,
        ]),
        // Shared liveness (PostgresSnapshotStore.swift): rows from before keep -infinity as their
        // last heartbeat, so any flush after the upgrade replaces them.
        ("v6-snapshot-liveness", [
            """
            ALTER TABLE snapshots ADD COLUMN last_heartbeat timestamptz NOT NULL DEFAULT '-infinity',
                ADD COLUMN updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                ADD COLUMN writer text NOT NULL DEFAULT ''
            """,
            "CREATE INDEX snapshots_updated_at ON snapshots(updated_at)",
        ]),
        ("v7-credential-token-hash", [
            // A request with a token this instance does not know looks it up by hash.
            "CREATE INDEX credentials_token_hash ON credentials(token_hash)",
        ]),
    ]

    /// Applies what is missing, or throws `StoreError.schemaTooNew` (changing nothing) when
    /// the database holds a migration not in `migrations`.
    static func migrate(_ connection: PostgresConnection, store: String, logger: Logger,
                        migrations: [(identifier: String, statements: [String])] = all) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS fleet_migrations (identifier text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<String> = []
            for try await identifier in try await connection.query("SELECT identifier FROM fleet_migrations",
                                                                   logger: logger).decode(String.self) {
                applied.insert(identifier)
            }
            let known = Set(migrations.map(\.identifier))
            let unknown = applied.subtracting(known).sorted()
            guard unknown.isEmpty else { throw StoreError.schemaTooNew(store: store, unknown: unknown) }
            for migration in migrations where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO fleet_migrations (identifier) VALUES (\(migration.identifier))",
                                           logger: logger)
                logger.info("applied database migration", metadata: ["migration": "\(migration.identifier)"])
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
