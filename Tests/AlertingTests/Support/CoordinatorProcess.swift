import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// The real `fleet-coordinator serve` (from .build/debug, or FLEET_BIN_DIR) on 127.0.0.1 with
/// a port of its choosing, started with `PeerProcess` (own process group, log file), and a
/// small JSON client for its API with the admin, join and node tokens.
///
/// ```swift
/// let coordinator = try await CoordinatorProcess.start(dataDir: dir, arguments: ["--notify-max-backoff", "1s"])
/// let views: [NotificationView] = try await coordinator.call(.get, "/v1/notifications", token: coordinator.adminToken())
/// coordinator.kill()                       // SIGKILL, no shutdown
/// ```
final class CoordinatorProcess: Sendable {
    let baseURL: String
    let dataDir: String
    private let process: PeerProcess

    var log: String { process.output }
    var isRunning: Bool { process.isRunning }

    private init(baseURL: String, dataDir: String, process: PeerProcess) {
        self.baseURL = baseURL
        self.dataDir = dataDir
        self.process = process
    }

    static func binary() throws -> String {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["FLEET_BIN_DIR"] { candidates.append(dir) }
        candidates.append(packageRoot + "/.build/debug")
        for dir in candidates where FileManager.default.isExecutableFile(atPath: dir + "/fleet-coordinator") {
            return dir + "/fleet-coordinator"
        }
        throw PeerError.missing("fleet-coordinator not found in \(candidates): run `swift build --build-tests` first")
    }

    static func start(dataDir: String, arguments: [String] = [], timeout: Duration = .seconds(30)) async throws -> CoordinatorProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = nil
        let logFile = dataDir + "/coordinator-\(UUID().uuidString.prefix(6)).log"
        let process = try PeerProcess(executable: try binary(),
                                      arguments: ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
                                                  "--log-level", "info"] + arguments,
                                      logFile: logFile, environment: environment)
        var url: String?
        await waitUntil(timeout: timeout) {
            if let line = process.output.split(separator: "\n").first(where: { $0.contains("listening on http://") }),
               let start = line.range(of: "http://") {
                url = String(line[start.lowerBound...]).trimmingCharacters(in: .whitespaces)
            }
            return url != nil || !process.isRunning
        }
        guard let url, process.isRunning else {
            await process.stop()
            throw PeerError.notReady("fleet-coordinator", output: process.output)
        }
        return CoordinatorProcess(baseURL: url, dataDir: dataDir, process: process)
    }

    func adminToken() throws -> String { try token("admin.token") }
    func joinToken() throws -> String { try token("join.token") }

    private func token(_ name: String) throws -> String {
        try String(contentsOfFile: dataDir + "/" + name, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One API call with a JSON body (WireCoding); throws on a non-2xx status with the body.
    func call<Response: Decodable>(_ method: HTTPMethod, _ path: String, token: String,
                                   body: (some Encodable)? = nil as EmptyBody?) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try WireCoding.encode(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = Data(buffer: try await response.body.collect(upTo: 4 * 1024 * 1024))
        guard (200..<300).contains(response.status.code) else {
            throw PeerError.failed("\(method.rawValue) \(path): HTTP \(response.status.code): \(String(decoding: data, as: UTF8.self))")
        }
        return try WireCoding.decode(Response.self, from: data)
    }

    /// SIGKILL to the whole process group: no graceful shutdown, nothing flushed.
    func kill() async {
        _ = Glibc.kill(-process.pid, SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(10))
    }

    func stop() async { await process.stop() }
}
