import ArgumentParser
import FleetProtocol
import Foundation

/// The root command: `fleetctl`.
public struct FleetctlRoot: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fleetctl",
        abstract: "Operate a StationFleet: declare the fleet, inspect nodes and stations, run jobs.",
        discussion: """
        fleetctl talks to the coordinator's admin API with the admin token. Every \
        command takes, before or after its name, --coordinator URL (env FLEET_COORDINATOR, default \
        \(GlobalOptions.defaultCoordinator)), --token-file F (env FLEET_TOKEN_FILE, \
        or the token itself in FLEET_TOKEN), --ca-file F for a private CA, \
        -o table|json|yaml and --timeout SECONDS.

        Exit status: 0 ok; 1 user error (bad input, not found, rejected request, \
        failed command; diff: changes found); 2 usage error; 3 coordinator \
        unreachable or server error.

        Examples:
          fleetctl apply -f inventory/
          fleetctl get nodes
          fleetctl rollout history
          fleetctl describe station ROST1
          fleetctl restart recorder ROST2 --wait
          fleetctl recordings ROST1 --from -24h
          fleetctl logs station ROST1 --since 1h -f
          fleetctl snapshot ROST1 -f rost1.jpg
          fleetctl get alerts
          fleetctl silence add --match site=auklab --for 2h --comment "mast work"
          fleetctl agent publish fleet-agent --version 0.2.0 --arch arm64
          fleetctl completion bash
          fleetctl manual | man -l -
        """,
        version: FleetVersion.current,
        subcommands: [
            ApplyCommand.self, DiffCommand.self, GetCommand.self, DescribeCommand.self,
            NodeCommand.self, TokenCommand.self, RestartCommand.self, RunJobCommand.self, RecordingsCommand.self,
            LogsCommand.self, SnapshotCommand.self,
            SilenceCommand.self,
            AlertsCommand.self, RolloutCommand.self, AgentCommand.self,
            CompletionCommand.self, ManualCommand.self,
        ])

    public init() {}
}

/// The entry point of the `fleetctl` executable; `run` is the same without exiting, for tests.
///
/// ```swift
/// let code = await FleetctlMain.run(arguments: ["get", "nodes", "-o", "json"],
///                                   environment: ["FLEET_COORDINATOR": url, "FLEET_TOKEN": token],
///                                   stdout: .standardOutput, stderr: .standardError)
/// ```
public enum FleetctlMain {
    /// Runs `fleetctl` with the process's arguments and environment, then exits with its code.
    public static func main() async {
        let code = await run(arguments: Array(CommandLine.arguments.dropFirst()),
                             environment: ProcessInfo.processInfo.environment,
                             stdout: .standardOutput, stderr: .standardError)
        exit(code)
    }

    /// Runs one invocation and returns its exit code (see ``FleetctlExitCode``). Never exits the process.
    public static func run(arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                           stdout: TextOutput, stderr: TextOutput,
                           now: @escaping @Sendable () -> Date = { Date() }) async -> Int32 {
        let console = Console(stdout: stdout, stderr: stderr, environment: environment, now: now)
        if arguments.isEmpty {
            // Nothing to do is a usage error: the help goes to stderr, exit 2.
            console.stderr.line(FleetctlRoot.helpMessage())
            console.error("no command given (see 'fleetctl --help')")
            return FleetctlExitCode.usage
        }
        if let word = ArgumentOrder.unknownHelpTopic(arguments) {
            console.error("unknown command '\(word)' (see 'fleetctl --help')")
            return FleetctlExitCode.usage
        }
        let parsed: any ParsableCommand
        do {
            parsed = try FleetctlRoot.parseAsRoot(ArgumentOrder.snapshotFile(ArgumentOrder.normalize(arguments)))
        } catch {
            return reportParseError(error, console: console)
        }
        if let local = parsed as? any FleetctlLocalCommand {
            do { return try local.execute(console) } catch {
                console.error("\(error)")
                return FleetctlExitCode.userError
            }
        }
        guard let command = parsed as? any FleetctlRunnable else {
            // `fleetctl`, `fleetctl help …` or a group without its subcommand: help or a usage error.
            do {
                var other = parsed
                try other.run()
                return FleetctlExitCode.ok
            } catch {
                return reportParseError(error, console: console)
            }
        }
        do {
            return try await command.execute(console)
        } catch let error as FleetctlError {
            console.error(error.description)
            return error.exitCode
        } catch is CancellationError {
            console.error("cancelled")
            return FleetctlExitCode.userError
        } catch {
            console.error(CoordinatorClient.describe(error))
            return FleetctlExitCode.userError
        }
    }

    /// Help and `--version` go to stdout with exit 0; any other parse error is one line on stderr, exit 2.
    static func reportParseError(_ error: any Error, console: Console) -> Int32 {
        if FleetctlRoot.exitCode(for: error) == .success {
            console.stdout.line(FleetctlRoot.fullMessage(for: error))
            return FleetctlExitCode.ok
        }
        var message = FleetctlRoot.message(for: error).firstLine
        if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
        let full = FleetctlRoot.fullMessage(for: error)
        if let range = full.range(of: #"'fleetctl[^']*--help'"#, options: .regularExpression) {
            message += " (see \(full[range]))"
        }
        console.error(message)
        return FleetctlExitCode.usage
    }
}
