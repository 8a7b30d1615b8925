import FleetProtocol
import Hummingbird

/// Who is calling, as established by ``AccessMiddleware`` from the bearer token.
public enum CallerIdentity: Sendable, Equatable {
    /// No check ran: a public endpoint.
    case anonymous
    case join
    case admin
    /// A viewer token or a viewer's dashboard session: reads only.
    case viewer
    /// A node's own credential, checked against the node named in the path.
    case node(String)

    /// Whether this identity may call an endpoint with `access` and `method`.
    func satisfies(_ access: EndpointAccess, method: EndpointMethod) -> Bool {
        switch (access, self) {
        case (.public, _), (.join, .join), (.admin, .admin), (.node, .node): return true
        case (.admin, .viewer): return access.allowsViewer(method)
        default: return false
        }
    }
}

/// The coordinator's request context: Hummingbird's core storage plus the caller's identity.
///
/// ```swift
/// let router = Router(context: CoordinatorRequestContext.self)
/// router.group().add(middleware: AccessMiddleware(.admin, authenticator: authenticator))
///     .get("/v1/whoami") { _, context in "\(context.identity)" }
/// ```
public struct CoordinatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AccessMiddleware``; `.anonymous` on public endpoints.
    public internal(set) var identity: CallerIdentity = .anonymous
    /// The dashboard session the caller authenticated with (its cookie), nil for a bearer token.
    public internal(set) var session: SessionStore.Session?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The authenticated node, on `node` endpoints.
    func authenticatedNode() throws -> String {
        guard case .node(let name) = identity else { throw APIError.accessNotChecked }
        return name
    }
}
