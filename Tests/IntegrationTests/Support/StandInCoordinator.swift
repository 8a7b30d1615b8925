import FleetProtocol
import Foundation
import Hummingbird
import Logging
import Synchronization

/// A minimal coordinator in the test process: register, watch, heartbeat, and the agent-build
/// download (`Range: bytes=N-` → 206, streamed from a file). It stands in for the real
/// coordinator only until the coordinator's agent-build endpoints land (built in parallel);
/// it follows the wire contract in Sources/Protocol (Endpoints, AgentBuild).
final class StandInCoordinator: Sendable {
    let buildFile: String
    let assignment: Assignment
    let reports = Mutex<[StatusReport]>([])
    let downloads = Mutex<[String?]>([])  // Range header of each download request
    let token = "sfn_standin_\(UUID().uuidString.prefix(8))"
    private let port = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    var url: String { "http://127.0.0.1:\(port.withLock { $0 } ?? 0)" }

    init(assignment: Assignment, buildFile: String) async throws {
        self.assignment = assignment
        self.buildFile = buildFile
        let router = Router()
        router.post("/v1/register") { [self] request, _ -> Response in
            let registration = try WireCoding.decoder().decode(RegistrationRequest.self,
                                                               from: Data(buffer: try await request.body.collect(upTo: 1 << 20)))
            return json(RegistrationResponse(name: registration.name, nodeToken: token, heartbeatSeconds: 1))
        }
        router.get("/v1/nodes/:name/watch") { [self] request, _ -> Response in
            let known = request.uri.queryParameters.get("revision").flatMap { Int($0) } ?? 0
            if known >= assignment.revision { try await Task.sleep(for: .seconds(1)) }  // a short long-poll
            return json(WatchResponse(assignment: known < assignment.revision ? assignment : nil, commands: []))
        }
        router.post("/v1/nodes/:name/heartbeat") { [self] request, _ -> Response in
            let report = try WireCoding.decoder().decode(StatusReport.self,
                                                         from: Data(buffer: try await request.body.collect(upTo: 16 << 20)))
            reports.withLock { $0.append(report) }
            return json(StatusAck(heartbeatSeconds: 1, desiredRevision: assignment.revision))
        }
        router.get("/v1/nodes/:name/agent-build/:version/:arch") { [self] request, _ -> Response in
            guard request.headers[.authorization] == "Bearer \(token)" else { return Response(status: .unauthorized) }
            let range = request.headers[.range]
            downloads.withLock { $0.append(range) }
            let size = (try FileManager.default.attributesOfItem(atPath: buildFile)[.size] as? NSNumber)?.intValue ?? 0
            var start = 0
            if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let from = Int(range.dropFirst(6).dropLast()) {
                start = from
            }
            var headers = HTTPFields()
            if start > 0 { headers[.contentRange] = "bytes \(start)-\(size - 1)/\(size)" }
            let file = buildFile, offset = start
            return Response(status: start > 0 ? .partialContent : .ok, headers: headers,
                            body: ResponseBody(contentLength: size - start) { writer in
                                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
                                defer { try? handle.close() }
                                try handle.seek(toOffset: UInt64(offset))
                                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                                    try await writer.write(ByteBuffer(bytes: chunk))
                                }
                                try await writer.finish(nil)
                            })
        }
        var logger = Logger(label: "stand-in-coordinator")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { [self] channel in self.port.withLock { $0 = channel.localAddress?.port } },
                              logger: logger)
        task.withLock { $0 = Task { try await app.runService() } }
        let listening = await waitUntil(timeout: .seconds(10)) { self.port.withLock { $0 } != nil }
        guard listening else { throw HarnessError.notReady("stand-in coordinator", output: "") }
    }

    func stop() { task.withLock { $0?.cancel() } }

    private func json<T: Encodable>(_ value: T) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? WireCoding.encode(value)) ?? Data()
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
