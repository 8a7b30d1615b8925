import FleetProtocol
import Foundation
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Two real coordinators on one fresh PostgreSQL database: `fleet` drives the first (a,
/// `fleet.url`), `b` is the second's URL. Both share the data dir (join and admin tokens).
struct TwoCoordinators {
    let fleet: TestFleet
    let server: PostgresServer
    let database: String
    let bProcess: ManagedProcess
    let b: String

    /// Both coordinators' and the agents' output, for a failing expectation.
    func logs() -> String { fleet.logs + "\n" + bProcess.output }

    /// How many times b has (re)connected its change listener.
    var bListens: Int { bProcess.stderr.components(separatedBy: "listening for changes").count - 1 }

    /// Applies the fixture inventory through a with the backup's `keep` set to `keep`
    /// (which changes the probe node's assignment); returns the new revision.
    func apply(keep: Int) async throws -> Int {
        let path = try fleet.renderInventory("fleet.yaml", replacing: ["keep: 48": "keep: \(keep)"])
        let content = try String(contentsOfFile: path, encoding: .utf8)
        let body = try JSONEncoder().encode(ApplyRequest(files: [ApplyRequest.File(path: "fleet.yaml", content: content)]))
        let (status, data) = try await send(.POST, APIPath.apply, token: fleet.adminToken, body: body)
        guard status == 200 else { throw HarnessError.http("apply answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try WireCoding.decode(ApplyResult.self, from: data).revision
    }

    /// Registers `name` through a with the join token; returns its node token.
    func register(_ name: String) async throws -> String {
        let body = try JSONEncoder().encode(RegistrationRequest(name: name, agentVersion: "test"))
        let (status, data) = try await send(.POST, APIPath.register, token: fleet.joinToken, body: body)
        guard status == 200 || status == 201 else {
            throw HarnessError.http("register answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return try WireCoding.decode(RegistrationResponse.self, from: data).nodeToken
    }

    /// One watch on b as `node`: its status and, on 200, its answer.
    func watch(_ node: String, token: String, revision: Int, timeoutSeconds: Int) async throws -> (status: Int, answer: WatchResponse?) {
        let (status, data) = try await send(
            .GET, APIPath.watch(node) + "?revision=\(revision)&timeout=\(timeoutSeconds)", token: token, at: b)
        return (status, status == 200 ? try WireCoding.decode(WatchResponse.self, from: data) : nil)
    }

    /// Watches parked on b right now (its metrics).
    func openWatchesOnB() async throws -> Int {
        let (_, data) = try await send(.GET, APIPath.metrics, token: nil, at: b)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("stationfleet_open_watches ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    /// `fleet.request`, its failure naming the request. A GET is sent once more after a
    /// transport error: the server closes a connection once a watch on it ended (it watches
    /// the inbound side for the caller going away), and the shared client may already have
    /// handed that connection to the next request.
    func send(_ method: HTTPMethod, _ path: String, token: String?, body: Data? = nil,
              at base: String? = nil) async throws -> (Int, Data) {
        do {
            return try await fleet.request(method, path, token: token, body: body, at: base)
        } catch where method == .GET {
            do {
                return try await fleet.request(method, path, token: token, body: body, at: base)
            } catch {
                throw HarnessError.http("\(method) \(base ?? fleet.url)\(path) (sent twice): \(error)")
            }
        } catch {
            throw HarnessError.http("\(method) \(base ?? fleet.url)\(path): \(error)")
        }
    }

    /// Terminates every LISTEN session on the test database (a's and b's change listeners).
    func killListeners() async throws {
        try await server.psql("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = '\(database)' AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()
            """)
    }
}

/// Starts a (`fleet`) and b on one fresh database, waits until b listens for changes, runs
/// `body`, then stops b and checks it exits cleanly.
func withTwoCoordinators(_ label: String, _ body: (TwoCoordinators) async throws -> Void) async throws {
    let server = try PostgresServer()
    try await server.withDatabase { database in
        try await withFleet(label) { fleet in
            let passwordFile = fleet.dir + "/pg-password"
            try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
            let databaseArguments = ["--database", server.url(database: database), "--database-password-file", passwordFile]
            try await fleet.startCoordinator(extraArguments: databaseArguments)
            let bProcess = try ManagedProcess(
                label: "coordinator-b", executable: try binary("fleet-coordinator"),
                arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", fleet.dataDir, "--log-level", "debug"]
                    + databaseArguments,
                logDir: fleet.dir)
            defer { if bProcess.isRunning { kill(bProcess.pid, SIGKILL) } }
            let line = try await bProcess.waitForLine(containing: "listening on", timeout: .seconds(60))
            let pair = TwoCoordinators(fleet: fleet, server: server, database: database, bProcess: bProcess,
                                       b: String(line.split(separator: " ").last ?? ""))
            guard await waitUntil(timeout: .seconds(60), { pair.bListens >= 1 }) else {
                throw HarnessError.notReady("b's change listener", output: bProcess.output)
            }
            try await body(pair)
            let stopped = await bProcess.stop(signal: SIGTERM, timeout: .seconds(20))
            if stopped != 0 { throw HarnessError.notReady("a clean stop of b (status \(String(describing: stopped)))", output: bProcess.output) }
        }
    }
}
