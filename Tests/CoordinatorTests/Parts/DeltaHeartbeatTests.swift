@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// Delta heartbeats through the fleet's status pipeline, against a real SQLite store: the
/// coordinator applies a delta to the status it holds, and refuses one whose base it lacks.
@Suite struct DeltaHeartbeatTests {
    static let inventory = """
        sites:
          s1: {}
        defaults:
          recorder: {outputDir: /tmp/rec}
        nodes:
          pi1: {site: s1}
        stations:
          ROST1: {node: pi1, camera: {host: 127.0.0.1}}
        """

    func makeFleet(_ dir: String) async throws -> Fleet {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                          metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1)
        try await fleet.load()
        return fleet
    }

    static func report(_ state: RecorderState, sequence: Int?) -> StatusReport {
        StatusReport(agentVersion: "t", uptimeSeconds: 5, appliedRevision: 1,
                     stations: [StationStatus(station: "ROST1", state: state, restarts: 0, newestSegment: "ROST1_a.mkv",
                                              newestSegmentAgeSeconds: 12)],
                     sequence: sequence)
    }

    @Test func aDeltaIsAppliedToTheHeldStatusAndAnUnknownBaseIsRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("delta-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fleet = try await makeFleet(dir)
        _ = try await fleet.apply(files: [ApplyRequest.File(path: "f.yaml", content: Self.inventory)], dryRun: false)
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))

        // A full report with a sequence becomes the base.
        let first = try await fleet.heartbeat(node: "pi1", body: .full(Self.report(.recording, sequence: 1)))
        #expect(first.statusBase == 1)
        // Nothing changed: the base stays; the station and its newest segment are as reported.
        let idle = try await fleet.heartbeat(node: "pi1", body: .delta(StatusDelta(base: 1)))
        #expect(idle.statusBase == 1)
        #expect(try await fleet.stationDetail("ROST1").state == .recording)
        #expect(await fleet.observed["pi1"]?.report.stations.first?.newestSegment == "ROST1_a.mkv")

        // The recorder stalls: only the stations travel, with an event; the full status is seen downstream.
        var stalled = StatusDelta(base: 1, sequence: 2)
        stalled.stations = Self.report(.stalled, sequence: nil).stations
        stalled.events = [AgentEvent(id: "e-stall", kind: "recorder.stalled", station: "ROST1", message: "no bytes")]
        let second = try await fleet.heartbeat(node: "pi1", body: .delta(stalled))
        #expect(second.statusBase == 2)
        #expect(try await fleet.stationDetail("ROST1").state == .stalled)
        #expect(try await fleet.stationDetail("ROST1").recentEvents?.map(\.id) == ["e-stall"])
        #expect(await fleet.observed["pi1"]?.report.agentVersion == "t")

        // A delta against a base this coordinator no longer holds is refused, storing nothing.
        var stale = StatusDelta(base: 1, sequence: 3)
        stale.events = [AgentEvent(id: "e-lost", kind: "k", station: "ROST1", message: "m")]
        await #expect(throws: FleetError.self) { try await fleet.heartbeat(node: "pi1", body: .delta(stale)) }
        #expect(try await fleet.stationDetail("ROST1").recentEvents?.map(\.id) == ["e-stall"])

        // A restarted coordinator holds no base: the same delta is refused; a full report starts over.
        let restarted = try await makeFleet(dir)
        await #expect(throws: FleetError.statusBaseUnknown(
            "no status 2 held for node pi1 (this coordinator restarted or the node moved here); send a full report")) {
            try await restarted.heartbeat(node: "pi1", body: .delta(StatusDelta(base: 2)))
        }
        #expect(try await restarted.heartbeat(node: "pi1", body: .full(Self.report(.recording, sequence: 1))).statusBase == 1)
        // An agent before deltas sends no sequence: no base, so it is never asked for a delta.
        #expect(try await restarted.heartbeat(node: "pi1", body: .full(Self.report(.recording, sequence: nil))).statusBase == nil)
    }
}
