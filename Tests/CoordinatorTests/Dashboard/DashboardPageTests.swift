@testable import FleetCoordinator
import FleetProtocol
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The page and its assets: served by the coordinator, no inline script, a strict CSP,
/// text-only DOM building, small; and the live event stream fed by the change publisher.
@Suite struct DashboardPageTests {
    @Test func thePageIsServedWithAStrictPolicyAndNoInlineScript() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        try await harness.app.test(.router) { client in
            let page = try await client.send(.get, "/")
            #expect(page.status == 200)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let policy = page.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline"))
            #expect(!policy.contains("unsafe-eval"))
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            // Every script tag loads a file; no inline handlers, no inline style.
            let scripts = page.body.components(separatedBy: "<script").dropFirst()
            #expect(!scripts.isEmpty)
            for script in scripts { #expect(script.hasPrefix(" src=\"/ui/")) }
            #expect(page.body.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
            #expect(!page.body.contains("style="))
            // No token or data in the page.
            #expect(!page.body.contains(harness.admin))
            for name in DashboardAssets.files.keys where name != "index.html" {
                let asset = try await client.send(.get, "/ui/" + name)
                #expect(asset.status == 200, "\(name)")
                #expect(asset.headers[HTTPField.Name("Content-Security-Policy")!] != nil)
            }
            #expect(try await client.send(.get, "/ui/nope.js").status == 404)
        }
    }

    @Test func scriptsBuildTheDOMWithTextOnlyAndThePageIsSmall() {
        for (name, file) in DashboardAssets.files where name.hasSuffix(".js") {
            for unsafe in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                #expect(!file.body.contains(unsafe), "\(name) uses \(unsafe)")
            }
            // Nothing from elsewhere.
            #expect(!file.body.contains("http://") && !file.body.contains("https://"), "\(name)")
            #expect(!file.body.contains("fetch(\"http"), "\(name)")
        }
        #expect(DashboardAssets.totalBytes < 200_000, "page weight \(DashboardAssets.totalBytes) bytes")
    }

    @Test func theEventStreamReportsAChangeFromThePublisher() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        try await harness.app.test(.router) { client in
            let (session, _) = try await client.signIn(harness.admin)
            let before = harness.fleet.changes.subscriberCount
            async let stream = client.send(.get, Endpoints.events.template + "?timeout=3", cookie: session.cookie)
            let subscribed = await Self.waitUntil(timeout: .seconds(20)) {
                harness.fleet.changes.subscriberCount > before
            }
            #expect(subscribed)
            _ = try await harness.fleet.heartbeat(node: "pi1", report: StatusReport(agentVersion: "t", uptimeSeconds: 1,
                                                                                    appliedRevision: 0))
            let answer = try await stream
            #expect(answer.status == 200)
            #expect(answer.headers[.contentType] == "text/event-stream")
            #expect(answer.body.contains("event: change\ndata: {\"kinds\":["), "\(answer.body)")
            #expect(answer.body.contains("\"nodes\""), "\(answer.body)")
        }
    }

    @Test func theEventStreamEndsWhenTheSessionIsSignedOut() async throws {
        let harness = try await DashboardHarness.make()
        defer { harness.remove() }
        try await harness.app.test(.router) { client in
            let (session, _) = try await client.signIn(harness.admin)
            let before = harness.fleet.changes.subscriberCount
            let started = ContinuousClock.now
            async let stream = client.send(.get, Endpoints.events.template + "?timeout=60", cookie: session.cookie)
            #expect(await Self.waitUntil(timeout: .seconds(20)) { harness.fleet.changes.subscriberCount > before })
            harness.sessions.end(session.cookie)
            let answer = try await stream
            #expect(answer.status == 200)
            #expect(ContinuousClock.now - started < .seconds(30), "the stream outlived its session")
        }
    }

    static func waitUntil(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }
}
