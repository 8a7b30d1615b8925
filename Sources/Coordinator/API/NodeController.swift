import FleetProtocol
import Hummingbird

/// Registration (join token) and the agent's own endpoints (node token).
struct NodeController {
    let fleet: Fleet

    /// Routes for the group guarded by `AccessMiddleware(.join, …)`.
    func addJoinRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.register, status: .created) { body, _, _ in
            try await fleet.register(body)
        }
    }

    /// Routes for the group guarded by `AccessMiddleware(.node, …)`.
    func addRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.heartbeat) { body, _, context in
            try await fleet.heartbeat(node: try context.authenticatedNode(), body: body)
        }
        group.on(Endpoints.heartbeatUnchanged) { request, context -> Response in
            let node = try context.authenticatedNode()
            guard let base = request.uri.queryParameters.get("base", as: Int.self),
                  let revision = request.uri.queryParameters.get("revision", as: Int.self) else {
                throw APIError.from(FleetError.badRequest("base and revision are required query parameters (integers)"))
            }
            let ack = try await fleet.heartbeat(node: node, body: .delta(StatusDelta(base: base)))
            if ack.statusBase == base, ack.desiredRevision == revision {
                fleet.metrics.heartbeatsUnchanged.increment()
                return Response(status: .noContent)
            }
            return try HTTPHelpers.json(ack, status: .ok)
        }
        group.on(Endpoints.watch) { _, request, context in
            let node = try context.authenticatedNode()
            let known = request.uri.queryParameters.get("revision", as: Int.self) ?? 0
            let seconds = min(WatchLimits.maxSeconds,
                              max(0, request.uri.queryParameters.get("timeout", as: Int.self) ?? 30))
            // Not cancelled when the client goes away: watching for that would end the
            // connection with the answer (Hummingbird's inbound-close handler does), and an
            // agent on a metered link would pay a new TCP and TLS handshake for every watch.
            // A watch of a departed client ends at its deadline or when the node watches
            // again (superseded, taking nothing).
            return await fleet.watch(node: node, knownRevision: known, timeout: .seconds(seconds))
        }
    }
}
