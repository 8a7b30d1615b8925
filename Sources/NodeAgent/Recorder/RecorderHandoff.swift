import FleetProtocol
import FoundationEssentials

/// One recorder handed from an agent process to the build it exec's (`STATE/agent/handoff.json`).
///
/// After `execve` the ffmpeg is still a child of the same pid and its stderr pipe is still open
/// at `stderrFD` (FD_CLOEXEC was cleared for it), so the new process can take the recorder over
/// without a restart when `pid` still has `startTime` and the command it would run now hashes to
/// `commandHash`.
public struct RecorderHandoff: Codable, Sendable, Equatable {
    public var station: String
    public var pid: Int32
    public var startTime: UInt64
    public var commandHash: String
    public var stderrFD: Int32
    /// Bytes of the segment list already handled.
    public var listOffset: UInt64
    /// Segment names below this belong to earlier runs.
    public var firstName: String
    public var lastClosedName: String?
    /// Closed segments whose ffprobe had not finished: probed again by the successor.
    public var probing: [String]
    public var restarts: Int
    /// The run tag of its segment names (``SegmentName``), nil for plain names; absent in older files.
    public var nameTag: String?

    public init(station: String, pid: Int32, startTime: UInt64, commandHash: String, stderrFD: Int32, listOffset: UInt64,
                firstName: String, lastClosedName: String?, probing: [String], restarts: Int, nameTag: String? = nil) {
        self.station = station
        self.pid = pid
        self.startTime = startTime
        self.commandHash = commandHash
        self.stderrFD = stderrFD
        self.listOffset = listOffset
        self.firstName = firstName
        self.lastClosedName = lastClosedName
        self.probing = probing
        self.restarts = restarts
        self.nameTag = nameTag
    }
}

/// The file form of a handoff: which process wrote it and its recorders.
public struct HandoffFile: Codable, Sendable, Equatable {
    /// The pid that wrote it: only a process with the same pid (after `execve`) holds the fds.
    public var pid: Int32
    public var createdAt: Date
    public var recorders: [RecorderHandoff]

    public init(pid: Int32, createdAt: Date = Date(), recorders: [RecorderHandoff]) {
        self.pid = pid
        self.createdAt = createdAt
        self.recorders = recorders
    }

    public static func load(from path: String) -> HandoffFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? WireCoding.decoder().decode(HandoffFile.self, from: data)
    }

    public func save(to path: String) throws {
        try AtomicFile.write(try WireCoding.encoder(pretty: true).encode(self), to: path, mode: 0o600)
    }
}
