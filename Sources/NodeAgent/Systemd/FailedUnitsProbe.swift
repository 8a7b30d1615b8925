import FoundationEssentials
import Logging

/// The node's failed systemd units, for `StatusReport.failedUnits` (the coordinator's
/// `UnitFailed` alert).
///
/// Where systemd runs (`/run/systemd/system` exists) it runs
/// `systemctl list-units --state=failed --plain --no-legend --no-pager` through
/// ``ChildProcess`` on a thread of its own, at most once per `refreshInterval` (30 s by
/// default, not on every heartbeat), and answers the cached unit names in between. Where
/// systemd does not run it answers nil ("not known"), never an empty list.
///
/// When `systemctl` fails, cannot be started or runs past `timeout`, the probe keeps
/// answering the **last known** list (nil if it never succeeded) and tries again after
/// `refreshInterval`: a hung `systemctl` neither blocks the heartbeat nor makes a failed
/// unit look repaired. The failure is logged once per condition.
///
/// ```swift
/// let probe = FailedUnitsProbe()                       // the real systemctl
/// let units = await probe.current()                    // ["nas-mount.mount"] or [] or nil
/// // In a test: a stand-in script and "systemd runs".
/// let fake = FailedUnitsProbe(systemctlPath: script, systemdRuns: { true }, timeout: .seconds(1))
/// ```
public actor FailedUnitsProbe {
    /// Where `systemctl` is looked up by default.
    public static let defaultSystemctl = "/usr/bin/systemctl"
    /// The arguments it is run with.
    public static let arguments = ["list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"]

    private let systemctlPath: String
    private let systemdRuns: @Sendable () -> Bool
    private let refreshInterval: Duration
    private let timeout: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let logger: Logger

    private var cached: [String]?
    private var refreshedAt: ContinuousClock.Instant?
    private var running = false
    private var failing: String?

    /// - Parameters:
    ///   - systemctlPath: the `systemctl` to run.
    ///   - systemdRuns: whether systemd is the init system; by default `/run/systemd/system` exists.
    ///   - refreshInterval: the least time between two runs of `systemctl`.
    ///   - timeout: how long one run may take before it is killed.
    ///   - now: the clock (tests move it instead of waiting).
    public init(systemctlPath: String = FailedUnitsProbe.defaultSystemctl,
                systemdRuns: @escaping @Sendable () -> Bool = { FileManager.default.fileExists(atPath: "/run/systemd/system") },
                refreshInterval: Duration = .seconds(30), timeout: Duration = .seconds(5),
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
                logger: Logger = Logger(label: "fleet-agent.failed-units")) {
        self.systemctlPath = systemctlPath
        self.systemdRuns = systemdRuns
        self.refreshInterval = refreshInterval
        self.timeout = timeout
        self.now = now
        self.logger = logger
    }

    /// The failed units' names: fresh when the last run is older than `refreshInterval`,
    /// cached otherwise; nil where systemd does not run or no run has succeeded yet.
    public func current() async -> [String]? {
        guard systemdRuns() else { return nil }
        let instant = now()
        if let refreshedAt, instant - refreshedAt < refreshInterval { return cached }
        // One run at a time: a caller arriving meanwhile gets the cached answer.
        guard !running else { return cached }
        running = true
        refreshedAt = instant
        let outcome = await Self.run(systemctlPath, timeout: timeout)
        running = false
        switch outcome {
        case .success(let units):
            if failing != nil { logger.notice("systemctl answers again") }
            failing = nil
            cached = units
        case .failure(let problem):
            if failing == nil {
                logger.warning("cannot list failed units; reporting the last known list",
                               metadata: ["problem": "\(problem.message)"])
            }
            failing = problem.message
        }
        return cached
    }

    /// Why a run gave no list.
    struct Problem: Error, Equatable {
        var message: String
    }

    /// Runs `systemctl` on a thread of its own (never on the cooperative pool).
    static func run(_ executable: String, timeout: Duration) async -> Result<[String], Problem> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<[String], Problem>, Never>) in
            DetachedThread.start(name: "systemctl") {
                continuation.resume(returning: runBlocking(executable, timeout: timeout))
            }
        }
    }

    static func runBlocking(_ executable: String, timeout: Duration) -> Result<[String], Problem> {
        let done: ChildProcess.Completion
        do {
            done = try ChildProcess.run(executable, arguments, captureStdout: true, timeout: timeout, outputLimit: 256 * 1024)
        } catch {
            return .failure(Problem(message: error.description))
        }
        if done.timedOut { return .failure(Problem(message: "systemctl did not finish within \(timeout)")) }
        guard done.exit == .code(0) else {
            let tail = done.stderrTail(300)
            return .failure(Problem(message: "systemctl \(done.exit)\(tail.isEmpty ? "" : ": \(tail)")"))
        }
        return .success(parse(String(decoding: done.stdout, as: UTF8.self)))
    }

    /// The unit names in `systemctl list-units --plain --no-legend` output: the first column
    /// of each non-empty line, after the `●` marker some versions print before failed units.
    ///
    /// ```
    /// ● nas-mount.mount   loaded failed failed /mnt/nas      → nas-mount.mount
    /// backup.service      loaded failed failed Nightly backup → backup.service
    /// ```
    static func parse(_ output: String) -> [String] {
        var units: [String] = []
        for line in output.split(whereSeparator: \.isNewline) {
            let columns = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard var name = columns.first else { continue }
            if name.hasPrefix("●") || name.hasPrefix("*") {
                name = name.dropFirst()
                if name.isEmpty, columns.count > 1 { name = columns[1] }
            }
            guard !name.isEmpty else { continue }
            units.append(String(name))
        }
        return units
    }
}
