// The real coordinator, in-process on 127.0.0.1 with an ephemeral port and a temp data dir,
// so fleetctl's end-to-end tests exercise the real HTTP contract.
import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
@testable import FleetctlCore

final class TestCoordinator: Sendable {
    enum StartError: Error { case noAddress }

    let url: String
    let adminToken: String
    let joinToken: String
    let dataDir: URL
    /// The CA to trust when the coordinator serves HTTPS.
    let caFile: String?
    private let task: Task<Void, Never>

    private init(url: String, adminToken: String, joinToken: String, dataDir: URL, caFile: String?, task: Task<Void, Never>) {
        self.caFile = caFile
        self.url = url
        self.adminToken = adminToken
        self.joinToken = joinToken
        self.dataDir = dataDir
        self.task = task
    }

    /// Starts a coordinator and waits (up to 30 s) until it listens.
    static func start(tlsCertificate: String? = nil, tlsKey: String? = nil, caFile: String? = nil,
                      agentBuildMaxBytes: Int64 = AgentBuild.maxSize) async throws -> TestCoordinator {
        let dir = try makeTemporaryDirectory()
        var logger = Logger(label: "test-coordinator")
        logger.logLevel = .error
        var configuration = CoordinatorConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), dataDir: dir.path,
                                                     tlsCertificate: tlsCertificate, tlsKey: tlsKey)
        configuration.agentBuildMaxBytes = agentBuildMaxBytes
        let server = CoordinatorServer(configuration: configuration, logger: logger)
        let (addresses, continuation) = AsyncStream<String>.makeStream()
        let task = Task {
            do { try await server.run { continuation.yield($0) } } catch {}
            continuation.finish()
        }
        let url = await withTaskGroup(of: String?.self) { group in
            group.addTask { await addresses.first { _ in true } }
            group.addTask { try? await Task.sleep(for: .seconds(30)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let url else {
            task.cancel()
            throw StartError.noAddress
        }
        func token(_ name: String) throws -> String {
            try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return TestCoordinator(url: url, adminToken: try token("admin.token"), joinToken: try token("join.token"),
                               dataDir: dir, caFile: caFile, task: task)
    }

    /// Stops the server and removes its data dir.
    func stop() async {
        task.cancel()
        await task.value
        try? FileManager.default.removeItem(at: dataDir)
    }

    /// The environment fleetctl needs to act as the operator.
    var adminEnvironment: [String: String] { ["FLEET_TOKEN": adminToken] }

    /// Runs `body` with a client holding `token` (a node's or the operator's), shut down afterwards.
    func withClient<R: Sendable>(token: String?, _ body: (CoordinatorClient) async throws -> R) async throws -> R {
        let settings = try CoordinatorSettings(coordinator: url, token: token, caFile: caFile, timeoutSeconds: 20)
        return try await CoordinatorClient.withClient(settings, body)
    }

    /// Applies `inventory` (one YAML file) as the operator.
    @discardableResult
    func apply(_ inventory: String) async throws -> ApplyResult {
        try await withClient(token: adminToken) { client in
            try await client.call(Endpoints.apply, body: ApplyRequest(files: [.init(path: "fleet.yaml", content: inventory)],
                                                                     dryRun: false))
        }
    }

    /// Registers `node` and sends one heartbeat; returns the node's credential.
    func registerNode(_ node: String) async throws -> String {
        let credential = try await withClient(token: joinToken) { join in
            try await join.call(Endpoints.register, body: RegistrationRequest(name: node, agentVersion: "test"))
        }
        try await heartbeat(node, token: credential.nodeToken)
        return credential.nodeToken
    }

    /// One heartbeat from `node`, optionally reporting command results.
    func heartbeat(_ node: String, token: String, results: [CommandResult] = []) async throws {
        _ = try await withClient(token: token) { client in
            try await client.call(Endpoints.heartbeat, node, body: .full(StatusReport(
                agentVersion: "test", uptimeSeconds: 1, appliedRevision: 0, commandResults: results)))
        }
    }

    /// Acts as `node`'s agent: watches until commands arrive (deadline 20 s) and answers each
    /// with `answer`. Returns the commands it answered.
    @discardableResult
    func answerCommands(node: String, token: String, count: Int = 1,
                        _ answer: @escaping @Sendable (Command) -> (ok: Bool, message: String)) async throws -> [Command] {
        try await withClient(token: token) { client in
            try await watchAndAnswer(client, node: node, token: token, count: count, answer)
        }
    }

    private func watchAndAnswer(_ client: CoordinatorClient, node: String, token: String, count: Int,
                                _ answer: @Sendable (Command) -> (ok: Bool, message: String)) async throws -> [Command] {
        let deadline = ContinuousClock.now + .seconds(20)
        var answered: [Command] = []
        var known = 0
        var lastError: FleetctlError?
        while answered.count < count, ContinuousClock.now < deadline {
            let watch: WatchResponse
            do {
                watch = try await client.call(Endpoints.watch, node, query: [("revision", "\(known)"), ("timeout", "1")],
                                              timeoutSeconds: 15)
            } catch let error as FleetctlError {
                // Like a real agent: a dropped long-poll is retried (within the deadline), not fatal.
                lastError = error
                try await Task.sleep(for: .milliseconds(100))  // back-off between retries, not synchronisation
                continue
            }
            if let assignment = watch.assignment { known = assignment.revision }
            let fresh = watch.commands.filter { command in !answered.contains { $0.id == command.id } }
            guard !fresh.isEmpty else { continue }
            let results = fresh.map { command in
                let (ok, message) = answer(command)
                return CommandResult(commandId: command.id, ok: ok, message: message, completedAt: Date())
            }
            try await heartbeat(node, token: token, results: results)
            answered += fresh
        }
        if answered.count < count, let lastError { throw lastError }
        return answered
    }
}

/// The small fleet most end-to-end tests run against.
enum TestInventory {
    static let fleet = """
        sites:
          auklab: {labels: {region: gotland}}
          emsn: {labels: {region: nl}}
        defaults:
          recorder: {segmentSeconds: 600, rtspPort: 9, rtspPath: /stream1, username: viewer,
                     passwordFile: /tmp/fleetctl-test/camera-password, outputDir: /tmp/fleetctl-test/recordings}
        nodes:
          recordingpi: {site: auklab}
          emsn-zolder: {site: emsn}
          emsn-berging: {site: emsn}
        stations:
          ROST1: {node: recordingpi, camera: {host: 127.0.0.1}}
          ROST2: {node: recordingpi, camera: {host: 127.0.0.1}}
        backups:
          birdnet-db:
            nodes: [emsn-zolder, emsn-berging]
            sqlite: /tmp/fleetctl-test/birds.db
            target: /tmp/fleetctl-test/nas/{node}
            every: 1h
            keep: 48

        """
}
