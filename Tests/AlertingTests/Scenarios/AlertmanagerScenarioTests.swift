import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

@Suite("Alerting scenario: forwarding to a real Alertmanager", .serialized, .timeLimit(.minutes(2)))
struct AlertmanagerScenarioTests {
    @Test("10. an alertmanager receiver for one site: the alert is active there with our labels, then resolved")
    func forwarding() async throws {
        try await withTeardown { teardown in
            let peer = try await AlertmanagerPeer.start()
            teardown.add { await peer.stop() }
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            let alerts = """
            alerts:
              thresholds: {segmentStaleAfter: 1s}
              receivers:
            \(ScenarioInventory.webhook("ops-hook", url: hook.url()))
                am: {alertmanager: {url: "\(peer.url)"}}
              route:
                receiver: ops-hook
                groupBy: [site, alertname]
                groupWait: 0s
                groupInterval: 1s
                repeatInterval: 4h
                routes:
                  - match: {site: auklab}
                    receiver: am

            """
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"], "pi2": ["EMSN1"]], alerts: alerts),
                nodes: ["pi1", "pi2"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            try await harness.report("pi2", stations: [AlertingHarness.stale("EMSN1")])

            var active: [AlertmanagerPeer.GettableAlert] = []
            let arrived = await waitUntil(timeout: .seconds(10), poll: .milliseconds(200)) {
                active = (try? await peer.alerts()) ?? []
                return !active.isEmpty
            }
            #expect(arrived, "no alert at the Alertmanager; its log:\n\(peer.log)")
            let alert = try #require(active.first)
            #expect(alert.labels["alertname"] == "SegmentStale")
            #expect(alert.labels["site"] == "auklab")
            #expect(alert.labels["node"] == "pi1")
            #expect(alert.labels["station"] == "ROST1")
            #expect(alert.labels["severity"] == "critical")
            #expect(alert.annotations["summary"]?.contains("ROST1 on pi1") == true)
            #expect(alert.status.state == "active")
            // The emsn alert goes to the root receiver only, never to this Alertmanager.
            let emsn = try await hook.waitForRequests(count: 1)
            let payload = try JSONDecoder().decode(WebhookPayload.self, from: emsn[0].body)
            #expect(payload.commonLabels["site"] == "emsn")
            #expect(try await peer.alerts().allSatisfy { $0.labels["site"] == "auklab" })

            try await harness.report("pi1", stations: [AlertingHarness.fresh("ROST1")])
            let gone = await waitUntil(timeout: .seconds(10), poll: .milliseconds(200)) {
                ((try? await peer.alerts()) ?? [alert]).isEmpty
            }
            #expect(gone, "the resolved alert is no longer active at the Alertmanager")
            // The Alertmanager drops the alert when the resolution arrives; the outbox marks
            // it sent once the POST has returned, a moment later.
            var sent: [NotificationView] = []
            let bothSent = await waitUntil(timeout: .seconds(10), poll: .milliseconds(100)) {
                sent = ((try? await harness.outbox()) ?? []).filter { $0.receiver == "am" }
                return sent.count == 2 && sent.allSatisfy { $0.state == .sent }
            }
            #expect(bothSent, "\(sent.map { "\($0.id) \($0.state)" })")
        }
    }
}
