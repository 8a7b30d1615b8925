import FleetProtocol
import Foundation
import Hummingbird
import Logging

/// The coordinator's HTTP API. Each handler authenticates, decodes, calls `Fleet`, encodes.
struct Routes {
    let fleet: Fleet
    let store: any FleetStore
    let secrets: CoordinatorSecrets
    let metrics: CoordinatorMetrics
    let logger: Logger

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in HTTPHelpers.text("ok\n") }
        router.get("/readyz") { _, _ in
            do {
                try await store.ping()
                return HTTPHelpers.text("ready\n")
            } catch {
                throw APIError(.serviceUnavailable, code: ErrorCode.unavailable, message: "store unreachable: \(error)")
            }
        }
        router.get("/metrics") { _, _ in
            HTTPHelpers.text(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        registerNodeRoutes(router)
        registerAdminRoutes(router)
    }

    // MARK: Join and node tokens

    private func registerNodeRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/v1/register") { request, _ -> Response in
            guard let token = HTTPHelpers.bearerToken(request) else { throw APIError.unauthorized }
            guard secrets.isJoin(token) else {
                let known = await isNodeToken(token)
                if secrets.isAdmin(token) || known {
                    throw APIError(.forbidden, code: ErrorCode.forbidden, message: "registration needs the join token")
                }
                throw APIError.unauthorized
            }
            let body = try await HTTPHelpers.decode(RegistrationRequest.self, from: request)
            return try HTTPHelpers.json(try await fleet.register(body), status: .created)
        }
        router.post("/v1/nodes/:name/heartbeat") { request, context -> Response in
            let node = try await authorizeNode(request, context)
            let report = try await HTTPHelpers.decode(StatusReport.self, from: request)
            return try HTTPHelpers.json(try await fleet.heartbeat(node: node, report: report))
        }
        router.get("/v1/nodes/:name/watch") { request, context -> Response in
            let node = try await authorizeNode(request, context)
            let known = request.uri.queryParameters.get("revision", as: Int.self) ?? 0
            let seconds = min(30, max(0, request.uri.queryParameters.get("timeout", as: Int.self) ?? 30))
            let answer = try await request.body.consumeWithCancellationOnInboundClose { _ in
                await fleet.watch(node: node, knownRevision: known, timeout: .seconds(seconds))
            }
            return try HTTPHelpers.json(answer)
        }
    }

    private func isNodeToken(_ token: String) async -> Bool {
        await fleet.authorize(nodeToken: token, for: "") != .invalid
    }

    private func authorizeNode(_ request: Request, _ context: BasicRequestContext) async throws -> String {
        let node = try context.parameters.require("name")
        guard let token = HTTPHelpers.bearerToken(request) else { throw APIError.unauthorized }
        switch await fleet.authorize(nodeToken: token, for: node) {
        case .allowed: return node
        case .otherNode:
            throw APIError(.forbidden, code: ErrorCode.forbidden, message: "a node credential may act only for its own node")
        case .invalid:
            if secrets.isAdmin(token) || secrets.isJoin(token) {
                throw APIError(.forbidden, code: ErrorCode.forbidden, message: "this endpoint needs the node's own credential")
            }
            throw APIError.unauthorized
        }
    }

    // MARK: Admin token

    private func requireAdmin(_ request: Request) async throws {
        guard let token = HTTPHelpers.bearerToken(request) else { throw APIError.unauthorized }
        guard secrets.isAdmin(token) else {
            let known = await isNodeToken(token)
            if secrets.isJoin(token) || known {
                throw APIError(.forbidden, code: ErrorCode.forbidden, message: "this endpoint needs the admin token")
            }
            throw APIError.unauthorized
        }
    }

    private func registerAdminRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/v1/apply") { request, _ -> Response in
            try await requireAdmin(request)
            let body = try await HTTPHelpers.decode(ApplyRequest.self, from: request)
            return try HTTPHelpers.json(try await fleet.apply(body))
        }
        router.get("/v1/nodes") { request, _ -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(await fleet.nodeViews())
        }
        router.get("/v1/nodes/:name") { request, context -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(try await fleet.nodeDetail(try context.parameters.require("name")))
        }
        router.post("/v1/nodes/:name/reset") { request, context -> Response in
            try await requireAdmin(request)
            try await fleet.resetNode(try context.parameters.require("name"))
            return HTTPHelpers.text("", status: .noContent)
        }
        router.get("/v1/stations") { request, _ -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(await fleet.stationViews())
        }
        router.get("/v1/stations/:name") { request, context -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(try await fleet.stationDetail(try context.parameters.require("name")))
        }
        router.post("/v1/stations/:name/restart") { request, context -> Response in
            try await requireAdmin(request)
            let command = try await fleet.restartRecorder(station: try context.parameters.require("name"))
            return try HTTPHelpers.json(CommandsResponse(commands: [command]), status: .accepted)
        }
        router.get("/v1/stations/:name/recordings") { request, context -> Response in
            try await requireAdmin(request)
            let view = try await fleet.recordings(station: try context.parameters.require("name"),
                                                  from: try HTTPHelpers.date(request, "from"),
                                                  to: try HTTPHelpers.date(request, "to"))
            return try HTTPHelpers.json(view)
        }
        router.get("/v1/sites") { request, _ -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(await fleet.siteViews())
        }
        router.get("/v1/sites/:name") { request, context -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(try await fleet.site(try context.parameters.require("name")))
        }
        router.get("/v1/assignments") { request, _ -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(await fleet.assignmentViews())
        }
        router.get("/v1/assignments/:node") { request, context -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(try await fleet.assignment(node: try context.parameters.require("node")))
        }
        router.post("/v1/jobs/:kind/:name/run") { request, context -> Response in
            try await requireAdmin(request)
            let kind: Command.Kind
            switch try context.parameters.require("kind") {
            case "archive": kind = .runArchive
            case "backup": kind = .runBackup
            case let other:
                throw APIError(.badRequest, code: ErrorCode.badRequest, message: "unknown job kind \(other): use archive or backup")
            }
            let commands = try await fleet.runJob(kind: kind, name: try context.parameters.require("name"),
                                                  node: request.uri.queryParameters.get("node"))
            return try HTTPHelpers.json(CommandsResponse(commands: commands), status: .accepted)
        }
        router.get("/v1/commands/:id") { request, context -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(try await fleet.command(id: try context.parameters.require("id")))
        }
        router.get("/v1/revisions") { request, _ -> Response in
            try await requireAdmin(request)
            return try HTTPHelpers.json(try await fleet.history())
        }
    }
}
