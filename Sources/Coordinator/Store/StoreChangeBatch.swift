import Foundation

/// The announcements that arrived while the follower was busy, folded into what is worth
/// reloading once: a burst of 1,000 commands queued on another instance (a fleet-wide
/// `fleetctl run archive`) is one read of the open commands, not 1,000.
///
/// Following is idempotent (reload, compare, wake what differs), so folding is safe: every
/// reload starts after the announcements it stands for arrived. A `.resync` reloads
/// everything, so it absorbs the rest.
///
/// ```swift
/// var batch = StoreChangeBatch()
/// batch.add(.command(node: "pi1")); batch.add(.command(node: "pi2")); batch.add(.revision(7))
/// batch.changes   // [.revision(7), .allCommands]
/// ```
struct StoreChangeBatch: Equatable, Sendable {
    /// What to follow, in the order a resync reloads things.
    enum Step: Equatable, Sendable {
        case change(StoreChange)
        /// Open commands of more than one node: read them all once.
        case allCommands
    }

    private(set) var resync = false
    private(set) var joinToken = false
    private(set) var revision: Int?
    private(set) var rollouts: Set<Int> = []
    private var credentials: [String] = []
    private var credentialSet: Set<String> = []
    private var commandNodes: Set<String> = []

    init() {}

    init(_ changes: [StoreChange]) {
        for change in changes { add(change) }
    }

    var isEmpty: Bool { self == StoreChangeBatch() }

    mutating func add(_ change: StoreChange) {
        switch change {
        case .resync: resync = true
        case .joinToken: joinToken = true
        case .revision(let number): revision = max(revision ?? number, number)
        case .rollout(let number): rollouts.insert(number)
        case .credential(let node):
            if credentialSet.insert(node).inserted { credentials.append(node) }
        case .command(let node):
            commandNodes.insert(node)
        }
    }

    /// The steps to follow: `.resync` alone when one arrived; else the join token, the newest
    /// revision, rollouts, each credential (one row each), then one node's commands or all.
    var steps: [Step] {
        if resync { return [.change(.resync)] }
        var steps: [Step] = []
        if joinToken { steps.append(.change(.joinToken)) }
        if let revision { steps.append(.change(.revision(revision))) }
        steps += rollouts.sorted().map { .change(.rollout(revision: $0)) }
        steps += credentials.map { .change(.credential(node: $0)) }
        if commandNodes.count > 1 {
            steps.append(.allCommands)
        } else if let node = commandNodes.first {
            steps.append(.change(.command(node: node)))
        }
        return steps
    }
}

/// Holds announcements between the feed and the follower: the feed adds as they arrive, the
/// follower takes everything pending as one ``StoreChangeBatch``. Memory is bounded by the
/// distinct nodes named, not by the announcements.
///
/// ```swift
/// let inbox = StoreChangeInbox()
/// Task { for await change in feed.changes() { await inbox.add(change) }; await inbox.finish() }
/// while let batch = await inbox.next() { await fleet.follow(batch) }
/// ```
actor StoreChangeInbox {
    private var pending = StoreChangeBatch()
    private var waiter: CheckedContinuation<StoreChangeBatch?, Never>?
    private var finished = false

    func add(_ change: StoreChange) {
        pending.add(change)
        if let waiter {
            self.waiter = nil
            let batch = pending
            pending = StoreChangeBatch()
            waiter.resume(returning: batch)
        }
    }

    /// No more announcements: `next` answers what is pending, then nil.
    func finish() {
        finished = true
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: nil)
        }
    }

    /// Everything pending, waiting for the first announcement when there is none; nil once
    /// finished and drained.
    func next() async -> StoreChangeBatch? {
        if !pending.isEmpty {
            let batch = pending
            pending = StoreChangeBatch()
            return batch
        }
        if finished { return nil }
        return await withCheckedContinuation { waiter = $0 }
    }
}
