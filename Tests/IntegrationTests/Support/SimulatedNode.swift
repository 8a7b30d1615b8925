import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore

/// A node reporting like an agent does, from the test process: each heartbeat carries what
/// its outbox holds; a 2xx answer acknowledges it (the items leave the outbox), any other
/// answer keeps it for the next heartbeat. Remembers every answer, so a test can check that
/// what the coordinator answered 2xx was stored.
actor SimulatedNode {
    struct Answer {
        var status: Int
        var sentAt: Date
        var elapsed: Duration
    }

    let name: String
    let coordinator: String
    private var token = ""
    /// Whether each heartbeat adds a new event (an agent with something to report).
    let reportsEvents: Bool
    private(set) var outbox: [AgentEvent] = []
    private(set) var acknowledgedEvents: Set<String> = []
    private(set) var answers: [Answer] = []
    private var stopped = false

    init(name: String, coordinator: String, reportsEvents: Bool) {
        self.name = name
        self.coordinator = coordinator
        self.reportsEvents = reportsEvents
    }

    func register(joinToken: String) async throws {
        let body = try WireCoding.encode(RegistrationRequest(name: name, agentVersion: FleetVersion.current))
        let (status, data) = await Self.post(coordinator + "/v1/register", token: joinToken, body: body)
        guard status == 201 else {
            throw HarnessError.http("registering \(name) answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
        token = try WireCoding.decode(RegistrationResponse.self, from: data).nodeToken
    }

    /// One heartbeat; returns its answer's status (0: no answer).
    @discardableResult
    func heartbeat() async -> Int {
        if reportsEvents {
            outbox.append(AgentEvent(kind: "test.tick", message: "tick \(answers.count) of \(name)"))
        }
        let carried = outbox
        let report = StatusReport(agentVersion: FleetVersion.current, uptimeSeconds: 1, appliedRevision: 0, events: carried)
        let sentAt = Date()
        let start = ContinuousClock.now
        let body = (try? WireCoding.encode(report)) ?? Data()
        let (status, _) = await Self.post(coordinator + "/v1/nodes/\(name)/heartbeat", token: token, body: body)
        answers.append(Answer(status: status, sentAt: sentAt, elapsed: ContinuousClock.now - start))
        if (200..<300).contains(status) {
            let sent = Set(carried.map(\.id))
            acknowledgedEvents.formUnion(sent)
            outbox.removeAll { sent.contains($0.id) }
        }
        return status
    }

    /// Heartbeats every `interval` until `stop()`.
    nonisolated func run(every interval: Duration) async {
        while await !isStopped && !Task.isCancelled {
            await heartbeat()
            // Pacing, not synchronisation: the next heartbeat is due after the interval or at stop.
            await waitUntil(timeout: interval) { await self.isStopped }
        }
    }

    var isStopped: Bool { stopped }
    func stop() { stopped = true }

    func answers(since date: Date) -> [Answer] { answers.filter { $0.sentAt >= date } }

    static func post(_ url: String, token: String, body: Data) async -> (Int, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(30)),
              let bytes = try? await response.body.collect(upTo: 1 << 20) else { return (0, Data()) }
        return (Int(response.status.code), Data(bytes.readableBytesView))
    }

    static func get(_ url: String) async -> (Int, String) {
        let request = HTTPClientRequest(url: url)
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(30)),
              let bytes = try? await response.body.collect(upTo: 1 << 20) else { return (0, "") }
        return (Int(response.status.code), String(buffer: bytes))
    }
}
