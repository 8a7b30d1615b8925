import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// Central alerting end to end, in-process: repeats and acknowledgements, resolution, and
/// the outbox against receivers that are down or failing.
@Suite("Alerting scenarios: repeats, resolution, delivery", .serialized, .timeLimit(.minutes(2)))
struct DeliveryScenarioTests {
    static func hookAlerts(_ url: String, groupInterval: String = "1s", repeatInterval: String = "4h") -> String {
        """
        alerts:
          thresholds: {segmentStaleAfter: 1s}
          receivers:
        \(ScenarioInventory.webhook("hook", url: url))
          route:
            receiver: hook
            groupBy: [site, alertname]
            groupWait: 0s
            groupInterval: \(groupInterval)
            repeatInterval: \(repeatInterval)

        """
    }

    static func payloads(_ hook: WebhookSink) -> [WebhookPayload] {
        hook.requests.compactMap { try? JSONDecoder().decode(WebhookPayload.self, from: $0.body) }
    }

    @Test("5. acknowledgement: the firing alert repeats until acknowledged; the resolution is still sent")
    func acknowledgement() async throws {
        try await withTeardown { teardown in
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]],
                                                   alerts: Self.hookAlerts(hook.url(), repeatInterval: "1s")),
                nodes: ["pi1"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            // The first notification and at least one repeat (repeatInterval 1 s).
            let repeated = try await hook.waitForRequests(count: 2)
            #expect(repeated.allSatisfy { $0.header("Idempotency-Key") != nil })
            #expect(Set(repeated.compactMap { $0.header("Idempotency-Key") }).count == repeated.count,
                    "each repeat is its own notification")
            #expect(Self.payloads(hook).allSatisfy { $0.status == "firing" })

            let alert = try #require(await harness.views("SegmentStale").first)
            _ = try await harness.alerting.acknowledge(alert.id, AckRequest(comment: "camera being replaced", by: "test"))
            // A repeat made just before the acknowledgement may still be on its way: let the
            // outbox drain (bounded), then count.
            let drained = await waitUntil(timeout: .seconds(5)) {
                (try? await harness.outbox().allSatisfy { $0.state != .pending }) ?? false
            }
            #expect(drained)
            let afterAck = hook.requests.count
            // A bounded look of 2.5 s, over twice repeatInterval + groupInterval: unacknowledged,
            // at least one more repeat would have been made in that time.
            await waitUntil(timeout: .milliseconds(2_500)) { hook.requests.count > afterAck }
            #expect(hook.requests.count == afterAck, "no repeats after the acknowledgement")
            #expect(await harness.views("SegmentStale").first?.acknowledged?.by == "test")

            try await harness.report("pi1", stations: [AlertingHarness.fresh("ROST1")])
            let resolved = await waitUntil(timeout: .seconds(10)) {
                Self.payloads(hook).contains { $0.status == "resolved" }
            }
            #expect(resolved, "the resolution is sent even though the alert was acknowledged")
        }
    }

    @Test("6. resolution: when the condition clears a resolved notification arrives with endsAt set")
    func resolution() async throws {
        try await withTeardown { teardown in
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]], alerts: Self.hookAlerts(hook.url())),
                nodes: ["pi1"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            let first = try await hook.waitForRequests(count: 1)
            let firing = try JSONDecoder().decode(WebhookPayload.self, from: first[0].body)
            #expect(firing.status == "firing")
            #expect(firing.alerts.first?.endsAt == "0001-01-01T00:00:00Z")

            try await harness.report("pi1", stations: [AlertingHarness.fresh("ROST1")])
            let both = try await hook.waitForRequests(count: 2)
            let resolved = try JSONDecoder().decode(WebhookPayload.self, from: both[1].body)
            #expect(resolved.status == "resolved")
            let alert = try #require(resolved.alerts.first)
            #expect(alert.status == "resolved")
            #expect(alert.labels["station"] == "ROST1")
            #expect(alert.fingerprint == firing.alerts.first?.fingerprint)
            #expect(alert.endsAt != "0001-01-01T00:00:00Z" && !alert.endsAt.isEmpty)
            // The threshold is 1 s, so a "fresh" segment is stale again a second later on a slow
            // machine: keep reporting it fresh while looking at the alert's view.
            let resolvedView = try await waitUntil(timeout: .seconds(5)) {
                try await harness.report("pi1", stations: [AlertingHarness.fresh("ROST1")])
                let view = await harness.views("SegmentStale").first
                return view?.state == .resolved && view?.endsAt != nil
            }
            #expect(resolvedView, "SegmentStale did not show as resolved with endsAt")
        }
    }

    @Test("7. SMTP down, then up on the same port: retried with back-off, exactly one mail, outbox sent")
    func smtpDownThenUp() async throws {
        try await withTeardown { teardown in
            let port = try freeLocalPort()   // nothing listens here until the sink starts below
            let alerts = """
            alerts:
              thresholds: {segmentStaleAfter: 1s}
              receivers:
            \(ScenarioInventory.email("ops-email", port: port))
              route:
                receiver: ops-email
                groupBy: [site, alertname]
                groupWait: 0s
                groupInterval: 1h
                repeatInterval: 4h

            """
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]], alerts: alerts), nodes: ["pi1"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            var entry: NotificationView?
            let retrying = await waitUntil(timeout: .seconds(10)) {
                entry = try? await harness.outbox().first { $0.receiver == "ops-email" }
                return (entry?.attempts ?? 0) >= 2 && entry?.state == .pending
            }
            #expect(retrying, "attempts fail while no SMTP server listens: \(String(describing: entry))")
            let id = try #require(entry?.id)
            #expect(entry?.lastError?.isEmpty == false)

            let smtp = try await SMTPSink.start(port: port)
            teardown.add { await smtp.stop() }
            let mail = try #require(try await smtp.waitForMessages(count: 1).first)
            #expect(mail.header("X-StationFleet-Idempotency-Key") == id)
            let sent = await waitUntil(timeout: .seconds(5)) {
                (try? await harness.outbox().first { $0.id == id }?.state) == .sent
            }
            #expect(sent)
            // Bounded look that the retry loop does not send it twice.
            await waitUntil(timeout: .seconds(1)) { smtp.messages().count > 1 }
            #expect(smtp.messages().count == 1)
            let view = try await harness.outbox().first { $0.id == id }
            #expect(view?.sentAt != nil)
            #expect((view?.attempts ?? 0) >= 3)
        }
    }

    @Test("8. a receiver failing forever does not hold up the others: the email arrives promptly")
    func failingReceiverIsolated() async throws {
        try await withTeardown { teardown in
            let smtp = try await SMTPSink.start()
            teardown.add { await smtp.stop() }
            let hook = try await WebhookSink.start(statuses: [500])
            teardown.add { try? await hook.stop() }
            let inventory = ScenarioInventory.fleet(
                stations: ["pi1": ["ROST1"]],
                alerts: RoutingScenarioTests.routedAlerts(emailPort: smtp.port, hookURL: hook.url()))
            let harness = try await AlertingHarness.start(inventory: inventory, nodes: ["pi1"])
            teardown.add { await harness.stop() }

            let reported = ContinuousClock.now
            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            _ = try await smtp.waitForMessages(count: 1, timeout: .seconds(3))
            let took = ContinuousClock.now - reported
            #expect(took < .seconds(3), "email took \(took)")

            // The hook keeps being retried (500 is retryable) while the email is done.
            _ = try await hook.waitForRequests(count: 3)
            #expect(hook.requests.allSatisfy { $0.answeredStatus == 500 })
            let outbox = try await harness.outbox()
            #expect(outbox.first { $0.receiver == "ops-email" }?.state == .sent)
            let hookEntry = outbox.first { $0.receiver == "auklab-hook" }
            #expect(hookEntry?.state == .pending)
            #expect((hookEntry?.attempts ?? 0) >= 2)
            #expect(smtp.messages().count == 1)
        }
    }
}
