import FleetProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard: its page and assets (public, no data in them), sign-in and sign-out
/// (public: they check the token or the cookie themselves), and for signed-in callers the
/// session, the event stream and viewer-token creation.
struct DashboardController {
    let fleet: Fleet
    let secrets: CoordinatorSecrets
    let sessions: SessionStore
    /// Mark cookies `Secure` (the coordinator serves TLS).
    let secureCookies: Bool

    func addPublicRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.dashboard) { _, _ in try DashboardAssets.response(for: "index.html") }
        group.on(Endpoints.dashboardAsset) { _, context in
            try DashboardAssets.response(for: try context.parameters.require("file"))
        }
        group.on(Endpoints.sessionCreate) { request, _ in try await signIn(request) }
        group.on(Endpoints.sessionEnd) { request, _ in try signOut(request) }
    }

    func addSignedInRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.session) { _, _, context in
            guard let session = context.session else {
                return SessionView(role: context.identity == .admin ? .admin : .viewer, csrfToken: nil, expiresAt: nil)
            }
            return SessionView(role: session.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt)
        }
        group.on(Endpoints.viewerTokenCreate, status: .created) { body, _, _ in
            try secrets.viewers.create(name: body.name ?? "viewer")
        }
        group.on(Endpoints.events) { request, context in
            DashboardEvents(fleet: fleet, sessions: sessions,
                            cookie: context.session == nil ? nil : SessionCookie.value(in: request.headers[.cookie]),
                            lifetime: .seconds(try eventsLifetime(request)))
                .response()
        }
    }

    /// `timeout=SECONDS` (0…600, default 300): how long the stream stays open.
    private func eventsLifetime(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("timeout") else { return 300 }
        guard let seconds = Int(text), (0...600).contains(seconds) else {
            throw APIError(.badRequest, code: ErrorCode.badRequest, message: "query timeout must be 0…600 seconds")
        }
        return seconds
    }

    private func signIn(_ request: Request) async throws -> Response {
        // A cross-site HTML form cannot send application/json (that needs a CORS preflight,
        // which is never granted): no login CSRF with a form posting someone else's token.
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw APIError(.unsupportedMediaType, code: ErrorCode.badRequest, message: "sign-in needs Content-Type: application/json")
        }
        let body = try await HTTPHelpers.decode(SessionRequest.self, from: request, limit: 4096)
        let token = body.token.trimmingCharacters(in: .whitespacesAndNewlines)
        let role: SessionRole
        if secrets.isAdmin(token) {
            role = .admin
        } else if secrets.viewers.isViewer(token) {
            role = .viewer
        } else {
            // Never echo the token back, not even in the error.
            throw APIError(.unauthorized, code: ErrorCode.unauthorized, message: "unknown token: give the admin token or a viewer token")
        }
        let (id, session) = sessions.create(role: role)
        var response = try HTTPHelpers.json(SessionView(role: role, csrfToken: session.csrfToken, expiresAt: session.expiresAt))
        response.headers[.setCookie] = SessionCookie.set(id, maxAge: sessions.lifetime, secure: secureCookies)
        response.headers.append(HTTPField(name: .setCookie, value: SessionCookie.hint(maxAge: sessions.lifetime, secure: secureCookies)))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func signOut(_ request: Request) throws -> Response {
        if let cookie = SessionCookie.value(in: request.headers[.cookie]), let session = sessions.session(for: cookie) {
            try Authenticator.checkCSRF(request, session: session)
            sessions.end(cookie)
        }
        var response = HTTPHelpers.text("", status: .noContent)
        response.headers[.setCookie] = SessionCookie.clear(secure: secureCookies)
        response.headers.append(HTTPField(name: .setCookie, value: SessionCookie.hint(maxAge: 0, secure: secureCookies)))
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
