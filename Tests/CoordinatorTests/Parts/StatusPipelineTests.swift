@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// The fleet's status pipeline and node events, against a real SQLite store.
@Suite struct StatusPipelineTests {
    func makeFleet() async throws -> (Fleet, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                          metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1)
        try await fleet.load()
        return (fleet, dir)
    }

    static let inventory = """
        sites:
          s1: {}
        defaults:
          recorder: {outputDir: /tmp/rec}
        nodes:
          pi1: {site: s1}
          pi2: {site: s1}
        stations:
          ROST1: {node: pi1, camera: {host: 127.0.0.1}}
          ROST2: {node: pi2, camera: {host: 127.0.0.1}}
        """

    @Test func aNodeWritesOnlyItsOwnStationsData() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.apply(files: [ApplyRequest.File(path: "f.yaml", content: Self.inventory)], dryRun: false)
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let start = Date()
        let forged = SegmentRecord(station: "ROST2", name: "ROST2_x.mkv", start: start, durationSeconds: 1, bytes: 1,
                                   valid: true, archivePath: "/evil", sha256: "00")
        let own = SegmentRecord(station: "ROST1", name: "ROST1_x.mkv", start: start, durationSeconds: 1, bytes: 1, valid: true)
        let report = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 1,
                                  events: [AgentEvent(id: "e-own", kind: "k", station: "ROST1", message: "m"),
                                           AgentEvent(id: "e-forged", kind: "k", station: "ROST2", message: "m")],
                                  segments: [forged, own])
        _ = try await fleet.heartbeat(node: "pi1", report: report)
        #expect(try await fleet.recordings(station: "ROST2", from: nil, to: nil).segments.isEmpty)
        #expect(try await fleet.recordings(station: "ROST1", from: nil, to: nil).segments.count == 1)
        #expect(try await fleet.stationDetail("ROST2").recentEvents?.isEmpty == true)
        #expect(try await fleet.stationDetail("ROST1").recentEvents?.map(\.id) == ["e-own"])
    }

    @Test func reportsOutsideTheLimitsAreRefusedWhole() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let negative = StatusReport(agentVersion: "t", uptimeSeconds: -1e308, appliedRevision: -5)
        await #expect(throws: FleetError.badRequest("report refused: uptimeSeconds: -1e+308 is outside 0…1000000000")) {
            try await fleet.heartbeat(node: "pi1", report: negative)
        }
        let huge = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0,
                                events: [AgentEvent(kind: "k", message: String(repeating: "x", count: 20_000))])
        await #expect(throws: FleetError.badRequest("report refused: events[0].message: 20000 characters, at most 2048")) {
            try await fleet.heartbeat(node: "pi1", report: huge)
        }
        // The agent's own shaping makes the same report acceptable.
        _ = try await fleet.heartbeat(node: "pi1", report: huge.fittedToLimits())
    }

    @Test func aNodeThatReportsTooFastIsToldToWait() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let heavy = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0,
                                 events: (0..<50).map { _ in AgentEvent(kind: "k", message: String(repeating: "x", count: 2000)) })
        var refusal: FleetError?
        for _ in 0..<200 {
            do { _ = try await fleet.heartbeat(node: "pi1", report: heavy) } catch let error as FleetError {
                refusal = error
                break
            }
        }
        guard case .tooManyRequests(_, let seconds) = refusal else {
            Issue.record("expected 429, got \(String(describing: refusal))")
            return
        }
        #expect(seconds >= 1)
        // Another node has its own budget.
        _ = try await fleet.register(RegistrationRequest(name: "pi2", agentVersion: "t"))
        _ = try await fleet.heartbeat(node: "pi2", report: heavy)
    }

    @Test func nodeStateChangesAreStoredEventsShownByDescribeNode() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        await fleet.tick(now: Date().addingTimeInterval(2.5))
        await fleet.tick(now: Date().addingTimeInterval(3.5))
        _ = try await fleet.heartbeat(node: "pi1", report: StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0))
        try await fleet.resetNode("pi1")
        let kinds = try await fleet.nodeDetail("pi1").recentEvents?.map(\.kind) ?? []
        // The ticks ran "in the future", so order by time is not the order of calls here.
        #expect(kinds.count == 5)
        #expect(Set(kinds) == ["node.reset", "node.online", "node.offline", "node.missed", "node.registered"])
    }

    @Test func subscribersSeeReportsTransitionsAndCommandsWithoutPolling() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.apply(files: [ApplyRequest.File(path: "f.yaml", content: Self.inventory)], dryRun: false)
        let stream = fleet.changes.subscribe()
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let segment = SegmentRecord(station: "ROST1", name: "ROST1_a.mkv", start: Date(), durationSeconds: 1, bytes: 1, valid: true)
        let report = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0,
                                  stations: [StationStatus(station: "ROST1", state: .recording)], segments: [segment])
        _ = try await fleet.heartbeat(node: "pi1", report: report)
        await fleet.tick(now: Date().addingTimeInterval(100))  // > 3 × heartbeatSeconds (10)
        let command = try await fleet.enqueue(kind: .runArchive, target: "video", node: "pi1")
        fleet.changes.finish()

        var seen: [String] = []
        for await change in stream {
            switch change {
            case .nodeTransition(let t): seen.append("\(t.node) \(t.kind)")
            case .segments(let node, let segments): seen.append("\(node) segments \(segments.count)")
            case .stationState(let s): seen.append("\(s.station) \(s.to)")
            case .nodeReported(let node, let standing, _): seen.append("\(node) reported \(standing.segments.count)")
            case .command(let view): seen.append("command \(view.id == command.id)")
            case .events, .jobRuns, .revision, .rollout: seen.append("other")
            }
        }
        #expect(seen == ["pi1 registered", "pi1 segments 1", "ROST1 recording", "pi1 reported 0",
                         "pi1 offline", "command true"])
        #expect(fleet.changes.subscriberCount == 0)
    }

    @Test func coverageIsEachStationsShareOfTheSpan() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.apply(files: [ApplyRequest.File(path: "f.yaml", content: Self.inventory)], dryRun: false)
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let to = Date(timeIntervalSince1970: 1_748_000_000), from = to.addingTimeInterval(-3600)
        // 45 minutes of 10-minute segments, then 15 minutes without: 75 %, one gap.
        // The first began 5 minutes before the span: only its part inside counts.
        let segments = (0..<5).map { index in
            SegmentRecord(station: "ROST1", name: "ROST1_\(index).mkv", start: from.addingTimeInterval(Double(index) * 600 - 300),
                          durationSeconds: 600, bytes: 1, valid: true)
        }
        _ = try await fleet.heartbeat(node: "pi1", report: StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 1,
                                                                        segments: segments))
        let views = try await fleet.coverage(from: from, to: to)
        #expect(views.map(\.station) == ["ROST1", "ROST2"])
        #expect(abs(views[0].coveredSeconds - 2700) < 0.001)
        #expect(views[0].gaps == 1 && abs(views[0].longestGapSeconds - 900) < 0.001)
        #expect(views[0].percent.map { abs($0 - 75) < 0.001 } == true)
        // A station that never recorded is 0 %, one gap as long as the span.
        #expect(views[1].percent == 0 && views[1].longestGapSeconds == 3600)
        // Once it records, the time before its first segment is no data, not a gap: the last
        // half hour fully recorded is 100 % with no gap.
        _ = try await fleet.register(RegistrationRequest(name: "pi2", agentVersion: "t"))
        let late = (0..<3).map { index in
            SegmentRecord(station: "ROST2", name: "ROST2_\(index).mkv", start: from.addingTimeInterval(1800 + Double(index) * 600),
                          durationSeconds: 600, bytes: 1, valid: true)
        }
        _ = try await fleet.heartbeat(node: "pi2", report: StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 1,
                                                                        segments: late))
        let rost2 = try await fleet.coverage(from: from, to: to)[1]
        #expect(rost2.gaps == 0 && rost2.recordingSince == from.addingTimeInterval(1800) && rost2.percent == 100)
        let catalog = try await fleet.recordings(station: "ROST2", from: from, to: to)
        #expect(catalog.gaps.isEmpty && catalog.dataFrom == from.addingTimeInterval(1800))
        await #expect(throws: FleetError.self) { try await fleet.coverage(from: to, to: from) }
        // Without a span: the 24 hours before now.
        let day = try await fleet.coverage(from: nil, to: nil, now: to)
        #expect(day.first?.from == to.addingTimeInterval(-86_400))
    }
}
