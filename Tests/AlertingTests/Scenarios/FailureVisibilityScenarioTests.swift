import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// What finally fails stays visible: in the outbox listing, as a metric and as an event.
@Suite("Alerting scenarios: failures stay visible", .serialized, .timeLimit(.minutes(2)))
struct FailureVisibilityScenarioTests {
    @Test("a receiver that refuses the message (4xx): failed at once, listed, counted and recorded as an event")
    func permanentFailureIsVisible() async throws {
        try await withTeardown { teardown in
            let hook = try await WebhookSink.start(statuses: [400])
            teardown.add { try? await hook.stop() }
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]],
                                                   alerts: DeliveryScenarioTests.hookAlerts(hook.url())),
                nodes: ["pi1"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            let failedOne = await waitUntil(timeout: .seconds(10)) {
                (try? await harness.alerting.notificationViews(failedOnly: true, limit: 10).count) == 1
            }
            #expect(failedOne)
            let failed = try #require(try await harness.alerting.notificationViews(failedOnly: true, limit: 10).first)
            #expect(failed.state == .failed)
            #expect(failed.attempts == 1, "a 4xx is not retried")
            #expect(failed.lastError?.contains("400") == true)
            #expect(hook.requests.count == 1)
            #expect(harness.metrics.render().contains(#"stationfleet_notifications_total{receiver="hook",outcome="failed"} 1"#))
            let events = try await harness.store.recentEvents(node: "pi1", station: nil, limit: 20)
            #expect(events.contains { $0.kind == "notification.failed" && $0.message.contains(failed.id) })
        }
    }

    @Test("a webhook secret never shows in an error, a listing or the payload")
    func secretNeverLeaks() async throws {
        try await withTeardown { teardown in
            let secretDir = try makeScratchDir("secret")
            teardown.add { try? FileManager.default.removeItem(atPath: secretDir) }
            let secret = "s3cr3t-\(UUID().uuidString)"
            try secret.write(toFile: secretDir + "/hook.key", atomically: true, encoding: .utf8)
            let hook = try await WebhookSink.start(statuses: [500])
            teardown.add { try? await hook.stop() }
            let alerts = """
            alerts:
              thresholds: {segmentStaleAfter: 1s}
              receivers:
                hook: {webhook: {url: "\(hook.url())", secretFile: \(secretDir)/hook.key}}
              route: {receiver: hook, groupWait: 0s}

            """
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]], alerts: alerts), nodes: ["pi1"])
            teardown.add { await harness.stop() }
            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            _ = try await hook.waitForRequests(count: 2)
            let listed = try await harness.outbox()
            #expect(!listed.isEmpty)
            let texts = listed.map { "\($0)" } + hook.requests.map { String(decoding: $0.body, as: UTF8.self) }
                + (await harness.alerting.alertViews()).map { "\($0)" }
            #expect(!texts.contains { $0.contains(secret) })
            #expect(hook.requests.allSatisfy { $0.header("X-StationFleet-Signature")?.hasPrefix("sha256=") == true })
        }
    }
}
