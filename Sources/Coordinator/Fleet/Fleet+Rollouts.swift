import FleetInventory
import FleetProtocol
import Foundation

/// Staged rollouts inside the fleet: an apply whose inventory has a `rollout:` block starts
/// one (superseding a running one), reports and the housekeeping tick move it, operators
/// pause, resume, promote or abort it. The rollout decides what each participating node
/// is served (`DesiredStateBook.held`); it is stored before memory changes.
///
/// Health is fed from the status pipeline itself, right where `nodeReported` is published
/// (the same data the change feed carries, without a feed consumer's lossy buffer).
extension Fleet {
    /// Plans the rollout of `plan` (nil when the inventory asks for none), superseding the
    /// current one. Called before the revision is committed; `commitRollout` makes it current.
    func planRollout(_ plan: ApplyPlan, now: Date) -> (next: Rollout?, superseded: Rollout?) {
        var target = book.assignments
        for assignment in plan.changedAssignments { target[assignment.node] = assignment }
        for node in plan.deletedNodes { target[node] = nil }
        var superseded: Rollout?
        if var current = rollout, current.state.isActive {
            try? current.abort(now: now, reason: .superseded, detail: "superseded by revision \(plan.revision)")
            superseded = current
        }
        // Only the current revision's rollout knows what is good now; after a revision that
        // reached every node at once, each node's served assignment is its last good one.
        let lastGood = currentRollout.map(RolloutPlanner.lastGood(after:)) ?? [:]
        let input = RolloutPlanner.Input(desired: plan.compiled, served: book.servedAssignments, target: target,
                                         lastGood: lastGood)
        guard var next = RolloutPlanner.start(revision: plan.revision, input: input, now: now) else {
            return (nil, superseded)
        }
        _ = next.advance(now: now, isOnline: { self.nodeState($0) == .online })
        return (next, superseded)
    }

    /// Makes `next` current right after its revision was committed to the book, with no
    /// suspension in between (no report or watch may see the new revision's assignments on
    /// nodes the rollout holds back); then stores the superseded rollout and publishes.
    func commitRollout(_ next: Rollout?, superseded: Rollout?) async {
        if next != nil || superseded != nil { rollout = next ?? superseded }
        _ = book.setHeld(next?.held ?? [:])
        if let superseded {
            await saveRollout(superseded)
            changes.publish(.rollout(revision: superseded.revision, failure: nil))
        }
        publishRollout()
    }

    /// Takes in one report of `node` (from the status pipeline).
    ///
    /// Only a node the rollout is judging or waiting for (updating, reverted, waiting offline)
    /// costs more than a lookup: pending, healthy and failed nodes' reports change nothing.
    /// The rollout is changed in place; it is stored, and the held assignments recomputed, only
    /// when a state changed (the rollout's, its batch, or the node's), not on every observation.
    func rolloutObserve(node: String, report: StatusReport, now: Date) async {
        // Only the leader moves the rollout; it reloads it from the store when it becomes leader.
        // No local copy of the whole rollout is kept: it would make the mutation below copy it.
        guard drives, rollout?.revision == book.revision, let index = rollout?.index(of: node),
              let nodeBefore = rollout?.nodes[index], let milestone = rollout?.milestone else { return }
        switch nodeBefore.state {
        case .updating, .reverted, .waitingOffline: break
        case .pending, .healthy, .failed: return
        }
        // In place: `rollout` is the only reference to its storage, so nothing is copied.
        var released: [String] = []
        var changed: [String] = []
        var transition = false
        if var next = rollout.take() {
            changed = next.observe(node: node, report: report, at: now)
            released = next.advance(now: now, isOnline: { self.nodeState($0) == .online })
            let nodeAfter = next.nodes[index]
            transition = !released.isEmpty || !changed.isEmpty || next.milestone != milestone
                || nodeAfter.state != nodeBefore.state || nodeAfter.revertConfirmed != nodeBefore.revertConfirmed
            rollout = next
        }
        guard transition, let next = rollout else { return }
        if released.isEmpty && changed.isEmpty && next.milestone == milestone {
            // Only this node's state changed (healthy, a revert confirmed): nobody's served
            // assignment did, so no held assignments to recompute; stored by the next tick.
            rolloutUnsaved = true
            return
        }
        await transitioned(from: milestone, to: next)
    }

    /// Deadlines and the next batch (from `tick`). Also runs for a finished rollout while a
    /// node is updating (one back online after the rollout ended still has a healthy deadline).
    func rolloutTick(now: Date) async {
        if rolloutUnsaved, let unsaved = rollout { await saveRollout(unsaved) }
        guard var next = currentRollout,
              next.state.isActive || next.nodes.contains(where: { $0.state == .updating }) else { return }
        _ = next.tick(now: now, isOnline: { self.nodeState($0) == .online })
        await replaceRollout(with: next)
    }

    /// An operator's action on the current rollout.
    public func controlRollout(_ action: RolloutAction, now: Date = Date()) async throws -> RolloutStatusView {
        guard drives else {
            throw FleetError.conflict("this coordinator is not the leader; send rollout controls to the leader (fleetctl get coordinators)")
        }
        guard let last = rollout else { throw FleetError.notFound(kind: "rollout", name: "current") }
        guard var next = currentRollout else {
            throw FleetError.conflict("the rollout of revision \(last.revision) is no longer current: revision \(book.revision) changed its nodes at once")
        }
        do {
            switch action {
            case .pause: try next.pause()
            case .resume: try next.resume(now: now)
            case .promote: try next.promote(now: now)
            case .abort: try next.abort(now: now)
            }
        } catch {
            throw FleetError.conflict(error.description)
        }
        _ = next.advance(now: now, isOnline: { self.nodeState($0) == .online })
        logger.notice("rollout \(action.rawValue)", metadata: ["revision": "\(next.revision)", "state": "\(next.state.rawValue)"])
        await replaceRollout(with: next)
        return next.view(now: now)
    }

    /// The current rollout's status; nil when no rollout was ever started.
    public func rolloutStatus(now: Date = Date()) -> RolloutStatusView? { rollout?.view(now: now) }

    /// The rollout of the current revision; nil when the last revision had none (a later
    /// revision without a `rollout:` block leaves the last rollout listed but inert).
    var currentRollout: Rollout? {
        guard let rollout, rollout.revision == book.revision else { return nil }
        return rollout
    }

    /// Restores the rollout of the committed revision at start.
    func loadRollout() async throws {
        guard let stored = try await store.loadLatestRollout(upTo: book.revision) else { return }
        do {
            let restored = try WireCoding.decode(Rollout.self, from: stored.body)
            rollout = restored
            if restored.revision == book.revision { _ = book.setHeld(restored.held) }
        } catch {
            throw StoreError.corrupt("rollout of revision \(stored.revision): \(error)")
        }
    }

    /// Takes `next` as the rollout at once (before the save's suspension, so that concurrent
    /// heartbeats each build on the latest state instead of overwriting each other), then
    /// stores it. Saves reach the store in call order, so the store ends with the latest; a
    /// failed save is logged and the next change saves the whole rollout again.
    private func replaceRollout(with next: Rollout) async {
        guard next != rollout else { return }
        let milestone = rollout?.milestone
        rollout = next
        await transitioned(from: milestone, to: next)
    }

    /// After `rollout` became `next`: serves what it decides, logs and publishes a change of
    /// the rollout's state, stores it.
    private func transitioned(from milestone: Rollout.Milestone?, to next: Rollout) async {
        let released = book.setHeld(next.held)
        for node in released { watches.wake(node: node) }
        let stateChanged = next.state != milestone?.state || next.reason != milestone?.reason
        if stateChanged {
            logger.notice("rollout \(next.state.rawValue)", metadata: ["revision": "\(next.revision)",
                                                                     "status": "\(next.statusLine(now: Date()))"])
            publishRollout()
        }
        // The other coordinators on the store serve what the leader decided once it is stored.
        if await saveRollout(next), !released.isEmpty || stateChanged {
            await announce(.rollout(revision: next.revision))
        }
    }

    @discardableResult
    private func saveRollout(_ value: Rollout) async -> Bool {
        rolloutUnsaved = false
        // A leader that lost its lease stops before its next write (the new leader reloads).
        if let leadership, await leadership.term != drivingTerm || drivingTerm == nil {
            logger.notice("rollout not stored: this coordinator no longer leads", metadata: ["revision": "\(value.revision)"])
            return false
        }
        do {
            let body = try WireCoding.encode(value)
            try await store.saveRollout(StoredRollout(revision: value.revision, state: value.state.rawValue,
                                                      updatedAt: Date(), body: body))
            return true
        } catch {
            noteStore(error)
            if value.revision == rollout?.revision { rolloutUnsaved = true }  // the next tick tries again
            logger.error("cannot store rollout", metadata: ["revision": "\(value.revision)", "error": "\(error)"])
            return false
        }
    }

    /// Publishes the rollout's state for alerting (RolloutFailed).
    private func publishRollout() {
        guard let rollout else { return }
        changes.publish(.rollout(revision: rollout.revision, failure: rollout.failureSummary))
    }
}

extension Rollout {
    /// What RolloutFailed says while a failure stops this rollout; nil otherwise.
    var failureSummary: String? {
        switch state {
        case .failed, .reverting, .reverted, .revertFailed:
            return "rollout of revision \(revision) \(statusLine(now: Date()))"
        case .paused where reason == .nodeFailed:
            return "rollout of revision \(revision) \(statusLine(now: Date()))"
        default:
            return nil
        }
    }
}
