import FleetProtocol
import FoundationEssentials
import Glibc
import Logging

/// The agent's own credential, kept in the state dir (mode 0600).
public struct NodeIdentity: Codable, Sendable, Equatable {
    public var name: String
    public var token: String
    public var registeredAt: Date
}

/// Command results not yet acknowledged and the ids of commands already run, kept across
/// restarts in `outbox.json`. Events, segments and job runs are queued in the ``ReportJournal``
/// (`STATE/outbox/`) instead.
public struct Outbox: Codable, Sendable, Equatable {
    /// Items of an `outbox.json` written before the journal existed: moved into the journal when
    /// the agent starts (``NodeAgent`` does it), empty afterwards.
    public var events: [AgentEvent] = []
    public var segments: [SegmentRecord] = []
    public var jobRuns: [JobRun] = []
    public var commandResults: [CommandResult] = []
    /// Ids of commands already carried out, so a redelivered command runs once.
    public var doneCommands: [String] = []

    public var isEmpty: Bool { events.isEmpty && segments.isEmpty && jobRuns.isEmpty && commandResults.isEmpty }

    static let maxDoneCommands = 500

    /// The legacy items, oldest kind by kind, for the journal.
    var legacyItems: [QueuedReport] {
        events.map(QueuedReport.event) + segments.map(QueuedReport.segment) + jobRuns.map(QueuedReport.jobRun)
    }

    /// Bounds the remembered command ids (the oldest go).
    mutating func trim() {
        if doneCommands.count > Self.maxDoneCommands { doneCommands.removeFirst(doneCommands.count - Self.maxDoneCommands) }
    }
}

/// Errors reading or writing the state dir.
public enum StateError: Error, CustomStringConvertible {
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unwritable(let path, let reason): return "cannot write state file \(path): \(reason)"
        }
    }
}

/// Files in the agent's state dir, each written atomically (temp file, fsync, rename).
/// A file that cannot be decoded is moved aside as `NAME.corrupt-TIMESTAMP` and logged, never silently lost.
public struct AgentStateDir: Sendable {
    public let path: String
    let logger: Logger

    public init(path: String, logger: Logger) throws {
        self.path = path
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateError.unwritable(path: path, reason: PosixIO.reason(error))
        }
    }

    var identityPath: String { file("identity.json") }
    var assignmentPath: String { file("assignment.json") }
    var outboxPath: String { file("outbox.json") }

    public func file(_ name: String) -> String { path.pathJoining(name) }

    public func loadIdentity() -> NodeIdentity? { load(NodeIdentity.self, from: identityPath) }
    public func saveIdentity(_ identity: NodeIdentity) throws { try save(identity, to: identityPath, mode: 0o600) }
    public func deleteIdentity() { try? FileManager.default.removeItem(atPath: identityPath) }

    public func loadAssignment() -> Assignment? { load(Assignment.self, from: assignmentPath) }
    public func saveAssignment(_ assignment: Assignment) throws { try save(assignment, to: assignmentPath, mode: 0o600) }

    public func loadOutbox() -> Outbox { load(Outbox.self, from: outboxPath) ?? Outbox() }
    /// The journal of queued reports in `STATE/outbox/`.
    public func openReportJournal(maxBytes: Int64) -> ReportJournal {
        ReportJournal(directory: file("outbox"), maxBytes: maxBytes, logger: logger)
    }
    public func saveOutbox(_ outbox: Outbox) throws { try save(outbox, to: outboxPath, mode: 0o600) }

    private func load<T: Decodable>(_ type: T.Type, from path: String) -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try WireCoding.decode(type, from: data)
        } catch {
            let aside = path + ".corrupt-" + String(Int(Date().timeIntervalSince1970))
            try? FileManager.default.moveItem(atPath: path, toPath: aside)
            logger.error("state file unreadable; moved aside", metadata: ["file": "\(path)", "movedTo": "\(aside)",
                                                                          "error": "\(error)"])
            return nil
        }
    }

    private func save<T: Encodable>(_ value: T, to path: String, mode: Int) throws {
        do {
            let data = try WireCoding.encoder(pretty: true).encode(value)
            try AtomicFile.write(data, to: path, mode: mode)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.unwritable(path: path, reason: "\(error)")
        }
    }
}

/// Write-to-temp, fsync, rename, fsync-directory, with the archive's file primitives.
enum AtomicFile {
    static func write(_ data: Data, to path: String, mode: Int) throws {
        let temp = path + ".tmp-\(getpid())"
        do {
            let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
            guard fd >= 0 else { throw FileIO.SystemError(operation: "create", path: temp, code: errno) }
            do {
                try data.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: temp) }
                try FileIO.fsyncFile(fd, path: temp)
            } catch {
                close(fd)
                throw error
            }
            close(fd)
            try FileIO.commit(temp: temp, final: path)
        } catch {
            unlink(temp)
            throw StateError.unwritable(path: path, reason: "\(error)")
        }
    }
}
