@testable import FleetAgent
import FleetProtocol
import Foundation
import Testing

@Suite struct LauncherDecisionTests {
    static let build = AgentBuild(version: "0.2.0", arch: "x86_64", sha256: String(repeating: "ab", count: 32), size: 10)
    static let installed = "/var/lib/stationfleet/agent/agent/builds/0.2.0-abababababab/fleet-agent"
    static let original = "/usr/local/bin/fleet-agent"

    func record(_ phase: UpgradeRecord.Phase, path: String? = installed, previous: String = original) -> UpgradeRecord {
        UpgradeRecord(phase: phase, build: Self.build, path: path, previousPath: previous, previousVersion: "0.1.0",
                      startedAt: Date(timeIntervalSince1970: 1_000), deadlineSeconds: 120)
    }

    func decide(_ record: UpgradeRecord?, running: String, deadlinePassed: Bool = false,
                executables: Set<String> = [installed, original]) -> LauncherDecision {
        LauncherDecision.decide(record: record, executable: running, deadlinePassed: deadlinePassed,
                                isExecutable: { executables.contains($0) })
    }

    @Test func noRecordContinues() {
        #expect(decide(nil, running: Self.original) == .continue)
    }

    @Test func trialFoundAtStartRollsBackToThePreviousBinary() {
        // The launcher only sees `trial` when the trial died or the host restarted mid-trial.
        #expect(decide(record(.trial), running: Self.original) == .rollback(reason: .exitedAtStart, exec: nil))
        #expect(decide(record(.trial), running: Self.installed) == .rollback(reason: .exitedAtStart, exec: Self.original))
        #expect(decide(record(.trial), running: Self.original, deadlinePassed: true) == .rollback(reason: .notHealthy, exec: nil))
    }

    @Test func committedBuildIsExecdFromTheInstalledBinary() {
        #expect(decide(record(.committed), running: Self.original) == .exec(Self.installed))
        #expect(decide(record(.committed), running: Self.installed) == .continue)
        // A committed build that vanished is not exec'd: the installed binary keeps running.
        #expect(decide(record(.committed), running: Self.original, executables: [Self.original]) == .continue)
    }

    @Test func rolledBackAndFailedRunThePreviousBinary() {
        #expect(decide(record(.rolledBack), running: Self.installed) == .exec(Self.original))
        #expect(decide(record(.rolledBack), running: Self.original) == .continue)
        #expect(decide(record(.failed, path: nil), running: Self.original) == .continue)
        let fromCommitted = record(.failed, path: nil, previous: Self.installed)
        #expect(decide(fromCommitted, running: Self.original) == .exec(Self.installed))
    }

    @Test func recordRoundTripsThroughItsFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-record-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/upgrade.json"
        var original = record(.rolledBack)
        original.reason = .notHealthy
        original.detail = "no acknowledged heartbeat within 120 s"
        original.guardianPid = 4242
        try original.save(to: path)
        #expect(UpgradeRecord.load(from: path) == original)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"rolled-back\"") && text.contains("\"not-healthy-in-time\""))
        #expect(original.refusesBuild && !record(.committed).refusesBuild)
        #expect(original.status.state == .rolledBack && original.status.reason == .notHealthy)
        #expect(original.deadlinePassed(now: Date(timeIntervalSince1970: 1_121)))
        #expect(!original.deadlinePassed(now: Date(timeIntervalSince1970: 1_119)))
    }
}
