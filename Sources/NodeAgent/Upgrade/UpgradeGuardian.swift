import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `fleet-agent upgrade-guard --state-dir S --pid P --deadline SECONDS -- ARGV…`: watches a
/// trial build from the *old* binary, in its own process group (docs/agent-upgrades.md, "Guardian").
///
/// Every 200 ms it reads `upgrade.json`: not `trial` any more → done. The main pid gone (its
/// start time changed) → `rolled-back/exited-at-start`. Deadline passed →
/// `rolled-back/not-healthy-in-time`, SIGTERM to the main pid (SIGKILL after `killGrace`). After
/// a rollback: under systemd (`INVOCATION_ID` set) it exits and `Restart=always` brings the unit
/// back through the launcher; otherwise it exec's the previous binary with ARGV itself.
///
/// ```swift
/// let guardian = UpgradeGuardian(stateDir: dir, pid: pid, deadlineSeconds: 120, arguments: argv)
/// guardian.run { PosixIO.writeError("fleet-agent upgrade-guard: \($0)\n") }
/// ```
public struct UpgradeGuardian: Sendable {
    public let paths: UpgradePaths
    public let pid: pid_t
    public let deadlineSeconds: Int
    /// The agent's arguments after argv[0], to run the previous binary with.
    public let arguments: [String]
    public var pollInterval: Duration = .milliseconds(200)
    public var killGrace: Duration = .seconds(10)
    /// Consecutive polls that must find the trial's pid gone before it counts as exited.
    static let goneAfterPolls = 5

    public init(stateDir: String, pid: pid_t, deadlineSeconds: Int, arguments: [String]) {
        paths = UpgradePaths(stateDir: stateDir)
        self.pid = pid
        self.deadlineSeconds = deadlineSeconds
        self.arguments = arguments
    }

    /// What the watch ended with.
    public enum Outcome: Equatable, Sendable {
        /// The trial committed (or the record went away): nothing to do.
        case settled
        case rolledBack(AgentUpgradeStatus.Reason)
    }

    /// Watches until the trial settles or fails; after a failure marks the record and stops the trial.
    public func watch(log: (String) -> Void) -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + .seconds(deadlineSeconds)
        guard let startTime = ProcessTable.startTime(of: pid) else {
            return rollBack(.exitedAtStart, detail: "the agent process \(pid) was gone before its trial began", log: log)
        }
        // An exec from a thread other than the main one briefly shows the process as a zombie
        // while the kernel moves the thread group over; only a pid gone on several polls in a
        // row (about a second) has exited. Rolling back on a blip would start a second agent.
        var goneStreak = 0
        while true {
            guard let record = UpgradeRecord.load(from: paths.recordPath), record.phase == .trial else { return .settled }
            let elapsed = NumberText.fixed((clock.now - started).seconds, decimals: 1)
            goneStreak = ProcessTable.startTime(of: pid) == startTime ? 0 : goneStreak + 1
            if goneStreak >= Self.goneAfterPolls {
                return rollBack(.exitedAtStart,
                                detail: "build \(record.build.version) exited \(elapsed) s after its start, before its first acknowledged heartbeat",
                                log: log)
            }
            if clock.now >= deadline {
                let outcome = rollBack(.notHealthy,
                                       detail: "build \(record.build.version) had no acknowledged heartbeat within \(deadlineSeconds) s",
                                       log: log)
                stopTrial(startTime: startTime, log: log)
                return outcome
            }
            PosixIO.sleep(seconds: pollInterval.seconds)
        }
    }

    /// Marks the record rolled back, unless the trial settled meanwhile.
    func rollBack(_ reason: AgentUpgradeStatus.Reason, detail: String, log: (String) -> Void) -> Outcome {
        guard var record = UpgradeRecord.load(from: paths.recordPath), record.phase == .trial else { return .settled }
        record.phase = .rolledBack
        record.reason = reason
        record.detail = detail
        do {
            try record.save(to: paths.recordPath)
        } catch {
            log("cannot write \(paths.recordPath): \(error)")
        }
        log("rolled back: \(reason.rawValue): \(detail)")
        return .rolledBack(reason)
    }

    /// SIGTERM to the trial, SIGKILL after `killGrace`.
    func stopTrial(startTime: UInt64, log: (String) -> Void) {
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let killAt = clock.now + killGrace
        while ProcessTable.startTime(of: pid) == startTime {
            if clock.now >= killAt {
                log("trial pid \(pid) ignored SIGTERM for \(killGrace.seconds) s; sending SIGKILL")
                kill(pid, SIGKILL)
                break
            }
            PosixIO.sleep(seconds: 0.05)
        }
    }

    /// After a rollback: exit under systemd, else become the agent with the previous binary.
    /// Returns only when there is nothing to exec or the exec failed (the exit status to use).
    public func resume(log: (String) -> Void) -> Int32 {
        if ProcessInfo.processInfo.environment["INVOCATION_ID"] != nil {
            log("under systemd: leaving the restart to the service manager")
            return 0
        }
        guard let record = UpgradeRecord.load(from: paths.recordPath) else { return 1 }
        log("running the previous binary \(record.previousPath) again")
        let code = ProcessImage.exec(path: record.previousPath, arguments: arguments,
                                     environment: [ProcessImage.execVariable: "rollback"])
        log("cannot exec \(record.previousPath): \(String(cString: strerror(code)))")
        return 1
    }
}
