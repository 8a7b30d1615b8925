import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl alerts ack ALERT --comment TEXT`: acknowledge a firing alert.
///
/// A leaf of the `alerts` command group; register it in that group's `subcommands`
/// (`AlertsCommand`), e.g. `subcommands: [AlertsAckCommand.self]`.
public struct AlertsAckCommand: FleetctlRunnable {
    /// Shortest ALERT prefix the coordinator accepts.
    public static let minimumPrefix = 4

    public static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge a firing alert: its repeats stop until it resolves or fires again.",
        discussion: """
        ALERT is the alert's ID as `fleetctl get alerts` shows it, or any unique prefix \
        of its fingerprint (at least 4 characters). The comment is required: say what \
        is being done about it, for whoever looks next. The acknowledgement records \
        who ($USER@host) and when; the alert stays firing and shows "(acked)" in \
        `fleetctl get alerts`. Prints one line: Acknowledged ID ALERTNAME (summary); \
        -o json|yaml prints the alert instead.

        Examples:
          fleetctl alerts ack 3f9a2c1e --comment "camera power cycled, watching"
          fleetctl alerts ack 3f9a --comment "NAS maintenance until 14:00"
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The alert's ID or a unique prefix of it.", valueName: "alert"))
    public var alert: String

    @Option(help: ArgumentHelp("Why, or what is being done (required).", valueName: "text"))
    public var comment: String

    public init() {}

    public func validate() throws {
        let id = alert.trimmingCharacters(in: .whitespaces)
        guard id.count >= Self.minimumPrefix else {
            throw ValidationError("ALERT \(alert): give at least \(Self.minimumPrefix) characters of the alert's ID")
        }
        guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ValidationError("ALERT \(alert): an alert ID has letters and digits only")
        }
        guard !comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--comment must not be empty: say why the alert is acknowledged")
        }
    }

    public func execute(_ console: Console) async throws -> Int32 {
        let request = AckRequest(comment: comment.trimmingCharacters(in: .whitespacesAndNewlines),
                                 by: OperatorIdentity.current(environment: console.environment))
        let id = alert.trimmingCharacters(in: .whitespaces)
        let acknowledged = try await withClient(console) { client in
            try await client.call(Endpoints.alertAck, id, body: request)
        }
        if global.output == .table {
            console.stdout.line(AlertTables.acknowledged(acknowledged))
        } else {
            try printMachine(acknowledged, console)
        }
        return FleetctlExitCode.ok
    }
}
