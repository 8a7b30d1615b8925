import FleetProtocol
import Hummingbird
import Logging

/// Builds the coordinator's router from the endpoint catalogue: one route group per kind of
/// access, each guarded by an ``AccessMiddleware``.
///
/// ```swift
/// let router = APIRouter(fleet: fleet, store: store, secrets: secrets, metrics: metrics, alerting: alerting,
///                        agentBuilds: agentBuilds, leadership: leadership).build()
/// let responder = EnvelopeResponder(inner: router.buildResponder(), metrics: metrics, logger: logger)
/// ```
struct APIRouter {
    let fleet: Fleet
    let store: any FleetStore
    let secrets: CoordinatorSecrets
    let metrics: CoordinatorMetrics
    let alerting: Alerting
    let agentBuilds: AgentBuildStore
    let leadership: Leadership
    /// The dashboard's sessions (in memory).
    var sessions = SessionStore()
    /// Session cookies carry `Secure` (the coordinator serves TLS).
    var secureCookies = false

    func build() -> Router<CoordinatorRequestContext> {
        let router = Router(context: CoordinatorRequestContext.self)
        let authenticator = Authenticator(fleet: fleet, secrets: secrets, sessions: sessions)
        PublicController(fleet: fleet, metrics: metrics).addRoutes(to: router.group())
        let dashboard = DashboardController(fleet: fleet, secrets: secrets, sessions: sessions, secureCookies: secureCookies)
        dashboard.addPublicRoutes(to: router.group())
        let nodes = NodeController(fleet: fleet)
        nodes.addJoinRoutes(to: router.group().add(middleware: AccessMiddleware(.join, authenticator: authenticator)))
        let nodeGroup = router.group().add(middleware: AccessMiddleware(.node, authenticator: authenticator))
        nodes.addRoutes(to: nodeGroup)
        let builds = AgentBuildsController(fleet: fleet, store: agentBuilds)
        builds.addNodeRoutes(to: nodeGroup)
        let remote = RemoteOutputController(fleet: fleet)
        remote.addNodeRoutes(to: nodeGroup)
        let admin = router.group().add(middleware: AccessMiddleware(.admin, authenticator: authenticator))
        AdminController(fleet: fleet, secrets: secrets).addRoutes(to: admin)
        AlertsController(alerting: alerting).addRoutes(to: admin)
        AlertRoutesController(fleet: fleet).addRoutes(to: admin)
        builds.addAdminRoutes(to: admin)
        remote.addAdminRoutes(to: admin)
        dashboard.addSignedInRoutes(to: admin)
        admin.on(Endpoints.coordinators) { _, _, _ in try await leadership.coordinatorViews() }
        return router
    }
}
