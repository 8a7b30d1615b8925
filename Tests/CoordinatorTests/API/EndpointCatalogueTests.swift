@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The router serves exactly the endpoint catalogue, and every endpoint enforces its declared access.
@Suite struct EndpointCatalogueTests {
    /// A coordinator's API on a temp data dir, with two registered nodes.
    struct Harness {
        let dir: String
        let router: Router<CoordinatorRequestContext>
        let metrics: CoordinatorMetrics
        let app: Application<EnvelopeResponder<RouterResponder<CoordinatorRequestContext>>>
        let admin: String
        let join: String
        let pi1: String
        let pi2: String

        static func make() async throws -> Harness {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let (secrets, _) = try CoordinatorSecrets.loadOrCreate(dataDir: dir)
            let store = try SQLiteFleetStore(path: dir + "/c.sqlite")
            let metrics = CoordinatorMetrics()
            let fleet = Fleet(store: store, logger: Logger(label: "test"), metrics: metrics)
            try await fleet.load()
            let pi1 = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t")).nodeToken
            let pi2 = try await fleet.register(RegistrationRequest(name: "pi2", agentVersion: "t")).nodeToken
            let alerting = Alerting(store: store, logger: Logger(label: "test"), metrics: metrics,
                                    notifiers: { _ in UndeliverableNotifier() })
            let router = APIRouter(fleet: fleet, store: store, secrets: secrets, metrics: metrics, alerting: alerting,
                                   agentBuilds: try AgentBuildStore(root: dir + "/agent-builds"),
                                   leadership: Leadership(store: store, url: "http://127.0.0.1:1", logger: Logger(label: "test"))).build()
            let responder = EnvelopeResponder(inner: router.buildResponder(), metrics: metrics, logger: Logger(label: "test"))
            let app = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            func token(_ path: String) throws -> String {
                try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return Harness(dir: dir, router: router, metrics: metrics, app: app, admin: try token(secrets.adminTokenPath),
                           join: try token(secrets.joinTokenPath), pi1: pi1, pi2: pi2)
        }
    }

    /// A path for `endpoint`: node endpoints act for `pi1`, everything else names `x`.
    /// Watches claim an unknown revision so they answer at once (no housekeeping runs here to end a parked one).
    static func path(_ endpoint: EndpointDescription) -> String {
        let path = endpoint.samplePath(endpoint.access == .node ? "pi1" : "x")
        if endpoint.template == Endpoints.events.template { return path + "?timeout=0" }
        return endpoint.template.hasSuffix("/watch") ? path + "?revision=-1" : path
    }

    static func headers(_ token: String?) -> HTTPFields {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        return headers
    }

    /// Status and error message of one call.
    static func call(_ client: some TestClientProtocol, _ endpoint: EndpointDescription,
                     token: String?) async throws -> (status: Int, message: String?) {
        let method = HTTPRequest.Method(endpoint.method)
        let body = endpoint.method == .post ? ByteBuffer(string: "{}") : nil
        return try await client.execute(uri: path(endpoint), method: method, headers: headers(token), body: body) { response in
            let envelope = try? WireCoding.decode(ErrorEnvelope.self, from: Data(response.body.readableBytesView))
            return (Int(response.status.code), envelope?.error.message)
        }
    }

    @Test func routerRegistersExactlyTheCatalogue() async throws {
        let harness = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: harness.dir) }
        let routed = Set(harness.router.routes.filter { [.get, .post, .delete].contains($0.method) }.map(\.description))
        #expect(routed == Set(Endpoints.all.map(\.label)))
    }

    @Test func everyEndpointIsRoutedAndEnforcesItsAccess() async throws {
        let harness = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: harness.dir) }
        let (admin, join, pi1, pi2) = (harness.admin, harness.join, harness.pi1, harness.pi2)
        try await harness.app.test(.router) { client in
            var allowedCalls: [(EndpointDescription, String?)] = []
            for endpoint in Endpoints.all {
                let right: String?
                switch endpoint.access {
                case .public: right = nil
                case .join: right = join
                case .node: right = pi1
                case .admin: right = admin
                }
                // The allowed call comes last: rotating the join token invalidates it.
                defer { allowedCalls.append((endpoint, right)) }
                guard endpoint.access != .public else { continue }

                #expect(try await Self.call(client, endpoint, token: nil).status == 401, "\(endpoint) without a token")
                #expect(try await Self.call(client, endpoint, token: "sfa_forged").status == 401, "\(endpoint) forged")
                let wrongKind: [(String, String)] = [("admin", admin), ("join", join), ("node", pi1)]
                    .filter { $0.0 != endpoint.access.rawValue }
                for (kind, token) in wrongKind {
                    let denied = try await Self.call(client, endpoint, token: token)
                    #expect(denied.status == 403, "\(endpoint) with the \(kind) token: \(denied)")
                    #expect(denied.message == Self.forbiddenMessage(endpoint.access), "\(endpoint) with the \(kind) token")
                }
                if endpoint.access == .node {
                    let other = try await Self.call(client, endpoint, token: pi2)
                    #expect(other.status == 403)
                    #expect(other.message == "a node credential may act only for its own node")
                }
            }
            for (endpoint, right) in allowedCalls {
                let allowed = try await Self.call(client, endpoint, token: right)
                #expect(![401, 403].contains(allowed.status), "\(endpoint): \(allowed)")
                #expect(allowed.message?.hasPrefix("no such endpoint") != true, "\(endpoint) is not routed")
            }
            let unknown = try await Self.call(client, EndpointDescription.unknown, token: admin)
            #expect(unknown.status == 404)
            #expect(unknown.message == "no such endpoint: GET /v1/no-such-thing")
        }
        let metrics = harness.metrics.render()
        #expect(metrics.contains(#"route="POST /v1/nodes/{name}/heartbeat""#))
        #expect(metrics.contains(#"route="POST /v1/jobs/{kind}/{name}/run""#))
        #expect(metrics.contains(#"route="other""#))
        #expect(!metrics.contains("pi1/heartbeat"))
    }

    static func forbiddenMessage(_ access: EndpointAccess) -> String? {
        switch access {
        case .public: return nil
        case .join: return "registration needs the join token"
        case .admin: return "this endpoint needs the admin token"
        case .node: return "this endpoint needs the node's own credential"
        }
    }
}

extension EndpointDescription {
    /// Not in the catalogue.
    static let unknown = Endpoint<EmptyBody, EmptyBody>(.get, "/v1/no-such-thing", access: .admin).info
}
