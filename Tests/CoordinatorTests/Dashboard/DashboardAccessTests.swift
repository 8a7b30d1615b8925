@testable import FleetCoordinator
import FleetProtocol
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The dashboard's security rules: viewer tokens read but never act, sessions are HttpOnly
/// cookies with an expiry that sign-out ends on the server, and every state-changing request
/// made with the cookie needs the session's CSRF token.
@Suite struct DashboardAccessTests {
    static let silence = #"{"matchers":["site=\"a\""],"durationSeconds":3600,"comment":"t","by":"t"}"#

    /// A path for `endpoint` in the catalogue: streams close at once, watches answer at once.
    static func path(_ endpoint: EndpointDescription) -> String {
        EndpointCatalogueTests.path(endpoint)
    }

    @Test func viewerTokenReadsEveryAdminGetAndActsOnNothing() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        try await harness.app.test(.router) { client in
            let created = try await client.send(.post, Endpoints.viewerTokenCreate.template, bearer: harness.admin,
                                                json: #"{"name":"field laptop"}"#)
            #expect(created.status == 201)
            let viewer = try WireCoding.decode(CreatedViewerToken.self, from: Data(created.body.utf8))
            #expect(viewer.token.hasPrefix("sfv_"))
            #expect(viewer.role == .viewer)
            for endpoint in Endpoints.all where endpoint.access == .admin {
                let method = HTTPRequest.Method(endpoint.method)
                let answer = try await client.send(method, Self.path(endpoint), bearer: viewer.token,
                                                   json: endpoint.method == .post ? "{}" : nil)
                if endpoint.method == .get {
                    #expect(![401, 403].contains(answer.status), "viewer GET \(endpoint): \(answer.status) \(answer.message ?? "")")
                } else {
                    #expect(answer.status == 403, "viewer \(endpoint): \(answer.status)")
                    #expect(answer.message == "this endpoint needs the admin token; a viewer may only read", "\(endpoint)")
                }
            }
            // A viewer token is no node or join credential either.
            let heartbeat = try await client.send(.post, Endpoints.heartbeat.path("pi1"), bearer: viewer.token, json: "{}")
            #expect(heartbeat.status == 403)
        }
        // Only the hash is kept, and it survives a restart.
        let file = try String(contentsOfFile: harness.secrets.viewers.path, encoding: .utf8)
        let reloaded = try ViewerTokens.load(path: harness.secrets.viewers.path)
        #expect(file.contains("field laptop"))
        #expect(!reloaded.isViewer("sfv_nope"))
        let attributes = try FileManager.default.attributesOfItem(atPath: harness.secrets.viewers.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func viewerTokenIsKeptOnlyAsItsHash() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        let created = try harness.secrets.viewers.create(name: "x")
        let file = try String(contentsOfFile: harness.secrets.viewers.path, encoding: .utf8)
        #expect(!file.contains(created.token))
        #expect(file.contains(Tokens.hash(created.token)))
        #expect(try ViewerTokens.load(path: harness.secrets.viewers.path).isViewer(created.token))
    }

    @Test func signInSetsAHardenedCookieAndNeverEchoesTheToken() async throws {
        for secure in [false, true] {
            let harness = try await DashboardHarness.make(secureCookies: secure)
            defer { harness.remove() }
            try await harness.app.test(.router) { client in
                let (session, answer) = try await client.signIn(harness.admin)
                #expect(answer.status == 200)
                #expect(session.role == .admin)
                #expect(!session.csrf.isEmpty)
                let cookie = answer.sessionCookie ?? ""
                for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"] {
                    #expect(cookie.contains(attribute), "\(attribute) in \(cookie)")
                }
                #expect(cookie.contains("Secure") == secure)
                #expect(!answer.body.contains(harness.admin))
                #expect(!answer.headers[values: .setCookie].joined().contains(harness.admin))
                #expect(answer.headers[values: .setCookie].contains { $0.hasPrefix("sf_signed_in=1;") && !$0.contains("HttpOnly") })
                #expect(answer.headers[.cacheControl] == "no-store")

                // A cross-site form (text/plain) cannot sign anyone in.
                var form = HTTPFields()
                form[.contentType] = "text/plain"
                let formStatus = try await client.execute(uri: Endpoints.sessionCreate.template, method: .post, headers: form,
                                                          body: ByteBuffer(string: #"{"token":"\#(harness.admin)"}"#)) {
                    (Int($0.status.code), $0.headers[values: .setCookie].isEmpty)
                }
                #expect(formStatus == (415, true))
                let wrong = try await client.send(.post, Endpoints.sessionCreate.template, json: #"{"token":"sfa_guessed-secret"}"#)
                #expect(wrong.status == 401)
                #expect(!wrong.body.contains("guessed-secret"))
                #expect(wrong.headers[.setCookie] == nil)
                // The join and node tokens open no session.
                for token in [harness.join, harness.pi1] {
                    let refused = try await client.send(.post, Endpoints.sessionCreate.template,
                                                        json: #"{"token":"\#(token)"}"#)
                    #expect(refused.status == 401)
                    #expect(!refused.body.contains(token))
                }
            }
        }
    }

    @Test func theCookieReadsAndEveryActionNeedsTheCSRFToken() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        try await harness.app.test(.router) { client in
            let (session, _) = try await client.signIn(harness.admin)
            #expect(try await client.send(.get, Endpoints.nodes.template, cookie: session.cookie).status == 200)
            let me = try await client.send(.get, Endpoints.session.template, cookie: session.cookie)
            #expect(try WireCoding.decode(SessionView.self, from: Data(me.body.utf8)).csrfToken == session.csrf)

            let missing = try await client.send(.post, Endpoints.silenceAdd.template, cookie: session.cookie, json: Self.silence)
            #expect(missing.status == 403)
            #expect(missing.message?.contains("CSRF") == true)
            let wrong = try await client.send(.post, Endpoints.silenceAdd.template, cookie: session.cookie,
                                              csrf: String(session.csrf.reversed()), json: Self.silence)
            #expect(wrong.status == 403)
            let right = try await client.send(.post, Endpoints.silenceAdd.template, cookie: session.cookie,
                                              csrf: session.csrf, json: Self.silence)
            #expect(right.status == 201, "\(right.body)")
            // Every admin action refuses the cookie without CSRF token, before its handler runs.
            for endpoint in Endpoints.all where endpoint.access == .admin && endpoint.method != .get {
                let answer = try await client.send(HTTPRequest.Method(endpoint.method), Self.path(endpoint),
                                                   cookie: session.cookie, json: endpoint.method == .post ? "{}" : nil)
                #expect(answer.status == 403, "\(endpoint) with the cookie and no CSRF token: \(answer.status)")
            }
            // The cookie is no node or join credential.
            let heartbeat = try await client.send(.post, Endpoints.heartbeat.path("pi1"), cookie: session.cookie,
                                                  csrf: session.csrf, json: "{}")
            #expect(heartbeat.status == 401)
        }
    }

    @Test func aViewerSessionCannotAckOrSilence() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        let viewer = try harness.secrets.viewers.create(name: "v")
        try await harness.app.test(.router) { client in
            let (session, answer) = try await client.signIn(viewer.token)
            #expect(answer.status == 200)
            #expect(session.role == .viewer)
            #expect(try await client.send(.get, Endpoints.alerts.template, cookie: session.cookie).status == 200)
            let silence = try await client.send(.post, Endpoints.silenceAdd.template, cookie: session.cookie,
                                                csrf: session.csrf, json: Self.silence)
            #expect(silence.status == 403)
            #expect(silence.message == "this endpoint needs the admin token; a viewer may only read")
            let ack = try await client.send(.post, Endpoints.alertAck.path("abcd"), cookie: session.cookie,
                                            csrf: session.csrf, json: #"{"comment":"c","by":"b"}"#)
            #expect(ack.status == 403)
            let token = try await client.send(.post, Endpoints.viewerTokenCreate.template, cookie: session.cookie,
                                              csrf: session.csrf, json: "{}")
            #expect(token.status == 403)
        }
    }

    @Test func signOutEndsTheSessionOnTheServer() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        try await harness.app.test(.router) { client in
            let (session, _) = try await client.signIn(harness.admin)
            let forged = try await client.send(.post, Endpoints.sessionEnd.template, cookie: session.cookie)
            #expect(forged.status == 403, "sign-out without the CSRF token")
            #expect(try await client.send(.get, Endpoints.nodes.template, cookie: session.cookie).status == 200)
            let out = try await client.send(.post, Endpoints.sessionEnd.template, cookie: session.cookie, csrf: session.csrf)
            #expect(out.status == 204)
            #expect(out.sessionCookie?.contains("Max-Age=0") == true)
            #expect(harness.sessions.count == 0)
            let after = try await client.send(.get, Endpoints.nodes.template, cookie: session.cookie)
            #expect(after.status == 401)
            #expect(after.message == "the session expired or was signed out; sign in again")
        }
    }

    @Test func anExpiredSessionIsRefused() async throws {
        let harness = try await DashboardHarness.make(lifetime: 600)
        defer { harness.remove() }
        try await harness.app.test(.router) { client in
            let (session, _) = try await client.signIn(harness.admin)
            #expect(try await client.send(.get, Endpoints.nodes.template, cookie: session.cookie).status == 200)
            harness.clock.advance(601)
            #expect(try await client.send(.get, Endpoints.nodes.template, cookie: session.cookie).status == 401)
            #expect(try await client.send(.get, Endpoints.nodes.template, cookie: "sfs_forged").status == 401)
        }
    }
}
