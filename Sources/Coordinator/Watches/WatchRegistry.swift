import Foundation

/// Parked long-polls, per node, each with a deadline. Waking resumes the watcher, which
/// then reads what is ready for its node; the registry holds no fleet state itself.
///
/// A node has one watch loop, so a new watch supersedes the node's parked ones: they end
/// with ``Wake/superseded`` and answer without taking the node's commands. The connection of
/// a superseded watch is usually gone (the agent reconnected), and a command handed to it
/// would wait for redelivery.
///
/// ```swift
/// var watches = WatchRegistry()
/// watches.park(node: "pi1", id: UUID(), deadline: Date().addingTimeInterval(30), continuation: continuation)
/// watches.wake(node: "pi1")           // an apply or a command for pi1
/// watches.expire(now: Date())         // housekeeping: release overdue watches
/// ```
struct WatchRegistry {
    /// Why a parked watch was resumed.
    enum Wake: Sendable {
        /// News, a deadline, a released client or shutdown: answer with what is ready.
        case ready
        /// A newer watch of the same node parked: answer empty, take nothing.
        case superseded
    }

    private struct Key: Hashable {
        var node: String
        var id: UUID
    }

    private var parked: [String: [UUID: CheckedContinuation<Wake, Never>]] = [:]
    private var deadlines = DeadlineQueue<Key>()
    /// After `drain()`, nothing parks: shutdown is under way.
    private(set) var draining = false
    /// Watches inside the handler, parked or about to be.
    private(set) var open = 0

    /// The number of parked watches.
    var count: Int { parked.values.reduce(0) { $0 + $1.count } }

    mutating func opened() { open += 1 }
    mutating func closed() { open -= 1 }

    /// Parks a watch; resumes it at once when draining.
    mutating func park(node: String, id: UUID, deadline: Date, continuation: CheckedContinuation<Wake, Never>) {
        guard !draining else { return continuation.resume(returning: .ready) }
        for (older, waiting) in parked.removeValue(forKey: node) ?? [:] {
            deadlines.cancel(Key(node: node, id: older))
            waiting.resume(returning: .superseded)
        }
        parked[node, default: [:]][id] = continuation
        deadlines.schedule(Key(node: node, id: id), at: deadline)
    }

    /// Releases every watch of a node.
    mutating func wake(node: String) {
        guard let watchers = parked.removeValue(forKey: node) else { return }
        for (id, continuation) in watchers {
            deadlines.cancel(Key(node: node, id: id))
            continuation.resume(returning: .ready)
        }
    }

    /// Releases one watch (its client went away).
    mutating func wake(node: String, id: UUID) {
        guard let continuation = parked[node]?.removeValue(forKey: id) else { return }
        if parked[node]?.isEmpty == true { parked[node] = nil }
        deadlines.cancel(Key(node: node, id: id))
        continuation.resume(returning: .ready)
    }

    /// Releases the watches whose deadline has passed.
    mutating func expire(now: Date) {
        for key in deadlines.popDue(now: now) {
            guard let continuation = parked[key.node]?.removeValue(forKey: key.id) else { continue }
            if parked[key.node]?.isEmpty == true { parked[key.node] = nil }
            continuation.resume(returning: .ready)
        }
    }

    /// Releases every watch; later watches return at once.
    mutating func drain() {
        draining = true
        for node in Array(parked.keys) { wake(node: node) }
    }
}
