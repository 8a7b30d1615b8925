import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl logs station|node NAME`.
public struct LogsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show a recorder's or an agent's log from the node, without ssh.",
        discussion: """
        The coordinator asks the node over the agent's own connection (agents behind NAT \
        are never dialled); the agent uploads the lines, camera passwords redacted. An \
        offline node is refused at once.

        Examples:
          fleetctl logs station ROST1
          fleetctl logs station ROST1 --since 1h --tail 500
          fleetctl logs station ROST1 -f
          fleetctl logs node recordingpi -f
        """,
        subcommands: [LogsStationCommand.self, LogsNodeCommand.self])

    public init() {}
}

/// Options shared by both log commands.
public struct LogsOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Only lines of the last DURATION (90s, 30m, 1h, 2d).", valueName: "duration"))
    public var since: String?

    @Option(help: ArgumentHelp("The last N lines (1…\(RemoteOutputLimits.maxTail)).", valueName: "n"))
    public var tail: Int = RemoteOutputLimits.defaultTail

    @Flag(name: [.customShort("f"), .long], help: "Keep printing new lines until interrupted (Ctrl-C).")
    public var follow = false

    @Option(name: .customLong("wait-timeout"), help: ArgumentHelp("How long to wait for the node's answer, in seconds.", valueName: "seconds"))
    public var waitTimeout: Double = 30

    public init() {}

    public func validate() throws {
        guard (1...RemoteOutputLimits.maxTail).contains(tail) else {
            throw ValidationError("--tail must be 1…\(RemoteOutputLimits.maxTail), got \(tail)")
        }
        if let since, Self.seconds(since) == nil {
            throw ValidationError("--since '\(since)' is not a duration like 90s, 30m, 1h or 2d")
        }
        guard waitTimeout > 0, waitTimeout.isFinite else { throw ValidationError("--wait-timeout must be a positive number of seconds") }
    }

    /// `1h` (or `-1h`) → 3600.
    static func seconds(_ text: String) -> Int? {
        let signed = text.hasPrefix("-") || text.hasPrefix("+") ? "-" + text.dropFirst() : "-" + text
        guard let value = TimeArgument.relativeSeconds(signed), value < 0, -value <= 366 * 86_400 else { return nil }
        return max(1, Int(-value))
    }

    var request: LogRequest {
        LogRequest(tail: tail, sinceSeconds: since.flatMap(Self.seconds), follow: follow)
    }
}

/// `fleetctl logs station STATION`.
public struct LogsStationCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Show the recorder log of a station: ffmpeg's output and the supervisor's lines.",
        discussion: """
        Examples:
          fleetctl logs station ROST1 --tail 50
          fleetctl logs station ROST1 --since 1h -f
        """)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var logs: LogsOptions

    @Argument(help: ArgumentHelp("The station.", valueName: "station"))
    public var station: String

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        try await withClient(console) { client in
            let command = try await client.call(Endpoints.stationLogs, station, body: logs.request)
            return try await LogPrinter(client: client, options: logs, global: global, console: console)
                .print(command, subject: "logs of \(station)")
        }
    }
}

/// `fleetctl logs node NAME`.
public struct LogsNodeCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Show the agent's own recent log (kept in memory on the node).",
        discussion: """
        Examples:
          fleetctl logs node recordingpi
          fleetctl logs node recordingpi -f
        """)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var logs: LogsOptions

    @Argument(help: ArgumentHelp("The node.", valueName: "name"))
    public var name: String

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        try await withClient(console) { client in
            let command = try await client.call(Endpoints.nodeLogs, name, body: logs.request)
            return try await LogPrinter(client: client, options: logs, global: global, console: console)
                .print(command, subject: "logs of node \(name)")
        }
    }
}

/// `-o json|yaml`: the lines of a log request (not with `-f`).
struct LogsOutput: Encodable {
    var command: String
    var node: String
    var lines: [String]
}

/// Reads a log command's lines from the coordinator (long polls with a cursor) and prints them.
struct LogPrinter {
    let client: CoordinatorClient
    let options: LogsOptions
    let global: GlobalOptions
    let console: Console

    /// Seconds the coordinator holds one poll.
    static let pollSeconds = 20

    func print(_ command: CommandView, subject: String) async throws -> Int32 {
        if options.follow, global.output != .table {
            throw FleetctlError.invalidInput("-f prints lines as they come; leave out -o \(global.output.rawValue)")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(options.waitTimeout * 1000))
        var cursor = 0
        var collected: [String] = []
        var received = false
        var rounds = 0
        while rounds < 1_000_000 {
            rounds += 1
            let chunk = try await poll(command.id, cursor: cursor)
            if chunk.skipped > 0 { console.error("\(chunk.skipped) lines were dropped before they could be shown") }
            if !chunk.lines.isEmpty || chunk.done { received = true }
            if global.output == .table {
                if !chunk.lines.isEmpty { console.stdout.write(chunk.lines.joined(separator: "\n") + "\n") }
            } else {
                collected += chunk.lines
            }
            cursor = chunk.cursor
            if chunk.done {
                if let error = chunk.error { throw FleetctlError.commandFailed("\(subject): \(error)") }
                break
            }
            if !received, clock.now >= deadline {
                throw FleetctlError.commandFailed(
                    "\(subject): no answer from node \(command.node) within \(Formatting.duration(options.waitTimeout)) (command \(command.id))")
            }
        }
        if global.output != .table { try printMachine(LogsOutput(command: command.id, node: command.node, lines: collected)) }
        return FleetctlExitCode.ok
    }

    /// One poll. The coordinator closes a connection after a long poll on it ended, so a poll
    /// may meet a connection the pool still holds but that is gone: it is sent again (a poll is
    /// idempotent, the cursor says where to go on), up to twice.
    private func poll(_ id: String, cursor: Int) async throws -> LogChunk {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.call(Endpoints.commandLogs, id,
                                             query: [("cursor", String(cursor)), ("wait", String(Self.pollSeconds))],
                                             timeoutSeconds: Double(Self.pollSeconds) + global.timeout)
            } catch FleetctlError.unreachable(let coordinator, let reason) where attempt < 3 {
                if !Self.isStaleConnection(reason) { throw FleetctlError.unreachable(coordinator: coordinator, reason: reason) }
            }
        }
    }

    static func isStaleConnection(_ reason: String) -> Bool {
        reason.contains("closed") || reason.contains("reset")
    }

    private func printMachine<T: Encodable>(_ value: T) throws {
        do {
            console.stdout.write(try MachineOutput.render(value, as: global.output))
        } catch {
            throw FleetctlError.invalidInput("cannot encode the output as \(global.output.rawValue): \(CoordinatorClient.describe(error))")
        }
    }
}
