import Foundation
import Synchronization

/// Fan-out of `FleetChange`s to any number of subscribers, each with its own bounded
/// buffer: a slow consumer loses its oldest changes (and can re-read state from `Fleet`),
/// it never slows down heartbeats.
///
/// ```swift
/// let changes = fleet.changes.subscribe()
/// for await change in changes {
///     if case .nodeTransition(let transition) = change, transition.kind == .offline { … }
/// }
/// ```
public final class ChangeFeed: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<FleetChange>.Continuation]>([:])

    public init() {}

    /// A stream of every change published from now on, until the stream's consumer
    /// stops iterating or `finish()` is called. Keeps at most `buffer` unread changes.
    public func subscribe(buffer: Int = 4096) -> AsyncStream<FleetChange> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: FleetChange.self, bufferingPolicy: .bufferingNewest(buffer))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    /// The number of live subscriptions.
    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    func publish(_ changes: [FleetChange]) {
        guard !changes.isEmpty else { return }
        let targets = subscribers.withLock { Array($0.values) }
        for continuation in targets {
            for change in changes { continuation.yield(change) }
        }
    }

    func publish(_ change: FleetChange) { publish([change]) }

    /// Ends every subscription (shutdown).
    public func finish() {
        let targets = subscribers.withLock { Array($0.values) }
        for continuation in targets { continuation.finish() }
    }
}
