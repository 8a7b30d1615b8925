import ArgumentParser
import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Synchronization

/// Central alerting in process: a `Fleet` on SQLite in a temporary folder, fed heartbeats
/// directly (no HTTP), with the real `Alerting` and a notifier that only counts.
struct AlertBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Alert evaluation cost at N nodes (baseline: the same at --baseline-nodes), and notifications of one flapping site.",
        discussion: """
            evaluate: applies an inventory of N nodes with 4 stations each, heartbeats every node once (1 % of the \
            stations with a stale newest segment, so their SegmentStale alerts fire), starts Alerting and times \
            `evaluate()` (process CPU time and wall time) --evaluations times. Baseline in the same run: the same at \
            --baseline-nodes, and the time to ingest one heartbeat of every node.
            flap: one site of 250 nodes × 4 stations whose 1,000 SegmentStale alerts fire and then flap (10 % of \
            the stations change every 0.5 s); counts the notifications per group interval.
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case evaluate, flap, all }

    @Option(help: "evaluate, flap or all.")
    var mode: Mode = .all

    @Option(help: "Nodes (4 stations each) for the evaluation benchmark.")
    var nodes = 10_000

    @Option(help: "Nodes for the baseline evaluation.")
    var baselineNodes = 1_000

    @Option(help: "Evaluations timed per size.")
    var evaluations = 20

    @Option(help: "flap: groupInterval in seconds.")
    var groupInterval = 2

    @Option(help: "flap: group intervals to watch.")
    var intervals = 3

    func run() async throws {
        if mode != .flap {
            let baseline = try await evaluationCost(nodes: baselineNodes)
            let full = try await evaluationCost(nodes: nodes)
            print("""
                fleet-bench alerts evaluate: nodes=\(nodes) stations=\(nodes * 4) evaluations=\(evaluations)
                  heartbeat ingestion, one pass over \(nodes) nodes (in process): \(ms(full.ingest)) (\(ms(full.ingest / Double(nodes))) per node)
                  first evaluation (\(full.firing) alerts start, stored):   \(ms(full.first.cpu)) CPU, \(ms(full.first.wall)) wall
                  evaluation CPU:  median \(ms(full.cpu.percentile(50))) p95 \(ms(full.cpu.percentile(95)))   wall median \(ms(full.wall.percentile(50))) p95 \(ms(full.wall.percentile(95)))
                  baseline \(baselineNodes) nodes: CPU median \(ms(baseline.cpu.percentile(50))) p95 \(ms(baseline.cpu.percentile(95)))
                  ratio \(nodes)/\(baselineNodes) nodes (median CPU): \(String(format: "%.1f", full.cpu.percentile(50) / baseline.cpu.percentile(50)))x for \(String(format: "%.0f", Double(nodes) / Double(baselineNodes)))x the fleet
                  ratio evaluation / heartbeat pass: \(String(format: "%.3f", full.cpu.percentile(50) / full.ingest))
                  RSS: \(String(format: "%.1f", full.rssBefore)) MiB before Alerting started, \(String(format: "%.1f", full.rssAfter)) MiB after the evaluations
                """)
        }
        if mode != .evaluate {
            try await flapping()
        }
    }

    // MARK: Evaluation cost

    struct Cost {
        var ingest: Double
        var first: (cpu: Double, wall: Double)
        var cpu: LatencyStats
        var wall: LatencyStats
        var firing: Int
        var rssBefore: Double
        var rssAfter: Double
    }

    func evaluationCost(nodes count: Int) async throws -> Cost {
        let bench = try await InProcessFleet(receiver: true, groupInterval: 300)
        do {
            let names = (0..<count).map { String(format: "n%05d", $0) }
            try await bench.apply(sites: 100, nodes: names, stationsPerNode: 4)
            let now = Date()
            let stale = now.addingTimeInterval(-3_600)
            let began = ContinuousClock.now
            for (index, name) in names.enumerated() {
                // Every 100th station (1 %) has a newest segment an hour old.
                let stations = (0..<4).map { station -> (String, Date) in
                    let number = index * 4 + station
                    return (InProcessFleet.station(node: index, station), number % 100 == 0 ? stale : now)
                }
                _ = try await bench.fleet.heartbeat(node: name, report: InProcessFleet.report(stations))
            }
            let ingest = seconds(ContinuousClock.now - began)
            let rssBefore = residentMiB(pid: getpid()) ?? 0
            let alerting = try await bench.startAlerting(evaluationInterval: .seconds(3_600))
            let first = await Self.timed { await alerting.evaluate() }
            var cpu = LatencyStats()
            var wall = LatencyStats()
            for _ in 0..<evaluations {
                let took = await Self.timed { await alerting.evaluate() }
                cpu.add(took.cpu)
                wall.add(took.wall)
            }
            let firing = await alerting.alertViews(state: .firing).count
            let rssAfter = residentMiB(pid: getpid()) ?? 0
            await alerting.stop()
            await bench.shutdown()
            return Cost(ingest: ingest, first: first, cpu: cpu, wall: wall, firing: firing, rssBefore: rssBefore, rssAfter: rssAfter)
        } catch {
            await bench.shutdown()
            throw error
        }
    }

    static func timed(_ body: () async -> Void) async -> (cpu: Double, wall: Double) {
        let cpuStart = processCPUSeconds()
        let start = ContinuousClock.now
        await body()
        return (processCPUSeconds() - cpuStart, seconds(ContinuousClock.now - start))
    }

    // MARK: Flapping site

    func flapping() async throws {
        let bench = try await InProcessFleet(receiver: true, groupInterval: groupInterval)
        do {
            let names = (0..<250).map { String(format: "flap%03d", $0) }
            try await bench.apply(sites: 1, nodes: names, stationsPerNode: 4)
            let counter = bench.counter
            let alerting = try await bench.startAlerting(evaluationInterval: .milliseconds(250))
            var stale = Array(repeating: true, count: 1_000)
            var generator = SplitMix(seed: 42)
            let start = ContinuousClock.now
            let deadline = start + .seconds(1 + groupInterval * intervals) + .milliseconds(500)
            var rounds = 0
            var changes = 0
            while ContinuousClock.now < deadline, rounds < 1_000 {
                let now = Date()
                for (index, name) in names.enumerated() {
                    let stations = (0..<4).map { station -> (String, Date) in
                        (InProcessFleet.station(node: index, station), stale[index * 4 + station] ? now.addingTimeInterval(-3_600) : now)
                    }
                    _ = try await bench.fleet.heartbeat(node: name, report: InProcessFleet.report(stations))
                }
                // The first 1.5 s all 1,000 alerts fire (the first notification carries them all);
                // then 10 % of the stations flip each round.
                for _ in 0..<(rounds >= 3 ? 100 : 0) {
                    let pick = Int(generator.next() % 1_000)
                    stale[pick].toggle()
                    changes += 1
                }
                rounds += 1
                try await Task.sleep(for: .milliseconds(500))
            }
            await alerting.stop()
            let sent = counter.sent.withLock { $0 }
            let distinct = Set(sent.flatMap(\.fingerprints)).count
            print("fleet-bench alerts flap: 1 site, 1,000 stations, groupWait 1s, groupInterval \(groupInterval)s, \(intervals) intervals watched")
            print("  heartbeat rounds: \(rounds) (every 0.5 s), station flips: \(changes), distinct alerts notified: \(distinct)")
            print("  notifications sent: \(sent.count) (groups: \(Set(sent.map(\.groupKey)).count))")
            for item in sent {
                let at = item.at.timeIntervalSince(bench.startedAt)
                print(String(format: "    t=%6.2fs  seq %d  %4d firing  %4d resolved", at, item.sequence, item.firing, item.resolved))
            }
            let gaps = zip(sent.dropFirst(), sent).map { $0.at.timeIntervalSince($1.at) }
            if let shortest = gaps.min() {
                print(String(format: "  shortest gap between two notifications of the group: %.2fs (groupInterval %ds)", shortest, groupInterval))
            }
            let watched = seconds(ContinuousClock.now - start)
            print(String(format: "  baseline, Alertmanager's rule (one at groupWait, then at most one per groupInterval) over %.1fs: at most %d",
                         watched, 1 + Int((watched - 1) / Double(groupInterval))))
            await bench.shutdown()
        } catch {
            await bench.shutdown()
            throw error
        }
    }
}

/// A `Fleet` with SQLite in a temporary folder, driven in process.
final class InProcessFleet: Sendable {
    let dir: String
    let store: SQLiteFleetStore
    let fleet: Fleet
    let metrics = CoordinatorMetrics()
    let logger: Logger
    let counter = CountingNotifier()
    let receiver: Bool
    let groupInterval: Int
    let startedAt = Date()

    init(receiver: Bool, groupInterval: Int) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-alerts-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var logger = Logger(label: "fleet-bench")
        logger.logLevel = .error
        self.logger = logger
        store = try SQLiteFleetStore(path: dir + "/coordinator.sqlite")
        fleet = Fleet(store: store, logger: logger, metrics: metrics)
        self.receiver = receiver
        self.groupInterval = groupInterval
        try await fleet.load()
    }

    static func station(node: Int, _ station: Int) -> String { String(format: "S%06d", node * 4 + station) }

    func apply(sites: Int, nodes: [String], stationsPerNode: Int) async throws {
        var yaml = "sites:\n"
        for site in 0..<sites { yaml += "  site\(site): {labels: {region: r\(site % 7)}}\n" }
        yaml += """
            defaults:
              heartbeatSeconds: 3600
              recorder: {segmentSeconds: 600, passwordFile: /etc/pw, outputDir: /srv/rec}
            nodes:

            """
        for (index, node) in nodes.enumerated() { yaml += "  \(node): {site: site\(index % sites)}\n" }
        yaml += "stations:\n"
        for index in nodes.indices {
            for station in 0..<stationsPerNode {
                yaml += "  \(Self.station(node: index, station)): {node: \(nodes[index]), camera: {host: 10.0.\(index % 250).\(station + 1)}}\n"
            }
        }
        yaml += """
            alerts:
              thresholds: {nodeOfflineAfter: 1h, segmentStaleAfter: 2m}
              receivers:
                count: {webhook: {url: "http://127.0.0.1:9/unused"}}
              route: {receiver: count, groupBy: [site, alertname], groupWait: 1s, groupInterval: \(groupInterval)s, repeatInterval: 4h}

            """
        let result = try await fleet.apply(files: [.init(path: "bench.yaml", content: yaml)], dryRun: false)
        guard result.revision > 0 else { throw BenchError("apply made no revision") }
    }

    func startAlerting(evaluationInterval: Duration) async throws -> Alerting {
        let counter = self.counter
        let alerting = Alerting(store: store, logger: logger, metrics: metrics,
                                options: AlertingOptions(evaluationInterval: evaluationInterval),
                                notifiers: { _ in counter })
        try await alerting.start(fleet: fleet)
        return alerting
    }

    static func report(_ stations: [(String, Date)]) -> StatusReport {
        StatusReport(
            agentVersion: FleetVersion.current, uptimeSeconds: 3600, appliedRevision: 1,
            storage: [StorageMetric(path: "/", totalBytes: 64_000_000_000, freeBytes: 20_000_000_000, usedPercent: 68.8)],
            stations: stations.map { name, newest in
                StationStatus(station: name, state: .recording, pid: 1234, restarts: 0, currentSegment: "\(name)_20250528T154000.mkv",
                              currentSegmentBytes: 12_345_678, newestSegment: "\(name)_20250528T153000.mkv", newestSegmentAt: newest)
            })
    }

    func shutdown() async {
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// Accepts every notification and remembers what it carried.
final class CountingNotifier: Notifier {
    struct Sent: Sendable {
        var at: Date
        var groupKey: String
        var sequence: Int
        var firing: Int
        var resolved: Int
        var fingerprints: [String]
    }

    let sent = Mutex<[Sent]>([])

    func send(_ notification: FleetCoordinator.AlertNotification) async throws(NotifyError) {
        let item = Sent(at: Date(), groupKey: notification.groupKey, sequence: notification.sequence,
                        firing: notification.firing.count, resolved: notification.resolved.count,
                        fingerprints: notification.alerts.map(\.fingerprint))
        sent.withLock { $0.append(item) }
    }
}

/// A small deterministic random number generator.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// User + system CPU time of this process.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
