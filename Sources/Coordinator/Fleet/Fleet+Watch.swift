import FleetProtocol
import Foundation

extension Fleet {
    /// Long-poll on a node's assignment and commands. Returns at once when the node's
    /// revision differs from `knownRevision` or commands wait; otherwise parks until one
    /// of those happens, the timeout passes, or the caller goes away.
    public func watch(node: String, knownRevision: Int, timeout: Duration) async -> WatchResponse {
        if let ready = readyWatchResponse(node: node, knownRevision: knownRevision) { return ready }
        if draining { return WatchResponse(assignment: nil, commands: []) }
        let id = UUID()
        let seconds = Double(min(timeout, maxWatch).components.seconds)
        let deadline = Date().addingTimeInterval(max(0, seconds))
        openWatchCount += 1
        metrics.openWatches.record(openWatchCount)
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    watchers[node, default: [:]][id] = Watcher(deadline: deadline, continuation: continuation)
                }
            }
        } onCancel: {
            Task { await self.wakeWatcher(node: node, id: id) }
        }
        openWatchCount -= 1
        metrics.openWatches.record(openWatchCount)
        return readyWatchResponse(node: node, knownRevision: knownRevision) ?? WatchResponse(assignment: nil, commands: [])
    }

    /// The number of parked watches (for tests and metrics).
    public var watchCount: Int { watchers.values.reduce(0) { $0 + $1.count } }

    func readyWatchResponse(node: String, knownRevision: Int) -> WatchResponse? {
        let assignment = currentAssignment(for: node)
        let commands = takeCommandsForDelivery(node: node)
        let newAssignment = assignment.revision != knownRevision ? assignment : nil
        if newAssignment == nil && commands.isEmpty { return nil }
        return WatchResponse(assignment: newAssignment, commands: commands)
    }

    /// The node's assignment; an empty one (revision 0) for a node the inventory does not name.
    func currentAssignment(for node: String) -> Assignment {
        assignments[node] ?? Assignment(node: node, site: "", revision: 0, heartbeatSeconds: defaultHeartbeatSeconds)
    }

    func wakeWatchers(node: String) {
        guard let parked = watchers.removeValue(forKey: node) else { return }
        for watcher in parked.values { watcher.continuation.resume() }
    }

    func wakeWatcher(node: String, id: UUID) {
        if let watcher = watchers[node]?.removeValue(forKey: id) { watcher.continuation.resume() }
    }

    func expireWatchers(now: Date) {
        for (node, parked) in watchers {
            for (id, watcher) in parked where watcher.deadline <= now {
                watchers[node]?[id] = nil
                watcher.continuation.resume()
            }
            if watchers[node]?.isEmpty == true { watchers[node] = nil }
        }
    }
}

extension Fleet {
    /// Releases every parked watch; later watches return at once. Called on shutdown.
    public func drain() {
        draining = true
        for node in Array(watchers.keys) { wakeWatchers(node: node) }
    }
}
