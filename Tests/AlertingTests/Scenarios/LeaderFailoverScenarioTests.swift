import AsyncHTTPClient
import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

/// Two coordinators in one process sharing ONE SQLite file, each with its own connection
/// pool, `Fleet`, `Alerting` and `Leadership`, reporting to one webhook sink on loopback:
/// only the lease holder evaluates and sends, and after it dies the other sends what it
/// left pending, exactly once.
@Suite("Leader failover: one coordinator notifies, the next picks up the outbox", .serialized, .timeLimit(.minutes(2)))
struct LeaderFailoverScenarioTests {
    static let timing = LeaseTiming(ttl: .seconds(2), renewEvery: .milliseconds(400))

    /// Forwards to the real notifier unless switched off (the instance's network is down); counts what it sent.
    final class Gate: Sendable {
        let down = NIOLockedValueBox(false)
        let sent = NIOLockedValueBox<[String]>([])
    }

    struct GatedNotifier: Notifier {
        let inner: any Notifier
        let gate: Gate

        func send(_ notification: AlertNotification) async throws(NotifyError) {
            if gate.down.withLockedValue({ $0 }) { throw .retryable("test: this coordinator's network is down") }
            try await inner.send(notification)
            gate.sent.withLockedValue { $0.append(notification.id) }
        }
    }

    /// One coordinator's parts on the shared file.
    struct Instance {
        let fleet: Fleet
        let alerting: Alerting
        let leadership: Leadership
        let gate: Gate

        static func start(path: String, name: String, client: HTTPClient, apply inventory: String? = nil,
                          register nodes: [String] = []) async throws -> Instance {
            let logger = Fixtures.logger
            let store = try SQLiteFleetStore(path: path)
            let metrics = CoordinatorMetrics()
            let fleet = Fleet(store: store, logger: logger, metrics: metrics)
            try await fleet.load()
            if let inventory { _ = try await fleet.apply(files: [.init(path: "fleet.yaml", content: inventory)], dryRun: false) }
            for node in nodes { _ = try await fleet.register(RegistrationRequest(name: node, agentVersion: "test")) }
            let leadership = Leadership(store: store, url: "http://127.0.0.1:1/\(name)", timing: LeaderFailoverScenarioTests.timing,
                                        logger: logger, metrics: metrics, instanceID: name)
            await leadership.start()
            await fleet.attach(leadership)
            let gate = Gate()
            let alerting = Alerting(store: store, logger: logger, metrics: metrics,
                                    options: AlertingOptions(evaluationInterval: .milliseconds(200),
                                                             delivery: DeliveryPolicy(initialBackoff: .milliseconds(300),
                                                                                      maxBackoff: .seconds(1)),
                                                             externalURL: "http://127.0.0.1:1"),
                                    notifiers: { receiver in
                                        GatedNotifier(inner: NotifierFactory.make(for: receiver, httpClient: client, logger: logger),
                                                      gate: gate)
                                    })
            try await alerting.start(fleet: fleet, leadership: leadership)
            return Instance(fleet: fleet, alerting: alerting, leadership: leadership, gate: gate)
        }

        func report(_ node: String, _ stations: [StationStatus]) async throws {
            _ = try await fleet.heartbeat(node: node, report: StatusReport(agentVersion: "test", uptimeSeconds: 60,
                                                                            appliedRevision: 1, stations: stations))
        }

        func stop() async {
            await alerting.stop()
            await leadership.stop(release: false)
        }
    }

    @Test("only the leader notifies; after it dies the other sends the pending notification exactly once")
    func failover() async throws {
        try await withTeardown { teardown in
            let hook = try await WebhookSink.start()
            teardown.add { try? await hook.stop() }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            teardown.add { try? await client.shutdown() }
            let dir = try makeScratchDir("leader-failover")
            teardown.add { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/coordinator.sqlite"

            let inventory = ScenarioInventory.fleet(stations: ["pi1": ["ROST1"], "pi2": ["ROST2"]],
                                                    alerts: DeliveryScenarioTests.hookAlerts(hook.url()))
            let a = try await Instance.start(path: path, name: "a", client: client, apply: inventory, register: ["pi1", "pi2"])
            teardown.add { await a.stop() }
            let b = try await Instance.start(path: path, name: "b", client: client)
            teardown.add { await b.stop() }
            let termA = try #require(await a.leadership.term, "the first coordinator leads")
            #expect(await b.leadership.term == nil)

            // 1. Both coordinators hear pi1 (as behind a load balancer): one notification, from the leader.
            for instance in [a, b] { try await instance.report("pi1", [AlertingHarness.stale("ROST1")]) }
            let first = try await hook.waitForRequests(count: 1)
            // Several evaluation rounds of both: a follower that evaluated would notify the group itself.
            await waitUntil(timeout: .milliseconds(1_500)) { hook.requests.count > 1 }
            #expect(hook.requests.count == 1, "exactly one notification for one alert, though two coordinators see it")
            #expect(a.gate.sent.withLockedValue { $0 } == [first[0].header("Idempotency-Key")].compactMap { $0 })
            #expect(b.gate.sent.withLockedValue { $0 }.isEmpty)

            // 2. The leader's network goes down; a station of another site goes stale: its notification stays pending.
            a.gate.down.withLockedValue { $0 = true }
            for instance in [a, b] { try await instance.report("pi2", [AlertingHarness.stale("ROST2")]) }
            var pendingID: String?
            let failedOnce = try await waitUntil(timeout: .seconds(10)) {
                let views = try await a.alerting.notificationViews(failedOnly: false, limit: 10)
                pendingID = views.first { $0.state == .pending && $0.attempts >= 1 }?.id
                return pendingID != nil
            }
            #expect(failedOnce, "the leader tried and failed to send the second notification")
            let pending = try #require(pendingID)

            // 3. The leader loses its lease without releasing it (its renewals stop, as after a crash
            // or a partition) but its alerting keeps running and its network is back: it must not send.
            a.gate.down.withLockedValue { $0 = false }
            let lost = ContinuousClock.now
            await a.leadership.stop(release: false)
            let tookOver = await waitUntil(timeout: .seconds(6)) { await b.leadership.term != nil }
            #expect(tookOver, "the other coordinator takes over")
            #expect(ContinuousClock.now - lost < Self.timing.ttl + .seconds(1), "within the lease TTL")
            let termB = try #require(await b.leadership.term)
            #expect(termB > termA)

            let delivered = await waitUntil(timeout: .seconds(10)) {
                hook.requests.contains { $0.header("Idempotency-Key") == pending }
            }
            #expect(delivered, "the new leader delivers the notification the old one left pending")
            // A bounded look for a duplicate, from either coordinator.
            await waitUntil(timeout: .milliseconds(1_500)) {
                hook.requests.filter { $0.header("Idempotency-Key") == pending }.count > 1
            }
            #expect(hook.requests.filter { $0.header("Idempotency-Key") == pending }.count == 1, "delivered exactly once")
            #expect(hook.requests.count == 2, "no other notification: the new leader reloaded the alert state")
            #expect(!a.gate.sent.withLockedValue { $0 }.contains(pending), "the old leader sent nothing after losing the lease")
            #expect(b.gate.sent.withLockedValue { $0 } == [pending])
            let stored = try await b.alerting.notificationViews(failedOnly: false, limit: 10)
            #expect(stored.first { $0.id == pending }?.state == .sent)
            #expect(await a.alerting.leaderTerm == nil)
            #expect(await b.alerting.leaderTerm == termB)
            // Rollouts and pruning follow the lease on the fleet's housekeeping tick.
            await a.fleet.tick()
            await b.fleet.tick()
            #expect(await a.fleet.leaderTerm == nil)
            #expect(await b.fleet.leaderTerm == termB)
        }
    }
}
