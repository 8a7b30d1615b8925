import ArgumentParser
import FleetProtocol
import Foundation

/// A leaf command of `fleetctl`: parsed by ArgumentParser, executed with an injected ``Console``.
public protocol FleetctlRunnable: ParsableCommand {
    /// The shared `--coordinator`, `--token-file`, `--ca-file`, `-o`, `--timeout` options.
    var global: GlobalOptions { get }
    /// Runs the command; returns its exit code or throws a ``FleetctlError``.
    func execute(_ console: Console) async throws -> Int32
}

extension FleetctlRunnable {
    /// Runs `body` with a client configured from the global options and the environment.
    func withClient<R: Sendable>(_ console: Console, _ body: (CoordinatorClient) async throws -> R) async throws -> R {
        let settings = try global.settings(environment: console.environment)
        return try await CoordinatorClient.withClient(settings, body)
    }

    /// Prints `value` as JSON or YAML on stdout.
    func printMachine<T: Encodable>(_ value: T, _ console: Console) throws {
        do {
            console.stdout.write(try MachineOutput.render(value, as: global.output))
        } catch {
            throw FleetctlError.invalidInput("cannot encode the output as \(global.output.rawValue): \(CoordinatorClient.describe(error))")
        }
    }

    /// Prints what was queued and, with `wait`, follows every command to its end.
    /// Shared by `restart recorder` and `run archive|backup`.
    func follow(_ commands: [CommandView], client: CoordinatorClient, console: Console, wait: Bool,
                waitTimeout: Double, subject: String, queuedLine: (CommandView) -> String,
                finishedSubject: @escaping @Sendable (CommandView) -> String) async throws -> Int32 {
        let table = global.output == .table
        if table {
            for command in commands { console.stdout.line(queuedLine(command)) }
        }
        guard wait else {
            if !table { try printMachine(commands, console) }
            return FleetctlExitCode.ok
        }
        let waiter = CommandWaiter(client: client, waitSeconds: waitTimeout, requestTimeout: global.timeout)
        let outcome = try await waiter.wait(for: commands) { command in
            CommandReport.finished(command, subject: finishedSubject(command), table: table, console: console)
        }
        if !table { try printMachine(outcome.commands, console) }
        return CommandReport.conclude(outcome, subject: subject, waitSeconds: waitTimeout, console: console)
    }
}
