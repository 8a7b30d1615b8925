import FleetProtocol
import FoundationEssentials
import Logging

/// Command de-duplication: a command id runs at most once, whether it is redelivered while
/// it runs (`running`) or after it finished (the outbox's persisted `doneCommands`).
///
/// ```swift
/// var gate = CommandGate()
/// if gate.admit(command.id, done: outbox.doneCommands) { run(command) }
/// // … when it finished:
/// gate.finish(command.id)
/// ```
struct CommandGate: Sendable, Equatable {
    private(set) var running: Set<String> = []

    /// True, and the id counts as running, when `id` neither runs nor is in `done`.
    mutating func admit(_ id: String, done: [String]) -> Bool {
        guard !done.contains(id), !running.contains(id) else { return false }
        running.insert(id)
        return true
    }

    mutating func finish(_ id: String) { running.remove(id) }
}

extension NodeAgent {
    // MARK: Commands: receive, de-duplicate, run, report the result

    /// Carries out a command once, in the background; its result goes out with the next report.
    func start(_ command: Command) {
        guard commands.admit(command.id, done: outbox.doneCommands) else { return }
        metrics.commandsRun.increment()
        logger.info("command received", metadata: ["command": "\(command.id)", "kind": "\(command.kind.rawValue)",
                                                   "target": "\(command.target)"])
        Task {
            let result = await self.execute(command)
            await self.finish(command, result: result)
        }
    }

    func execute(_ command: Command) async -> CommandResult {
        do {
            let message: String
            switch command.kind {
            case .restartRecorder:
                guard let recorders else { throw AgentCommandError.unsupported("this agent runs no recorders") }
                guard assignment?.recorders.contains(where: { $0.station == command.target }) == true else {
                    throw AgentCommandError.unsupported("station \(command.target) is not assigned to this node")
                }
                message = try await recorders.restartRecorder(station: command.target, reason: "command \(command.id)",
                                                              timeout: .seconds(60))
            case .runArchive, .runBackup:
                guard let jobs else { throw AgentCommandError.unsupported("this agent runs no jobs") }
                operatorJobRuns += 1
                defer { operatorJobRuns -= 1 }
                let run = try await jobs.runJob(kind: command.kind == .runArchive ? .archive : .backup, name: command.target)
                message = "\(run.job): \(run.outcome.rawValue), \(run.files) files, \(run.bytes) bytes in "
                    + NumberText.fixed(run.durationSeconds, decimals: 1) + " s" + (run.error.map { " — \($0)" } ?? "")
                if run.outcome == .failed { throw AgentCommandError.failed(message) }
            case .stationLogs, .nodeLogs, .snapshot:
                message = try await remoteOutput(command)
            }
            return CommandResult(commandId: command.id, ok: true, message: message, completedAt: Date())
        } catch {
            return CommandResult(commandId: command.id, ok: false, message: "\(error)", completedAt: Date())
        }
    }

    func finish(_ command: Command, result: CommandResult) async {
        commands.finish(command.id)
        outbox.doneCommands.append(command.id)
        outbox.commandResults.append(result)
        outboxDirty = true
        await flushOutbox()
        logger.info("command finished", metadata: ["command": "\(command.id)", "ok": "\(result.ok)",
                                                   "message": "\(result.message)"])
        await reportWakeup.signal()
    }
}

/// Why the agent could not carry out a command.
enum AgentCommandError: Error, CustomStringConvertible {
    case unsupported(String)
    case failed(String)

    var description: String {
        switch self {
        case .unsupported(let message), .failed(let message): return message
        }
    }
}
