import FleetProtocol
import Foundation
import Hummingbird

/// One server-sent-events stream for one open page, fed by `Fleet.changes` (no polling of
/// fleet state): changes are coalesced for at most half a second into one `change` event
/// naming their kinds; the page then re-reads the JSON API it already uses. A comment line
/// every 5 s lets the page notice a lost coordinator. The stream ends when the session
/// is signed out or expires, or the coordinator shuts down.
struct DashboardEvents {
    let fleet: Fleet
    let sessions: SessionStore
    /// The session cookie the stream was opened with (nil for a bearer token).
    let cookie: String?
    /// The stream ends after this long; the browser's EventSource reconnects on its own.
    var lifetime: Duration = .seconds(300)

    static let tick: Duration = .milliseconds(500)
    static let ticksPerPing = 10

    /// The kind of change the page cares about, by name.
    static func kind(_ change: FleetChange) -> String {
        switch change {
        case .nodeReported, .nodeTransition: return "nodes"
        case .stationState: return "stations"
        case .events: return "events"
        case .segments: return "recordings"
        case .jobRuns: return "jobs"
        case .command: return "commands"
        case .revision: return "revision"
        case .rollout: return "rollout"
        }
    }

    enum Item: Sendable {
        case change(String)
        case tick
    }

    /// The merged stream of change kinds and ticks; its tasks end when the consumer stops.
    func items() -> AsyncStream<Item> {
        let changes = fleet.changes.subscribe(buffer: 1024)
        let (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingNewest(4096))
        let forward = Task {
            for await change in changes { continuation.yield(.change(Self.kind(change))) }
            continuation.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.tick)
                continuation.yield(.tick)
            }
        }
        continuation.onTermination = { _ in
            forward.cancel()
            ticker.cancel()
        }
        return stream
    }

    func response() -> Response {
        let items = items()
        let lifetime = lifetime
        let body = ResponseBody { writer in
            let clock = ContinuousClock()
            let ends = clock.now.advanced(by: lifetime)
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            var pending = Set<String>()
            var quietTicks = 0
            loop: for await item in items {
                switch item {
                case .change(let kind):
                    pending.insert(kind)
                case .tick:
                    if await fleet.isDraining { break loop }
                    if let cookie, sessions.session(for: cookie) == nil { break loop }
                    if !pending.isEmpty {
                        let data = #"{"kinds":[\#(pending.sorted().map { "\"\($0)\"" }.joined(separator: ","))]}"#
                        try await writer.write(ByteBuffer(string: "event: change\ndata: \(data)\n\n"))
                        pending.removeAll()
                        quietTicks = 0
                    } else {
                        quietTicks += 1
                        if quietTicks >= Self.ticksPerPing {
                            try await writer.write(ByteBuffer(string: "event: ping\ndata: 1\n\n"))
                            quietTicks = 0
                        }
                    }
                    if clock.now >= ends { break loop }
                }
            }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: body)
    }
}
