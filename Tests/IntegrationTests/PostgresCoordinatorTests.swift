import FleetProtocol
import Foundation
import Testing

/// The real fleet-coordinator on PostgreSQL (`--database`): state survives a restart, and a
/// wrong password stops it with one line that does not hold the password.
/// Needs FLEET_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway cluster); skipped without
/// it unless FLEET_REQUIRE_POSTGRES=1, which makes that a failure.
@Suite(.serialized, .enabled(if: PostgresServer.enabled,
                             "FLEET_TEST_POSTGRES_URL is not set: PostgreSQL coordinator tests skipped"))
struct PostgresCoordinatorTests {
    @Test func inventoryAndNodesSurviveARestartOnPostgres() async throws {
        let server = try PostgresServer()
        try await server.withDatabase { database in
            try await withFleet("postgres") { fleet in
                let passwordFile = fleet.dir + "/pg-password"
                try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
                try await fleet.startCoordinator(extraArguments: ["--database", server.url(database: database),
                                                                  "--database-password-file", passwordFile])
                let startOutput = fleet.coordinator?.output ?? ""
                let passwordShown = startOutput.contains(server.password)
                #expect(!passwordShown, "the coordinator printed the database password")
                let inventory = try fleet.renderInventory("fleet.yaml")
                let applied = try await fleet.fleetctl(["apply", "-f", inventory, "-o", "json"])
                #expect(applied.status == 0, "\(applied.stderr)")
                try await fleet.startAgent("recordingpi")
                let online = try await waitUntil(timeout: .seconds(20)) {
                    let node = try await fleet.nodes()["recordingpi"]
                    return node?.registered == true && node?.state == .online && node?.appliedRevision == 1
                }
                #expect(online, "\(fleet.logs)")

                // Restart: the revision and the registered node come back from PostgreSQL.
                await fleet.coordinator?.stop(signal: SIGTERM)
                try await fleet.restartCoordinator()
                let nodes = try await fleet.nodes()
                #expect(nodes["recordingpi"]?.registered == true)
                #expect(nodes["recordingpi"]?.desiredRevision == 1)
                let history = try await fleet.get([RevisionRecordView].self, "/v1/revisions")
                #expect(history.map(\.revision) == [1])
                let back = try await waitUntil(timeout: .seconds(20)) {
                    try await fleet.nodes()["recordingpi"]?.state == .online
                }
                #expect(back, "\(fleet.logs)")
                let logs = fleet.logs
                let passwordLogged = logs.contains(server.password)
                #expect(!passwordLogged, "the coordinator logged the database password")
            }
        }
    }

    @Test func aNewerPostgresSchemaStopsTheStartWithOneLine() async throws {
        let server = try PostgresServer()
        try await server.withDatabase { database in
            try await withFleet("postgres-newer") { fleet in
                let passwordFile = fleet.dir + "/pg-password"
                try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
                let arguments = ["--database", server.url(database: database), "--database-password-file", passwordFile]
                try await fleet.startCoordinator(extraArguments: arguments)
                await fleet.coordinator?.stop(signal: SIGTERM)
                try await server.psql("INSERT INTO fleet_migrations (identifier) VALUES ('v99-future')", database: database)
                let outcome = try await runCommand(try binary("fleet-coordinator"),
                                                   ["serve", "--listen", "127.0.0.1:0", "--data-dir", fleet.dataDir] + arguments,
                                                   timeout: .seconds(30))
                #expect(outcome.status == 1)
                let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("fleet-coordinator:") }
                #expect(lines.count == 1, "\(outcome.stderr)")
                #expect(lines.first?.contains("schema newer than this coordinator knows (migrations v99-future)") == true,
                        "\(outcome.stderr)")
            }
        }
    }

    @Test func aWrongPasswordStopsTheStartWithOneLine() async throws {
        let server = try PostgresServer()
        let dir = try makeScratchDir("postgres-wrong")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wrong = "not-the-password-\(UUID().uuidString.prefix(8))"
        try (wrong + "\n").write(toFile: dir + "/pg-password", atomically: true, encoding: .utf8)
        let outcome = try await runCommand(try binary("fleet-coordinator"),
                                           ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir + "/data",
                                            "--database", server.url(database: "postgres"),
                                            "--database-password-file", dir + "/pg-password"],
                                           timeout: .seconds(30))
        #expect(outcome.status == 1)
        let errorLines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("fleet-coordinator:") }
        #expect(errorLines.count == 1, "\(outcome.stderr)")
        #expect(errorLines.first?.contains("password authentication failed") == true, "\(outcome.stderr)")
        let shown = (outcome.stdout + outcome.stderr).contains(wrong)
        #expect(!shown, "the wrong password was printed")
    }
}

/// The test cluster from FLEET_TEST_POSTGRES_URL (`postgres://user:password@host:port/db`).
struct PostgresServer {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["FLEET_TEST_POSTGRES_URL"] != nil || environment["FLEET_REQUIRE_POSTGRES"] == "1"

    let components: URLComponents
    let password: String

    init() throws {
        guard let text = Self.environment["FLEET_TEST_POSTGRES_URL"], let components = URLComponents(string: text) else {
            throw HarnessError.notReady("FLEET_REQUIRE_POSTGRES=1 but FLEET_TEST_POSTGRES_URL is not set", output: "")
        }
        self.components = components
        password = components.password?.removingPercentEncoding ?? ""
    }

    /// The URL for `--database`: no password in it.
    func url(database: String) -> String {
        var stripped = components
        stripped.password = nil
        stripped.path = "/" + database
        return stripped.string ?? ""
    }

    /// Creates a database for one test and drops it afterwards (psql on the maintenance database).
    func withDatabase(_ body: (String) async throws -> Void) async throws {
        let name = "it_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await psql("CREATE DATABASE \(name)")
        do {
            try await body(name)
        } catch {
            try? await psql("DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
        try await psql("DROP DATABASE \(name) WITH (FORCE)")
    }

    func psql(_ sql: String, database: String = "postgres") async throws {
        let outcome = try await runCommand("/usr/bin/psql", [url(database: database), "-v", "ON_ERROR_STOP=1", "-c", sql],
                                           environment: ["PGPASSWORD": password])
        guard outcome.status == 0 else { throw HarnessError.notReady("psql \(sql)", output: outcome.stderr) }
    }
}
