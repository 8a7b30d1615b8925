import FleetProtocol
import Foundation

/// Several coordinators on one store: each announces what it committed (``StoreChangeFeed``)
/// and follows what the others announce, reloading that part from the store and waking the
/// watches whose answer changed. Its own announcements come back too; following is
/// idempotent (reload, compare, wake only what differs).
extension Fleet {
    /// Announces this instance's committed changes on `feed` from now on.
    public func attach(feed: any StoreChangeFeed) {
        storeFeed = feed
    }

    /// Tells the other coordinators on the store; a no-op without a feed.
    func announce(_ change: StoreChange) async {
        await storeFeed?.notify(change)
    }

    /// Follows one announced change (or a resync). Store errors are logged: the next
    /// announcement or resync tries again.
    public func follow(_ change: StoreChange) async {
        do {
            switch change {
            case .revision(let revision):
                guard revision > book.revision else { return }
                try await reloadDesiredState()
            case .credential(let node):
                try await reloadCredentials(only: node)
            case .command(let node):
                try await reloadCommands(only: node)
            case .rollout(let revision):
                guard revision == book.revision else { return }  // an older one; a newer comes with its revision
                try await reloadRollout()
            case .joinToken:
                try await reloadJoinToken()
            case .resync:
                try await reloadJoinToken()
                try await reloadDesiredState()
                try await reloadRollout()
                try await reloadCredentials(only: nil)
                try await reloadCommands(only: nil)
            }
        } catch {
            logger.error("cannot follow a change of another coordinator", metadata: ["change": "\(change)", "error": "\(error)"])
        }
    }

    /// Follows a batch of announcements (``StoreChangeBatch``): a burst is reloaded once.
    func follow(_ batch: StoreChangeBatch) async {
        for step in batch.steps {
            switch step {
            case .change(let change):
                await follow(change)
            case .allCommands:
                do { try await reloadCommands(only: nil) } catch {
                    logger.error("cannot follow a change of another coordinator",
                                 metadata: ["change": "commands of several nodes", "error": "\(error)"])
                }
            }
        }
    }

    /// Takes a newer stored revision (and its rollout) and wakes the nodes whose served
    /// assignment changed. Runs under the apply gate so that it never interleaves with an apply.
    func reloadDesiredState() async throws {
        if !applyGate.tryEnter() {
            await withCheckedContinuation { applyGate.enqueue($0) }
        }
        defer { applyGate.leave() }
        guard let stored = try await store.loadDesiredState(), stored.revision > book.revision else { return }
        let desired: DesiredState
        do {
            desired = try WireCoding.decode(DesiredState.self, from: stored.desired)
        } catch {
            throw StoreError.corrupt("desired state of revision \(stored.revision): \(error)")
        }
        let servedBefore = book.servedAssignments
        book.restore(revision: stored.revision, desired: desired, assignments: stored.assignments)
        _ = book.setHeld([:])
        rollout = nil
        try await loadRollout()
        let servedAfter = book.servedAssignments
        let woken = Set(servedBefore.keys).union(servedAfter.keys).filter { servedBefore[$0] != servedAfter[$0] }
        for node in woken.sorted() { watches.wake(node: node) }
        metrics.revision.record(book.revision)
        refreshNodeGauges()
        logger.info("revision taken from another coordinator", metadata: [
            "revision": "\(book.revision)", "nodesChanged": "\(woken.count)"])
        changes.publish(.revision(book.revision, nodes: woken.sorted()))
    }

    /// Takes the leader's stored rollout of the current revision and serves what it decides
    /// (released, held or reverted nodes), waking the nodes whose served assignment changed.
    /// The leader itself holds the latest state and skips this.
    func reloadRollout() async throws {
        guard !drives else { return }
        if !applyGate.tryEnter() {
            await withCheckedContinuation { applyGate.enqueue($0) }
        }
        defer { applyGate.leave() }
        let servedBefore = book.servedAssignments
        try await loadRollout()
        let servedAfter = book.servedAssignments
        let woken = Set(servedBefore.keys).union(servedAfter.keys).filter { servedBefore[$0] != servedAfter[$0] }
        for node in woken.sorted() { watches.wake(node: node) }
        if !woken.isEmpty {
            logger.info("rollout progress taken from the leader", metadata: ["revision": "\(book.revision)",
                                                                        "nodesChanged": "\(woken.count)"])
        }
    }

    /// Brings credentials in step with the store: all of them, or one node's.
    /// One node's is one row by name: a fleet registering through another instance announces
    /// every credential, and reading them all for each would cost O(nodes²).
    func reloadCredentials(only node: String?) async throws {
        let hashes: [String: String]
        let names: [String]
        if let node {
            hashes = try await store.credential(node: node).map { [node: $0.tokenHash] } ?? [:]
            names = [node]
        } else {
            let stored = try await store.credentials()
            hashes = Dictionary(stored.map { ($0.name, $0.tokenHash) }, uniquingKeysWith: { first, _ in first })
            names = Array(Set(hashes.keys).union(registry.names))
        }
        var changed = false
        for name in names {
            if let hash = hashes[name] {
                guard !registry.holds(name: name, tokenHash: hash) else { continue }
                registry.add(name: name, tokenHash: hash)
                changed = true
            } else if registry.remove(name: name) {
                watches.wake(node: name)
                changed = true
            }
        }
        if changed { refreshNodeGauges() }
    }

    /// Brings open commands in step with the store: takes commands queued elsewhere (and
    /// wakes their nodes), drops those finished elsewhere. A local command missing from the
    /// stored open set is dropped only when the store holds it finished: it may merely
    /// have been queued here after the read.
    func reloadCommands(only node: String?) async throws {
        let stored = try await store.commands(inStates: CommandView.State.open)
            .filter { node == nil || $0.node == node }
        let storedIDs = Set(stored.map(\.id))
        var woken: Set<String> = []
        for view in stored where commands.command(id: view.id) == nil {
            commands.add(view)
            woken.insert(view.node)
        }
        for view in commands.openCommands(node: node) where !storedIDs.contains(view.id) {
            guard let now = try await store.command(id: view.id), !CommandView.State.open.contains(now.state) else { continue }
            commands.finish(view.id)
        }
        for name in woken.sorted() { watches.wake(node: name) }
    }
}
