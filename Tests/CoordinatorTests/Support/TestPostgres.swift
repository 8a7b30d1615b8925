@testable import FleetCoordinator
import Foundation
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server for store tests: `FLEET_TEST_POSTGRES_URL`
/// (`postgres://user:password@127.0.0.1:port/postgres`; scripts/test.sh starts a throwaway
/// cluster and sets it). Each test gets a database of its own, dropped afterwards.
/// Without the URL the tests are skipped, unless `FLEET_REQUIRE_POSTGRES=1` makes that a failure.
enum TestPostgres {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["FLEET_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let required = environment["FLEET_REQUIRE_POSTGRES"] == "1"
    /// Run the PostgreSQL tests when there is a server, or when one is required (they then fail).
    static let enabled = url != nil || required
    static let skipNote: Comment = "FLEET_TEST_POSTGRES_URL is not set: PostgreSQL store tests skipped (scripts/test.sh starts a server)"

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "FLEET_REQUIRE_POSTGRES=1 but FLEET_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against"
        }
    }

    /// The server's settings with the URL's password taken out (the coordinator refuses passwords in URLs).
    static func settings(database: String? = nil) throws -> PostgresSettings {
        guard let url else { throw Missing() }
        guard var components = URLComponents(string: url) else { throw StoreError.unavailable("bad FLEET_TEST_POSTGRES_URL") }
        let password = components.password?.removingPercentEncoding
        components.password = nil
        if let database { components.path = "/" + database }
        guard let stripped = components.string else { throw StoreError.unavailable("bad FLEET_TEST_POSTGRES_URL") }
        return try PostgresSettings(url: stripped, password: password)
    }

    /// Creates `t_<uuid>`, hands its settings to `body`, drops it (also when `body` throws).
    static func withDatabase<R>(_ body: (PostgresSettings) async throws -> R) async throws -> R {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await maintenance("CREATE DATABASE \(name)")
        do {
            let result = try await body(try settings(database: name))
            try await maintenance("DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            try? await maintenance("DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Creates `t_<uuid>` and returns its name (drop it with `dropDatabase`).
    static func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await maintenance("CREATE DATABASE \(name)")
        return name
    }

    static func dropDatabase(_ name: String) async throws {
        try await maintenance("DROP DATABASE \(name) WITH (FORCE)")
    }

    /// A store on a fresh database; shut down before the database is dropped.
    static func withStore<R>(_ body: (PostgresFleetStore) async throws -> R) async throws -> R {
        try await withDatabase { settings in
            let store = PostgresFleetStore(settings: settings, logger: Logger(label: "test-postgres"))
            do {
                let result = try await body(store)
                await store.shutdown()
                return result
            } catch {
                await store.shutdown()
                throw error
            }
        }
    }

    /// One statement on the server's maintenance database.
    static func maintenance(_ sql: String) async throws {
        try await run(settings(), sql)
    }

    /// One statement on its own connection.
    static func run(_ settings: PostgresSettings, _ sql: String) async throws {
        let logger = Logger(label: "test-postgres")
        let connection = try await PostgresConnection.connect(configuration: try settings.connectionConfiguration(),
                                                              id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
