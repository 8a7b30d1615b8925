import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl restart recorder STATION`.
public struct RestartCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart something on a node remotely.",
        discussion: """
        Examples:
          fleetctl restart recorder ROST2 --wait
        """,
        subcommands: [RestartRecorderCommand.self])

    public init() {}
}

/// `fleetctl restart recorder STATION [--wait] [--wait-timeout S]`.
public struct RestartRecorderCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "recorder",
        abstract: "Restart one station's camera recorder.",
        discussion: """
        Queues a restart for the node that runs the station; the agent receives it \
        within a second over its watch. Without --wait, fleetctl prints the command \
        id and returns. With --wait it returns when the agent reports the recorder \
        restarted and a new segment growing (exit 0), or exits 1 with the reason \
        when the restart failed, the command expired undelivered (node offline) or \
        --wait-timeout passed.

        Examples:
          fleetctl restart recorder ROST2
          fleetctl restart recorder ROST2 --wait
          fleetctl restart recorder ROST2 --wait --wait-timeout 120
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The station whose recorder to restart.", valueName: "station"),
              completion: NameCompletion.stations)
    public var station: String

    @Flag(help: "Wait until the agent reports the result.")
    public var wait = false

    @Option(name: .customLong("wait-timeout"), help: ArgumentHelp("How long --wait waits, in seconds.", valueName: "seconds"))
    public var waitTimeout: Double = 60

    public init() {}

    public func validate() throws {
        guard waitTimeout > 0, waitTimeout.isFinite else { throw ValidationError("--wait-timeout must be a positive number of seconds") }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        try await withClient(console) { client in
            let response = try await client.post(APIPath.stationRestart(RequestPath.segment(station)), as: CommandsResponse.self)
            guard !response.commands.isEmpty else {
                throw FleetctlError.badResponse(path: APIPath.stationRestart(station), reason: "no command was queued")
            }
            let subject = "restart of \(station)"
            return try await follow(response.commands, client: client, console: console, wait: wait,
                                    waitTimeout: waitTimeout, subject: subject,
                                    queuedLine: { "\(subject) queued (command \($0.id))" },
                                    finishedSubject: { _ in subject })
        }
    }
}

/// Lines for finished commands, shared by `restart` and `run`.
enum CommandReport {
    /// Success on stdout (table output only); failure and expiry on stderr.
    static func finished(_ command: CommandView, subject: String, table: Bool, console: Console) {
        let message = command.message.map { ": \($0.firstLine)" } ?? ""
        switch command.state {
        case .succeeded:
            if table { console.stdout.line("\(subject) succeeded\(message)") }
        case .failed:
            console.error("\(subject) failed\(message)")
        case .expired:
            console.error("\(subject) expired: node \(command.node) did not pick it up before \(Formatting.time(command.expiresAt))")
        case .pending, .delivered:
            break
        }
    }

    /// The exit code once waiting ended; reports the commands still unfinished.
    static func conclude(_ outcome: CommandWaiter.Outcome, subject: String, waitSeconds: Double, console: Console) -> Int32 {
        var code = FleetctlExitCode.ok
        for command in outcome.commands {
            switch command.state {
            case .succeeded: continue
            case .failed, .expired: code = FleetctlExitCode.userError
            case .pending, .delivered:
                code = FleetctlExitCode.userError
                let seconds = waitSeconds == waitSeconds.rounded() ? String(Int(waitSeconds)) : String(waitSeconds)
                console.error("timed out after \(seconds)s waiting for \(subject) on \(command.node) (command \(command.id) is \(command.state.rawValue))")
            }
        }
        return code
    }
}
