import FleetProtocol
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The agent's local status endpoint (default `127.0.0.1:8421`): `/healthz` and `/metrics`.
public enum StatusServer {
    /// `/healthz` answers 503 when the reconcile loop has not completed for this long.
    static let staleAfterSeconds = 30.0

    public static func make(agent: NodeAgent, metrics: AgentMetrics, host: String, port: Int, logger: Logger,
                            onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router()
        router.get("/healthz") { _, _ -> Response in
            let age = await agent.reconcileAge()
            let healthy = age.map { $0 < staleAfterSeconds } ?? false
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            let body = healthy ? "ok\n" : "reconcile loop stalled\n"
            return Response(status: healthy ? .ok : .serviceUnavailable, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            metrics.updateRecorders(await agent.recorderStatuses())
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return Application(router: router,
                           configuration: .init(address: .hostname(host, port: port), serverName: "fleet-agent"),
                           onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
                           logger: logger)
    }
}
