import FleetProtocol
import Foundation

/// Waits for queued commands (restarts, job runs) to finish by polling `GET /v1/commands/ID`.
///
/// The coordinator may hold that request until the command changes (long-poll), so each
/// poll may last up to `max(request timeout, 35 s)`, but never beyond the wait deadline.
struct CommandWaiter {
    let client: CoordinatorClient
    let waitSeconds: Double
    let requestTimeout: Double
    var pollInterval: Duration = .milliseconds(250)

    /// The outcome: every command in its last known state, and whether the wait ran out.
    struct Outcome {
        var commands: [CommandView]
        var timedOut: Bool
    }

    static func isFinished(_ state: CommandView.State) -> Bool {
        state == .succeeded || state == .failed || state == .expired
    }

    /// Polls until every command is finished or `waitSeconds` have passed; `finished` is called once per
    /// command as it finishes, in the order seen.
    func wait(for queued: [CommandView], finished: (CommandView) -> Void) async throws -> Outcome {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(waitSeconds * 1000))
        var commands = queued
        for command in commands where Self.isFinished(command.state) { finished(command) }
        var rounds = 0
        let maxRounds = Int(waitSeconds / 0.25) + 1000
        while commands.contains(where: { !Self.isFinished($0.state) }), rounds < maxRounds {
            rounds += 1
            for index in commands.indices where !Self.isFinished(commands[index].state) {
                let remaining = Self.seconds(deadline - clock.now)
                if remaining <= 0 { return Outcome(commands: commands, timedOut: true) }
                let timeout = min(remaining, max(requestTimeout, 35))
                let current: CommandView
                do {
                    current = try await client.get(APIPath.command(RequestPath.segment(commands[index].id)),
                                                   as: CommandView.self, timeoutSeconds: timeout)
                } catch let error as FleetctlError {
                    // A poll cut short by the wait deadline is a wait timeout, not an unreachable coordinator.
                    if clock.now >= deadline, case .unreachable = error { return Outcome(commands: commands, timedOut: true) }
                    throw error
                }
                commands[index] = current
                if Self.isFinished(current.state) { finished(current) }
            }
            guard commands.contains(where: { !Self.isFinished($0.state) }) else { break }
            if clock.now + pollInterval >= deadline { return Outcome(commands: commands, timedOut: true) }
            try await Task.sleep(for: pollInterval)
        }
        let done = !commands.contains(where: { !Self.isFinished($0.state) })
        return Outcome(commands: commands, timedOut: !done)
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
