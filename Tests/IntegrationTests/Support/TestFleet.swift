import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A coordinator and agents as real processes on loopback, plus an admin client.
final class TestFleet: @unchecked Sendable {
    let dir: String
    private(set) var coordinator: ManagedProcess?
    private(set) var agents: [String: ManagedProcess] = [:]
    private(set) var url = ""
    private var port = 0
    private var coordinatorArguments: [String] = []
    private var caFile: String?

    init(label: String) throws {
        dir = try makeScratchDir(label)
        try "camera-secret-\(UUID().uuidString)\n".write(toFile: dir + "/camera-password", atomically: true, encoding: .utf8)
    }

    var dataDir: String { dir + "/coordinator" }
    var adminToken: String {
        ((try? String(contentsOfFile: dataDir + "/admin.token", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
    var joinToken: String {
        ((try? String(contentsOfFile: dataDir + "/join.token", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts (or restarts, on the same port and data dir) the coordinator.
    func startCoordinator(extraArguments: [String] = []) async throws {
        coordinatorArguments = extraArguments
        let process = try ManagedProcess(
            label: "coordinator-\(UUID().uuidString.prefix(4))", executable: try binary("fleet-coordinator"),
            arguments: ["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", dataDir, "--log-level", "debug"] + extraArguments,
            logDir: dir)
        coordinator = process
        let line = try await process.waitForLine(containing: "listening on")
        guard let found = line.split(separator: " ").last.map(String.init), let parsedPort = URL(string: found)?.port else {
            throw HarnessError.notReady("coordinator", output: process.output)
        }
        url = found
        port = parsedPort
    }

    /// Starts an agent against this coordinator, or against `coordinator` (another instance);
    /// `environment` adds to the agent's inherited environment (a `PATH` with stand-in tools, say).
    func startAgent(_ name: String, coordinator: String? = nil, extraArguments: [String] = [],
                    environment: [String: String] = [:]) async throws {
        let process = try ManagedProcess(
            label: "agent-\(name)", executable: try binary("fleet-agent"),
            arguments: ["run", "--coordinator", coordinator ?? url, "--join-token-file", dataDir + "/join.token",
                        "--state-dir", dir + "/agents/\(name)", "--name", name, "--status-listen", "127.0.0.1:0",
                        "--log-level", "debug"] + extraArguments,
            logDir: dir, environment: environment)
        agents[name] = process
    }

    func stopAgent(_ name: String, signal: Int32 = SIGTERM) async {
        await agents[name]?.stop(signal: signal)
    }

    /// The fixture inventory with `${DIR}` replaced, written into the scratch dir.
    func renderInventory(_ fixture: String, replacing: [String: String] = [:]) throws -> String {
        var text = try String(contentsOfFile: packageRoot + "/Tests/IntegrationTests/Fixtures/\(fixture)", encoding: .utf8)
        text = text.replacingOccurrences(of: "${DIR}", with: dir)
        for (from, to) in replacing { text = text.replacingOccurrences(of: from, with: to) }
        let path = dir + "/" + fixture
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs the real fleetctl against this coordinator; `environment` adds to (or, with
    /// `coordinatorEnvironment: false`, replaces) FLEET_COORDINATOR and FLEET_TOKEN_FILE.
    func fleetctl(_ arguments: [String], environment: [String: String] = [:],
                  coordinatorEnvironment: Bool = true) async throws -> CommandOutcome {
        let base = coordinatorEnvironment ? ["FLEET_COORDINATOR": url, "FLEET_TOKEN_FILE": dataDir + "/admin.token"] : [:]
        return try await runCommand(try binary("fleetctl"), arguments,
                                    environment: base.merging(environment) { $1 })
    }

    /// Restarts the coordinator on the same port, data dir and arguments.
    func restartCoordinator() async throws {
        try await startCoordinator(extraArguments: coordinatorArguments)
    }

    /// A raw HTTP request; returns status and body.
    func request(_ method: HTTPMethod, _ path: String, token: String?, body: Data? = nil,
                 at base: String? = nil) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: (base ?? url) + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(40))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), Data(bytes.readableBytesView))
    }

    /// GET with the admin token, decoded.
    func get<T: Decodable>(_ type: T.Type, _ path: String, at base: String? = nil) async throws -> T {
        let (status, data) = try await request(.GET, path, token: adminToken, at: base)
        guard status == 200 else { throw HarnessError.http("GET \(path) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try WireCoding.decode(type, from: data)
    }

    func nodes(caFile: String? = nil) async throws -> [String: NodeView] {
        if let caFile { self.caFile = caFile }
        return Dictionary(uniqueKeysWithValues: try await get([NodeView].self, APIPath.nodes).map { ($0.name, $0) })
    }

    /// The shared client for plain HTTP; a client trusting the test CA for HTTPS.
    private var client: HTTPClient {
        get throws {
            guard let caFile else { return HTTPClient.shared }
            if let tlsClient { return tlsClient }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            tlsClient = made
            return made
        }
    }
    private var tlsClient: HTTPClient?

    /// Everything the processes printed, for a failing test's message.
    var logs: String {
        ([coordinator].compactMap { $0 } + agents.values.sorted { $0.label < $1.label }).map(\.output).joined(separator: "\n")
    }

    func shutdown() async {
        try? await tlsClient?.shutdown()
        for agent in agents.values { await agent.stop(signal: SIGTERM, timeout: .seconds(5)) }
        await coordinator?.stop(signal: SIGTERM, timeout: .seconds(5))
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// Runs `body` with a fresh fleet and always shuts it down, even when `body` throws.
func withFleet(_ label: String, _ body: (TestFleet) async throws -> Void) async throws {
    let fleet = try TestFleet(label: label)
    do {
        try await body(fleet)
    } catch {
        await fleet.shutdown()
        throw error
    }
    await fleet.shutdown()
}
