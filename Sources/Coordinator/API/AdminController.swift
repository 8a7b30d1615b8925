import FleetProtocol
import Foundation
import Hummingbird

/// The operator's endpoints, for the group guarded by `AccessMiddleware(.admin, …)`.
struct AdminController {
    let fleet: Fleet
    let secrets: CoordinatorSecrets

    func addRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.apply) { body, _, _ in
            try await fleet.apply(body)
        }
        group.on(Endpoints.nodes) { _, _, _ in await fleet.nodeViews() }
        group.on(Endpoints.node) { _, _, context in
            try await fleet.nodeDetail(try context.parameters.require("name"))
        }
        group.on(Endpoints.nodeReset, status: .noContent) { _, _, context in
            try await fleet.resetNode(try context.parameters.require("name"))
            return EmptyBody()
        }
        group.on(Endpoints.nodeDelete, status: .noContent) { _, _, context in
            try await fleet.deleteNode(try context.parameters.require("name"))
            return EmptyBody()
        }
        group.on(Endpoints.joinTokenRotate, status: .created) { body, _, _ in
            if let seconds = body.validForSeconds, !(60...(366 * 24 * 3600)).contains(seconds) {
                throw APIError(.badRequest, code: ErrorCode.badRequest,
                               message: "validForSeconds \(seconds) is outside 60…31622400 (one minute to a year)")
            }
            let rotated = try await fleet.rotateJoinToken(secrets, validFor: body.validForSeconds.map(TimeInterval.init))
            return RotatedJoinToken(token: rotated.token, path: rotated.path, expiresAt: rotated.expiresAt)
        }
        group.on(Endpoints.stations) { _, _, _ in await fleet.stationViews() }
        group.on(Endpoints.station) { _, _, context in
            try await fleet.stationDetail(try context.parameters.require("name"))
        }
        group.on(Endpoints.stationRestart, status: .accepted) { _, _, context in
            CommandsResponse(commands: [try await fleet.restartRecorder(station: try context.parameters.require("name"))])
        }
        group.on(Endpoints.recordings) { _, request, context in
            try await fleet.recordings(station: try context.parameters.require("name"),
                                       from: try HTTPHelpers.date(request, "from"), to: try HTTPHelpers.date(request, "to"))
        }
        group.on(Endpoints.coverage) { _, request, _ in
            try await fleet.coverage(from: try HTTPHelpers.date(request, "from"), to: try HTTPHelpers.date(request, "to"))
        }
        group.on(Endpoints.sites) { _, _, _ in await fleet.siteViews() }
        group.on(Endpoints.site) { _, _, context in try await fleet.site(try context.parameters.require("name")) }
        group.on(Endpoints.assignments) { _, _, _ in await fleet.assignmentViews() }
        group.on(Endpoints.assignment) { _, _, context in
            try await fleet.assignment(node: try context.parameters.require("node"))
        }
        group.on(Endpoints.jobRun, status: .accepted) { _, request, context in
            let kind: Command.Kind
            switch try context.parameters.require("kind") {
            case "archive": kind = .runArchive
            case "backup": kind = .runBackup
            case let other:
                throw APIError(.badRequest, code: ErrorCode.badRequest, message: "unknown job kind \(other): use archive or backup")
            }
            return CommandsResponse(commands: try await fleet.runJob(kind: kind, name: try context.parameters.require("name"),
                                                                     node: request.uri.queryParameters.get("node")))
        }
        group.on(Endpoints.command) { _, _, context in
            try await fleet.command(id: try context.parameters.require("id"))
        }
        group.on(Endpoints.revisions) { _, _, _ in
            try await fleet.history()
        }
        group.on(Endpoints.revision) { _, _, context in
            try await fleet.revision(try Self.revisionNumber(context))
        }
        group.on(Endpoints.revisionDiff) { body, _, context in
            try await fleet.diffRevisions(from: try Self.revisionNumber(context), body)
        }
        group.on(Endpoints.revisionReapply) { body, _, context in
            try await fleet.reapply(revision: try Self.revisionNumber(context), body)
        }
        group.on(Endpoints.rollout) { _, _, _ in
            RolloutStatusResponse(rollout: await fleet.rolloutStatus())
        }
        group.on(Endpoints.rolloutControl) { _, _, context in
            let text = try context.parameters.require("action")
            guard let action = RolloutAction(rawValue: text) else {
                throw APIError(.badRequest, code: ErrorCode.badRequest,
                               message: "unknown rollout action '\(text)': use pause, resume, promote or abort")
            }
            return try await fleet.controlRollout(action)
        }
    }

    /// The `{rev}` path parameter as a revision number; anything else is a 400.
    static func revisionNumber(_ context: CoordinatorRequestContext) throws -> Int {
        let text = try context.parameters.require("rev")
        guard let number = Int(text), number >= 0 else {
            throw APIError(.badRequest, code: ErrorCode.badRequest, message: "bad revision '\(text)': use a number like 3")
        }
        return number
    }
}
