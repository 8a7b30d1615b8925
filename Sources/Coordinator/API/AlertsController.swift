import FleetProtocol
import Foundation
import Hummingbird

/// The alerting endpoints (admin): alerts, acknowledgements, silences, the outbox.
struct AlertsController {
    let alerting: Alerting

    func addRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.alerts) { _, request, _ in
            let query = request.uri.queryParameters
            var state: AlertView.State?
            if let text = query.get("state") {
                guard let parsed = AlertView.State(rawValue: text) else {
                    throw APIError(.badRequest, code: ErrorCode.badRequest,
                                   message: "unknown state '\(text)': use firing, silenced or resolved")
                }
                state = parsed
            }
            return await alerting.alertViews(state: state, node: query.get("node"), station: query.get("station"))
        }
        group.on(Endpoints.alertAck) { body, _, context in
            try await Self.mapped { try await alerting.acknowledge(try context.parameters.require("id"), body) }
        }
        group.on(Endpoints.silences) { _, request, _ in
            await alerting.silenceViews(includeExpired: request.uri.queryParameters.get("expired") == "true")
        }
        group.on(Endpoints.silenceAdd, status: .created) { body, _, _ in
            try await Self.mapped { try await alerting.addSilence(body) }
        }
        group.on(Endpoints.silenceExpire) { body, _, context in
            try await Self.mapped { try await alerting.expireSilence(try context.parameters.require("id"), by: body.by) }
        }
        group.on(Endpoints.notifications) { _, request, _ in
            let query = request.uri.queryParameters
            let limit = query.get("limit").flatMap(Int.init) ?? 200
            return try await alerting.notificationViews(failedOnly: query.get("failed") == "true", limit: limit)
        }
    }

    /// Runs `body`, turning an `AlertingError` into its HTTP answer.
    static func mapped<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AlertingError {
            switch error {
            case .alertNotFound, .silenceNotFound:
                throw APIError(.notFound, code: ErrorCode.notFound, message: error.description)
            case .ambiguousAlert, .alertNotFiring:
                throw APIError(.conflict, code: ErrorCode.conflict, message: error.description)
            case .badMatcher, .badSilence:
                throw APIError(.badRequest, code: ErrorCode.badRequest, message: error.description)
            case .storeFailed:
                throw APIError(.serviceUnavailable, code: ErrorCode.unavailable, message: error.description, retryAfter: 30)
            }
        }
    }
}
