import ArgumentParser
import AsyncHTTPClient
import FleetProtocol
import Foundation
import NIOCore
import Synchronization

/// Time from an apply until every watching agent holds the new revision.
struct ConvergeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "converge",
        abstract: "Time from apply until N watching agents hold the new revision (baseline: 1 agent).")

    @OptionGroup var options: BenchOptions

    func run() async throws {
        let baseline = try await measure(agents: 1)
        let full = try await measure(agents: options.agents)
        print("""
            fleet-bench converge: agents=\(options.agents) store=\(options.database == nil ? "sqlite" : "postgres") instances=\(options.instances)
              baseline (1 agent): \(ms(baseline))
              \(options.agents) agents: \(ms(full)) (ratio \(String(format: "%.1f", full / baseline))x)
            """)
    }

    func measure(agents count: Int) async throws -> Double {
        let coordinator = try await BenchCoordinator(options: options, connections: count + 16)
        do {
            let agents = try await coordinator.registerAgents(count, concurrency: min(count, 64))
            let names = agents.map(\.0)
            let first: ApplyResult = try await coordinator.send(.POST, APIPath.apply, token: coordinator.adminToken,
                                                                body: try inventory(names, heartbeat: 10), as: ApplyResult.self)
            let started = StartMark()
            let elapsed = try await withThrowingTaskGroup(of: Double.self) { group in
                for (index, (name, token)) in agents.enumerated() {
                    let base = coordinator.url(forAgent: index)
                    group.addTask {
                        // Park on the watch at the current revision, like an agent that is up to date.
                        for _ in 0..<5 {
                            let answer: WatchResponse = try await coordinator.send(
                                .GET, APIPath.watch(name) + "?revision=\(first.revision)&timeout=30", token: token,
                                as: WatchResponse.self, via: base)
                            if let assignment = answer.assignment, assignment.revision > first.revision {
                                let begin = started.value.withLock { $0 } ?? ContinuousClock.now
                                let took = ContinuousClock.now - begin
                                return Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
                            }
                        }
                        throw BenchError("agent \(name) did not see the new revision")
                    }
                }
                // Wait until every watch is parked, then apply.
                for _ in 0..<600 {
                    if try await openWatches(coordinator) >= count { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                started.value.withLock { $0 = ContinuousClock.now }
                try await coordinator.ping(.POST, APIPath.apply, token: coordinator.adminToken,
                                           body: try inventory(names, heartbeat: 11))
                var slowest = 0.0
                for try await took in group { slowest = max(slowest, took) }
                return slowest
            }
            await coordinator.shutdown()
            return elapsed
        } catch {
            await coordinator.shutdown()
            throw error
        }
    }

    /// Watches parked on all instances together.
    func openWatches(_ coordinator: BenchCoordinator) async throws -> Int {
        var total = 0
        for base in coordinator.urls {
            let request = HTTPClientRequest(url: base + APIPath.metrics)
            let response = try await coordinator.http.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 16 * 1024 * 1024))
            let line = text.split(separator: "\n").first { $0.hasPrefix("stationfleet_open_watches ") }
            total += line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
        }
        return total
    }

    func inventory(_ nodes: [String], heartbeat: Int) throws -> Data {
        var yaml = "sites:\n  bench: {labels: {region: bench}}\ndefaults:\n  heartbeatSeconds: \(heartbeat)\nnodes:\n"
        for node in nodes { yaml += "  \(node): {site: bench}\n" }
        return try WireCoding.encode(ApplyRequest(files: [.init(path: "bench.yaml", content: yaml)]))
    }
}

/// The moment the apply was sent, shared by every simulated agent.
final class StartMark: Sendable {
    let value = Mutex(ContinuousClock.Instant?.none)
}
