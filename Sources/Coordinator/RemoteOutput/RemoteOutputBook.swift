import FleetProtocol
import Foundation

/// Remote output held by this coordinator: log buffers per command, parked log polls, and
/// the latest snapshot per station (in memory: after a restart an operator asks again).
///
/// Requests are rate limited across the fleet (a token bucket) and per node (open output
/// commands), so that operators cannot queue unbounded work on a Pi behind an LTE link.
///
/// ```swift
/// var book = RemoteOutputBook()
/// guard case .allowed = book.admit(node: "pi1", openForNode: 0, now: now) else { … }
/// book.appendLogs(id, lines, final: true, now: now)       // an agent's upload
/// book.wake(id)                                          // parked polls read again
/// ```
struct RemoteOutputBook {
    /// Requests across the fleet: a burst of 120, then 5 a second.
    var requests = TokenBucket(capacity: 120, refillPerSecond: 5)
    /// Most open log or snapshot commands per node.
    static let maxOpenPerNode = 32
    /// Most log buffers held at once.
    static let maxBuffers = 512
    /// A buffer whose command ended is kept this long for a reader's last poll.
    static let keepAfterEnd: TimeInterval = 60

    private(set) var buffers: [String: LogBuffer] = [:]
    private(set) var snapshots: [String: SnapshotView] = [:]
    private var parked: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
    private var deadlines = DeadlineQueue<ParkedKey>()

    private struct ParkedKey: Hashable {
        var command: String
        var id: UUID
    }

    /// Whether one more output command may be queued for a node with `openForNode` open ones.
    mutating func admit(openForNode: Int, now: Date) -> TokenBucket.Outcome {
        if openForNode >= Self.maxOpenPerNode || buffers.count >= Self.maxBuffers { return .retryAfter(5) }
        return requests.take(1, now: now)
    }

    mutating func buffer(_ id: String, now: Date) -> LogBuffer {
        buffers[id] ?? LogBuffer(created: now)
    }

    /// Creates the buffer of a new log command (its creation starts the follower's grace time).
    mutating func open(_ id: String, now: Date) {
        if buffers[id] == nil { buffers[id] = LogBuffer(created: now) }
    }

    func hasBuffer(_ id: String) -> Bool { buffers[id] != nil }

    mutating func appendLogs(_ id: String, _ lines: [String], final: Bool, now: Date) -> LogBuffer {
        var buffer = buffers[id] ?? LogBuffer(created: now)
        buffer.append(lines, final: final, now: now)
        buffers[id] = buffer
        wake(id)
        return buffer
    }

    mutating func read(_ id: String, from cursor: Int, now: Date) -> LogChunk? {
        guard var buffer = buffers[id] else { return nil }
        let chunk = buffer.read(from: cursor)
        buffers[id] = buffer
        return chunk
    }

    mutating func pollBegan(_ id: String, now: Date) {
        var buffer = buffers[id] ?? LogBuffer(created: now)
        buffer.pollBegan(now: now)
        buffers[id] = buffer
    }

    mutating func pollEnded(_ id: String, now: Date) {
        buffers[id]?.pollEnded(now: now)
    }

    func isFollowed(_ id: String, now: Date) -> Bool {
        buffers[id]?.isFollowed(now: now) ?? false
    }

    // MARK: Parked polls

    mutating func park(_ command: String, id: UUID, deadline: Date, continuation: CheckedContinuation<Void, Never>) {
        parked[command, default: [:]][id] = continuation
        deadlines.schedule(ParkedKey(command: command, id: id), at: deadline)
    }

    /// Releases every poll parked on a command (new lines, or the command ended).
    mutating func wake(_ command: String) {
        guard let waiting = parked.removeValue(forKey: command) else { return }
        for (id, continuation) in waiting {
            deadlines.cancel(ParkedKey(command: command, id: id))
            continuation.resume()
        }
    }

    /// Releases one poll (its client went away).
    mutating func wake(_ command: String, id: UUID) {
        guard let continuation = parked[command]?.removeValue(forKey: id) else { return }
        if parked[command]?.isEmpty == true { parked[command] = nil }
        deadlines.cancel(ParkedKey(command: command, id: id))
        continuation.resume()
    }

    /// Releases overdue polls, and drops buffers of ended commands nobody read for a while.
    mutating func expire(now: Date, isOpen: (String) -> Bool) {
        for key in deadlines.popDue(now: now) {
            guard let continuation = parked[key.command]?.removeValue(forKey: key.id) else { continue }
            if parked[key.command]?.isEmpty == true { parked[key.command] = nil }
            continuation.resume()
        }
        for (id, buffer) in buffers where buffer.polling == 0 && parked[id] == nil && !isOpen(id)
            && now.timeIntervalSince(max(buffer.lastSeen, buffer.lastActivity)) > Self.keepAfterEnd {
            buffers[id] = nil
        }
    }

    /// Releases every parked poll (shutdown).
    mutating func drain() {
        for command in Array(parked.keys) { wake(command) }
    }

    var parkedCount: Int { parked.values.reduce(0) { $0 + $1.count } }

    // MARK: Snapshots

    mutating func keep(_ snapshot: SnapshotView) { snapshots[snapshot.station] = snapshot }

    func snapshot(of station: String) -> SnapshotView? { snapshots[station] }
}
