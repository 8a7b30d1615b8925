import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl token rotate join [--expires-in DURATION]`, `fleetctl token create --role viewer`.
public struct TokenCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Rotate the coordinator's join token or create a read-only viewer token.",
        discussion: """
        Examples:
          fleetctl token rotate join
          fleetctl token rotate join --expires-in 7d
          fleetctl token create --role viewer --name "field laptop"
        """,
        subcommands: [TokenRotateCommand.self, TokenCreateCommand.self])

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

/// `fleetctl token create --role viewer [--name NAME]`.
public struct TokenCreateCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a read-only viewer token (for the dashboard or for fleetctl).",
        discussion: """
        A viewer token may read everything the admin token may (every GET, the dashboard) \
        and act on nothing: no apply, ack, silence, restart or rollout control. The \
        coordinator keeps only its hash (viewer.tokens in its data dir) and prints it once here.

        Examples:
          fleetctl token create --role viewer
          fleetctl token create --role viewer --name "field laptop"
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(help: ArgumentHelp("The token's role: only `viewer` can be created.", valueName: "role"))
    public var role: String

    @Option(help: ArgumentHelp("Who or what uses the token (kept beside its hash).", valueName: "name"))
    public var name: String?

    public init() {}

    public func validate() throws {
        guard role == SessionRole.viewer.rawValue else {
            throw ValidationError("--role \(role): only viewer tokens can be created; the admin token is a file in the coordinator's data dir")
        }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let created = try await withClient(console) { client in
            try await client.call(Endpoints.viewerTokenCreate, body: ViewerTokenRequest(name: name))
        }
        if global.output == .table {
            console.stdout.line("new viewer token \"\(created.name)\" (read-only; shown once, the coordinator keeps only its hash):")
            console.stdout.line(created.token)
        } else {
            try printMachine(created, console)
        }
        return FleetctlExitCode.ok
    }
}
