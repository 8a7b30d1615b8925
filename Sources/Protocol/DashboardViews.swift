import FoundationEssentials

/// The roles a dashboard session or a bearer token can have.
public enum SessionRole: String, Codable, Sendable, Hashable, CaseIterable {
    /// May call every endpoint the admin token may.
    case admin
    /// May read (every admin `GET`) and act on nothing; see ``EndpointAccess/allowsViewer(_:)``.
    case viewer
}

/// `POST /v1/session`: the admin token or a viewer token, in the body (never in a URL).
public struct SessionRequest: Codable, Sendable, Equatable {
    public var token: String

    public init(token: String) {
        self.token = token
    }
}

/// The caller's dashboard session. The session id itself travels only in the HttpOnly
/// cookie; `csrfToken` goes back in the `X-CSRF-Token` header of every state-changing request.
public struct SessionView: Codable, Sendable, Equatable {
    public var role: SessionRole
    /// Nil when the caller used a bearer token rather than a session cookie.
    public var csrfToken: String?
    public var expiresAt: Date?

    public init(role: SessionRole, csrfToken: String?, expiresAt: Date?) {
        self.role = role
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
    }
}

/// `POST /v1/tokens/viewer`: a name for the new read-only token (who or what uses it).
public struct ViewerTokenRequest: Codable, Sendable, Equatable {
    public var name: String?

    public init(name: String? = nil) {
        self.name = name
    }
}

/// A new viewer token, shown once; the coordinator keeps only its hash.
public struct CreatedViewerToken: Codable, Sendable, Equatable {
    public var token: String
    public var name: String
    public var role: SessionRole
    public var createdAt: Date

    public init(token: String, name: String, role: SessionRole, createdAt: Date) {
        self.token = token
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }
}

/// The names of the dashboard's cookie and CSRF header.
public enum DashboardNames {
    public static let sessionCookie = "sf_session"
    public static let csrfHeader = "X-CSRF-Token"
    /// Not secret and readable by the page: "a session cookie was set and may still be valid".
    public static let signedInCookie = "sf_signed_in"
}

extension Endpoints {
    /// The dashboard page (HTML; holds no data and no token).
    public static let dashboard = Endpoint<EmptyBody, PlainText>(
        .get, "/", access: .public, summary: "the fleet dashboard (HTML)")
    /// The dashboard's script and style sheet, embedded in the coordinator.
    public static let dashboardAsset = Endpoint<EmptyBody, PlainText>(
        .get, "/ui/{file}", access: .public, summary: "the dashboard's static script and style sheet")
    /// Exchanges the admin or a viewer token for an HttpOnly session cookie (200).
    public static let sessionCreate = Endpoint<SessionRequest, SessionView>(
        .post, "/v1/session", access: .public, summary: "sign in: token in the body, session cookie back")
    /// The caller's session: role, CSRF token and expiry.
    public static let session = Endpoint<EmptyBody, SessionView>(
        .get, "/v1/session", access: .admin, summary: "the current session's role, CSRF token and expiry")
    /// Ends the cookie's session on the server (204); needs the session's CSRF token.
    public static let sessionEnd = Endpoint<EmptyBody, EmptyBody>(
        .post, "/v1/session/end", access: .public, summary: "sign out: the session stops working at once (204)")
    /// Server-sent events: one `change` event (kinds of change, coalesced over 0.5 s) when the
    /// fleet's observed state changes, a `ping` event every 5 s otherwise. Query `timeout=SECONDS`
    /// (0…600, default 300): the stream then ends and EventSource reconnects.
    public static let events = Endpoint<EmptyBody, PlainText>(
        .get, "/v1/events", access: .admin, query: ["timeout"], summary: "server-sent events: what kind of fleet state changed")
    /// Creates a read-only token (201), shown once.
    public static let viewerTokenCreate = Endpoint<ViewerTokenRequest, CreatedViewerToken>(
        .post, "/v1/tokens/viewer", access: .admin, summary: "create a read-only viewer token (201)")

    /// The dashboard's endpoints, part of ``all``.
    static let dashboardEndpoints: [EndpointDescription] = [
        dashboard.info, dashboardAsset.info, sessionCreate.info, session.info, sessionEnd.info, events.info,
        viewerTokenCreate.info,
    ]
}
