import ArgumentParser
import FleetCoordinator
import FleetProtocol
import Foundation
import Logging

/// A staged rollout in process: a `Fleet` on SQLite in a temporary folder with N registered
/// nodes of one station each, driven by simulated agents (no HTTP).
struct RolloutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "A staged rollout at N nodes: wall time to succeeded, batch decisions, coordinator CPU per decision; baseline: the same heartbeats with no rollout.",
        discussion: """
            Applies revision 1 (no rollout) to N nodes with one station each (one site), every node heartbeats it \
            healthy; then --baseline-rounds rounds of one heartbeat per node plus one `Fleet.tick` are timed (the \
            baseline). Then revision 2 changes every station's segmentSeconds with \
            `rollout: {canary: 1, maxParallel: 100, minHealthyTime: 1s, autoPromote: true}`, and the same rounds run \
            until the rollout leaves running. Each simulated agent reports as applied the revision of its last \
            StatusAck (`desiredRevision`), every recorder `recording`, its current segment growing, no restarts. \
            A round starts at most every --round-ms (the per-node report budget refills 2 tokens a second). \
            CPU is process CPU (getrusage) around the heartbeat and tick calls only; each heartbeat call's wall \
            time is also summed by the node's rollout state at the start of its round (no-rollout in the baseline).
            """)

    @Option(help: "Simulated nodes (one station each).")
    var nodes = 1_000

    @Option(help: "Canary nodes.")
    var canary = 1

    @Option(help: "maxParallel of the rollout.")
    var maxParallel = 100

    @Option(help: "Minimum time between the starts of two rounds, in milliseconds.")
    var roundMs = 500

    @Option(help: "Rounds timed for the baseline (no rollout running).")
    var baselineRounds = 20

    @Option(help: "At most this many rounds for the rollout.")
    var maxRounds = 2_000

    @Option(help: "At most this many seconds for the rollout.")
    var maxSeconds = 600

    struct Round {
        var cpu: Double
        var wall: Double
        /// Wall time of each heartbeat call by the node's rollout state before the round.
        var byState: [String: (seconds: Double, count: Int)] = [:]
    }

    func run() async throws {
        let bench = try await RolloutFleet(nodes: nodes)
        do {
            try await measure(bench)
            await bench.shutdown()
        } catch {
            await bench.shutdown()
            throw error
        }
    }

    func measure(_ bench: RolloutFleet) async throws {
        let fleet = bench.fleet
        let names = bench.names
        try await bench.apply(revision: 1, rollout: nil)
        // The agents learn their revision from their first ack and report it from then on.
        var applied = Array(repeating: 0, count: names.count)
        var round = 0
        for _ in 0..<2 {
            round += 1
            _ = try await heartbeats(fleet, names: names, applied: &applied, round: round)
        }
        guard applied.allSatisfy({ $0 == 1 }) else { throw BenchError("not every node is served revision 1") }

        // Baseline: the same rounds with no rollout running.
        var baseline: [Round] = []
        for _ in 0..<baselineRounds {
            let started = ContinuousClock.now
            round += 1
            baseline.append(try await heartbeats(fleet, names: names, applied: &applied, round: round))
            try await pace(since: started)
        }

        // The rollout.
        let strategy = "{canary: \(canary), maxParallel: \(maxParallel), minHealthyTime: 1s, healthyDeadline: 30s, progressDeadline: 5m, autoRevert: true, autoPromote: true}"
        let applyStart = ContinuousClock.now
        let applyCPU = processCPUSeconds()
        try await bench.apply(revision: 2, rollout: strategy)
        let applyCost = (cpu: processCPUSeconds() - applyCPU, wall: seconds(ContinuousClock.now - applyStart))
        guard let first = await fleet.rolloutStatus(), first.revision == 2 else { throw BenchError("revision 2 started no rollout") }
        var rounds: [Round] = []
        var decisions = 0
        var last = (batch: first.currentBatch, state: first.state)
        var timeline: [(at: Double, batch: Int, state: String, healthy: Int)] = [(seconds(ContinuousClock.now - applyStart), first.currentBatch, first.state, 0)]
        var final = first
        var states = Dictionary(first.nodes.map { ($0.name, $0.state) }, uniquingKeysWith: { a, _ in a })
        let deadline = applyStart + .seconds(maxSeconds)
        while rounds.count < maxRounds, ContinuousClock.now < deadline {
            let started = ContinuousClock.now
            round += 1
            rounds.append(try await heartbeats(fleet, names: names, applied: &applied, round: round, states: states))
            // Outside the timed calls: what the rollout decided during the round.
            guard let status = await fleet.rolloutStatus() else { throw BenchError("the rollout disappeared") }
            final = status
            states = Dictionary(status.nodes.map { ($0.name, $0.state) }, uniquingKeysWith: { a, _ in a })
            if status.currentBatch != last.batch || status.state != last.state {
                if status.currentBatch != last.batch { decisions += status.currentBatch - last.batch }
                if status.state == "succeeded" { decisions += 1 }
                last = (status.currentBatch, status.state)
                let healthy = status.nodes.filter { $0.state == "healthy" }.count
                timeline.append((seconds(ContinuousClock.now - applyStart), status.currentBatch, status.state, healthy))
            }
            if status.state != "running" && status.state != "waiting-promotion" { break }
            try await pace(since: started)
        }
        let total = seconds(ContinuousClock.now - applyStart)
        let servedNew = applied.filter { $0 == 2 }.count

        let baseCPU = baseline.map(\.cpu).reduce(0, +) / Double(max(1, baseline.count))
        let baseWall = baseline.map(\.wall).reduce(0, +) / Double(max(1, baseline.count))
        let rollCPU = rounds.map(\.cpu).reduce(0, +)
        let rollWall = rounds.map(\.wall).reduce(0, +)
        let perRoundCPU = rollCPU / Double(max(1, rounds.count))
        let perRoundWall = rollWall / Double(max(1, rounds.count))
        let perDecision = rollCPU / Double(max(1, decisions))
        // What the same number of rounds would cost without a rollout.
        let baselineSameRounds = baseCPU * Double(rounds.count)
        let f2 = { (value: Double) in String(format: "%.2f", value) }
        print("""
            fleet-bench rollout: nodes=\(names.count) (1 station each, 1 site) canary=\(canary) maxParallel=\(maxParallel) minHealthyTime=1s autoPromote round>=\(roundMs)ms
              rollout of revision 2: \(final.state)\(final.reason.map { " (\($0))" } ?? "") after \(f2(total)) s wall from apply, \(rounds.count) rounds, \(servedNew)/\(names.count) agents on revision 2
              batches: \(final.batchCount) (canary batch + \(final.batchCount - 1)); batch decisions seen: \(decisions) (each batch advance, and the final succeeded)
              apply of revision 2 (plans the rollout): \(ms(applyCost.cpu)) CPU, \(ms(applyCost.wall)) wall
              baseline, no rollout (\(baseline.count) rounds of \(names.count) heartbeats + 1 tick): \(ms(baseCPU)) CPU, \(ms(baseWall)) wall per round (\(String(format: "%.1f", baseCPU / Double(names.count) * 1e6)) µs CPU per heartbeat)
              rollout running (\(rounds.count) rounds): \(ms(perRoundCPU)) CPU, \(ms(perRoundWall)) wall per round (\(String(format: "%.1f", perRoundCPU / Double(names.count) * 1e6)) µs CPU per heartbeat)
              ratio rollout / baseline CPU per round: \(f2(perRoundCPU / baseCPU))x
              coordinator CPU in heartbeats + ticks during the rollout: \(ms(rollCPU)) total, \(ms(perDecision)) per batch decision
              the same rounds without a rollout (baseline × \(rounds.count)): \(ms(baselineSameRounds)); overhead of the rollout: \(ms(rollCPU - baselineSameRounds)) (\(ms((rollCPU - baselineSameRounds) / Double(max(1, decisions)))) per batch decision)
              heartbeat wall time by the node's rollout state at the start of its round: \(perState(baseline + rounds))
              timeline (s from apply: batch, state, healthy nodes):
            """)
        for entry in timeline {
            print(String(format: "    t=%7.2f  batch %2d/%d  ", entry.at, entry.batch, final.batchCount) + "\(entry.state)  \(entry.healthy) healthy")
        }
    }

    /// `pending 7.1 µs (n=…), updating …` averaged over `rounds`, no-rollout (baseline) first.
    func perState(_ rounds: [Round]) -> String {
        var total: [String: (seconds: Double, count: Int)] = [:]
        for round in rounds {
            for (state, value) in round.byState {
                total[state, default: (0, 0)].seconds += value.seconds
                total[state, default: (0, 0)].count += value.count
            }
        }
        return total.sorted { ($0.key == "no-rollout" ? "" : $0.key) < ($1.key == "no-rollout" ? "" : $1.key) }.map {
            "\($0.key) \(String(format: "%.1f", $0.value.seconds / Double(max(1, $0.value.count)) * 1e6)) µs (n=\($0.value.count))"
        }.joined(separator: ", ")
    }

    /// One round: every node heartbeats (as applied: the revision of its last ack), then one
    /// tick. Only the calls are timed.
    func heartbeats(_ fleet: Fleet, names: [String], applied: inout [Int], round: Int,
                    states: [String: String] = [:]) async throws -> Round {
        let now = Date()
        let reports = names.indices.map { RolloutFleet.report(node: $0, applied: applied[$0], round: round, at: now) }
        let cpuStart = processCPUSeconds()
        let start = ContinuousClock.now
        var byState: [String: (seconds: Double, count: Int)] = [:]
        for (index, name) in names.enumerated() {
            let callStart = ContinuousClock.now
            let ack = try await fleet.heartbeat(node: name, report: reports[index])
            let state = states[name] ?? "no-rollout"
            byState[state, default: (0, 0)].seconds += seconds(ContinuousClock.now - callStart)
            byState[state, default: (0, 0)].count += 1
            applied[index] = ack.desiredRevision
        }
        await fleet.tick(now: Date())
        return Round(cpu: processCPUSeconds() - cpuStart, wall: seconds(ContinuousClock.now - start), byState: byState)
    }

    func pace(since started: ContinuousClock.Instant) async throws {
        let next = started + .milliseconds(roundMs)
        if ContinuousClock.now < next { try await Task.sleep(until: next, clock: .continuous) }
    }
}

/// A `Fleet` on SQLite in a temporary folder whose nodes are registered before it loads
/// (`Fleet.register` is rate-limited to 0.5 a second after a burst of 20: over half an hour for
/// 1,000 nodes).
final class RolloutFleet: Sendable {
    let dir: String
    let store: SQLiteFleetStore
    let fleet: Fleet
    let names: [String]

    init(nodes count: Int) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-rollout-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var logger = Logger(label: "fleet-bench")
        logger.logLevel = .error
        store = try SQLiteFleetStore(path: dir + "/coordinator.sqlite")
        names = (0..<count).map { String(format: "n%05d", $0) }
        // A first load creates the tables; the fleet used is loaded after the credentials are in.
        try await Fleet(store: store, logger: logger, metrics: CoordinatorMetrics()).load()
        let now = Date()
        for name in names {
            guard try await store.insertCredential(NodeCredential(name: name, tokenHash: "bench-\(name)", registeredAt: now)) else {
                throw BenchError("cannot register \(name)")
            }
        }
        fleet = Fleet(store: store, logger: logger, metrics: CoordinatorMetrics())
        try await fleet.load()
    }

    static func station(_ node: Int) -> String { String(format: "S%06d", node) }

    /// Revision 1 records 600 s segments; revision 2 changes every station to 300 s.
    func apply(revision: Int, rollout: String?) async throws {
        var yaml = """
            sites:
              site0: {labels: {region: r0}}
            defaults:
              heartbeatSeconds: 3600
              recorder: {segmentSeconds: \(revision == 1 ? 600 : 300), passwordFile: /etc/pw, outputDir: /srv/rec}

            """
        if let rollout { yaml += "  rollout: \(rollout)\n" }
        yaml += "nodes:\n"
        for name in names { yaml += "  \(name): {site: site0}\n" }
        yaml += "stations:\n"
        for (index, name) in names.enumerated() {
            yaml += "  \(Self.station(index)): {node: \(name), camera: {host: 10.\(index / 250 % 250).\(index % 250).1}}\n"
        }
        let result = try await fleet.apply(files: [.init(path: "bench.yaml", content: yaml)], dryRun: false)
        guard result.revision == revision else { throw BenchError("apply made revision \(result.revision), expected \(revision)") }
    }

    /// A healthy agent's report: its one recorder recording, the current segment growing each round.
    static func report(node: Int, applied: Int, round: Int, at now: Date) -> StatusReport {
        let name = station(node)
        return StatusReport(
            agentVersion: FleetVersion.current, uptimeSeconds: 3600, appliedRevision: applied,
            storage: [StorageMetric(path: "/", totalBytes: 64_000_000_000, freeBytes: 20_000_000_000, usedPercent: 68.8)],
            stations: [StationStatus(station: name, state: .recording, pid: 1234, restarts: 0, currentSegment: "\(name)_20250528T154000.mkv",
                                     currentSegmentBytes: UInt64(round) * 100_000, newestSegment: "\(name)_20250528T153000.mkv",
                                     newestSegmentAt: now)])
    }

    func shutdown() async {
        try? FileManager.default.removeItem(atPath: dir)
    }
}
