import FoundationEssentials

/// An imperative request for one node, delivered over its watch.
public struct Command: Codable, Sendable, Equatable, Identifiable {
    public enum Kind: String, Codable, Sendable {
        case restartRecorder
        case runArchive
        case runBackup
        /// Upload a station's recorder log (``Command/logs`` says how much); target: the station.
        case stationLogs
        /// Upload the agent's own recent log; target: the node.
        case nodeLogs
        /// Upload a JPEG from the station's newest complete segment; target: the station.
        case snapshot

        /// Interactive kinds whose output the agent uploads (remote logs, snapshots).
        public var uploadsOutput: Bool { self == .stationLogs || self == .nodeLogs || self == .snapshot }
    }

    public var id: String
    public var kind: Kind
    /// Station name for `restartRecorder`, job name for `runArchive`/`runBackup`.
    public var target: String
    public var node: String
    public var issuedAt: Date
    /// An undelivered command is dropped (state `expired`) after this time.
    public var expiresAt: Date
    /// How much of a log `stationLogs` and `nodeLogs` ask for; nil for other kinds.
    public var logs: LogRequest?

    public init(id: String, kind: Kind, target: String, node: String, issuedAt: Date, expiresAt: Date,
                logs: LogRequest? = nil) {
        self.id = id
        self.kind = kind
        self.target = target
        self.node = node
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.logs = logs
    }
}

/// What an agent reports after carrying out a command.
public struct CommandResult: Codable, Sendable, Equatable {
    public var commandId: String
    public var ok: Bool
    public var message: String
    public var completedAt: Date

    public init(commandId: String, ok: Bool, message: String, completedAt: Date) {
        self.commandId = commandId
        self.ok = ok
        self.message = message
        self.completedAt = completedAt
    }
}

/// A command as `fleetctl` sees it.
public struct CommandView: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case pending, delivered, succeeded, failed, expired }
    public var id: String
    public var kind: Command.Kind
    public var target: String
    public var node: String
    public var state: State
    public var issuedAt: Date
    public var expiresAt: Date
    public var completedAt: Date?
    public var message: String?
    /// What a log command asks for (``Command/logs``).
    public var logs: LogRequest?

    public init(id: String, kind: Command.Kind, target: String, node: String, state: State, issuedAt: Date,
                expiresAt: Date, completedAt: Date? = nil, message: String? = nil, logs: LogRequest? = nil) {
        self.logs = logs
        self.id = id
        self.kind = kind
        self.target = target
        self.node = node
        self.state = state
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.completedAt = completedAt
        self.message = message
    }
}

/// How long a watch long-poll is held. Long, so that an idle agent on a metered link pays
/// for an empty answer only every few minutes; a new assignment or command ends it at once.
///
/// ```swift
/// let path = Endpoints.watch.path(node, query: [("revision", "3"), ("timeout", "\(WatchLimits.agentSeconds)")])
/// ```
public enum WatchLimits {
    /// The longest `timeout` a coordinator honours (a longer one is cut to this).
    public static let maxSeconds = 300
    /// What the agent asks for.
    public static let agentSeconds = 300
}

/// `GET /v1/nodes/{name}/watch?revision=N`: the long-poll answer.
/// Returns at once when the node's assignment is newer than `revision` or commands wait,
/// otherwise after up to `timeout` seconds (≤ ``WatchLimits/maxSeconds``) with
/// `assignment == nil` and no commands.
public struct WatchResponse: Codable, Sendable, Equatable {
    public var assignment: Assignment?
    public var commands: [Command]

    public init(assignment: Assignment?, commands: [Command]) {
        self.assignment = assignment
        self.commands = commands
    }

    private enum CodingKeys: String, CodingKey { case assignment, commands }

    /// A command this agent cannot read (a kind added by a newer coordinator) is left out
    /// rather than failing the whole answer: the assignment and the other commands still
    /// arrive, and the coordinator expires the unanswered one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        assignment = try container.decodeIfPresent(Assignment.self, forKey: .assignment)
        commands = try container.decodeIfPresent([Skippable<Command>].self, forKey: .commands)?.compactMap(\.value) ?? []
    }
}

/// One element of a list decoded on its own: nil when it does not decode.
struct Skippable<Value: Decodable>: Decodable {
    var value: Value?

    init(from decoder: any Decoder) throws {
        value = try? Value(from: decoder)
    }
}
