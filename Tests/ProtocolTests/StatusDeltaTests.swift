import FleetProtocol
import Foundation
import Testing

/// Delta heartbeats: what counts as news, and that applying a delta gives the full report back.
@Suite struct StatusDeltaTests {
    static let gib: UInt64 = 1 << 30

    static func report(free: UInt64 = 20 * gib, state: RecorderState = .recording, bytes: UInt64 = 1_000,
                       newest: String = "CAM1_a.mkv", age: Double = 30, uptime: Double = 100,
                       upgrade: AgentUpgradeStatus? = nil) -> StatusReport {
        StatusReport(
            agentVersion: "1.0", uptimeSeconds: uptime, appliedRevision: 3,
            storage: [StorageMetric(path: "/", totalBytes: 64 * gib, freeBytes: free, usedPercent: 68.75)],
            stations: [StationStatus(station: "CAM1", state: state, pid: 42, currentSegment: "CAM1_b.mkv",
                                     currentSegmentBytes: bytes, newestSegment: newest, newestSegmentAgeSeconds: age)],
            jobs: [JobStatus(job: "archive", kind: .archive, backlogFiles: 2, oldestUnarchivedAgeSeconds: 600,
                             diskFullInHours: 100)],
            failedUnits: [], arch: "arm64", agentUpgrade: upgrade, sequence: 1)
    }

    @Test func anIdleNodesDeltaIsItsBaseAlone() throws {
        let base = Self.report()
        // Ten seconds later: ages and uptime grew, the open segment grew, 5 MiB of disk filled.
        let now = Self.report(free: 20 * Self.gib - 5 << 20, bytes: 900_000, age: 40, uptime: 110)
        let aged = base.aged(by: 10)
        let delta = StatusDelta(base: 1, from: aged, to: now)
        #expect(delta.isEmpty)
        #expect(String(decoding: try WireCoding.encode(Heartbeat.delta(delta)), as: UTF8.self) == #"{"base":1}"#)
        // The coordinator's view: the base aged to now.
        let seen = delta.applied(to: aged)
        #expect(seen.uptimeSeconds == 110)
        #expect(seen.stations.first?.newestSegmentAgeSeconds == 40)
        #expect(seen.jobs.first?.oldestUnarchivedAgeSeconds == 610)
        let hoursLeft: Double = seen.jobs.first?.diskFullInHours ?? 0
        let expectedHours: Double = 100 - 10.0 / 3600
        #expect(abs(hoursLeft - expectedHours) < 1e-9)
        #expect(seen.sequence == 1)
    }

    @Test func newsIsSentAndAppliedBackToTheFullReport() throws {
        let base = Self.report()
        let aged = base.aged(by: 10)
        var now = Self.report(state: .stalled, age: 40, uptime: 110,
                              upgrade: AgentUpgradeStatus(version: "1.1", sha256: "ab", state: .downloading))
        now.sequence = 2
        now.jobs = aged.jobs  // within the tolerances: not news, so the aged ones stand
        now.events = [AgentEvent(id: "e1", kind: "recorder.stalled", station: "CAM1", message: "no bytes")]
        var delta = StatusDelta(base: 1, from: aged, to: now)
        delta.sequence = 2
        #expect(delta.stations == now.stations)
        #expect(delta.storage == nil && delta.jobs == nil && delta.agentVersion == nil)
        #expect(delta.applied(to: aged) == now)

        // The upgrade ends: its status is cleared by name.
        var later = now
        later.agentUpgrade = nil
        later.events = []
        let cleared = StatusDelta(base: 2, from: now.aged(by: 0), to: later)
        #expect(cleared.cleared == ["agentUpgrade"])
        #expect(cleared.applied(to: now.aged(by: 0)).agentUpgrade == nil)
    }

    @Test func freeSpaceIsNewsPastATenthOfAPercent() {
        let base = Self.report()
        let total = Double(64 * Self.gib)
        let small = Self.report(free: 20 * Self.gib - UInt64(total * 0.0009))
        let large = Self.report(free: 20 * Self.gib - UInt64(total * 0.0011))
        #expect(StatusDelta(base: 1, from: base, to: small).storage == nil)
        #expect(StatusDelta(base: 1, from: base, to: large).storage == large.storage)
    }

    @Test func aGrowingSegmentIsNewsOnlyRightAfterTheStationsChanged() {
        let base = Self.report(bytes: 1_000)
        let grown = Self.report(bytes: 2_000)
        #expect(StatusDelta(base: 1, from: base, to: grown).stations == nil)
        #expect(StatusDelta(base: 1, from: base, to: grown, stationsWereSent: true).stations == grown.stations)
        // A new newest segment is news; so is an aged age that drifted from the measured one.
        #expect(StatusDelta(base: 1, from: base, to: Self.report(newest: "CAM1_b.mkv", age: 1)).stations != nil)
        #expect(StatusDelta(base: 1, from: base, to: Self.report(age: 30 + 6)).stations != nil)
        #expect(StatusDelta(base: 1, from: base, to: Self.report(age: 30 + 4)).stations == nil)
    }

    @Test func theHeartbeatBodyIsAFullReportOrADelta() throws {
        let full = Self.report()
        let fullJSON = try WireCoding.encode(Heartbeat.full(full))
        #expect(try WireCoding.decode(Heartbeat.self, from: fullJSON) == .full(full))
        // A report from an agent before deltas (no sequence) is still a full report.
        let old = Data(#"{"agentVersion":"0.9","uptimeSeconds":5,"appliedRevision":1}"#.utf8)
        guard case .full(let decoded) = try WireCoding.decode(Heartbeat.self, from: old) else {
            Issue.record("an old report decoded as a delta")
            return
        }
        #expect(decoded.sequence == nil && decoded.agentVersion == "0.9")
        var delta = StatusDelta(base: 4, sequence: 5)
        delta.appliedRevision = 6
        #expect(try WireCoding.decode(Heartbeat.self, from: try WireCoding.encode(Heartbeat.delta(delta))) == .delta(delta))
    }
}
