import FleetProtocol
import Foundation
import Synchronization

/// The dashboard's sessions, in memory: a random session id (sent only as an HttpOnly
/// cookie, kept here only as its SHA-256) maps to a role, a CSRF token and an expiry.
/// Signing out removes the entry, so the cookie stops working at once; a restart of the
/// coordinator signs everyone out.
///
/// ```swift
/// let sessions = SessionStore(lifetime: 12 * 3600)
/// let (id, session) = sessions.create(role: .viewer)
/// sessions.session(for: id)?.role   // .viewer
/// sessions.end(id)
/// ```
public final class SessionStore: Sendable {
    public struct Session: Sendable, Equatable {
        public var role: SessionRole
        public var csrfToken: String
        public var expiresAt: Date
    }

    /// How long a session lasts from sign-in (no sliding renewal).
    public let lifetime: TimeInterval
    /// Most sessions kept; the oldest is dropped beyond it.
    public let capacity: Int
    private let clock: @Sendable () -> Date
    private let sessions = Mutex<[String: Session]>([:])

    public init(lifetime: TimeInterval = 12 * 3600, capacity: Int = 10_000,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.clock = clock
    }

    /// A new session; the returned id goes into the cookie and nowhere else.
    public func create(role: SessionRole) -> (id: String, session: Session) {
        let id = Tokens.generate(prefix: "sfs_")
        let now = clock()
        let session = Session(role: role, csrfToken: Tokens.generate(prefix: ""), expiresAt: now.addingTimeInterval(lifetime))
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expiresAt > now }
            if sessions.count >= capacity,
               let oldest = sessions.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key {
                sessions.removeValue(forKey: oldest)
            }
            sessions[Tokens.hash(id)] = session
        }
        return (id, session)
    }

    /// The live session for a cookie value, nil when unknown, signed out or expired.
    public func session(for id: String) -> Session? {
        let key = Tokens.hash(id)
        let now = clock()
        return sessions.withLock { sessions in
            guard let session = sessions[key] else { return nil }
            guard session.expiresAt > now else {
                sessions.removeValue(forKey: key)
                return nil
            }
            return session
        }
    }

    /// Signs a session out; later requests with its cookie get 401.
    public func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: Tokens.hash(id)) }
    }

    /// Live sessions (for tests).
    public var count: Int {
        let now = clock()
        return sessions.withLock { $0.values.filter { $0.expiresAt > now }.count }
    }
}

/// Reading the session cookie and writing `Set-Cookie`.
enum SessionCookie {
    /// The value of the session cookie in a `Cookie` header, if any.
    static func value(in cookieHeader: String?) -> String? {
        guard let cookieHeader else { return nil }
        for part in cookieHeader.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            let prefix = DashboardNames.sessionCookie + "="
            if pair.hasPrefix(prefix) {
                let value = String(pair.dropFirst(prefix.count))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// `Set-Cookie` for a new session: HttpOnly, SameSite=Strict, Path=/, Max-Age, Secure under TLS.
    static func set(_ id: String, maxAge: TimeInterval, secure: Bool) -> String {
        var cookie = "\(DashboardNames.sessionCookie)=\(id); Path=/; Max-Age=\(Int(maxAge)); HttpOnly; SameSite=Strict"
        if secure { cookie += "; Secure" }
        return cookie
    }

    /// `Set-Cookie` that removes the cookie from the browser.
    static func clear(secure: Bool) -> String {
        set("", maxAge: 0, secure: secure)
    }

    /// A second cookie the page's script may read: it holds no secret, only tells the page
    /// that a session cookie is probably there, so a signed-out page does not probe (and log a 401).
    static func hint(maxAge: TimeInterval, secure: Bool) -> String {
        var cookie = "\(DashboardNames.signedInCookie)=1; Path=/; Max-Age=\(Int(maxAge)); SameSite=Strict"
        if secure { cookie += "; Secure" }
        return cookie
    }
}
