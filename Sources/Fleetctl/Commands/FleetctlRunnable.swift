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
    /// Shared by `restart recorder` and `run archive|backup`. With `progress` (table output
    /// only) a task polls it into a ``ProgressDisplay`` while waiting: a bar per node, ended at
    /// 100 % when that node's command succeeds, before its result line.
    func follow(_ commands: [CommandView], client: CoordinatorClient, console: Console, wait: Bool,
                waitTimeout: Double, subject: String, queuedLine: (CommandView) -> String,
                finishedSubject: @escaping @Sendable (CommandView) -> String,
                progress: (@Sendable (CoordinatorClient, ProgressDisplay) async -> Void)? = nil) async throws -> Int32 {
        let table = global.output == .table
        if table {
            for command in commands { console.stdout.line(queuedLine(command)) }
        }
        guard wait else {
            if !table { try printMachine(commands, console) }
            return FleetctlExitCode.ok
        }
        let waiter = CommandWaiter(client: client, waitSeconds: waitTimeout, requestTimeout: global.timeout)
        let display = table && progress != nil
            ? ProgressDisplay(output: console.stdout, width: ProgressDisplay.width(environment: console.environment)) : nil
        let poller: Task<Void, Never>?
        if let display, let progress { poller = Task { await progress(client, display) } } else { poller = nil }
        let waited: Result<CommandWaiter.Outcome, any Error>
        do {
            waited = .success(try await waiter.wait(for: commands) { command in
                display?.finish(command.node, succeeded: command.state == .succeeded)
                CommandReport.finished(command, subject: finishedSubject(command), table: table, console: console)
            })
        } catch {
            waited = .failure(error)
        }
        poller?.cancel()
        await poller?.value
        display?.endLine()
        let outcome = try waited.get()
        if !table { try printMachine(outcome.commands, console) }
        return CommandReport.conclude(outcome, subject: subject, waitSeconds: waitTimeout, console: console)
    }
}
