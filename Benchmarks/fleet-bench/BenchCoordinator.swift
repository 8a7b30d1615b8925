import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore
import NIOHTTP1

/// A real coordinator process on loopback plus an HTTP client sized for many agents.
final class BenchCoordinator: @unchecked Sendable {
    let process = Process()
    let dir: String
    let url: String
    let http: HTTPClient

    init(executable: String?, connections: Int) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let binary = executable ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("fleet-coordinator").path
        let out = dir + "/coordinator.out"
        FileManager.default.createFile(atPath: out, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir + "/data", "--log-level", "warning"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle.nullDevice
        try process.run()
        var found: String?
        for _ in 0..<400 where found == nil {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").first { $0.contains("listening on") }.flatMap { $0.split(separator: " ").last }.map(String.init)
            if found == nil { try await Task.sleep(for: .milliseconds(25)) }
        }
        guard let found else { throw BenchError("coordinator did not start: \(binary)") }
        url = found
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    var adminToken: String { token("admin") }
    var joinToken: String { token("join") }
    private func token(_ kind: String) -> String {
        ((try? String(contentsOfFile: dir + "/data/\(kind).token", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func send<T: Decodable>(_ method: HTTPMethod, _ path: String, token: String, body: Data? = nil,
                            as type: T.Type) async throws -> T {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        guard response.status.code < 300 else {
            throw BenchError("\(method) \(path): \(response.status.code) \(String(buffer: bytes))")
        }
        return try WireCoding.decode(type, from: Data(bytes.readableBytesView))
    }

    /// A request whose answer is only checked for success.
    func ping(_ method: HTTPMethod, _ path: String, token: String?, body: Data? = nil) async throws {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1024 * 1024)
        guard response.status.code < 300 else { throw BenchError("\(method) \(path): \(response.status.code)") }
    }

    /// Registers `count` agents with bounded concurrency; returns (name, token) pairs.
    func registerAgents(_ count: Int, concurrency: Int) async throws -> [(String, String)] {
        try await withThrowingTaskGroup(of: (String, String).self) { group in
            var result: [(String, String)] = []
            var next = 0
            func add() {
                let name = String(format: "bench-%05d", next)
                next += 1
                group.addTask {
                    let body = try WireCoding.encode(RegistrationRequest(name: name, agentVersion: "bench"))
                    let answer = try await self.send(.POST, APIPath.register, token: self.joinToken, body: body,
                                                     as: RegistrationResponse.self)
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
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
