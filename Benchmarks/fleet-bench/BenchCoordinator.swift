import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore
import NIOHTTP1

/// Real coordinator processes on loopback (one on SQLite, or one or more sharing a fresh
/// PostgreSQL database) plus an HTTP client sized for many agents. `url` is the first
/// instance; `urls` all of them, in start order.
final class BenchCoordinator: @unchecked Sendable {
    private(set) var processes: [Process] = []
    let dir: String
    private(set) var urls: [String] = []
    let http: HTTPClient
    private let database: BenchDatabase?

    var process: Process { processes[0] }
    var url: String { urls[0] }

    init(options: BenchOptions, connections: Int) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let binary = options.coordinator ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("fleet-coordinator").path
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        database = try options.database.map { try BenchDatabase(serverURL: $0, passwordFile: options.databasePasswordFile) }
        guard options.instances == 1 || database != nil else {
            throw BenchError("--instances above 1 needs --database (instances share one PostgreSQL database)")
        }
        // Thousands of simulated agents register at once: lift the registration rate limit.
        var arguments = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir + "/data", "--log-level", "warning",
                         "--registration-rate", "10000"]
        if let database {
            arguments += ["--database", database.url, "--database-password-file", database.passwordFile]
        }
        // The first instance creates the schema and the token files; the others share both.
        for index in 0..<max(1, options.instances) {
            let (process, url) = try await Self.start(binary: binary, arguments: arguments, out: dir + "/coordinator-\(index).out")
            processes.append(process)
            urls.append(url)
        }
    }

    private static func start(binary: String, arguments: [String], out: String) async throws -> (Process, String) {
        let process = Process()
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle.nullDevice
        try process.run()
        var found: String?
        for _ in 0..<800 where found == nil && process.isRunning {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").first { $0.contains("listening on") }.flatMap { $0.split(separator: " ").last }.map(String.init)
            if found == nil { try await Task.sleep(for: .milliseconds(25)) }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            throw BenchError("coordinator did not start: \(binary) \(arguments.joined(separator: " "))")
        }
        return (process, found)
    }

    /// The instance an agent talks to: agents spread over the instances by index.
    func url(forAgent index: Int) -> String { urls[index % urls.count] }

    var adminToken: String { token("admin") }
    var joinToken: String { token("join") }
    private func token(_ kind: String) -> String {
        ((try? String(contentsOfFile: dir + "/data/\(kind).token", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func send<T: Decodable>(_ method: HTTPMethod, _ path: String, token: String, body: Data? = nil,
                            as type: T.Type, via base: String? = nil) async throws -> T {
        var request = HTTPClientRequest(url: (base ?? url) + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await execute(request)
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        guard response.status.code < 300 else {
            throw BenchError("\(method) \(path): \(response.status.code) \(String(buffer: bytes))")
        }
        return try WireCoding.decode(type, from: Data(bytes.readableBytesView))
    }

    /// A request whose answer is only checked for success.
    func ping(_ method: HTTPMethod, _ path: String, token: String?, body: Data? = nil, via base: String? = nil) async throws {
        var request = HTTPClientRequest(url: (base ?? url) + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await execute(request)
        _ = try await response.body.collect(upTo: 1024 * 1024)
        guard response.status.code < 300 else { throw BenchError("\(method) \(path): \(response.status.code)") }
    }

    /// Sends `request`, once more when the pool handed it a connection the coordinator had
    /// closed (it closes a connection once a watch on it ended; after many watches the pool may
    /// hold many such connections).
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await http.execute(request, timeout: .seconds(60))
            } catch let error as HTTPClientError where error == .remoteConnectionClosed && attempts < 50 {
                continue
            } catch ChannelError.ioOnClosedChannel where attempts < 50 {
                continue
            }
        }
    }

    /// Registers `count` agents with bounded concurrency; returns (name, token) pairs.
    func registerAgents(_ count: Int, concurrency: Int) async throws -> [(String, String)] {
        try await withThrowingTaskGroup(of: (String, String).self) { group in
            var result: [(String, String)] = []
            var next = 0
            func add() {
                let name = String(format: "bench-%05d", next)
                let base = url(forAgent: next)
                next += 1
                group.addTask {
                    let body = try WireCoding.encode(RegistrationRequest(name: name, agentVersion: "bench"))
                    let answer = try await self.send(.POST, APIPath.register, token: self.joinToken, body: body,
                                                     as: RegistrationResponse.self, via: base)
                    return (name, answer.nodeToken)
                }
            }
            for _ in 0..<min(concurrency, count) { add() }
            while let pair = try await group.next() {
                result.append(pair)
                if next < count { add() }
            }
            return result
        }
    }

    func shutdown() async {
        try? await http.shutdown()
        for process in processes.reversed() where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        database?.drop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh database on a PostgreSQL server for one measurement, created and dropped with
/// `psql` (the server URL names the maintenance database, e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
struct BenchDatabase {
    let url: String
    let passwordFile: String
    private let serverURL: String
    private let name: String

    init(serverURL: String, passwordFile: String?) throws {
        guard let passwordFile else { throw BenchError("--database needs --database-password-file") }
        guard var components = URLComponents(string: serverURL) else { throw BenchError("bad --database URL") }
        self.serverURL = serverURL
        self.passwordFile = passwordFile
        name = "bench_" + UUID().uuidString.prefix(8).lowercased()
        components.path = "/" + name
        guard let url = components.string else { throw BenchError("bad --database URL") }
        self.url = url
        try psql("CREATE DATABASE \(name)")
    }

    func drop() { try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }

    private func psql(_ sql: String) throws {
        let password = ((try? String(contentsOfFile: passwordFile, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = ["-q", "-v", "ON_ERROR_STOP=1", "-d", serverURL, "-c", sql]
        process.environment = (ProcessInfo.processInfo.environment).merging(["PGPASSWORD": password]) { $1 }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("psql failed: \(sql)") }
    }
}
