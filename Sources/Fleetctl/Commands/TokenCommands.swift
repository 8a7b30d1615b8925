import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl token rotate join [--expires-in DURATION]`.
public struct TokenCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Rotate the coordinator's join token.",
        discussion: """
        Examples:
          fleetctl token rotate join
          fleetctl token rotate join --expires-in 7d
        """,
        subcommands: [TokenRotateCommand.self])

    public init() {}
}

/// `fleetctl token rotate join`.
public struct TokenRotateCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace the join token; the old one stops working at once.",
        discussion: """
        Registered nodes keep their own credentials and are not affected; only new \
        registrations need the new token. The coordinator writes it to its join.token \
        file (mode 0600) and prints it once here. With --expires-in the token stops \
        working after that long (1m to 366d), so a token handed out for a field trip \
        cannot be used later.

        Examples:
          fleetctl token rotate join
          fleetctl token rotate join --expires-in 7d
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("Which token: only `join` can be rotated.", valueName: "kind"))
    public var kind: String

    @Option(name: .customLong("expires-in"),
            help: ArgumentHelp("How long the new token is valid, e.g. 12h, 7d, 2w (default: until rotated).",
                               valueName: "duration"))
    public var expiresIn: String?

    public init() {}

    public func validate() throws {
        guard kind == "join" else {
            throw ValidationError("only the join token can be rotated; the admin token is a file in the coordinator's data dir")
        }
        if let expiresIn, Self.seconds(expiresIn) == nil {
            throw ValidationError("--expires-in \(expiresIn): use a number with s, m, h, d or w, e.g. 7d")
        }
    }

    static func seconds(_ text: String) -> Int? {
        TimeArgument.relativeSeconds("+" + text).map { Int($0) }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let request = JoinTokenRotation(validForSeconds: expiresIn.flatMap(Self.seconds))
        let rotated = try await withClient(console) { client in
            try await client.call(Endpoints.joinTokenRotate, body: request)
        }
        if global.output == .table {
            console.stdout.line("new join token (also in \(rotated.path) on the coordinator):")
            console.stdout.line(rotated.token)
            if let expiresAt = rotated.expiresAt {
                console.stdout.line("expires \(expiresAt.formatted(.iso8601))")
            }
        } else {
            try printMachine(rotated, console)
        }
        return FleetctlExitCode.ok
    }
}
