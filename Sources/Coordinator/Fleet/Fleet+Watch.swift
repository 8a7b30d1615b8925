import FleetProtocol
import Foundation

extension Fleet {
    /// Long-poll on a node's assignment and commands. Returns at once when the node's
    /// revision differs from `knownRevision` or commands wait; otherwise parks until one
    /// of those happens, the timeout passes, or the caller goes away.
    ///
    /// With other coordinators on the store, the node's open commands are read from the store
    /// first: a command queued through another instance is delivered here even when its
    /// notification was missed (by this watch or, at the latest, the next one).
    public func watch(node: String, knownRevision: Int, timeout: Duration) async -> WatchResponse {
        if storeFeed?.isShared == true {
            do {
                try await reloadCommands(only: node)
            } catch {
                logger.warning("cannot read a node's open commands from the store; serving what this instance holds",
                               metadata: ["node": "\(node)", "error": "\(error)"])
            }
        }
        if let ready = readyWatchResponse(node: node, knownRevision: knownRevision) { return ready }
        if watches.draining { return WatchResponse(assignment: nil, commands: []) }
        let id = UUID()
        let seconds = Double(min(timeout, maxWatch).components.seconds)
        let deadline = Date().addingTimeInterval(max(0, seconds))
        watches.opened()
        metrics.openWatches.record(watches.open)
        let wake = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WatchRegistry.Wake, Never>) in
                if Task.isCancelled {
                    continuation.resume(returning: .ready)
                } else {
                    watches.park(node: node, id: id, deadline: deadline, continuation: continuation)
                }
            }
        } onCancel: {
            Task { await self.releaseWatch(node: node, id: id) }
        }
        watches.closed()
        metrics.openWatches.record(watches.open)
        if wake == .superseded { return WatchResponse(assignment: nil, commands: []) }
        return readyWatchResponse(node: node, knownRevision: knownRevision) ?? WatchResponse(assignment: nil, commands: [])
    }

    /// The number of parked watches (for tests and metrics).
    public var watchCount: Int { watches.count }

    func readyWatchResponse(node: String, knownRevision: Int) -> WatchResponse? {
        let assignment = book.assignment(for: node, defaultHeartbeatSeconds: defaultHeartbeatSeconds)
        let delivered = commands.takeForDelivery(node: node, now: Date())
        let newAssignment = assignment.revision != knownRevision ? assignment : nil
        if newAssignment == nil && delivered.isEmpty { return nil }
        return WatchResponse(assignment: newAssignment, commands: delivered)
    }

    func releaseWatch(node: String, id: UUID) {
        watches.wake(node: node, id: id)
    }

    /// Releases every parked watch; later watches return at once. Called on shutdown.
    public func drain() {
        watches.drain()
        remoteOutput.drain()
    }
}

extension Fleet {
    /// True once ``drain()`` ran (shutdown): long-lived streams such as the dashboard's events end.
    public var isDraining: Bool { watches.draining }
}
