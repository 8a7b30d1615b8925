import AsyncHTTPClient
import Foundation
import NIOCore

/// A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 with a
/// null receiver and no cluster listener. If the binary is missing `start` throws, so the
/// test fails (it does not skip): run scripts/setup.sh.
///
/// ```swift
/// let peer = try await AlertmanagerPeer.start()
/// // … forward to peer.url …
/// let active = try await peer.alerts()    // GET /api/v2/alerts
/// await peer.stop()
/// ```
final class AlertmanagerPeer: Sendable {
    /// What `GET /api/v2/alerts` returns per alert (the fields the tests use).
    struct GettableAlert: Decodable, Sendable {
        struct Status: Decodable, Sendable { let state: String }
        let labels: [String: String]
        let annotations: [String: String]
        let startsAt: String
        let endsAt: String
        let fingerprint: String
        let status: Status
    }

    static let binary = "/usr/bin/prometheus-alertmanager"

    let port: Int
    let directory: String
    private let process: PeerProcess

    var url: String { "http://127.0.0.1:\(port)" }
    var log: String { process.output }

    private init(port: Int, directory: String, process: PeerProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    static func start(timeout: Duration = .seconds(30)) async throws -> AlertmanagerPeer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw PeerError.missing("\(binary) is missing: run scripts/setup.sh (Debian package prometheus-alertmanager)")
        }
        let dir = try makeScratchDir("alertmanager")
        let config = dir + "/alertmanager.yml"
        try """
        route:
          receiver: "null"
          group_wait: 1s
        receivers:
          - name: "null"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        var lastError = ""
        for _ in 0..<3 {   // the port is picked free then bound by the child: retry on a lost race
            let port = try freeLocalPort()
            let process = try PeerProcess(executable: binary, arguments: [
                "--config.file", config, "--storage.path", dir + "/data",
                "--web.listen-address", "127.0.0.1:\(port)", "--cluster.listen-address=",
            ], logFile: dir + "/alertmanager-\(port).log")
            let peer = AlertmanagerPeer(port: port, directory: dir, process: process)
            let ready = await waitUntil(timeout: timeout, poll: .milliseconds(100)) {
                if !process.isRunning { return true }
                return (try? await peer.get("/-/ready").status) == 200
            }
            if ready, process.isRunning { return peer }
            lastError = process.output
            await process.stop()
        }
        throw PeerError.notReady("prometheus-alertmanager", output: lastError)
    }

    /// `GET /api/v2/alerts` (active, silenced, inhibited and unprocessed; resolved ones are not listed).
    func alerts() async throws -> [GettableAlert] {
        let (status, body) = try await get("/api/v2/alerts")
        guard status == 200 else { throw PeerError.failed("GET /api/v2/alerts: HTTP \(status): \(String(decoding: body, as: UTF8.self))") }
        return try JSONDecoder().decode([GettableAlert].self, from: body)
    }

    func get(_ path: String) async throws -> (status: Int, body: Data) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + path), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return (Int(response.status.code), Data(buffer: body))
    }

    func stop() async { await process.stop() }
}
