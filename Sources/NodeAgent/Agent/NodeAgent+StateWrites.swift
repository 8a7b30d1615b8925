import FleetProtocol
import FoundationEssentials
import Logging

extension NodeAgent {
    // MARK: State dir writes: never fatal, reported once, retried

    /// Writes one state file through `body`. A full or read-only state dir never stops the agent:
    /// it keeps what it holds in memory (recorders keep recording), logs once per condition,
    /// queues an `agent.state-unwritable` event for the next heartbeat, and the caller retries on
    /// later passes; the first write that works again queues `agent.state-writable`.
    /// Returns whether the write succeeded.
    @discardableResult
    func persist(_ what: String, _ body: () throws -> Void) -> Bool {
        do {
            try body()
        } catch {
            if stateUnwritable == nil {
                stateUnwritable = "\(error)"
                logger.error("state dir is not writable; running from memory and retrying", metadata: [
                    "stateDir": "\(configuration.stateDir)", "file": "\(what)", "error": "\(error)"])
                journal.enqueue([.event(AgentEvent(kind: "agent.state-unwritable",
                    message: "state dir \(configuration.stateDir) is not writable (\(what)): \(error); recording continues, state is kept in memory"))])
            }
            return false
        }
        if let previous = stateUnwritable {
            stateUnwritable = nil
            logger.notice("state dir is writable again", metadata: ["stateDir": "\(configuration.stateDir)", "was": "\(previous)"])
            journal.enqueue([.event(AgentEvent(kind: "agent.state-writable",
                message: "state dir \(configuration.stateDir) is writable again; pending state persisted"))])
        }
        return true
    }

    /// Retries what could not be persisted earlier (called on every reconcile pass).
    func retryPendingStateWrites() {
        if identityUnsaved, let identity {
            if persist("identity", { try state.saveIdentity(identity) }) { identityUnsaved = false }
        }
        if assignmentUnsaved, let assignment {
            if persist("assignment", { try state.saveAssignment(assignment) }) { assignmentUnsaved = false }
        }
    }
}
