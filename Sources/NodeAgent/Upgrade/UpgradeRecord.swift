import FleetProtocol
import FoundationEssentials

/// `STATE/agent/upgrade.json`: where an agent upgrade stands, shared by the agent, its
/// guardian and the launcher. Written atomically (temp file, fsync, rename).
///
/// ```swift
/// var record = UpgradeRecord(phase: .trial, build: build, path: installed, previousPath: current,
///                            previousVersion: "0.1.0", startedAt: Date(), deadlineSeconds: 120)
/// try record.save(to: paths.recordPath)
/// ```
public struct UpgradeRecord: Codable, Sendable, Equatable {
    public enum Phase: String, Codable, Sendable {
        /// The new build was exec'd and has not yet had a heartbeat acknowledged.
        case trial
        /// The new build proved itself; the launcher runs it from now on.
        case committed
        /// The new build failed after the swap; the previous binary runs again.
        case rolledBack = "rolled-back"
        /// The build could not be used at all; nothing was swapped.
        case failed
    }

    public var phase: Phase
    public var build: AgentBuild
    /// The installed new binary (nil when the build never got installed).
    public var path: String?
    /// The binary that ran before the swap: what a rollback runs again.
    public var previousPath: String
    public var previousVersion: String
    public var startedAt: Date
    public var deadlineSeconds: Int
    public var reason: AgentUpgradeStatus.Reason?
    public var detail: String?
    /// The guardian watching the trial (reaped by the trial once it commits).
    public var guardianPid: Int32?

    public init(phase: Phase, build: AgentBuild, path: String?, previousPath: String, previousVersion: String,
                startedAt: Date, deadlineSeconds: Int, reason: AgentUpgradeStatus.Reason? = nil, detail: String? = nil,
                guardianPid: Int32? = nil) {
        self.phase = phase
        self.build = build
        self.path = path
        self.previousPath = previousPath
        self.previousVersion = previousVersion
        self.startedAt = startedAt
        self.deadlineSeconds = deadlineSeconds
        self.reason = reason
        self.detail = detail
        self.guardianPid = guardianPid
    }

    /// True when the trial's deadline has passed at `now`.
    public func deadlinePassed(now: Date = Date()) -> Bool {
        now.timeIntervalSince(startedAt) > Double(deadlineSeconds)
    }

    /// The build is marked as not to be tried again.
    public var refusesBuild: Bool { phase == .rolledBack || phase == .failed }

    /// What the agent reports for this record.
    public var status: AgentUpgradeStatus {
        let state: AgentUpgradeStatus.State
        switch phase {
        case .trial, .committed: state = .trial
        case .rolledBack: state = .rolledBack
        case .failed: state = .failed
        }
        return AgentUpgradeStatus(version: build.version, sha256: build.sha256, state: state, reason: reason,
                                  detail: detail.map { String($0.prefix(400)) })
    }

    public static func load(from path: String) -> UpgradeRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? WireCoding.decoder().decode(UpgradeRecord.self, from: data)
    }

    public func save(to path: String) throws {
        try AtomicFile.write(try WireCoding.encoder(pretty: true).encode(self), to: path, mode: 0o600)
    }
}
