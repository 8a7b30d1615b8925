import FleetProtocol
import Foundation
import Hummingbird

/// `GET /v1/alerts/routes` and `POST /v1/alerts/routes/test`, on the applied alerts config.
struct AlertRoutesController {
    let fleet: Fleet

    func addRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.alertRoutes) { _, _, _ in
            let applied = await fleet.appliedAlertsWithRevision()
            return AlertRouteTreeView(revision: applied.revision, root: applied.alerts?.route?.treeView())
        }
        group.on(Endpoints.alertRoutesTest) { body, _, _ in
            for name in body.labels.keys where !LabelMatcher.isValidLabelName(name) {
                throw APIError(.badRequest, code: ErrorCode.badRequest,
                               message: "bad label name '\(name)': use letters, digits and '_', not starting with a digit")
            }
            guard let route = await fleet.appliedAlerts()?.route else {
                throw APIError(.notFound, code: ErrorCode.notFound,
                               message: "no alert route is applied: add alerts.route to the inventory")
            }
            return route.matchingRoutes(for: body.labels).map(\.result)
        }
    }
}
