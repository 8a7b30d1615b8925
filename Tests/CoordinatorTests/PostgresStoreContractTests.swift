@testable import FleetCoordinator
import FleetProtocol
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

/// The store contract on PostgreSQL, plus what only a server shows: concurrent migrations,
/// concurrent merges of one segment, a schema newer than this coordinator, a wrong password.
/// Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster).
@Suite(.enabled(if: TestPostgres.enabled, TestPostgres.skipNote))
struct PostgresStoreContractTests {
    @Test func postgresStorePassesTheContract() async throws {
        try await TestPostgres.withStore { store in try await StoreContract.run(store) }
    }

    @Test func twoCoordinatorsMigratingAtOnceApplyEachMigrationOnce() async throws {
        try await TestPostgres.withDatabase { settings in
            let stores = (0..<3).map { _ in PostgresFleetStore(settings: settings, logger: Logger(label: "test")) }
            defer { for store in stores { Task { await store.shutdown() } } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            let applied = try await stores[0].texts("SELECT identifier FROM fleet_migrations ORDER BY applied_at, identifier")
            #expect(applied.sorted() == PostgresMigrations.all.map(\.identifier).sorted())
            try await stores[1].ping()
        }
    }

    @Test func concurrentReportsOfOneNewSegmentMergeUnderTheLock() async throws {
        try await TestPostgres.withDatabase { settings in
            let stores = (0..<2).map { _ in PostgresFleetStore(settings: settings, logger: Logger(label: "test")) }
            defer { for store in stores { Task { await store.shutdown() } } }
            try await stores[0].migrate()
            let start = Date(timeIntervalSince1970: 1_700_000_000)
            // Each report adds its bytes to what is stored: a lost update shows as a smaller sum.
            let add: @Sendable (SegmentRecord?, SegmentRecord) -> SegmentRecord = { old, new in
                var merged = new
                merged.bytes = (old?.bytes ?? 0) + new.bytes
                return merged
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    let store = stores[index % 2]
                    group.addTask {
                        let segments = ["a.mkv", "b.mkv"].map {
                            SegmentRecord(station: "ROST1", name: $0, start: start, durationSeconds: 600, bytes: 1, valid: true)
                        }
                        // Opposite orders in one batch must not deadlock: the store sorts by key.
                        try await store.recordSegments(index % 2 == 0 ? segments : segments.reversed(), node: "pi1", merge: add)
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await stores[1].segments(station: "ROST1", from: nil, to: nil)
            #expect(stored.map(\.bytes) == [20, 20])
        }
    }

    @Test func aSchemaNewerThanThisCoordinatorIsRefused() async throws {
        try await TestPostgres.withStore { store in
            try await store.migrate()
            try await store.execute("INSERT INTO fleet_migrations (identifier) VALUES ('v99-future')")
            await #expect(throws: StoreError.schemaTooNew(store: store.settings.description, unknown: ["v99-future"])) {
                try await store.migrate()
            }
            let error = StoreError.schemaTooNew(store: store.settings.description, unknown: ["v99-future"])
            #expect(error.description.contains("newer than this coordinator knows"))
        }
    }

    /// sslmode as libpq means it. Needs a server with TLS on: scripts/test.sh gives its cluster
    /// a self-signed certificate for 127.0.0.1 and sets FLEET_TEST_POSTGRES_TLS to its file.
    @Test(.enabled(if: TestPostgres.environment["FLEET_TEST_POSTGRES_TLS"] != nil, "the test server has no TLS"))
    func sslModesAreHonoured() async throws {
        let certificate = try #require(TestPostgres.environment["FLEET_TEST_POSTGRES_TLS"])
        try await TestPostgres.withDatabase { base in
            func ssl(_ mode: PostgresSettings.SSLMode, rootCertificate: String? = nil) async throws -> [String] {
                var settings = base
                settings.sslMode = mode
                settings.sslRootCertificate = rootCertificate
                let store = PostgresFleetStore(settings: settings, logger: Logger(label: "test"))
                do {
                    try await store.migrate()
                    let used = try await store.texts("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    await store.shutdown()
                    return used
                } catch {
                    await store.shutdown()
                    throw error
                }
            }
            let required = try await ssl(.require)   // encrypted, certificate not checked
            let preferred = try await ssl(.prefer)
            let disabled = try await ssl(.disable)
            #expect(required == ["true"])
            #expect(preferred == ["true"])
            #expect(disabled == ["false"])
            let verified = try await ssl(.verifyFull, rootCertificate: certificate)   // trusted through sslrootcert
            #expect(verified == ["true"])
            // verify-full checks the chain: a self-signed certificate is refused, in one line.
            do {
                _ = try await ssl(.verifyFull)
                Issue.record("verify-full accepted a self-signed certificate")
            } catch {
                #expect(error is StoreError)
                #expect(!"\(error)".contains("\n"), "\(error)")
                #expect("\(error)".contains("certificate is not trusted"), "\(error)")
            }
        }
    }

    @Test func aWrongPasswordIsOneLineWithoutThePassword() async throws {
        var settings = try TestPostgres.settings()
        settings.password = "wrong-\(UUID().uuidString)"
        let store = PostgresFleetStore(settings: settings, logger: Logger(label: "test"))
        defer { Task { await store.shutdown() } }
        do {
            try await store.migrate()
            Issue.record("a wrong password was accepted (does the test server trust loopback connections?)")
        } catch {
            let text = "\(error)"
            #expect(!text.contains(settings.password ?? "-"))
            #expect(!text.contains("\n"))
            #expect(text.contains("password authentication failed"))
        }
    }
}

/// Server-free checks: URL parsing and the SQLite side of the schema-version refusal.
@Suite struct StoreSchemaAndSettingsTests {
    @Test func urlsAreParsedAsLibpqDoes() throws {
        let settings = try PostgresSettings(url: "postgres://fleet@db.example.org:6543/fleet?sslmode=verify-full", password: "pw")
        #expect(settings.host == "db.example.org" && settings.port == 6543 && settings.username == "fleet")
        #expect(settings.database == "fleet" && settings.sslMode == .verifyFull)
        #expect(!settings.description.contains("pw"))
        #expect(try PostgresSettings(url: "postgresql://u@h/d", password: nil).sslMode == .prefer)
        #expect(try PostgresSettings(url: "postgres://u@h/d?sslmode=disable", password: nil).sslMode == .disable)
        #expect(throws: StoreError.self) { try PostgresSettings(url: "postgres://u:secret@h/d", password: nil) }
        #expect(throws: StoreError.self) { try PostgresSettings(url: "postgres://u@h/d?sslmode=sometimes", password: nil) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)").path
        try "s3cret\r\nsecond line\n".write(toFile: dir, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try PostgresSettings.password(file: dir, environment: ["PGPASSWORD": "env"]) == "s3cret")
        #expect(try PostgresSettings.password(file: nil, environment: ["PGPASSWORD": "env"]) == "env")
        #expect(throws: StoreError.self) { try PostgresSettings.password(file: dir + ".missing", environment: [:]) }
        let rooted = try PostgresSettings(url: "postgres://u@h/d?sslmode=verify-ca&sslrootcert=/etc/ca.pem", password: nil)
        #expect(rooted.sslMode == .verifyCA && rooted.sslRootCertificate == "/etc/ca.pem")
        #expect(throws: StoreError.self) { try PostgresSettings(url: "postgres://u@h/d?application_name=x", password: nil) }
        #expect(throws: StoreError.self) { try PostgresSettings(url: "mysql://u@h/d", password: nil) }
    }

    @Test func aSchemaNewerThanThisCoordinatorIsRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c.sqlite"
        let store = try SQLiteFleetStore(path: path)
        try await store.migrate()
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')")
        }
        await #expect(throws: StoreError.schemaTooNew(store: path, unknown: ["v99-future"])) { try await store.migrate() }
    }
}
