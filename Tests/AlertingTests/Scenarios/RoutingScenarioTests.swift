import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// Central alerting end to end, in-process (`AlertingHarness`): the fleet's reports go
/// through the real rules, grouping, inhibition and silences, and the notifications reach
/// a real SMTP server and a real HTTP receiver. Serialized: each scenario's timing is short,
/// and parallel python peers on two cores would only make them slower.
@Suite("Alerting scenarios: routing, grouping, inhibition, silences", .serialized, .timeLimit(.minutes(2)))
struct RoutingScenarioTests {
    /// Root email; auklab also goes to the hook. Alertmanager's route semantics: once a child
    /// matches, the parent's receiver is not used, so "hook AND email" for auklab needs a
    /// catch-all child after the `continue: true` one (as one writes it in Alertmanager).
    static func routedAlerts(emailPort: Int, hookURL: String, groupWait: String = "0s",
                             groupInterval: String = "1h") -> String {
        """
        alerts:
          thresholds: {segmentStaleAfter: 1s}
          receivers:
        \(ScenarioInventory.email("ops-email", port: emailPort))
        \(ScenarioInventory.webhook("auklab-hook", url: hookURL))
          route:
            receiver: ops-email
            groupBy: [site, alertname]
            groupWait: \(groupWait)
            groupInterval: \(groupInterval)
            repeatInterval: 4h
            routes:
              - match: {site: auklab}
                receiver: auklab-hook
                continue: true
              - receiver: ops-email

        """
    }

    @Test("1. routing: an auklab alert reaches the hook and email, an emsn alert email only")
    func routing() async throws {
        try await withTeardown { teardown in
            let smtp = try await SMTPSink.start()
            teardown.add { await smtp.stop() }
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            let inventory = ScenarioInventory.fleet(stations: ["pi1": ["ROST1"], "pi2": ["EMSN1"]],
                                                    alerts: Self.routedAlerts(emailPort: smtp.port, hookURL: hook.url()))
            let harness = try await AlertingHarness.start(inventory: inventory, nodes: ["pi1", "pi2"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            try await harness.report("pi2", stations: [AlertingHarness.stale("EMSN1")])

            let mails = try await smtp.waitForMessages(count: 2)
            let subjects = mails.compactMap { $0.header("Subject") }.sorted()
            #expect(subjects.count == 2)
            #expect(subjects.contains { $0.contains("SegmentStale") && $0.contains("auklab") })
            #expect(subjects.contains { $0.contains("SegmentStale") && $0.contains("emsn") })
            let requests = try await hook.waitForRequests(count: 1)
            // Nothing more is due (groupInterval 1h): a short bounded look that no emsn
            // alert reaches the hook late, e.g. from a second evaluation.
            await waitUntil(timeout: .seconds(1)) { hook.requests.count > 1 }
            #expect(hook.requests.count == 1)
            let payload = try JSONDecoder().decode(WebhookPayload.self, from: requests[0].body)
            #expect(payload.receiver == "auklab-hook")
            #expect(payload.commonLabels["site"] == "auklab")
            #expect(payload.alerts.map { $0.labels["station"] } == ["ROST1"])
            #expect(smtp.messages().count == 2)
        }
    }

    @Test("1b. routing: with a single `continue: true` child and no catch-all, auklab goes to the hook only")
    func continueWithoutCatchAll() async throws {
        try await withTeardown { teardown in
            let smtp = try await SMTPSink.start()
            teardown.add { await smtp.stop() }
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            // As inventory/example.yaml writes it. Alertmanager semantics: a parent's receiver is
            // used only when none of its children matched; `continue` only lets later siblings match.
            let alerts = Self.routedAlerts(emailPort: smtp.port, hookURL: hook.url())
                .replacingOccurrences(of: "      - receiver: ops-email\n", with: "")
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"], "pi2": ["EMSN1"]], alerts: alerts),
                nodes: ["pi1", "pi2"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            try await harness.report("pi2", stations: [AlertingHarness.stale("EMSN1")])
            let mail = try #require(try await smtp.waitForMessages(count: 1).first)
            #expect(mail.header("Subject")?.contains("emsn") == true)
            let requests = try await hook.waitForRequests(count: 1)
            #expect(try JSONDecoder().decode(WebhookPayload.self, from: requests[0].body).commonLabels["site"] == "auklab")
            // Bounded look: both notifications were made in the same evaluation; nothing else is due.
            await waitUntil(timeout: .seconds(1)) { smtp.messages().count > 1 || hook.requests.count > 1 }
            #expect(smtp.messages().count == 1)
            #expect(hook.requests.count == 1)
        }
    }

    @Test("1c. time intervals: a route muted all day sends nothing; one active all day sends")
    func timeIntervals() async throws {
        try await withTeardown { teardown in
            let smtp = try await SMTPSink.start()
            teardown.add { await smtp.stop() }
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            let alerts = Self.routedAlerts(emailPort: smtp.port, hookURL: hook.url())
                .replacingOccurrences(of: "        continue: true\n", with: "        continue: true\n        muteTimeIntervals: [always]\n")
                .replacingOccurrences(of: "      - receiver: ops-email\n", with: "      - receiver: ops-email\n        activeTimeIntervals: [always]\n")
                + "  timeIntervals:\n    always: [{times: [{start: '00:00', end: '24:00'}]}]\n"
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"], "pi2": ["EMSN1"]], alerts: alerts),
                nodes: ["pi1", "pi2"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            try await harness.report("pi2", stations: [AlertingHarness.stale("EMSN1")])
            let mails = try await smtp.waitForMessages(count: 2)
            #expect(mails.compactMap { $0.header("Subject") }.contains { $0.contains("auklab") })
            // Bounded look: the muted hook's group was flushed in the same evaluation as the mails.
            await waitUntil(timeout: .seconds(1)) { !hook.requests.isEmpty }
            #expect(hook.requests.isEmpty)
        }
    }

    @Test("2. grouping: ten stale stations on one node make exactly one mail listing all ten")
    func grouping() async throws {
        try await withTeardown { teardown in
            let smtp = try await SMTPSink.start()
            teardown.add { await smtp.stop() }
            let stations = (1...10).map { String(format: "ST%02d", $0) }
            let alerts = """
            alerts:
              thresholds: {segmentStaleAfter: 1s}
              receivers:
            \(ScenarioInventory.email("ops-email", port: smtp.port))
              route:
                receiver: ops-email
                groupBy: [site, alertname]
                groupWait: 1s
                groupInterval: 1h
                repeatInterval: 4h

            """
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": stations], alerts: alerts), nodes: ["pi1"])
            teardown.add { await harness.stop() }

            try await harness.report("pi1", stations: stations.map { AlertingHarness.stale($0) })
            let mail = try #require(try await smtp.waitForMessages(count: 1).first)
            #expect(mail.header("Subject") == "[FIRING:10] SegmentStale auklab (pi1 critical)")
            let text = try #require(mail.textBody)
            for station in stations { #expect(text.contains("\(station) on pi1"), "the mail lists \(station)") }
            // Proving that nothing more happens needs a bounded look: the evaluation runs every
            // 200 ms, so ~1.5 s covers several evaluations and group checks; a second mail here
            // would mean the group re-notified within its 1 h groupInterval.
            await waitUntil(timeout: .milliseconds(1_500)) { smtp.messages().count > 1 }
            #expect(smtp.messages().count == 1)
        }
    }

    @Test("3. inhibition: an offline node sends one NodeOffline; its stale stations are muted, not mailed")
    func inhibition() async throws {
        try await withTeardown { teardown in
            let smtp = try await SMTPSink.start()
            teardown.add { await smtp.stop() }
            // groupWait 3s: the stale-station group would flush 3 s after the last report; by
            // then NodeOffline (1 s) fires and inhibits its members, so that group never mails.
            let alerts = """
            alerts:
              thresholds: {segmentStaleAfter: 1s, nodeOfflineAfter: 1s}
              receivers:
            \(ScenarioInventory.email("ops-email", port: smtp.port))
              route:
                receiver: ops-email
                groupBy: [site, alertname]
                groupWait: 3s
                groupInterval: 1h
                repeatInterval: 4h

            """
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1", "ROST2"]], alerts: alerts), nodes: ["pi1"])
            teardown.add { await harness.stop() }

            // The last heartbeat: the node then stays silent.
            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1"), AlertingHarness.stale("ROST2")])
            let mail = try #require(try await smtp.waitForMessages(count: 1).first)
            #expect(mail.header("Subject")?.contains("NodeOffline") == true, "\(mail.header("Subject") ?? "")")
            #expect(mail.textBody?.contains("SegmentStale") == false)

            let offline = try #require(await harness.views("NodeOffline").first)
            #expect(offline.state == .firing)
            let stale = await harness.views("SegmentStale")
            #expect(stale.count == 2)
            for view in stale {
                #expect(view.state == .silenced)
                #expect(view.inhibitedBy == [offline.id])
                #expect(view.silencedBy.isEmpty)
            }
            // Bounded look (several evaluations) that the muted group does not mail later.
            await waitUntil(timeout: .milliseconds(1_500)) { smtp.messages().count > 1 }
            #expect(smtp.messages().count == 1)
        }
    }

    @Test("4. silence: nothing is sent while it is active; after it is expired the notification goes out")
    func silence() async throws {
        try await withTeardown { teardown in
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            let alerts = """
            alerts:
              thresholds: {segmentStaleAfter: 1s}
              receivers:
            \(ScenarioInventory.webhook("hook", url: hook.url()))
              route:
                receiver: hook
                groupBy: [site, alertname]
                groupWait: 0s
                groupInterval: 1s
                repeatInterval: 4h

            """
            let harness = try await AlertingHarness.start(
                inventory: ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]], alerts: alerts), nodes: ["pi1"])
            teardown.add { await harness.stop() }

            let silence = try await harness.alerting.addSilence(
                SilenceRequest(matchers: ["site=auklab"], durationSeconds: 3_600, comment: "maintenance", by: "test"))
            try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
            let muted = await waitUntil(timeout: .seconds(5)) {
                await harness.views("SegmentStale").first?.state == .silenced
            }
            #expect(muted)
            let view = try #require(await harness.views("SegmentStale").first)
            #expect(view.silencedBy == [silence.id])
            #expect(view.inhibitedBy.isEmpty)
            // groupWait is 0 s: unsilenced, it would be sent within one evaluation (200 ms).
            // A bounded look of 1 s (five evaluations) that nothing goes out while silenced.
            await waitUntil(timeout: .seconds(1)) { !hook.requests.isEmpty }
            #expect(hook.requests.isEmpty)
            #expect(try await harness.outbox().isEmpty)

            _ = try await harness.alerting.expireSilence(silence.id, by: "test")
            let requests = try await hook.waitForRequests(count: 1)
            let payload = try JSONDecoder().decode(WebhookPayload.self, from: requests[0].body)
            #expect(payload.status == "firing")
            #expect(payload.alerts.map { $0.labels["station"] } == ["ROST1"])
            #expect(await harness.views("SegmentStale").first?.state == .firing)
        }
    }
}
