import Foundation

/// An imperative request for one node, delivered over its watch.
public struct Command: Codable, Sendable, Equatable, Identifiable {
    public enum Kind: String, Codable, Sendable {
        case restartRecorder
        case runArchive
        case runBackup
    }

    public var id: String
    public var kind: Kind
    /// Station name for `restartRecorder`, job name for `runArchive`/`runBackup`.
    public var target: String
    public var node: String
    public var issuedAt: Date
    /// An undelivered command is dropped (state `expired`) after this time.
    public var expiresAt: Date

    public init(id: String, kind: Kind, target: String, node: String, issuedAt: Date, expiresAt: Date) {
        self.id = id
        self.kind = kind
        self.target = target
        self.node = node
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
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

    public init(id: String, kind: Command.Kind, target: String, node: String, state: State, issuedAt: Date,
                expiresAt: Date, completedAt: Date? = nil, message: String? = nil) {
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

/// `GET /v1/nodes/{name}/watch?revision=N`: the long-poll answer.
/// Returns at once when the node's assignment is newer than `revision` or commands wait,
/// otherwise after up to 30 s with `assignment == nil` and no commands.
public struct WatchResponse: Codable, Sendable, Equatable {
    public var assignment: Assignment?
    public var commands: [Command]

    public init(assignment: Assignment?, commands: [Command]) {
        self.assignment = assignment
        self.commands = commands
    }
}
