import ArgumentParser
import FleetInventory
import FleetProtocol
import Foundation

/// `fleetctl silence add|list|expire`: mute alerts for a while.
public struct SilenceCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "silence",
        abstract: "Mute alerts that match labels for a while (maintenance, a known outage).",
        discussion: """
        A silenced alert still shows in `fleetctl get alerts` (state silenced) but \
        sends no notifications until the silence ends or is expired.

        Examples:
          fleetctl silence add --match site=auklab --for 2h --comment "mast work"
          fleetctl silence list
          fleetctl silence expire 7c1d0e42
        """,
        subcommands: [SilenceAddCommand.self, SilenceListCommand.self, SilenceExpireCommand.self])

    public init() {}
}

/// `fleetctl silence add --match LABEL=VALUE … --for DURATION --comment TEXT`.
public struct SilenceAddCommand: FleetctlRunnable {
    /// The longest silence `add` accepts: 90 days.
    public static let maximumSeconds = 90 * 86_400

    public static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Mute the alerts that match every --match for a while; prints the silence's ID.",
        discussion: """
        Each --match is LABEL=VALUE, LABEL!=VALUE, LABEL=~REGEX or LABEL!~REGEX \
        (regular expressions match the whole value; a missing label is the empty \
        string). Alerts carry the labels alertname, severity, site, node and station \
        or job. Give --match once per matcher; an alert is muted when all match. \
        --for is a duration like 30m, 2h, 7d or 1h30m (at most 90d). The comment \
        is required, and the silence records who ($USER@host) made it. Prints the \
        new silence's ID; -o json|yaml prints the silence.

        Examples:
          fleetctl silence add --match site=auklab --for 2h --comment "mast work"
          fleetctl silence add --match station=ROST1 --match alertname=~Segment.* --for 1d --comment "camera swap"
          fleetctl silence add --match node=recordingpi --match severity!=critical --for 30m --comment "reboot"
        """)

    @OptionGroup public var global: GlobalOptions

    @Option(name: .customLong("match"), help: ArgumentHelp(
        "A label matcher: LABEL=VALUE, LABEL!=VALUE, LABEL=~REGEX or LABEL!~REGEX (repeatable; at least one).",
        valueName: "matcher"))
    public var matchers: [String] = []

    @Option(name: .customLong("for"), help: ArgumentHelp("How long: 30m, 2h, 7d, 1h30m (at most 90d).", valueName: "duration"))
    public var duration: String

    @Option(help: ArgumentHelp("Why (required).", valueName: "text"))
    public var comment: String

    public init() {}

    public func validate() throws {
        _ = try Self.parseMatchers(matchers)
        _ = try Self.parseDuration(duration)
        guard !comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--comment must not be empty: say why the alerts are silenced")
        }
    }

    /// The matchers in their canonical form (`site="auklab"`), or a one-line error.
    static func parseMatchers(_ texts: [String]) throws -> [String] {
        guard !texts.isEmpty else {
            throw ValidationError("give at least one --match LABEL=VALUE")
        }
        var matchers: [String] = []
        for text in texts {
            do {
                matchers.append(try LabelMatcher(parsing: text).description)
            } catch {
                throw ValidationError("--match \(text): \(error.description)")
            }
        }
        return matchers
    }

    /// Seconds in `--for`: more than zero, at most ``maximumSeconds``.
    static func parseDuration(_ text: String) throws -> Int {
        guard let seconds = ValueSyntax.duration(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("--for \(text): use a duration like 30m, 2h, 7d or 1h30m")
        }
        guard seconds > 0 else { throw ValidationError("--for \(text): must be longer than 0s") }
        guard seconds <= maximumSeconds else { throw ValidationError("--for \(text): at most 90d") }
        return seconds
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let request = SilenceRequest(matchers: try Self.parseMatchers(matchers), durationSeconds: try Self.parseDuration(duration),
                                     comment: comment.trimmingCharacters(in: .whitespacesAndNewlines),
                                     by: OperatorIdentity.current(environment: console.environment))
        let silence = try await withClient(console) { client in
            try await client.call(Endpoints.silenceAdd, body: request)
        }
        if global.output == .table {
            console.stdout.line(silence.id)
        } else {
            try printMachine(silence, console)
        }
        return FleetctlExitCode.ok
    }
}

/// `fleetctl silence list [--expired]`.
public struct SilenceListCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List active silences (with --expired, also ended ones).",
        discussion: """
        Table: ID MATCHERS STARTS ENDS REMAINING BY COMMENT. REMAINING is the time \
        left, or "expired" (with who expired it early). -o json|yaml prints the silences.

        Examples:
          fleetctl silence list
          fleetctl silence list --expired -o json
        """)

    @OptionGroup public var global: GlobalOptions

    @Flag(help: "Also list silences that have ended.")
    public var expired = false

    public init() {}

    public func execute(_ console: Console) async throws -> Int32 {
        let silences = try await withClient(console) { client in
            try await client.call(Endpoints.silences, query: expired ? [("expired", "true")] : [])
        }
        switch global.output {
        case .table:
            if silences.isEmpty {
                console.stderr.line("No silences found.")
            } else {
                console.stdout.write(AlertTables.silences(silences, now: console.now()))
            }
        case .json, .yaml:
            try printMachine(silences, console)
        }
        return FleetctlExitCode.ok
    }
}

/// `fleetctl silence expire ID`.
public struct SilenceExpireCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "expire",
        abstract: "End a silence now; the alerts it muted notify again.",
        discussion: """
        ID is the silence's ID as `fleetctl silence add` printed it or `fleetctl \
        silence list` shows it. Records who ($USER@host) ended it.

        Examples:
          fleetctl silence expire 7c1d0e42
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The silence's ID.", valueName: "id"))
    public var id: String

    public init() {}

    public func validate() throws {
        guard !id.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("ID must not be empty") }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let expiry = SilenceExpiry(by: OperatorIdentity.current(environment: console.environment))
        let silence = try await withClient(console) { client in
            try await client.call(Endpoints.silenceExpire, id.trimmingCharacters(in: .whitespaces), body: expiry)
        }
        if global.output == .table {
            console.stdout.line("Expired silence \(silence.id) (\(silence.matchers.joined(separator: ",")))")
        } else {
            try printMachine(silence, console)
        }
        return FleetctlExitCode.ok
    }
}
