@testable import FleetCoordinator
import FleetProtocol
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

/// A coordinator API with the dashboard's session store under a settable clock.
struct DashboardHarness {
    let dir: String
    let fleet: Fleet
    let secrets: CoordinatorSecrets
    let sessions: SessionStore
    let app: Application<EnvelopeResponder<RouterResponder<CoordinatorRequestContext>>>
    let admin: String
    let join: String
    let pi1: String
    let clock: TestClock

    final class TestClock: Sendable {
        private let now = Mutex(Date())
        func read() -> Date { now.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    static func make(secureCookies: Bool = false, lifetime: TimeInterval = 3600) async throws -> DashboardHarness {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (secrets, _) = try CoordinatorSecrets.loadOrCreate(dataDir: dir)
        let store = try SQLiteFleetStore(path: dir + "/c.sqlite")
        let metrics = CoordinatorMetrics()
        let fleet = Fleet(store: store, logger: Logger(label: "test"), metrics: metrics)
        try await fleet.load()
        let pi1 = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t")).nodeToken
        let alerting = Alerting(store: store, logger: Logger(label: "test"), metrics: metrics,
                                notifiers: { _ in UndeliverableNotifier() })
        let clock = TestClock()
        let sessions = SessionStore(lifetime: lifetime, clock: { clock.read() })
        let router = APIRouter(fleet: fleet, store: store, secrets: secrets, metrics: metrics, alerting: alerting,
                               agentBuilds: try AgentBuildStore(root: dir + "/agent-builds"),
                               leadership: Leadership(store: store, url: "http://127.0.0.1:1", logger: Logger(label: "test")),
                               sessions: sessions, secureCookies: secureCookies).build()
        let responder = EnvelopeResponder(inner: router.buildResponder(), metrics: metrics, logger: Logger(label: "test"))
        let app = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        func token(_ path: String) throws -> String {
            try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return DashboardHarness(dir: dir, fleet: fleet, secrets: secrets, sessions: sessions, app: app,
                                admin: try token(secrets.adminTokenPath), join: try token(secrets.joinTokenPath),
                                pi1: pi1, clock: clock)
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

/// One answer, read whole.
struct Answer {
    var status: Int
    var headers: HTTPFields
    var body: String

    /// The `Set-Cookie` value for the session cookie.
    var sessionCookie: String? {
        headers[values: .setCookie].first { $0.hasPrefix(DashboardNames.sessionCookie + "=") }
    }

    var message: String? {
        (try? WireCoding.decode(ErrorEnvelope.self, from: Data(body.utf8)))?.error.message
    }
}

/// A signed-in browser: its cookie value and CSRF token.
struct BrowserSession {
    var cookie: String
    var csrf: String
    var role: SessionRole
}

extension TestClientProtocol {
    func send(_ method: HTTPRequest.Method, _ uri: String, bearer: String? = nil, cookie: String? = nil,
              csrf: String? = nil, json: String? = nil) async throws -> Answer {
        var headers = HTTPFields()
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        if let cookie { headers[.cookie] = "\(DashboardNames.sessionCookie)=\(cookie)" }
        if let csrf, let name = HTTPField.Name(DashboardNames.csrfHeader) { headers[name] = csrf }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) {
            Answer(status: Int($0.status.code), headers: $0.headers, body: String(buffer: $0.body))
        }
    }

    /// Signs in with `token` and returns the cookie value and CSRF token.
    func signIn(_ token: String) async throws -> (BrowserSession, Answer) {
        let body = String(decoding: try WireCoding.encode(SessionRequest(token: token)), as: UTF8.self)
        let answer = try await send(.post, Endpoints.sessionCreate.template, json: body)
        let prefix = DashboardNames.sessionCookie + "="
        let setCookie = answer.headers[values: .setCookie].first { $0.hasPrefix(prefix) } ?? ""
        let value = setCookie.split(separator: ";").first.map(String.init)?.dropFirst(prefix.count) ?? ""
        let view = try WireCoding.decode(SessionView.self, from: Data(answer.body.utf8))
        return (BrowserSession(cookie: String(value), csrf: view.csrfToken ?? "", role: view.role), answer)
    }
}
