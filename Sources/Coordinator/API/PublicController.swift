import FleetProtocol
import Hummingbird

/// Health, readiness and metrics: no token needed.
struct PublicController {
    let fleet: Fleet
    let metrics: CoordinatorMetrics

    func addRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.healthz) { _, _ in HTTPHelpers.text("ok\n") }
        group.on(Endpoints.readyz) { _, _ in
            if let reason = await fleet.readiness() {
                throw APIError(.serviceUnavailable, code: ErrorCode.unavailable, message: "not ready: \(reason)")
            }
            return HTTPHelpers.text("ready\n")
        }
        group.on(Endpoints.metrics) { _, _ in
            HTTPHelpers.text(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
