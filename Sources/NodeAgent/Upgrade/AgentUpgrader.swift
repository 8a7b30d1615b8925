import Crypto
import FleetProtocol
import FoundationEssentials
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The level-triggered half of an agent upgrade: from the assignment's ``AgentTarget`` to a
/// verified, installed build ready to be exec'd, and the status to report meanwhile.
/// ``NodeAgent`` performs the exec itself (it owns recorders and jobs).
///
/// ```swift
/// if case .ready(let build, let binary) = await upgrader.evaluate(target: assignment.agent, fetch: fetch) {
///     await performUpgrade(build: build, binary: binary)
/// }
/// ```
public actor AgentUpgrader {
    /// Fetches a build into a part file, calling progress with (bytes done, bytes total).
    public typealias Fetch = @Sendable (AgentBuild, String, @escaping @Sendable (Int64, Int64) async -> Void) async throws -> Void

    public enum Step: Equatable, Sendable {
        case idle
        /// Installed and verified: exec it once no job runs.
        case ready(AgentBuild, binary: String)
    }

    let paths: UpgradePaths
    let publicKey: Curve25519.Signing.PublicKey?
    public let deadlineSeconds: Int
    public let executable: String
    public let runningVersion: String
    let logger: Logger
    var retryDelay: Duration
    /// What is reported as `StatusReport.agentUpgrade`.
    public private(set) var status: AgentUpgradeStatus?
    var download: (sha256: String, task: Task<Void, Never>)?
    var installed: (build: AgentBuild, binary: String)?
    var nextAttempt: ContinuousClock.Instant?
    var attempts = 0

    public init(paths: UpgradePaths, publicKey: Curve25519.Signing.PublicKey?, deadlineSeconds: Int,
                executable: String = RunningBuild.executablePath, runningVersion: String? = nil, logger: Logger,
                retryDelay: Duration = .seconds(30)) {
        self.paths = paths
        self.publicKey = publicKey
        self.deadlineSeconds = deadlineSeconds
        self.executable = executable
        self.runningVersion = runningVersion ?? RunningBuild.version(executable: executable)
        self.logger = logger
        self.retryDelay = retryDelay
        // A build on trial says so from its very first heartbeat (that heartbeat's acknowledgement
        // commits it), not only after the first reconcile pass.
        status = Self.trialRecord(paths: paths, executable: executable)
            .map { AgentUpgradeStatus(version: $0.build.version, sha256: $0.build.sha256, state: .trial) }
    }

    /// One reconcile pass: what to do about `target`.
    public func evaluate(target: AgentTarget?, fetch: @escaping Fetch) -> Step {
        guard let target, target.version != runningVersion else {
            cancelDownload()
            status = trialRecord().map { AgentUpgradeStatus(version: $0.build.version, sha256: $0.build.sha256, state: .trial) }
            return .idle
        }
        guard let build = target.build(for: AgentArch.current) else {
            cancelDownload()
            status = AgentUpgradeStatus(version: target.version, sha256: "", state: .failed, reason: .noBuildForArch,
                                        detail: "version \(target.version) has no build for \(AgentArch.current.rawValue)")
            return .idle
        }
        if let record = UpgradeRecord.load(from: paths.recordPath), record.build.sha256 == build.sha256, record.refusesBuild {
            cancelDownload()
            status = record.status
            return .idle
        }
        if installed?.build != build, let binary = alreadyInstalled(build) { installed = (build, binary) }
        if let installed, installed.build == build { return .ready(build, binary: installed.binary) }
        if let problem = BuildSignature.problem(with: build, publicKey: publicKey) {
            cancelDownload()
            refuse(build, reason: problem.reason, detail: problem.detail)
            return .idle
        }
        if let download {
            if download.sha256 == build.sha256 { return .idle }
            cancelDownload()
        }
        if let nextAttempt, ContinuousClock.now < nextAttempt { return .idle }
        startDownload(build, fetch: fetch)
        return .idle
    }

    /// Reported while the agent waits for running jobs before the exec.
    public func waiting(for jobs: [String], build: AgentBuild) {
        status = AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: .downloading,
                                    detail: "downloaded; waiting for job \(jobs.joined(separator: ", ")) to finish",
                                    bytesDone: build.size, bytesTotal: build.size)
    }

    /// Marks `build` as never to be tried again (`failed`), and reports it.
    public func refuse(_ build: AgentBuild, reason: AgentUpgradeStatus.Reason, detail: String) {
        let record = UpgradeRecord(phase: .failed, build: build, path: nil, previousPath: executable,
                                   previousVersion: runningVersion, startedAt: Date(), deadlineSeconds: deadlineSeconds,
                                   reason: reason, detail: detail)
        save(record)
        installed = nil
        status = record.status
        logger.error("agent upgrade refused", metadata: ["version": "\(build.version)", "reason": "\(reason.rawValue)",
                                                         "detail": "\(detail)"])
    }

    /// After an exec that did not happen: the build counts as rolled back.
    public func execFailed(_ build: AgentBuild, binary: String, detail: String) {
        var record = UpgradeRecord.load(from: paths.recordPath)
            ?? UpgradeRecord(phase: .trial, build: build, path: binary, previousPath: executable,
                             previousVersion: runningVersion, startedAt: Date(), deadlineSeconds: deadlineSeconds)
        record.phase = .rolledBack
        record.reason = .exitedAtStart
        record.detail = detail
        save(record)
        installed = nil
        status = record.status
    }

    /// Writes a record; a failure is logged (the reconciler tries again on its next pass).
    func save(_ record: UpgradeRecord) {
        do {
            try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
            try record.save(to: paths.recordPath)
        } catch {
            logger.error("cannot write the upgrade record", metadata: ["error": "\(error)"])
        }
    }

    func cancelDownload() {
        download?.task.cancel()
        download = nil
    }

    func startDownload(_ build: AgentBuild, fetch: @escaping Fetch) {
        let part = paths.partPath(sha256: build.sha256)
        attempts += 1
        status = AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: .downloading,
                                    bytesDone: 0, bytesTotal: build.size)
        logger.info("downloading agent build", metadata: ["version": "\(build.version)", "sha256": "\(build.sha256)",
                                                          "attempt": "\(attempts)"])
        let task = Task {
            do {
                try await fetch(build, part) { done, total in await self.progress(build, done: done, total: total) }
                self.downloaded(build, part: part)
            } catch let failure as BuildDownloader.Failure {
                self.downloadFailed(build, failure: failure)
            } catch {
                self.downloadFailed(build, failure: .init(reason: .downloadFailed, detail: "\(error)"))
            }
        }
        download = (build.sha256, task)
    }

    func progress(_ build: AgentBuild, done: Int64, total: Int64) {
        guard download?.sha256 == build.sha256 else { return }
        status = AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: .downloading,
                                    bytesDone: done, bytesTotal: total)
    }

    func downloaded(_ build: AgentBuild, part: String) {
        guard download?.sha256 == build.sha256 else { return }
        download = nil
        do {
            let binary = try BuildInstaller(paths: paths).install(part: part, build: build)
            installed = (build, binary)
            status = AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: .downloading,
                                        detail: "downloaded and verified", bytesDone: build.size, bytesTotal: build.size)
            logger.info("agent build installed", metadata: ["version": "\(build.version)", "path": "\(binary)"])
        } catch {
            nextAttempt = .now + retryDelay
            status = AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: .downloading,
                                        detail: "cannot install: \(error); retrying", bytesDone: build.size, bytesTotal: build.size)
        }
    }

    func downloadFailed(_ build: AgentBuild, failure: BuildDownloader.Failure) {
        guard download?.sha256 == build.sha256 else { return }
        download = nil
        if failure.reason == .digestMismatch {
            refuse(build, reason: .digestMismatch, detail: failure.detail)
            return
        }
        // A flaky link is no reason to give a build up: keep what arrived and try again later.
        nextAttempt = .now + retryDelay
        let done = BuildDownloader.size(of: paths.partPath(sha256: build.sha256))
        status = AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: .downloading,
                                    detail: "attempt \(attempts) failed: \(failure.detail); retrying in \(retryDelay.seconds) s",
                                    bytesDone: done, bytesTotal: build.size)
        logger.warning("agent build download failed", metadata: ["version": "\(build.version)", "error": "\(failure)"])
    }
}

extension AgentUpgrader {
    /// The first acknowledged heartbeat of a build on trial commits it: the launcher runs it
    /// from now on, the guardian exits, and builds older than the previous one are removed.
    public func heartbeatAcknowledged() {
        guard var record = UpgradeRecord.load(from: paths.recordPath), record.phase == .trial,
              record.path == executable else { return }
        record.phase = .committed
        save(record)
        logger.notice("agent upgrade committed", metadata: ["version": "\(record.build.version)"])
        BuildInstaller(paths: paths).prune(keeping: [executable, record.previousPath])
        if let guardian = record.guardianPid { Self.reapLater(guardian) }
    }

    /// The binary of `build` when an earlier process installed it already (the agent restarted
    /// between install and exec), checked against size and digest.
    func alreadyInstalled(_ build: AgentBuild) -> String? {
        let binary = paths.buildDir(for: build).pathJoining("fleet-agent")
        guard FileManager.default.fileExists(atPath: binary) else { return nil }
        guard BuildDownloader.size(of: binary) == build.size, FileManager.default.isExecutableFile(atPath: binary),
              BuildDownloader.sha256(file: binary) == build.sha256.lowercased() else {
            // Damaged: removed, so it is neither hashed on every pass nor ever exec'd.
            try? FileManager.default.removeItem(atPath: paths.buildDir(for: build))
            return nil
        }
        return binary
    }

    /// The record of this process's own trial, nil when it is not on trial.
    func trialRecord() -> UpgradeRecord? { Self.trialRecord(paths: paths, executable: executable) }

    static func trialRecord(paths: UpgradePaths, executable: String) -> UpgradeRecord? {
        guard let record = UpgradeRecord.load(from: paths.recordPath), record.phase == .trial,
              record.path == executable else { return nil }
        return record
    }

    /// The agent stops while on trial (an operator's stop): the guardian must not bring the
    /// previous binary up behind the operator's back. The next start's launcher rolls back.
    public func stopping() {
        guard let guardian = trialRecord()?.guardianPid, guardian > 0 else { return }
        kill(guardian, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(guardian, &status, 0)  // our child since the exec; ECHILD otherwise
        logger.notice("stopped during the trial of this build; the next start rolls it back")
    }

    /// Reaps an exited guardian (our child since the exec) within a few seconds.
    static func reapLater(_ pid: Int32) {
        Task.detached {
            for _ in 0..<50 {
                if ProcessTable.reap(pid) != nil { return }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
