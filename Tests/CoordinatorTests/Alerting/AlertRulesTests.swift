@testable import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// Each built-in rule on facts the test builds, with the summary carrying the measured value.
@Suite struct AlertRulesTests {
    let t0 = Date(timeIntervalSince1970: 3_000_000)

    func desired(stations: [String] = ["ROST1", "ROST2"]) -> DesiredState {
        let recorders = stations.map { RecorderSpec(station: $0, cameraHost: "127.0.0.1", outputDir: "/rec") }
        let backup = BackupJobSpec(name: "birdnet-db", kind: .sqlite, sourcePath: "/db", target: "/t",
                                   schedule: JobSchedule(kind: .every, intervalSeconds: 3_600))
        let archive = ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: "/rec")], target: "/t",
                                     schedule: JobSchedule(kind: .every, intervalSeconds: 600))
        let assignment = Assignment(node: "recordingpi", site: "auklab", revision: 1, heartbeatSeconds: 10,
                                    recorders: recorders, archives: [archive], backups: [backup])
        return DesiredState(sites: [SiteConfig(name: "auklab", labels: ["team": "seabirds"])],
                            nodes: [NodeConfig(name: "recordingpi", site: "auklab")],
                            stations: [], assignments: ["recordingpi": assignment], defaults: InventoryDefaults())
    }

    func facts(_ report: StatusReport, at time: Date? = nil, knownSince: Date? = nil) -> FleetFacts {
        var facts = FleetFacts()
        facts.setDesired(desired(), now: knownSince ?? t0.addingTimeInterval(-60))
        facts.apply(.nodeReported(node: "recordingpi", report: report, at: time ?? t0))
        return facts
    }

    func named(_ alerts: [Alert], _ name: String) -> [Alert] { alerts.filter { $0.name == name } }

    @Test func segmentStaleCarriesTheAgeAndTheThreshold() throws {
        let report = StatusReport(agentVersion: "1", uptimeSeconds: 1, appliedRevision: 1, stations: [
            StationStatus(station: "ROST1", state: .recording, newestSegmentAt: t0.addingTimeInterval(-14 * 60)),
            StationStatus(station: "ROST2", state: .recording, newestSegmentAt: t0.addingTimeInterval(-30)),
        ])
        let result = AlertRules(thresholds: AlertThresholds()).evaluate(facts(report), now: t0)
        let stale = named(result.alerts, "SegmentStale")
        #expect(stale.count == 1)
        #expect(stale.first?.summary == "ROST1 on recordingpi: newest segment 14m old (threshold 2m)")
        #expect(stale.first?.labels == ["alertname": "SegmentStale", "severity": "critical", "site": "auklab",
                                        "node": "recordingpi", "station": "ROST1", "team": "seabirds"])
        #expect(result.unjudged.isEmpty)
    }

    @Test func stalledRestartLoopDiskUnitsAndJobs() {
        var thresholds = AlertThresholds()
        thresholds.recorderRestartsAbove = 2
        let early = StatusReport(agentVersion: "1", uptimeSeconds: 1, appliedRevision: 1,
                                 stations: [StationStatus(station: "ROST1", state: .recording, restarts: 0)])
        var facts = facts(early, at: t0.addingTimeInterval(-100))
        let report = StatusReport(
            agentVersion: "1", uptimeSeconds: 1, appliedRevision: 1,
            storage: [StorageMetric(path: "/", totalBytes: 100, freeBytes: 5, usedPercent: 95)],
            stations: [StationStatus(station: "ROST1", state: .stalled, restarts: 4, lastError: "no data for 30s\nmore")],
            jobs: [JobStatus(job: "video", kind: .archive, lastSuccessAt: t0.addingTimeInterval(-7_200),
                             lastFailureAt: t0.addingTimeInterval(-60), lastError: "NAS unreachable",
                             oldestUnarchivedAgeSeconds: 3 * 3_600, diskFullInHours: 5),
                   JobStatus(job: "birdnet-db", kind: .backup, lastSuccessAt: t0.addingTimeInterval(-3 * 3_600))],
            failedUnits: ["birdnet_recording.service"])
        facts.apply(.nodeReported(node: "recordingpi", report: report, at: t0))
        let alerts = AlertRules(thresholds: thresholds).evaluate(facts, now: t0).alerts
        #expect(named(alerts, "RecorderStalled").first?.summary == "ROST1 on recordingpi: recorder stalled after 4 restarts: no data for 30s")
        #expect(named(alerts, "RecorderRestartLoop").first?.summary == "ROST1 on recordingpi: 4 restarts in 15m (threshold 2)")
        #expect(named(alerts, "DiskUsageHigh").first?.labels["path"] == "/")
        #expect(named(alerts, "UnitFailed").first?.summary == "recordingpi: systemd unit birdnet_recording.service failed")
        #expect(named(alerts, "ArchiveFailing").first?.summary == "video on recordingpi: last archive run failed: NAS unreachable")
        #expect(named(alerts, "ArchiveBacklogHigh").count == 1)
        #expect(named(alerts, "DiskFillingUp").first?.summary == "video on recordingpi: disk full in 5h at the current rate (threshold 24h)")
        #expect(named(alerts, "BackupOverdue").first?.summary == "birdnet-db on recordingpi: last successful backup 3h ago (expected every 60m)")
        #expect(named(alerts, "BackupFailed").isEmpty)
        #expect(named(alerts, "NodeOffline").isEmpty)
    }

    @Test func nodeOfflineAfterTheThresholdOnlyAndNotForTheCoordinatorsOwnAbsence() {
        let report = StatusReport(agentVersion: "1", uptimeSeconds: 1, appliedRevision: 1)
        let rules = AlertRules(thresholds: AlertThresholds())  // 60 s
        let blip = rules.evaluate(facts(report), now: t0.addingTimeInterval(59))
        #expect(named(blip.alerts, "NodeOffline").isEmpty)
        let offline = rules.evaluate(facts(report), now: t0.addingTimeInterval(75))
        #expect(named(offline.alerts, "NodeOffline").first?.summary == "recordingpi: no heartbeat for 75s (threshold 60s)")
        #expect(offline.unjudged == ["recordingpi"])
        // Started watching 10 s ago: a heartbeat from before then is not held against the node yet.
        let restarted = rules.evaluate(facts(report), now: t0.addingTimeInterval(300), watchingSince: t0.addingTimeInterval(290))
        #expect(named(restarted.alerts, "NodeOffline").isEmpty)
        #expect(restarted.unjudged == ["recordingpi"])
    }
}

/// RecorderStalled holds through an outage in which ffmpeg keeps being restarted (reports
/// alternate `recording` and `stalled`), and clears once the recorder is seen writing.
@Suite struct RecorderStalledHoldTests {
    let t0 = Date(timeIntervalSince1970: 4_000_000)

    @Test func staysFiringUntilTheRecorderWritesAgain() {
        let rules = AlertRules(thresholds: AlertThresholds())
        var facts = FleetFacts()
        facts.setDesired(AlertRulesTests().desired(stations: ["ROST1"]), now: t0)
        func report(_ state: RecorderState, restarts: Int, segment: String?, bytes: UInt64?, at second: Double) -> [Alert] {
            let status = StationStatus(station: "ROST1", state: state, restarts: restarts, currentSegment: segment,
                                       currentSegmentBytes: bytes, newestSegmentAt: t0.addingTimeInterval(second - 5))
            let time = t0.addingTimeInterval(second)
            facts.apply(.nodeReported(node: "recordingpi", report: StatusReport(agentVersion: "1", uptimeSeconds: 1,
                                                                               appliedRevision: 1, stations: [status]), at: time))
            return rules.evaluate(facts, now: time).alerts.filter { $0.name == "RecorderStalled" }
        }
        #expect(report(.recording, restarts: 0, segment: "a.mkv", bytes: 100, at: 0).isEmpty)
        #expect(report(.recording, restarts: 0, segment: "a.mkv", bytes: 200, at: 2).isEmpty)
        #expect(report(.stalled, restarts: 0, segment: "a.mkv", bytes: 200, at: 4).count == 1)
        // A new ffmpeg says "recording" but writes nothing: still stalled, same alert.
        let held = report(.recording, restarts: 1, segment: "b.mkv", bytes: 0, at: 6)
        #expect(held.count == 1)
        #expect(held.first?.summary == "ROST1 on recordingpi: recorder restarted 1 times and has not written since")
        #expect(report(.recording, restarts: 1, segment: "b.mkv", bytes: 0, at: 8).count == 1)
        #expect(report(.backingOff, restarts: 2, segment: nil, bytes: nil, at: 10).count == 1)
        #expect(report(.recording, restarts: 3, segment: "c.mkv", bytes: 10, at: 12).count == 1)
        // Writing again: the segment grows.
        #expect(report(.recording, restarts: 3, segment: "c.mkv", bytes: 5_000, at: 14).isEmpty)
    }
}
