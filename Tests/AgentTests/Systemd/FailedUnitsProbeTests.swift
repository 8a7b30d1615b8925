@testable import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// `FailedUnitsProbe`: the parser on real `systemctl list-units --state=failed --plain
/// --no-legend` output, and the probe driving a stand-in `systemctl`.
///
/// systemd does not run in the test container (no `/run/systemd/system`, no system bus),
/// so these tests inject "systemd runs" and point the probe at a shell script written to a
/// temporary folder that prints what a real `systemctl` prints, fails, or hangs.
@Suite struct FailedUnitsProbeTests {
    // MARK: Parser

    @Test func parsesPlainOutputWithTheFailedMarker() {
        // systemd 252 (Debian 12) prints "●" before failed units even with --plain.
        let output = """
        ● nas-mount.mount      loaded failed failed /mnt/nas
        ● fleet-agent.service  loaded failed failed StationFleet agent

        """
        #expect(FailedUnitsProbe.parse(output) == ["nas-mount.mount", "fleet-agent.service"])
    }

    @Test func parsesPlainOutputWithoutTheMarker() {
        // Older and newer versions print the unit name first.
        let output = "backup-db.service loaded failed failed Nightly database backup\n" +
            "systemd-networkd-wait-online.service loaded failed failed Wait for Network to be Configured\n"
        #expect(FailedUnitsProbe.parse(output) == ["backup-db.service", "systemd-networkd-wait-online.service"])
    }

    @Test func parsesEmptyOutputAsNoFailedUnits() {
        #expect(FailedUnitsProbe.parse("").isEmpty)
        #expect(FailedUnitsProbe.parse("\n\n  \n").isEmpty)
        // A marker glued to the name (some terminals' fallback) and tabs.
        #expect(FailedUnitsProbe.parse("●x.timer\tloaded failed failed X\n") == ["x.timer"])
    }

    // MARK: Probe with a stand-in systemctl

    /// A folder with a `systemctl` script whose behaviour is read from `mode` on each run:
    /// `ok` prints two failed units, `none` prints nothing, `fail` exits 1, `hang` sleeps.
    struct FakeSystemctl {
        let dir: URL
        var script: String { dir.appendingPathComponent("systemctl").path }
        var calls: [String] {
            let text = (try? String(contentsOf: dir.appendingPathComponent("calls"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map(String.init)
        }

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("systemctl-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let body = """
            #!/bin/sh
            echo "$*" >> '\(dir.path)/calls'
            case "$(cat '\(dir.path)/mode')" in
              ok) printf '%s\\n' '● nas-mount.mount loaded failed failed /mnt/nas' \\
                    'backup-db.service loaded failed failed Nightly database backup' ;;
              none) ;;
              fail) echo 'Failed to connect to bus: No such file or directory' >&2; exit 1 ;;
              hang) exec sleep 30 ;;
            esac
            """
            try body.write(toFile: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
            try set("ok")
        }

        func set(_ mode: String) throws {
            try mode.write(to: dir.appendingPathComponent("mode"), atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(at: dir) }
    }

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        let start = ContinuousClock.now
        let offset = LockedValue(Duration.zero)
        func now() -> ContinuousClock.Instant { start + offset.get() }
        func advance(_ by: Duration) { offset.update { $0 += by } }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "failed-units-test")
        logger.logLevel = .critical
        return logger
    }

    func probe(_ fake: FakeSystemctl, clock: ManualClock, systemd: Bool = true,
               timeout: Duration = .seconds(5)) -> FailedUnitsProbe {
        FailedUnitsProbe(systemctlPath: fake.script, systemdRuns: { systemd }, refreshInterval: .seconds(30),
                         timeout: timeout, now: { clock.now() }, logger: Self.quietLogger)
    }

    @Test func reportsTheUnitsTheStandInPrints() async throws {
        let fake = try FakeSystemctl()
        defer { fake.remove() }
        let units = await probe(fake, clock: ManualClock()).current()
        #expect(units == ["nas-mount.mount", "backup-db.service"])
        #expect(fake.calls == ["list-units --state=failed --plain --no-legend --no-pager"])
    }

    @Test func noFailedUnitsIsAnEmptyListNotNil() async throws {
        let fake = try FakeSystemctl()
        defer { fake.remove() }
        try fake.set("none")
        #expect(await probe(fake, clock: ManualClock()).current() == [])
    }

    @Test func withoutSystemdItReportsNilAndRunsNothing() async throws {
        let fake = try FakeSystemctl()
        defer { fake.remove() }
        #expect(await probe(fake, clock: ManualClock(), systemd: false).current() == nil)
        #expect(fake.calls.isEmpty)
    }

    @Test func refreshesAtMostEveryThirtySeconds() async throws {
        let fake = try FakeSystemctl()
        defer { fake.remove() }
        let clock = ManualClock()
        let probe = probe(fake, clock: clock)
        #expect(await probe.current()?.count == 2)
        try fake.set("none")
        clock.advance(.seconds(10))
        #expect(await probe.current()?.count == 2, "cached: not run again within 30 s")
        clock.advance(.seconds(19))
        #expect(await probe.current()?.count == 2)
        #expect(fake.calls.count == 1)
        clock.advance(.seconds(1))
        #expect(await probe.current() == [], "30 s on: run again, the units were repaired")
        #expect(fake.calls.count == 2)
    }

    @Test func aFailingSystemctlKeepsTheLastKnownList() async throws {
        let fake = try FakeSystemctl()
        defer { fake.remove() }
        let clock = ManualClock()
        try fake.set("fail")
        let probe = probe(fake, clock: clock)
        #expect(await probe.current() == nil, "never succeeded: not known")
        try fake.set("ok")
        clock.advance(.seconds(30))
        #expect(await probe.current()?.count == 2)
        try fake.set("fail")
        clock.advance(.seconds(30))
        #expect(await probe.current() == ["nas-mount.mount", "backup-db.service"], "last known list")
        #expect(fake.calls.count == 3)
    }

    @Test func aHangingSystemctlIsKilledAfterTheTimeoutAndTheLastListStays() async throws {
        let fake = try FakeSystemctl()
        defer { fake.remove() }
        let clock = ManualClock()
        let probe = probe(fake, clock: clock, timeout: .milliseconds(300))
        #expect(await probe.current()?.count == 2)
        try fake.set("hang")
        clock.advance(.seconds(30))
        let started = ContinuousClock.now
        let units = await probe.current()
        let took = ContinuousClock.now - started
        #expect(units == ["nas-mount.mount", "backup-db.service"])
        #expect(took < .seconds(10), "killed after the timeout, not after the script's 30 s")
        // The next heartbeat within 30 s does not wait on systemctl again.
        #expect(await probe.current()?.count == 2)
        #expect(fake.calls.count == 2)
    }

    @Test func theAgentPutsTheProbesAnswerInItsReport() async throws {
        let fake = try FakeSystemctl()
        defer { fake.remove() }
        let url = try #require(URL(string: "http://127.0.0.1:9"))
        let configuration = AgentConfiguration(coordinators: [url], joinToken: "sfj_test", name: "pi-1",
                                               stateDir: "/nonexistent-unused", statusListen: nil)
        let agent = NodeAgent(configuration: configuration, client: FakeCoordinator(), state: InMemoryAgentState(),
                              logger: Self.quietLogger, metrics: AgentMetrics(), recorders: nil, jobs: nil,
                              failedUnits: probe(fake, clock: ManualClock()))
        let report = await agent.makeReport()
        #expect(report.failedUnits == ["nas-mount.mount", "backup-db.service"])
    }
}
