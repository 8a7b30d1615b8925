import ArgumentParser
import FleetProtocol
import Foundation
import NIOCore

/// Sustained heartbeats per second and their latency, against `/healthz` as the baseline.
struct HeartbeatBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heartbeats",
        abstract: "Sustained heartbeat rate and p50/p99 latency with N registered agents.")

    @OptionGroup var options: BenchOptions

    @Option(help: "Seconds of load per phase.")
    var seconds = 10

    @Option(help: ArgumentHelp(
        "What each heartbeat carries: full (the whole report, every time) or steady (what agents send once running).",
        discussion: """
            steady: every agent first sends one full report with a sequence (the coordinator acknowledges it as the \
            base); then each heartbeat is the bodiless POST …/heartbeat/unchanged?base=&revision= an idle agent \
            sends, except one in --changed-every, which is a delta carrying both stations' status (a segment closed).
            """))
    var mode: Mode = .full

    @Option(help: "steady mode: one heartbeat in this many carries a delta with the stations' status.")
    var changedEvery = 10

    @Option(help: ArgumentHelp(
        "The load generator: raw (plain SwiftNIO connections, requests built in advance) or async-http-client.",
        discussion: """
            Both keep --concurrency requests in flight, one per connection, and time each request. raw costs the \
            load generator a fraction of the CPU per request, which leaves more of a shared machine to the \
            coordinators being measured; async-http-client is the client agents use.
            """))
    var client: Client = .raw

    @Option(help: "raw client: event-loop threads of the load generator.")
    var clientThreads = 1

    enum Mode: String, ExpressibleByArgument, Sendable { case full, steady }
    enum Client: String, ExpressibleByArgument, Sendable { case raw, asyncHTTPClient = "async-http-client" }

    func run() async throws {
        let coordinator = try await BenchCoordinator(options: options, connections: options.concurrency)
        do {
            let agents = try await coordinator.registerAgents(options.agents, concurrency: options.concurrency)
            let idleRSS = residentMiB(pid: coordinator.process.processIdentifier) ?? 0
            // Each agent records two stations of its own, as in the inventory applied here, so
            // that every station status a heartbeat carries is in scope and recorded.
            let stations = agents.indices.map { Self.stations(ofAgent: $0) }
            let applied: ApplyResult = try await coordinator.send(
                .POST, APIPath.apply, token: coordinator.adminToken, body: try Self.inventory(agents.map(\.0)), as: ApplyResult.self)
            progress("inventory applied: revision \(applied.revision), \(agents.count) nodes with 2 stations each")
            let reports = try stations.map { try WireCoding.encode(Self.sampleReport(stations: $0)) }
            let revisions = mode == .steady ? try await primeBases(coordinator, agents: agents, stations: stations) : []
            let deltas = try stations.map { try WireCoding.encode(Self.sampleDelta(base: 1, stations: $0)) }
            let every = max(1, changedEvery)
            let concurrency = options.concurrency
            /// What worker `worker` sends in its `iteration`th request: which agent, and whether a delta.
            @Sendable func pick(_ worker: Int, _ iteration: Int) -> (index: Int, delta: Bool) {
                ((worker + iteration * concurrency) % agents.count, mode == .steady && (iteration + worker) % every == 0)
            }
            let baseline: Result
            let heartbeats: Result
            progress("\(agents.count) agents registered; baseline GET /healthz for \(seconds) s, then heartbeats for \(seconds) s")
            switch client {
            case .raw:
                let hosts = coordinator.urls.map { $0.replacingOccurrences(of: "http://", with: "") }
                let ping = RawLoad.request("GET", APIPath.healthz, host: hosts[0], token: nil)
                baseline = try await RawLoad.run(targets: coordinator.urls, connections: concurrency, seconds: seconds,
                                                 threads: clientThreads) { _, _ in ping }
                // Every agent's requests on the wire, built before the clock starts.
                let requests: [(plain: ByteBuffer, delta: ByteBuffer)] = agents.indices.map { index in
                    let (name, token) = agents[index]
                    let host = hosts[index % hosts.count]
                    switch mode {
                    case .full:
                        let full = RawLoad.request("POST", APIPath.heartbeat(name), host: host, token: token, body: reports[index])
                        return (full, full)
                    case .steady:
                        let path = Endpoints.heartbeatUnchanged.path(name, query: [("base", "1"), ("revision", "\(revisions[index])")])
                        return (RawLoad.request("POST", path, host: host, token: token),
                                RawLoad.request("POST", APIPath.heartbeat(name), host: host, token: token, body: deltas[index]))
                    }
                }
                progress("heartbeats (\(mode.rawValue)) start")
                // Connection w goes to instance w % instances, as agent w + k * concurrency does
                // when the concurrency is a multiple of the instances.
                heartbeats = try await RawLoad.run(targets: coordinator.urls, connections: concurrency, seconds: seconds,
                                                   threads: clientThreads) { worker, iteration in
                    let (index, isDelta) = pick(worker, iteration)
                    return isDelta ? requests[index].delta : requests[index].plain
                }
            case .asyncHTTPClient:
                baseline = try await load(seconds: seconds, workers: concurrency) { _, _ in
                    try await coordinator.ping(.GET, APIPath.healthz, token: nil)
                }
                progress("heartbeats (\(mode.rawValue)) start")
                heartbeats = try await load(seconds: seconds, workers: concurrency) { worker, iteration in
                    let (index, isDelta) = pick(worker, iteration)
                    let (name, token) = agents[index]
                    let via = coordinator.url(forAgent: index)
                    switch (mode, isDelta) {
                    case (.full, _):
                        try await coordinator.ping(.POST, APIPath.heartbeat(name), token: token, body: reports[index], via: via)
                    case (.steady, true):
                        try await coordinator.ping(.POST, APIPath.heartbeat(name), token: token, body: deltas[index], via: via)
                    case (.steady, false):
                        let path = Endpoints.heartbeatUnchanged.path(name, query: [("base", "1"), ("revision", "\(revisions[index])")])
                        try await coordinator.ping(.POST, path, token: token, via: via)
                    }
                }
            }
            let rss = residentMiB(pid: coordinator.process.processIdentifier) ?? 0
            print("""
                fleet-bench heartbeats: agents=\(options.agents) concurrency=\(options.concurrency) seconds=\(seconds) \
                store=\(options.database == nil ? "sqlite" : "postgres") instances=\(coordinator.urls.count) \
                mode=\(mode.rawValue) client=\(client.rawValue)\(mode == .steady ? " changed-every=\(changedEvery)" : "")
                  baseline GET /healthz: \(Int(baseline.rate))/s p50 \(ms(baseline.stats.percentile(50))) p99 \(ms(baseline.stats.percentile(99)))
                  heartbeats:            \(Int(heartbeats.rate))/s p50 \(ms(heartbeats.stats.percentile(50))) p99 \(ms(heartbeats.stats.percentile(99)))
                  ratio heartbeat/baseline rate: \(String(format: "%.2f", heartbeats.rate / baseline.rate))
                  coordinator RSS: \(String(format: "%.1f", idleRSS)) MiB after registration, \(String(format: "%.1f", rss)) MiB after load
                  errors: \(heartbeats.errors + baseline.errors)
                """)
        } catch {
            await coordinator.shutdown()
            throw error
        }
        await coordinator.shutdown()
    }

    struct Result {
        var rate: Double
        var stats: LatencyStats
        var errors: Int
    }

    /// `workers` loops, each sending one request after another for `seconds`.
    func load(seconds: Int, workers: Int, _ request: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Result {
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        let outcomes = await withTaskGroup(of: (LatencyStats, Int).self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var stats = LatencyStats()
                    var errors = 0
                    var iteration = 0
                    while ContinuousClock.now < deadline, iteration < 10_000_000 {
                        let began = ContinuousClock.now
                        do { try await request(worker, iteration) } catch { errors += 1 }
                        let elapsed = ContinuousClock.now - began
                        stats.add(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                        iteration += 1
                    }
                    return (stats, errors)
                }
            }
            var all = LatencyStats()
            var errors = 0
            for await (stats, failed) in group {
                all.merge(stats)
                errors += failed
            }
            return (all, errors)
        }
        let elapsed = ContinuousClock.now - start
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(rate: Double(outcomes.0.count) / wall, stats: outcomes.0, errors: outcomes.1)
    }

    /// One full report with `sequence: 1` per agent, so the coordinator holds a base for
    /// each; returns each agent's desired revision from the acknowledgement.
    func primeBases(_ coordinator: BenchCoordinator, agents: [(String, String)], stations: [[String]]) async throws -> [Int] {
        let bodies = try stations.map {
            var report = Self.sampleReport(stations: $0)
            report.sequence = 1
            return try WireCoding.encode(report)
        }
        return try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            var revisions = [Int](repeating: 0, count: agents.count)
            var next = 0
            func add() {
                let index = next
                next += 1
                group.addTask {
                    let ack = try await coordinator.send(.POST, APIPath.heartbeat(agents[index].0), token: agents[index].1,
                                                         body: bodies[index], as: StatusAck.self, via: coordinator.url(forAgent: index))
                    guard ack.statusBase == 1 else { throw BenchError("\(agents[index].0): base 1 not acknowledged") }
                    return (index, ack.desiredRevision)
                }
            }
            for _ in 0..<min(options.concurrency, agents.count) { add() }
            while let (index, revision) = try await group.next() {
                revisions[index] = revision
                if next < agents.count { add() }
            }
            return revisions
        }
    }

    /// Agent `index`'s two stations.
    static func stations(ofAgent index: Int) -> [String] {
        let number = String(format: "%05d", index)
        return ["S\(number)A", "S\(number)B"]
    }

    /// The fleet the agents report on: each node with its two stations. Camera addresses are
    /// documentation addresses (192.0.2.0/24); nothing here connects to them.
    static func inventory(_ nodes: [String]) throws -> Data {
        var yaml = """
            sites: {bench: {labels: {region: bench}}}
            defaults:
              heartbeatSeconds: 10
              recorder: {passwordFile: /etc/stationfleet/camera-password, outputDir: /var/lib/stationfleet/recordings}
            nodes:

            """
        for node in nodes { yaml += "  \(node): {site: bench}\n" }
        yaml += "stations:\n"
        for (index, node) in nodes.enumerated() {
            for station in stations(ofAgent: index) {
                yaml += "  \(station): {node: \(node), camera: {host: 192.0.2.\(index % 250 + 1)}}\n"
            }
        }
        return try WireCoding.encode(ApplyRequest(files: [.init(path: "bench.yaml", content: yaml)]))
    }

    /// A steady-state delta: both stations' status (a segment closed), nothing else.
    static func sampleDelta(base: Int, stations: [String]) -> StatusDelta {
        var delta = StatusDelta(base: base)
        delta.stations = sampleReport(stations: stations).stations
        return delta
    }

    /// What a recording station reports: two recorders and three paths.
    static func sampleReport(stations: [String]) -> StatusReport {
        let now = Date()
        return StatusReport(
            agentVersion: FleetVersion.current, uptimeSeconds: 3600, appliedRevision: 1,
            storage: ["/", "/var/lib/stationfleet/recordings", "/mnt/nas"].map {
                StorageMetric(path: $0, totalBytes: 64_000_000_000, freeBytes: 20_000_000_000, usedPercent: 68.8)
            },
            stations: stations.map {
                StationStatus(station: $0, state: .recording, pid: 1234, restarts: 0, currentSegment: "\($0)_20250528T154000.mkv",
                              currentSegmentBytes: 12_345_678, newestSegment: "\($0)_20250528T153000.mkv", newestSegmentAt: now)
            })
    }
}
