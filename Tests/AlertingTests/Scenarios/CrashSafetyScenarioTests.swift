import FleetProtocol
import Foundation
import NIOHTTP1
import Testing

@Suite("Alerting scenario: the outbox survives a SIGKILL of the real coordinator", .serialized, .timeLimit(.minutes(2)))
struct CrashSafetyScenarioTests {
    @Test("9. pending notification, SIGKILL, SMTP up, restart: exactly one mail with the same idempotency key")
    func outboxSurvivesKill() async throws {
        try await withTeardown { teardown in
            let dataDir = try makeScratchDir("crash-safety")
            teardown.add { try? FileManager.default.removeItem(atPath: dataDir) }
            let smtpPort = try freeLocalPort()   // no server yet: every attempt fails
            // A short leader lease: the restarted coordinator is a new instance and takes the lease over
            // only once the killed one's expires (the default 15 s would eat most of the deadlines below).
            let arguments = ["--notify-initial-backoff", "300ms", "--notify-max-backoff", "1s",
                             "--lease-ttl", "2s", "--lease-renew", "500ms"]
            let first = try await CoordinatorProcess.start(dataDir: dataDir, arguments: arguments)
            teardown.add { await first.stop() }

            // groupInterval 1h: after the restart no further notification of this group is due
            // (not even a resolution, should the node's last report not have been flushed
            // before the kill), so any second mail would be a duplicate of the pending one.
            let inventory = ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]], alerts: """
            alerts:
              thresholds: {segmentStaleAfter: 1s}
              receivers:
            \(ScenarioInventory.email("ops-email", port: smtpPort))
              route:
                receiver: ops-email
                groupBy: [site, alertname]
                groupWait: 0s
                groupInterval: 1h
                repeatInterval: 4h

            """)
            let admin = try first.adminToken()
            let applied: ApplyResult = try await first.call(
                .POST, "/v1/apply", token: admin, body: ApplyRequest(files: [.init(path: "fleet.yaml", content: inventory)]))
            #expect(applied.revision >= 1)
            let registration: RegistrationResponse = try await first.call(
                .POST, "/v1/register", token: try first.joinToken(), body: RegistrationRequest(name: "pi1", agentVersion: "test"))
            let report = StatusReport(agentVersion: "test", uptimeSeconds: 60, appliedRevision: applied.revision,
                                      stations: [AlertingHarness.stale("ROST1")])
            let _: StatusAck = try await first.call(.POST, "/v1/nodes/pi1/heartbeat", token: registration.nodeToken, body: report)

            var pending: NotificationView?
            let failing = await waitUntil(timeout: .seconds(15), poll: .milliseconds(100)) {
                let views: [NotificationView]? = try? await first.call(.GET, "/v1/notifications?limit=50", token: admin)
                pending = views?.first { $0.receiver == "ops-email" && $0.state == .pending && $0.attempts >= 1 }
                return pending != nil
            }
            #expect(failing, "a pending notification with failed attempts; coordinator log:\n\(first.log)")
            let id = try #require(pending?.id)

            await first.kill()
            #expect(!first.isRunning)
            let smtp = try await SMTPSink.start(port: smtpPort)
            teardown.add { await smtp.stop() }
            let second = try await CoordinatorProcess.start(dataDir: dataDir, arguments: arguments)
            teardown.add { await second.stop() }

            let mails = try await smtp.waitForMessages(count: 1)
            #expect(mails.first?.header("X-StationFleet-Idempotency-Key") == id)
            #expect(mails.first?.header("Message-ID") == "<\(id)@stationfleet>")
            let sent = await waitUntil(timeout: .seconds(5), poll: .milliseconds(100)) {
                let views: [NotificationView]? = try? await second.call(.GET, "/v1/notifications?limit=50", token: admin)
                return views?.first { $0.id == id }?.state == .sent
            }
            #expect(sent, "coordinator log:\n\(second.log)")
            // Bounded look (2 s: several evaluations and outbox passes) that it is sent once.
            await waitUntil(timeout: .seconds(2)) { smtp.messages().count > 1 }
            #expect(smtp.messages().count == 1, "\(smtp.messages().map { $0.header("Subject") ?? "" })")
        }
    }
}
