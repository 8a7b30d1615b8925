import FleetProtocol
import Foundation
import Logging

extension NodeAgent {
    /// Registers when needed, then holds the long-poll watch; backs off (with jitter,
    /// capped) while no coordinator answers, and registers anew when the credential is revoked.
    func connectionLoop() async {
        var backoff = Backoff(base: .milliseconds(500), cap: configuration.maxBackoff, jitter: 0.5...1.0)
        while !Task.isCancelled {
            do {
                let identity = try await ensureRegistered()
                let answer = try await client.watch(node: identity.name, token: identity.token, knownRevision: appliedRevisionOrAssigned)
                backoff.reset()
                if let new = answer.assignment { await accept(new) }
                for command in answer.commands { start(command) }
            } catch is CancellationError {
                return
            } catch let error as CoordinatorClientError {
                if case .unauthorized = error { await forgetIdentity(reason: error.description) }
                let delay = backoff.next()
                logger.warning("coordinator call failed; retrying", metadata: [
                    "error": "\(error)", "retryInSeconds": "\(String(format: "%.1f", delay.seconds))"])
                await registrationWakeup.wait(timeout: delay)
            } catch {
                let delay = backoff.next()
                logger.error("connection loop error", metadata: ["error": "\(error)"])
                await registrationWakeup.wait(timeout: delay)
            }
        }
    }

    /// The revision the watch asks beyond: the one we hold, applied or not yet.
    var appliedRevisionOrAssigned: Int { assignment?.revision ?? 0 }

    func ensureRegistered() async throws -> NodeIdentity {
        if let identity { return identity }
        let request = RegistrationRequest(name: configuration.name, agentVersion: FleetVersion.current,
                                          hostname: ProcessInfo.processInfo.hostName)
        let answer: RegistrationResponse
        do {
            answer = try await client.register(request, joinToken: configuration.joinToken)
        } catch CoordinatorClientError.conflict(let message) {
            logger.error("registration refused: this name already holds a credential and ours is lost",
                         metadata: ["node": "\(configuration.name)", "reason": "\(message)"])
            throw CoordinatorClientError.conflict(message)
        }
        let identity = NodeIdentity(name: answer.name, token: answer.nodeToken, registeredAt: Date())
        do {
            try state.saveIdentity(identity)
        } catch {
            logger.error("cannot persist node credential; it will be lost on restart", metadata: ["error": "\(error)"])
        }
        self.identity = identity
        heartbeatSeconds = assignment?.heartbeatSeconds ?? answer.heartbeatSeconds
        let coordinator = await client.currentURL
        logger.info("registered", metadata: ["node": "\(answer.name)", "coordinator": "\(coordinator)"])
        await reportWakeup.signal()
        return identity
    }

    func forgetIdentity(reason: String) async {
        guard identity != nil else { return }
        logger.warning("node credential rejected; registering again", metadata: ["reason": "\(reason)"])
        identity = nil
        state.deleteIdentity()
    }

    // MARK: Reports

    /// Heartbeats every `heartbeatSeconds`, sooner when nudged; queued items go along
    /// and leave the outbox only when a coordinator acknowledged them.
    func reportLoop() async {
        while !Task.isCancelled {
            await reportOnce()
            await reportWakeup.wait(timeout: .seconds(Int64(heartbeatSeconds)))
        }
    }

    func reportOnce() async {
        guard let identity else { return }
        let report = await makeReport()
        do {
            let ack = try await client.heartbeat(node: identity.name, token: identity.token, report: report)
            metrics.heartbeatsSent.increment()
            acknowledge(report)
            await flushOutbox()
            if ack.desiredRevision != (assignment?.revision ?? 0) { await registrationWakeup.signal() }
        } catch is CancellationError {
            return
        } catch let error as CoordinatorClientError {
            metrics.heartbeatFailures.increment()
            if case .unauthorized = error {
                await forgetIdentity(reason: error.description)
                await registrationWakeup.signal()
            }
            logger.debug("heartbeat failed", metadata: ["error": "\(error)"])
        } catch {
            metrics.heartbeatFailures.increment()
            logger.error("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    static let reportBatch = 500

    func makeReport() async -> StatusReport {
        let paths = (assignment?.localPaths ?? []) + ["/"]
        let storage = paths.compactMap { DiskUsage.measure($0) }
        return StatusReport(
            agentVersion: FleetVersion.current, uptimeSeconds: (ContinuousClock.now - started).seconds,
            appliedRevision: appliedRevision, storage: storage,
            stations: await recorders?.statuses() ?? [],
            events: Array(outbox.events.prefix(Self.reportBatch)),
            segments: Array(outbox.segments.prefix(Self.reportBatch)),
            jobRuns: Array(outbox.jobRuns.prefix(Self.reportBatch)),
            jobs: await jobs?.jobStatuses() ?? [],
            commandResults: outbox.commandResults)
    }

    /// Removes what a coordinator acknowledged; items added meanwhile stay.
    func acknowledge(_ report: StatusReport) {
        guard !(report.events.isEmpty && report.segments.isEmpty && report.jobRuns.isEmpty && report.commandResults.isEmpty)
        else { return }
        let events = Set(report.events.map(\.id)), runs = Set(report.jobRuns.map(\.id))
        let results = Set(report.commandResults.map(\.commandId))
        let segments = Set(report.segments.map { "\($0.station)/\($0.name)/\($0.archivePath ?? "")" })
        outbox.events.removeAll { events.contains($0.id) }
        outbox.jobRuns.removeAll { runs.contains($0.id) }
        outbox.commandResults.removeAll { results.contains($0.commandId) }
        outbox.segments.removeAll { segments.contains("\($0.station)/\($0.name)/\($0.archivePath ?? "")") }
        outboxDirty = true
    }

    // MARK: Commands

    /// Carries out a command once, in the background; its result goes out with the next report.
    func start(_ command: Command) {
        guard !outbox.doneCommands.contains(command.id), !runningCommands.contains(command.id) else { return }
        runningCommands.insert(command.id)
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
                let run = try await jobs.runJob(kind: command.kind == .runArchive ? .archive : .backup, name: command.target)
                message = "\(run.job): \(run.outcome.rawValue), \(run.files) files, \(run.bytes) bytes in "
                    + String(format: "%.1f s", run.durationSeconds) + (run.error.map { " — \($0)" } ?? "")
                if run.outcome == .failed { throw AgentCommandError.failed(message) }
            }
            return CommandResult(commandId: command.id, ok: true, message: message, completedAt: Date())
        } catch {
            return CommandResult(commandId: command.id, ok: false, message: "\(error)", completedAt: Date())
        }
    }

    func finish(_ command: Command, result: CommandResult) async {
        runningCommands.remove(command.id)
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
