import FleetProtocol
import Foundation
import Hummingbird

/// Checks bearer tokens against the coordinator's secrets and the fleet's node credentials.
///
/// 401 for a missing or unknown token; 403 for a known token of the wrong kind.
struct Authenticator: Sendable {
    let fleet: Fleet
    let secrets: CoordinatorSecrets

    /// The caller's identity if it may use an endpoint with `access`; `node` is the `{name}` path parameter.
    func authorize(_ access: EndpointAccess, request: Request, node: String?) async throws -> CallerIdentity {
        if access == .public { return .anonymous }
        guard let token = HTTPHelpers.bearerToken(request) else { throw APIError.unauthorized }
        switch access {
        case .public:
            return .anonymous
        case .join:
            if secrets.isJoin(token) { return .join }
            if let expiry = secrets.joinExpiry(ifExpired: token) {
                throw APIError(.unauthorized, code: ErrorCode.unauthorized,
                               message: "the join token expired at \(expiry.formatted(.iso8601)); ask the operator for the current one (`fleetctl token rotate join`)")
            }
            if secrets.isAdmin(token) { throw APIError.forbidden("registration needs the join token") }
            if await isNodeToken(token) { throw APIError.forbidden("registration needs the join token") }
            throw APIError.unauthorized
        case .admin:
            if secrets.isAdmin(token) { return .admin }
            if secrets.isJoin(token) { throw APIError.forbidden("this endpoint needs the admin token") }
            if await isNodeToken(token) { throw APIError.forbidden("this endpoint needs the admin token") }
            throw APIError.unauthorized
        case .node:
            let node = node ?? ""
            switch try await fleet.authorize(nodeToken: token, for: node) {
            case .allowed: return .node(node)
            case .otherNode: throw APIError.forbidden("a node credential may act only for its own node")
            case .invalid:
                if secrets.isAdmin(token) || secrets.isJoin(token) {
                    throw APIError.forbidden("this endpoint needs the node's own credential")
                }
                throw APIError.unauthorized
            }
        }
    }

    /// Only picks the message for a token of the wrong kind: a failed or refused lookup
    /// counts as no node token (401).
    private func isNodeToken(_ token: String) async -> Bool {
        let authorization = try? await fleet.authorize(nodeToken: token, for: "")
        return authorization.map { $0 != .invalid } ?? false
    }
}

/// Authenticates every request of a route group for one kind of ``EndpointAccess`` and
/// records the caller in ``CoordinatorRequestContext/identity``.
///
/// Group middleware runs after routing, so path parameters (the node's `{name}`) are known.
///
/// ```swift
/// let admin = router.group().add(middleware: AccessMiddleware(.admin, authenticator: authenticator))
/// AdminController(fleet: fleet).addRoutes(to: admin)
/// ```
struct AccessMiddleware: RouterMiddleware {
    typealias Context = CoordinatorRequestContext
    let access: EndpointAccess
    let authenticator: Authenticator

    init(_ access: EndpointAccess, authenticator: Authenticator) {
        self.access = access
        self.authenticator = authenticator
    }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let node = access == .node ? try context.parameters.require("name") : nil
        context.identity = try await authenticator.authorize(access, request: request, node: node)
        return try await next(request, context)
    }
}
