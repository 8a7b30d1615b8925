import AsyncHTTPClient
import FleetCoordinator
import FleetInventory
import Foundation
import Testing

@Suite("AlertmanagerNotifier against a real prometheus-alertmanager", .timeLimit(.minutes(2)))
struct AlertmanagerNotifierTests {
    @Test("a firing alert shows in Alertmanager with our labels and stays active past resolve_timeout; resolving clears it")
    func forwardAndResolve() async throws {
        let peer = try await AlertmanagerPeer.start()
        let notifier = AlertmanagerNotifier(config: AlertmanagerReceiverConfig(url: peer.url + "/"),
                                            httpClient: .shared, logger: Fixtures.logger)
        let now = Date()
        let alert = Alert(labels: ["alertname": "NodeOffline", "node": "pi7", "site": "auklab", "severity": "critical"],
                          annotations: ["summary": "pi7: no heartbeat for 75s"], startsAt: now.addingTimeInterval(-60))
        let firing = AlertNotification(receiver: "upstream", groupKey: "{}:{node=\"pi7\"}", sequence: 1, alerts: [alert],
                                  groupLabels: ["node": "pi7"], externalURL: "")
        do {
            try await notifier.send(firing)
        } catch {
            Issue.record("send failed: \(error)\n\(peer.log)")
        }
        var shown: AlertmanagerPeer.GettableAlert?
        await waitUntil(timeout: .seconds(10)) {
            shown = try? await peer.alerts().first { $0.labels["node"] == "pi7" }
            return shown != nil
        }
        let remote = try #require(shown, "alert not listed by Alertmanager; log:\n\(peer.log)")
        #expect(remote.labels == alert.labels)
        #expect(remote.annotations["summary"] == "pi7: no heartbeat for 75s")
        #expect(remote.status.state == "active")
        #expect(remote.fingerprint.count == 16)
        let endsAt = try #require(try? Date(remote.endsAt, strategy: .iso8601.year().month().day()
            .time(includingFractionalSeconds: true)) ?? Date(remote.endsAt, strategy: .iso8601))
        #expect(endsAt > now.addingTimeInterval(3600), "firing alerts are not left to resolve_timeout (5 min)")

        var resolvedAlert = alert
        resolvedAlert.endsAt = Date()
        let resolved = AlertNotification(receiver: "upstream", groupKey: "{}:{node=\"pi7\"}", sequence: 2, alerts: [resolvedAlert],
                                    groupLabels: ["node": "pi7"], externalURL: "")
        try await notifier.send(resolved)
        let cleared = await waitUntil(timeout: .seconds(10)) {
            guard let alerts = try? await peer.alerts() else { return false }
            return !alerts.contains { $0.labels["node"] == "pi7" && $0.status.state == "active" }
        }
        await peer.stop()
        #expect(cleared, "the resolved send did not clear the alert")
    }

    @Test("a 400 from Alertmanager (invalid alert) is permanent; a stopped Alertmanager is retryable")
    func classification() async throws {
        let peer = try await AlertmanagerPeer.start()
        let notifier = AlertmanagerNotifier(config: AlertmanagerReceiverConfig(url: peer.url), httpClient: .shared,
                                            logger: Fixtures.logger)
        let invalid = AlertNotification(receiver: "upstream", groupKey: "{}", sequence: 1,
                                   alerts: [Alert(labels: [:], annotations: [:], startsAt: Date())],
                                   groupLabels: [:], externalURL: "")
        let rejected = await #expect(throws: NotifyError.self) { try await notifier.send(invalid) }
        #expect(rejected?.isRetryable == false, "\(String(describing: rejected))")
        await peer.stop()
        let down = await #expect(throws: NotifyError.self) { try await notifier.send(Fixtures.firingGroup()) }
        #expect(down?.isRetryable == true, "\(String(describing: down))")
    }
}
