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
        group.on(Endpoints.heartbeat) { report, _, context in
            try await fleet.heartbeat(node: try context.authenticatedNode(), report: report)
        }
        group.on(Endpoints.watch) { _, request, context in
            let node = try context.authenticatedNode()
            let known = request.uri.queryParameters.get("revision", as: Int.self) ?? 0
            let seconds = min(30, max(0, request.uri.queryParameters.get("timeout", as: Int.self) ?? 30))
            return try await request.body.consumeWithCancellationOnInboundClose { _ in
                await fleet.watch(node: node, knownRevision: known, timeout: .seconds(seconds))
            }
        }
    }
}
