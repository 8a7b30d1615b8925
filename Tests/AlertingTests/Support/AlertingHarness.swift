import AsyncHTTPClient
import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Logging

/// Central alerting in-process, end to end: a temp data dir, a real `SQLiteFleetStore`, a
/// `Fleet` with an applied inventory, registered nodes that report through
/// `Fleet.heartbeat`, and an `Alerting` on it with fast clocks whose notifiers are the real
/// ones (`NotifierFactory`) over one shared `HTTPClient`. Scenarios then assert what
/// reached the real peers (SMTPSink, WebhookSink, AlertmanagerPeer).
///
/// ```swift
/// let harness = try await AlertingHarness.start(inventory: yaml, nodes: ["pi1"])
/// defer { Task { await harness.stop() } }      // or call stop() on every exit path
/// try await harness.report("pi1", stations: [AlertingHarness.stale("ROST1")])
/// let views = await harness.alerting.alertViews()
/// ```
final class AlertingHarness: Sendable {
    let directory: String
    let fleet: Fleet
    let alerting: Alerting
    let httpClient: HTTPClient
    let store: SQLiteFleetStore
    let metrics: CoordinatorMetrics

    private init(directory: String, fleet: Fleet, alerting: Alerting, httpClient: HTTPClient, store: SQLiteFleetStore,
                 metrics: CoordinatorMetrics) {
        self.store = store
        self.metrics = metrics
        self.directory = directory
        self.fleet = fleet
        self.alerting = alerting
        self.httpClient = httpClient
    }

    /// Applies `inventory`, registers `nodes`, then starts alerting. `override` may build the
    /// notifier for a receiver itself (nil: `NotifierFactory`), e.g. to reach an
    /// Alertmanager through a receiver the current parser spells as a webhook.
    static func start(inventory: String, nodes: [String],
                      evaluationInterval: Duration = .milliseconds(200),
                      delivery: DeliveryPolicy = DeliveryPolicy(initialBackoff: .milliseconds(300), maxBackoff: .seconds(2)),
                      override: (@Sendable (AlertReceiver, HTTPClient, Logger) -> (any Notifier)?)? = nil) async throws -> AlertingHarness {
        let dir = try makeScratchDir("alerting-harness")
        let logger = Fixtures.logger
        let store = try SQLiteFleetStore(path: dir + "/coordinator.sqlite")
        let metrics = CoordinatorMetrics()
        let fleet = Fleet(store: store, logger: logger, metrics: metrics)
        try await fleet.load()
        _ = try await fleet.apply(files: [.init(path: "fleet.yaml", content: inventory)], dryRun: false)
        for node in nodes {
            _ = try await fleet.register(RegistrationRequest(name: node, agentVersion: "test"))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let alerting = Alerting(store: store, logger: logger, metrics: metrics,
                                options: AlertingOptions(evaluationInterval: evaluationInterval, delivery: delivery,
                                                         externalURL: "http://127.0.0.1:1"),
                                notifiers: { receiver in
                                    override?(receiver, client, logger)
                                        ?? NotifierFactory.make(for: receiver, httpClient: client, logger: logger)
                                })
        do {
            try await alerting.start(fleet: fleet)
        } catch {
            try? await client.shutdown()
            throw error
        }
        return AlertingHarness(directory: dir, fleet: fleet, alerting: alerting, httpClient: client, store: store,
                               metrics: metrics)
    }

    /// One heartbeat of `node` with these stations (and nothing else).
    func report(_ node: String, stations: [StationStatus]) async throws {
        _ = try await fleet.heartbeat(node: node, report: StatusReport(agentVersion: "test", uptimeSeconds: 60,
                                                                       appliedRevision: 1, stations: stations))
    }

    /// A recording station whose newest segment is `age` seconds old (stale past a small threshold).
    static func stale(_ station: String, age: TimeInterval = 600) -> StationStatus {
        StationStatus(station: station, state: .recording, newestSegmentAt: Date().addingTimeInterval(-age))
    }

    /// A recording station with a segment just now.
    static func fresh(_ station: String) -> StationStatus {
        StationStatus(station: station, state: .recording, newestSegmentAt: Date())
    }

    /// The alert views of `alertname` (all states).
    func views(_ alertname: String) async -> [AlertView] {
        var all: [AlertView] = []
        for state in AlertView.State.allCases { all += await alerting.alertViews(state: state) }
        return all.filter { $0.alertname == alertname }
    }

    func outbox() async throws -> [NotificationView] {
        try await alerting.notificationViews(failedOnly: false, limit: 100)
    }

    func stop() async {
        await alerting.stop()
        try? await httpClient.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Inventory text for the scenarios.
enum ScenarioInventory {
    /// Sites auklab and emsn, node pi1 at auklab and pi2 at emsn, `stations` per node.
    static func fleet(stations: [String: [String]], alerts: String) -> String {
        var lines = [
            "sites:", "  auklab: {}", "  emsn: {}",
            "defaults:", "  recorder: {outputDir: /tmp/rec}",
            "nodes:", "  pi1: {site: auklab}", "  pi2: {site: emsn}",
            "stations:",
        ]
        for (node, names) in stations.sorted(by: { $0.key < $1.key }) {
            for name in names { lines.append("  \(name): {node: \(node), camera: {host: 127.0.0.1}}") }
        }
        return lines.joined(separator: "\n") + "\n" + alerts
    }

    static func email(_ name: String, port: Int) -> String {
        "    \(name): {email: {to: [ops@example.org], smtp: \"smtp://127.0.0.1:\(port)\", from: \"StationFleet <alerts@fleet.test>\"}}"
    }

    static func webhook(_ name: String, url: String) -> String {
        "    \(name): {webhook: {url: \"\(url)\"}}"
    }
}
