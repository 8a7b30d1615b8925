import FleetProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Real `fleet-coordinator serve` processes on one fresh PostgreSQL database, sharing a data
/// dir (the admin and join token files) and a short leader lease (3 s TTL, renewed every
/// 500 ms), plus `fleetctl` against any of them. Every process it started is SIGKILLed when
/// the body returns or throws.
///
/// ```swift
/// try await withPostgresCoordinators("pg-leader") { group in
///     let (a, urlA) = try await group.start("coordinator-a")
///     let nodes = try await group.fleetctl(["get", "nodes", "-o", "json"], via: urlA)
/// }
/// ```
final class PostgresCoordinators: @unchecked Sendable {
    let server: PostgresServer
    let database: String
    /// The scratch dir: logs, the password file, agents' state dirs.
    let dir: String
    var dataDir: String { dir + "/coordinator" }
    var passwordFile: String { dir + "/pg-password" }
    private(set) var processes: [ManagedProcess] = []

    init(server: PostgresServer, database: String, dir: String) throws {
        self.server = server
        self.database = database
        self.dir = dir
        try (server.password + "\n").write(toFile: dir + "/pg-password", atomically: true, encoding: .utf8)
    }

    /// Starts one coordinator; returns it and its URL once it listens.
    func start(_ label: String) async throws -> (ManagedProcess, String) {
        let process = try ManagedProcess(
            label: label, executable: try binary("fleet-coordinator"),
            arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
                        "--database", server.url(database: database), "--database-password-file", passwordFile,
                        "--lease-ttl", "3s", "--lease-renew", "500ms", "--log-level", "info"],
            logDir: dir)
        processes.append(process)
        let line = try await process.waitForLine(containing: "listening on")
        return (process, String(line.split(separator: " ").last ?? ""))
    }

    /// A process the test started itself (an agent), killed with the rest.
    func adopt(_ process: ManagedProcess) { processes.append(process) }

    /// `fleetctl ARGS --coordinator URL` with the admin token; its stdout, or a thrown error with its stderr.
    func fleetctl(_ arguments: [String], via url: String) async throws -> String {
        let outcome = try await runCommand(try binary("fleetctl"), arguments + ["--coordinator", url],
                                           environment: ["FLEET_TOKEN_FILE": dataDir + "/admin.token"])
        guard outcome.status == 0 else { throw HarnessError.http("fleetctl \(arguments): \(outcome.stderr)") }
        return outcome.stdout
    }

    /// `fleetctl get coordinators` through `url`.
    func coordinators(via url: String) async throws -> [CoordinatorView] {
        try WireCoding.decode([CoordinatorView].self,
                              from: Data(try await fleetctl(["get", "coordinators", "-o", "json"], via: url).utf8))
    }

    /// Every process's output, for a failing expectation.
    var logs: String { processes.map(\.output).joined(separator: "\n") }

    func killAll() {
        for process in processes where process.isRunning { kill(process.pid, SIGKILL) }
    }
}

/// Runs `body` with a fresh database and scratch dir; removes both and kills what was started.
func withPostgresCoordinators(_ label: String, _ body: (PostgresCoordinators) async throws -> Void) async throws {
    let server = try PostgresServer()
    let dir = try makeScratchDir(label)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try await server.withDatabase { database in
        let group = try PostgresCoordinators(server: server, database: database, dir: dir)
        defer { group.killAll() }
        try await body(group)
    }
}
