import FleetProtocol
import FoundationEssentials
import Logging

/// What one pass of the connection loop came to.
enum ConnectionOutcome: Sendable, Equatable {
    /// A watch answered (with or without news).
    case watched
    /// The calling task was cancelled.
    case cancelled
    /// No coordinator answered usefully; try again after this delay.
    case retry(after: Duration)
}

extension NodeAgent {
    // MARK: Connection: registration, watch, failover

    /// Registers when needed, then holds the long-poll watch; backs off (with jitter,
    /// capped) while no coordinator answers, and registers anew when the credential is revoked.
    /// Failover between coordinators happens inside the client.
    func connectionLoop() async {
        while !Task.isCancelled {
            switch await connectOnce() {
            case .watched: continue
            case .cancelled: return
            case .retry(let delay): await registrationWakeup.wait(timeout: delay)
            }
        }
    }

    /// One registration-if-needed plus one watch; hands an assignment to the reconciler and
    /// commands to ``start(_:)``.
    func connectOnce() async -> ConnectionOutcome {
        do {
            let identity = try await ensureRegistered()
            let answer = try await client.watch(node: identity.name, token: identity.token, knownRevision: appliedRevisionOrAssigned)
            connectionBackoff.reset()
            if let new = answer.assignment { await accept(new) }
            for command in answer.commands { start(command) }
            return .watched
        } catch is CancellationError {
            return .cancelled
        } catch let error as CoordinatorClientError {
            if case .unauthorized = error { await forgetIdentity(reason: error.description) }
            let backoff = connectionBackoff.next()
            let delay = error.retryAfter.map { max($0, backoff) } ?? backoff
            logger.warning("coordinator call failed; retrying", metadata: [
                "error": "\(error)", "retryInSeconds": "\(NumberText.fixed(delay.seconds, decimals: 1))"])
            return .retry(after: delay)
        } catch {
            let delay = connectionBackoff.next()
            logger.error("connection loop error", metadata: ["error": "\(error)"])
            return .retry(after: delay)
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
        // Kept in memory when the state dir cannot take it; retried on later reconcile passes.
        identityUnsaved = !persist("identity", { try state.saveIdentity(identity) })
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
        identityUnsaved = false
        statusBase = nil
        state.deleteIdentity()
    }
}
