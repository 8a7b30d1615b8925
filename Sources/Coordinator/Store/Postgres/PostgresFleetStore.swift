import FleetProtocol
import Foundation
import Logging
import PostgresNIO

/// The coordinator's store on PostgreSQL (`fleet-coordinator serve --database postgres://…`):
/// the same tables as SQLite, JSON bodies as text, times as `timestamptz`, and the same
/// semantics (ids are idempotent, a revision commits in one transaction, segments merge
/// under row locks). Keeps no cache: every call reads or writes the database, so several
/// processes may share it.
///
/// ```swift
/// let store = try PostgresFleetStore(settings: PostgresSettings(url: url, password: password), logger: logger)
/// try await store.migrate()   // checks the credentials and the schema, then migrates
/// defer { Task { await store.shutdown() } }
/// ```
public final class PostgresFleetStore: FleetStore {
    public let settings: PostgresSettings
    /// Whose clock the leader lease statements read (see `LeaseClock`).
    public let leaseClock: LeaseClock
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    /// How long `ping` waits for the server.
    let pingTimeout: Duration = .seconds(3)
    /// How long a call waits for a pooled connection before answering `.unreachable`.
    let leaseTimeout: Duration = .seconds(5)

    /// Creates the connection pool; nothing connects until the first call (`migrate`).
    public init(settings: PostgresSettings, logger: Logger, leaseClock: LeaseClock = .server) {
        self.settings = settings
        self.leaseClock = leaseClock
        self.logger = logger
        let client = PostgresClient(configuration: settings.clientConfiguration())
        self.client = client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Closes the pool's connections.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    /// Connects once on its own (so a wrong password or host is the server's own message, at
    /// once), then applies missing migrations under an advisory lock.
    public func migrate() async throws {
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try settings.connectionConfiguration()
        } catch {
            throw StoreError.unavailable("cannot use the TLS settings of \(settings): \(error)")
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw Self.classify(error, context: "cannot connect to \(settings)")
        }
        do {
            try await PostgresMigrations.migrate(connection, store: settings.description, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw Self.classify(error, context: "cannot migrate \(settings)")
        }
    }

    /// A small write, answered within `pingTimeout`: `/readyz` must not hang while the pool
    /// waits for a server that went away.
    public func ping() async throws {
        let probe = String(Date().timeIntervalSince1970)
        let timeout = pingTimeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await self.execute("""
                    INSERT INTO meta (key, value) VALUES ('probe', \(probe))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw StoreError.unreachable("PostgreSQL did not answer within \(timeout.components.seconds) s")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    // MARK: Helpers

    /// Runs `body` on one pooled connection; errors become `StoreError`s. Waiting for the
    /// connection is bounded by `leaseTimeout` (`.unreachable` after it): while the server is
    /// down the pool would hold a request until its circuit breaker opens, about a minute.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await PooledLease.with(client, timeout: leaseTimeout, body)
        } catch {
            throw Self.classify(error, context: "PostgreSQL")
        }
    }

    /// Runs `body` between BEGIN and COMMIT on one connection; ROLLBACK when it throws.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        return try await withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// One statement on its own (autocommit).
    func execute(_ query: PostgresQuery) async throws {
        let logger = logger
        try await withConnection { connection in _ = try await connection.query(query, logger: logger) }
    }

    /// The first column of every row, as text.
    func texts(_ query: PostgresQuery) async throws -> [String] {
        let logger = logger
        return try await withConnection { connection in try await connection.texts(query, logger: logger) }
    }

    /// Decodes JSON bodies; a body that does not decode is `StoreError.corrupt`.
    static func decode<T: Decodable>(_ type: T.Type, _ bodies: [String], what: String) throws -> [T] {
        try bodies.map { try decode(type, $0, what: what) }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: String, what: String) throws -> T {
        do {
            return try WireCoding.decode(type, from: Data(body.utf8))
        } catch {
            throw StoreError.corrupt("\(what): \(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try WireCoding.encode(value), as: UTF8.self)
    }

    /// Typed store errors with the server's message; never the password (PostgresNIO's own
    /// descriptions are generic on purpose, so the parts are picked here). A server that cannot
    /// be reached now (refused, no answer, shutting down, starting up) is `.unreachable`, which
    /// clears by itself; a refused password, a missing database or a TLS mismatch is `.unavailable`.
    static func classify(_ error: any Error, context: String) -> any Error {
        if error is StoreError || error is CancellationError { return error }
        guard let psql = error as? PSQLError else {
            // The pool's ConnectionPoolError (its module is underscored): after failing to open
            // connections for a while it fails requests at once while it keeps retrying.
            if "\(error)".contains("connectionCreationCircuitBreakerTripped") {
                return StoreError.unreachable("\(context): no connection could be opened for a while (still retrying)")
            }
            return StoreError.unavailable("\(context): \(error)")
        }
        let state = psql.serverInfo?[.sqlState]
        let message = psql.serverInfo?[.message]
        switch state {
        case "53100": return StoreError.full("PostgreSQL: \(message ?? "disk full")")
        case "25006": return StoreError.readOnly("PostgreSQL: \(message ?? "read-only transaction")")
        default: break
        }
        if let message {
            let text = "\(context): \(message) (SQLSTATE \(state ?? "?"))"
            return isTransient(sqlState: state) ? StoreError.unreachable(text) : StoreError.unavailable(text)
        }
        if psql.code == .sslUnsupported {
            return StoreError.unavailable("\(context): the server does not offer TLS, which this sslmode requires")
        }
        if let underlying = psql.underlying, "\(underlying)".contains("CERTIFICATE_VERIFY_FAILED") {
            return StoreError.unavailable("\(context): the server's TLS certificate is not trusted or does not name "
                                          + "this host (give its CA with sslrootcert=FILE)")
        }
        if let underlying = psql.underlying, "\(underlying)".contains("failedToValidateHostname") {
            return StoreError.unavailable("\(context): the server's TLS certificate does not name the host of --database")
        }
        let lost: [PSQLError.Code] = [.connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection]
        if lost.contains(psql.code) {
            return StoreError.unreachable("\(context): \(connectionReason(psql))")
        }
        let underlying = psql.underlying.map { ": \($0)" } ?? ""
        return StoreError.unavailable("\(context): \(psql.code)\(underlying)")
    }

    /// SQLSTATEs of a server that is going away or not yet accepting: class 08 (connection
    /// exception), 57P01–57P03 (shut down by an administrator, crashed, starting up), 53300
    /// (too many connections).
    static func isTransient(sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
    }

    /// A short reason for a lost or refused connection ("connection refused", "no answer
    /// within 10 s"), else PostgresNIO's code and the underlying error.
    static func connectionReason(_ psql: PSQLError) -> String {
        let underlying = psql.underlying.map { "\($0)" } ?? ""
        if underlying.contains("Connection refused") { return "connection refused" }
        if underlying.contains("connectTimeout") || underlying.contains("timeout") { return "no answer within \(PostgresSettings.connectTimeout.components.seconds) s" }
        switch psql.code {
        case .serverClosedConnection, .uncleanShutdown: return "the server closed the connection"
        default: return underlying.isEmpty ? "\(psql.code)" : "\(psql.code): \(underlying)"
        }
    }

    // MARK: Credentials

    public func credentials() async throws -> [NodeCredential] {
        let logger = logger
        return try await withConnection { connection in
            var result: [NodeCredential] = []
            let rows = try await connection.query("SELECT name, token_hash, registered_at FROM credentials ORDER BY name",
                                                  logger: logger)
            for try await (name, hash, at) in rows.decode((String, String, Date).self) {
                result.append(NodeCredential(name: name, tokenHash: hash, registeredAt: at))
            }
            return result
        }
    }

    public func sharedJoinToken() async throws -> SharedJoinToken? {
        guard let body = try await texts("SELECT value FROM meta WHERE key = 'join_token'").first else { return nil }
        return try Self.decode(SharedJoinToken.self, body, what: "shared join token")
    }

    public func saveSharedJoinToken(_ token: SharedJoinToken) async throws {
        let body = String(decoding: try WireCoding.encode(token), as: UTF8.self)
        try await execute("""
            INSERT INTO meta (key, value) VALUES ('join_token', \(body))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """)
    }

    public func credential(tokenHash: String) async throws -> NodeCredential? {
        let logger = logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT name, token_hash, registered_at FROM credentials WHERE token_hash = \(tokenHash) LIMIT 1",
                logger: logger)
            for try await (name, hash, at) in rows.decode((String, String, Date).self) {
                return NodeCredential(name: name, tokenHash: hash, registeredAt: at)
            }
            return nil
        }
    }

    public func credential(node name: String) async throws -> NodeCredential? {
        let logger = logger
        return try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT name, token_hash, registered_at FROM credentials WHERE name = \(name)", logger: logger)
            for try await (name, hash, at) in rows.decode((String, String, Date).self) {
                return NodeCredential(name: name, tokenHash: hash, registeredAt: at)
            }
            return nil
        }
    }

    public func insertCredential(_ credential: NodeCredential) async throws -> Bool {
        let logger = logger
        return try await withConnection { connection in
            try await connection.count("""
                INSERT INTO credentials (name, token_hash, registered_at)
                VALUES (\(credential.name), \(credential.tokenHash), \(credential.registeredAt))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """, logger: logger) == 1
        }
    }

    public func deleteCredential(node: String) async throws -> Bool {
        let logger = logger
        return try await withConnection { connection in
            try await connection.count("DELETE FROM credentials WHERE name = \(node) RETURNING 1", logger: logger) == 1
        }
    }
}

extension PostgresConnection {
    /// The first column of every row, as text.
    func texts(_ query: PostgresQuery, logger: Logger) async throws -> [String] {
        var result: [String] = []
        for try await text in try await self.query(query, logger: logger).decode(String.self) {
            result.append(text)
        }
        return result
    }

    /// How many rows the statement returned (`… RETURNING 1` counts what it changed).
    func count(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query, logger: logger) { count += 1 }
        return count
    }
}
