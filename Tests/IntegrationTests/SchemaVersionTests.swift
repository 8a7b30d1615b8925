import Foundation
import Testing

/// A coordinator meeting a database that a newer coordinator migrated changes nothing and
/// stops with one line (SQLite here; PostgreSQL in PostgresCoordinatorTests).
@Suite(.serialized) struct SchemaVersionTests {
    @Test func aNewerSQLiteSchemaStopsTheStartWithOneLine() async throws {
        try await withFleet("schema-newer") { fleet in
            try await fleet.startCoordinator()
            await fleet.coordinator?.stop(signal: SIGTERM)
            let database = fleet.dataDir + "/coordinator.sqlite"
            let marked = try await runCommand("/usr/bin/sqlite3",
                                              [database, "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')"])
            #expect(marked.status == 0, "\(marked.stderr)")
            let outcome = try await runCommand(try binary("fleet-coordinator"),
                                               ["serve", "--listen", "127.0.0.1:0", "--data-dir", fleet.dataDir],
                                               timeout: .seconds(30))
            #expect(outcome.status == 1)
            let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("fleet-coordinator:") }
            #expect(lines.count == 1, "\(outcome.stderr)")
            #expect(lines.first?.contains("schema newer than this coordinator knows (migrations v99-future)") == true,
                    "\(outcome.stderr)")
        }
    }
}
