import FleetProtocol
import Foundation
import GRDB

/// The embedded default store: one SQLite database in WAL mode in the coordinator's data dir.
/// Full-disk and read-only failures surface as `StoreError.full` / `.readOnly`.
///
/// ```swift
/// let store = try SQLiteFleetStore(path: dataDir + "/coordinator.sqlite")
/// try await store.migrate()
/// try await store.ping()   // readiness: a small write
/// ```
public final class SQLiteFleetStore: FleetStore {
    let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.unavailable("cannot open SQLite database \(path): \(error)")
        }
    }

    public func migrate() async throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE assignments (node TEXT PRIMARY KEY, revision INTEGER NOT NULL, body BLOB NOT NULL);
                CREATE TABLE revisions (revision INTEGER PRIMARY KEY, body BLOB NOT NULL);
                CREATE TABLE credentials (name TEXT PRIMARY KEY, tokenHash TEXT NOT NULL, registeredAt REAL NOT NULL);
                CREATE TABLE snapshots (name TEXT PRIMARY KEY, body BLOB NOT NULL);
                CREATE TABLE events (id TEXT PRIMARY KEY, node TEXT NOT NULL, station TEXT, time REAL NOT NULL, body BLOB NOT NULL);
                CREATE INDEX events_node_time ON events(node, time);
                CREATE INDEX events_station_time ON events(station, time);
                CREATE TABLE segments (station TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL, start REAL NOT NULL,
                    body BLOB NOT NULL, PRIMARY KEY (station, name));
                CREATE INDEX segments_station_start ON segments(station, start);
                CREATE TABLE job_runs (id TEXT PRIMARY KEY, node TEXT NOT NULL, job TEXT NOT NULL, startedAt REAL NOT NULL, body BLOB NOT NULL);
                CREATE TABLE commands (id TEXT PRIMARY KEY, target TEXT NOT NULL, state TEXT NOT NULL, issuedAt REAL NOT NULL, body BLOB NOT NULL);
                CREATE INDEX commands_target ON commands(target, issuedAt);
                """)
        }
        Self.registerAlertingMigration(&migrator)
        Self.registerRevisionInventoryMigration(&migrator)
        Self.registerRolloutMigration(&migrator)
        Self.registerCoordinatorsMigration(&migrator)
        Self.registerSnapshotLivenessMigration(&migrator)
        migrator.registerMigration("v7-credential-token-hash") { db in
            try db.execute(sql: "CREATE INDEX credentials_token_hash ON credentials(tokenHash)")
        }
        // A database a newer coordinator migrated is left alone: this one would misread it.
        let known = Set(migrator.migrations)
        let applied: [String]
        do {
            let reader = migrator
            applied = try await pool.read { db in try reader.appliedIdentifiers(db).sorted() }
        } catch {
            throw StoreError.unavailable("cannot read the schema version of \(path): \(error)")
        }
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw StoreError.schemaTooNew(store: path, unknown: unknown) }
        do {
            try migrator.migrate(pool)
        } catch {
            throw StoreError.unavailable("cannot migrate \(path): \(error)")
        }
    }

    public func ping() async throws {
        let now = Data(String(Date().timeIntervalSince1970).utf8)
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', ?)", arguments: [now])
        }
    }

    /// A write transaction whose full-disk and read-only failures become typed errors.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(updates)
        } catch let error as DatabaseError {
            throw Self.classify(error)
        }
    }

    static func classify(_ error: DatabaseError) -> any Error {
        switch error.resultCode {
        case .SQLITE_FULL: return StoreError.full("SQLite: \(error.message ?? "database or disk is full")")
        case .SQLITE_READONLY: return StoreError.readOnly("SQLite: \(error.message ?? "attempt to write a readonly database")")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN:
            // A WAL or journal that cannot grow on a full disk surfaces as an I/O error.
            if Self.diskIsFull(error) { return StoreError.full("SQLite: \(error.message ?? "disk I/O error")") }
            return error
        default: return error
        }
    }

    private static func diskIsFull(_ error: DatabaseError) -> Bool {
        errno == ENOSPC || (error.message ?? "").contains("full")
    }

    // MARK: Desired state

    public func loadDesiredState() async throws -> StoredDesiredState? {
        try await pool.read { db -> StoredDesiredState? in
            guard let revisionData = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'revision'"),
                  let desired = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'desired'"),
                  let revision = Int(String(decoding: revisionData, as: UTF8.self)) else { return nil }
            var assignments: [String: Assignment] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT node, body FROM assignments") {
                let body: Data = row["body"]
                let assignment = try Self.decode(Assignment.self, body, what: "assignment")
                assignments[assignment.node] = assignment
            }
            return StoredDesiredState(revision: revision, desired: desired, assignments: assignments)
        }
    }

    // MARK: Credentials

    public func credentials() async throws -> [NodeCredential] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, tokenHash, registeredAt FROM credentials").map {
                NodeCredential(name: $0["name"], tokenHash: $0["tokenHash"],
                               registeredAt: Date(timeIntervalSince1970: $0["registeredAt"]))
            }
        }
    }

    public func credential(tokenHash: String) async throws -> NodeCredential? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT name, tokenHash, registeredAt FROM credentials WHERE tokenHash = ? LIMIT 1",
                             arguments: [tokenHash]).map {
                NodeCredential(name: $0["name"], tokenHash: $0["tokenHash"],
                               registeredAt: Date(timeIntervalSince1970: $0["registeredAt"]))
            }
        }
    }

    public func credential(node name: String) async throws -> NodeCredential? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT name, tokenHash, registeredAt FROM credentials WHERE name = ?",
                             arguments: [name]).map {
                NodeCredential(name: $0["name"], tokenHash: $0["tokenHash"],
                               registeredAt: Date(timeIntervalSince1970: $0["registeredAt"]))
            }
        }
    }

    public func insertCredential(_ credential: NodeCredential) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO credentials (name, tokenHash, registeredAt) VALUES (?, ?, ?)",
                           arguments: [credential.name, credential.tokenHash, credential.registeredAt.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func sharedJoinToken() async throws -> SharedJoinToken? {
        guard let data = try await pool.read({ db in
            try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'join_token'")
        }) else { return nil }
        do { return try WireCoding.decode(SharedJoinToken.self, from: data) } catch {
            throw StoreError.corrupt("shared join token: \(error)")
        }
    }

    public func saveSharedJoinToken(_ token: SharedJoinToken) async throws {
        let data = try WireCoding.encode(token)
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('join_token', ?)", arguments: [data])
        }
    }

    public func deleteCredential(node: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM credentials WHERE name = ?", arguments: [node])
            return db.changesCount == 1
        }
    }

    // MARK: Reported items

    public func recordEvents(_ events: [AgentEvent], node: String) async throws {
        guard !events.isEmpty else { return }
        let rows = try events.map { ($0, try WireCoding.encode($0)) }
        try await write { db in
            for (event, body) in rows {
                try db.execute(sql: "INSERT OR IGNORE INTO events (id, node, station, time, body) VALUES (?, ?, ?, ?, ?)",
                               arguments: [event.id, node, event.station, event.time.timeIntervalSince1970, body])
            }
        }
    }

    public func recentEvents(node: String?, station: String?, limit: Int) async throws -> [AgentEvent] {
        try await pool.read { db in
            var sql = "SELECT body FROM events WHERE 1 = 1"
            var arguments: StatementArguments = []
            if let node { sql += " AND node = ?"; arguments += [node] }
            if let station { sql += " AND station = ?"; arguments += [station] }
            sql += " ORDER BY time DESC LIMIT ?"
            arguments += [limit]
            return try Data.fetchAll(db, sql: sql, arguments: arguments).map { try Self.decode(AgentEvent.self, $0, what: "event") }
        }
    }

    public func recordSegments(_ segments: [SegmentRecord], node: String,
                               merge: @escaping @Sendable (SegmentRecord?, SegmentRecord) -> SegmentRecord) async throws {
        guard !segments.isEmpty else { return }
        try await write { db in
            for segment in segments {
                let stored = try Data.fetchOne(db, sql: "SELECT body FROM segments WHERE station = ? AND name = ?",
                                               arguments: [segment.station, segment.name])
                    .flatMap { try? WireCoding.decode(SegmentRecord.self, from: $0) }
                let merged = merge(stored, segment)
                try db.execute(sql: "INSERT OR REPLACE INTO segments (station, name, node, start, body) VALUES (?, ?, ?, ?, ?)",
                               arguments: [merged.station, merged.name, node, merged.start.timeIntervalSince1970,
                                           try WireCoding.encode(merged)])
            }
        }
    }

    public func segments(station: String, from: Date?, to: Date?) async throws -> [SegmentRecord] {
        try await pool.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM segments WHERE station = ? AND start >= ? AND start <= ? ORDER BY start",
                              arguments: [station, from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude,
                                          to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude])
                .map { try Self.decode(SegmentRecord.self, $0, what: "segment") }
        }
    }

    public func firstSegment(station: String) async throws -> SegmentRecord? {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT body FROM segments WHERE station = ? ORDER BY start LIMIT 1", arguments: [station])
                .map { try Self.decode(SegmentRecord.self, $0, what: "segment") }
        }
    }

    public func recordJobRuns(_ runs: [JobRun], node: String) async throws {
        guard !runs.isEmpty else { return }
        let rows = try runs.map { ($0, try WireCoding.encode($0)) }
        try await write { db in
            for (run, body) in rows {
                try db.execute(sql: "INSERT OR IGNORE INTO job_runs (id, node, job, startedAt, body) VALUES (?, ?, ?, ?, ?)",
                               arguments: [run.id, node, run.job, run.startedAt.timeIntervalSince1970, body])
            }
        }
    }

    // MARK: Commands

    public func saveCommand(_ command: CommandView) async throws {
        let body = try WireCoding.encode(command)
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO commands (id, target, state, issuedAt, body) VALUES (?, ?, ?, ?, ?)",
                           arguments: [command.id, command.target, command.state.rawValue,
                                       command.issuedAt.timeIntervalSince1970, body])
        }
    }

    public func command(id: String) async throws -> CommandView? {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT body FROM commands WHERE id = ?", arguments: [id])
                .map { try Self.decode(CommandView.self, $0, what: "command") }
        }
    }

    public func commands(inStates states: [CommandView.State]) async throws -> [CommandView] {
        guard !states.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: states.count).joined(separator: ", ")
        return try await pool.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM commands WHERE state IN (\(placeholders)) ORDER BY issuedAt",
                              arguments: StatementArguments(states.map(\.rawValue)))
                .map { try Self.decode(CommandView.self, $0, what: "command") }
        }
    }

    public func recentCommands(target: String, limit: Int) async throws -> [CommandView] {
        try await pool.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM commands WHERE target = ? ORDER BY issuedAt DESC LIMIT ?",
                              arguments: [target, limit])
                .map { try Self.decode(CommandView.self, $0, what: "command") }
        }
    }

    public func pruneHistory(before cutoff: Date, keepingCommandStates: [CommandView.State]) async throws -> Int {
        let limit = cutoff.timeIntervalSince1970
        let kept = keepingCommandStates.map(\.rawValue)
        let placeholders = kept.isEmpty ? "NULL" : Array(repeating: "?", count: kept.count).joined(separator: ", ")
        return try await write { db in
            try db.execute(sql: "DELETE FROM events WHERE time < ?", arguments: [limit])
            var removed = db.changesCount
            try db.execute(sql: "DELETE FROM job_runs WHERE startedAt < ?", arguments: [limit])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM commands WHERE issuedAt < ? AND state NOT IN (\(placeholders))",
                           arguments: StatementArguments([limit] as [any DatabaseValueConvertible]) + StatementArguments(kept))
            return removed + db.changesCount
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try WireCoding.decode(type, from: data)
        } catch {
            throw StoreError.corrupt("\(what): \(error)")
        }
    }
}

/// Codable form of a `NodeSnapshot`.
struct SnapshotBody: Codable {
    var name: String
    var lastHeartbeat: Date
    var agentVersion: String
    var appliedRevision: Int
    var report: StatusReport

    init(_ snapshot: NodeSnapshot) {
        name = snapshot.name
        lastHeartbeat = snapshot.lastHeartbeat
        agentVersion = snapshot.agentVersion
        appliedRevision = snapshot.appliedRevision
        report = snapshot.report
    }

    var snapshot: NodeSnapshot {
        NodeSnapshot(name: name, lastHeartbeat: lastHeartbeat, agentVersion: agentVersion,
                     appliedRevision: appliedRevision, report: report)
    }
}
