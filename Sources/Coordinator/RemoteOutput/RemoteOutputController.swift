import FleetProtocol
import Hummingbird

/// Remote logs and snapshots: the operator's requests and reads (admin), the agents' uploads (node).
struct RemoteOutputController {
    let fleet: Fleet

    func addAdminRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.stationLogs, status: .accepted) { body, _, context in
            try await fleet.requestStationLogs(station: try context.parameters.require("name"), body)
        }
        group.on(Endpoints.nodeLogs, status: .accepted) { body, _, context in
            try await fleet.requestNodeLogs(node: try context.parameters.require("name"), body)
        }
        group.on(Endpoints.snapshotRequest, status: .accepted) { _, _, context in
            try await fleet.requestSnapshot(station: try context.parameters.require("name"))
        }
        group.on(Endpoints.snapshot) { _, _, context in
            try await fleet.snapshot(station: try context.parameters.require("name"))
        }
        group.on(Endpoints.commandLogs) { _, request, context in
            let id = try context.parameters.require("id")
            let cursor = request.uri.queryParameters.get("cursor", as: Int.self) ?? 0
            let wait = request.uri.queryParameters.get("wait", as: Int.self) ?? 0
            guard cursor >= 0 else { throw APIError(.badRequest, code: ErrorCode.badRequest, message: "cursor must be 0 or more") }
            // A follower that went away (Ctrl-C) ends its poll at once: the agent stops within seconds.
            return try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await fleet.logOutput(command: id, cursor: cursor, waitSeconds: wait)
            }
        }
    }

    func addNodeRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.logUpload) { body, _, context in
            try await fleet.uploadLogs(node: try context.authenticatedNode(), command: try context.parameters.require("id"), body)
        }
        group.on(Endpoints.snapshotUpload, status: .noContent) { body, _, context in
            try await fleet.uploadSnapshot(node: try context.authenticatedNode(), command: try context.parameters.require("id"), body)
            return EmptyBody()
        }
    }
}
