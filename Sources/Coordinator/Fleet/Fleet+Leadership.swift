import Foundation

/// Singleton work of the fleet under the leader lease: only the leader drives rollouts
/// (deadlines, batches, health from reports, operator controls) and prunes history. Every
/// instance keeps serving the API, liveness, watches and commands.
extension Fleet {
    /// Puts rollouts and pruning under `leadership` (called once, after `load()` and before
    /// serving). A started leadership that already leads keeps the rollout `load()` restored.
    public func attach(_ leadership: Leadership) async {
        self.leadership = leadership
        drivingTerm = await leadership.term
    }

    /// Whether this instance does the singleton work now: always without a leader seam.
    var drives: Bool { leadership == nil || drivingTerm != nil }

    /// Follows the lease (from `tick`): on a new term, reloads the rollout from the store
    /// (another leader may have moved it) and prunes; when the lease is lost, stops.
    func followLeadership() async {
        guard let leadership else { return }
        let term = await leadership.term
        guard term != drivingTerm else { return }
        guard let term else {
            drivingTerm = nil
            rolloutUnsaved = false
            logger.notice("fleet: rollouts and pruning stopped (not the leader)")
            return
        }
        do {
            try await loadRollout()
        } catch {
            logger.error("fleet: cannot reload the rollout as new leader; will retry", metadata: ["error": "\(error)"])
            return
        }
        rolloutUnsaved = false
        drivingTerm = term
        logger.notice("fleet: driving rollouts and pruning as leader", metadata: ["term": "\(term)"])
        await pruneHistory()
    }

    /// The leader term this fleet drives under (nil: not leader), for tests and views.
    public var leaderTerm: Int64? { drivingTerm }
}
