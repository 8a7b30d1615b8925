import FleetProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// Checks bearer tokens against the coordinator's secrets and the fleet's node credentials,
/// and (for admin endpoints only) dashboard session cookies.
///
/// 401 for a missing or unknown token or session; 403 for a known token of the wrong kind, a
/// viewer on an endpoint that acts, or a cookie-authenticated request that acts without the
/// session's CSRF token.
struct Authenticator: Sendable {
    let fleet: Fleet
    let secrets: CoordinatorSecrets
    let sessions: SessionStore

    /// The caller's identity (and session, when it came with the cookie) if it may use an
    /// endpoint with `access`; `node` is the `{name}` path parameter.
    func authorize(_ access: EndpointAccess, request: Request,
                   node: String?) async throws -> (CallerIdentity, SessionStore.Session?) {
        if access == .public { return (.anonymous, nil) }
        let method = EndpointMethod(request: request.method)
        if access == .admin, HTTPHelpers.bearerToken(request) == nil,
           let cookie = SessionCookie.value(in: request.headers[.cookie]) {
            return try sessionIdentity(cookie: cookie, method: method, request: request)
        }
        return (try await authorize(access, method: method, request: request, node: node), nil)
    }

    private func sessionIdentity(cookie: String, method: EndpointMethod,
                                 request: Request) throws -> (CallerIdentity, SessionStore.Session?) {
        guard let session = sessions.session(for: cookie) else { throw APIError.sessionEnded }
        if method != .get {
            try Self.checkCSRF(request, session: session)
        }
        switch session.role {
        case .admin: return (.admin, session)
        case .viewer:
            guard EndpointAccess.admin.allowsViewer(method) else { throw APIError.viewerMayOnlyRead }
            return (.viewer, session)
        }
    }

    /// A request made with the session cookie that changes state must carry the session's
    /// CSRF token in `X-CSRF-Token` (a cross-site form cannot set that header or know the value).
    static func checkCSRF(_ request: Request, session: SessionStore.Session) throws {
        guard let field = HTTPField.Name(DashboardNames.csrfHeader), let sent = request.headers[field],
              Tokens.constantTimeEquals(sent, session.csrfToken) else {
            throw APIError.forbidden("missing or wrong CSRF token (\(DashboardNames.csrfHeader) header)")
        }
    }

    private func authorize(_ access: EndpointAccess, method: EndpointMethod, request: Request,
                           node: String?) async throws -> CallerIdentity {
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
            if secrets.isAdmin(token) || secrets.viewers.isViewer(token) {
                throw APIError.forbidden("registration needs the join token")
            }
            if await isNodeToken(token) { throw APIError.forbidden("registration needs the join token") }
            throw APIError.unauthorized
        case .admin:
            if secrets.isAdmin(token) { return .admin }
            if secrets.viewers.isViewer(token) {
                guard access.allowsViewer(method) else { throw APIError.viewerMayOnlyRead }
                return .viewer
            }
            if secrets.isJoin(token) { throw APIError.forbidden("this endpoint needs the admin token") }
            if await isNodeToken(token) { throw APIError.forbidden("this endpoint needs the admin token") }
            throw APIError.unauthorized
        case .node:
            let node = node ?? ""
            switch try await fleet.authorize(nodeToken: token, for: node) {
            case .allowed: return .node(node)
            case .otherNode: throw APIError.forbidden("a node credential may act only for its own node")
            case .invalid:
                if secrets.isAdmin(token) || secrets.isJoin(token) || secrets.viewers.isViewer(token) {
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
        (context.identity, context.session) = try await authenticator.authorize(access, request: request, node: node)
        return try await next(request, context)
    }
}
