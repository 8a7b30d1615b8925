import FleetProtocol
import Hummingbird

/// Who is calling, as established by ``AccessMiddleware`` from the bearer token.
public enum CallerIdentity: Sendable, Equatable {
    /// No check ran: a public endpoint.
    case anonymous
    case join
    case admin
    /// A node's own credential, checked against the node named in the path.
    case node(String)

    /// Whether this identity is what `access` asks for.
    func satisfies(_ access: EndpointAccess) -> Bool {
        switch (access, self) {
        case (.public, _), (.join, .join), (.admin, .admin), (.node, .node): return true
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

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The authenticated node, on `node` endpoints.
    func authenticatedNode() throws -> String {
        guard case .node(let name) = identity else { throw APIError.accessNotChecked }
        return name
    }
}
