import Foundation

/// A change one coordinator made to the shared store, announced to every coordinator on it
/// (itself included) so that each can reload that part and wake its watches.
///
/// `.resync` is no change of its own: the feed (re)connected and may have missed
/// announcements, so a receiver reloads everything it follows.
public enum StoreChange: Sendable, Equatable, Codable {
    /// A revision was committed; the receiver reloads desired state when it is newer.
    case revision(Int)
    /// A node's credential was stored or removed.
    case credential(node: String)
    /// A command of a node was queued or finished.
    case command(node: String)
    /// The leader's staged rollout of this revision released or reverted nodes (or changed
    /// state); the receiver takes the stored rollout and serves what it decides.
    case rollout(revision: Int)
    /// The join token was rotated; the receiver takes the stored one.
    case joinToken
    /// Reload everything: announcements may have been missed.
    case resync
}

/// How coordinators sharing one store tell each other what they changed. The sender
/// announces after the store committed the change; every instance on the store, the
/// sender included, receives it (receiving is idempotent: reload, then wake what differs).
///
/// ```swift
/// let feed: any StoreChangeFeed = PostgresChangeFeed(store: store, logger: logger)
/// Task { for await change in feed.changes() { await fleet.follow(change) } }
/// await feed.notify(.command(node: "pi1"))
/// ```
public protocol StoreChangeFeed: Sendable {
    /// Whether other coordinators may write the same store (then a watch also reads its
    /// node's open commands from the store, in case a notification was missed).
    var isShared: Bool { get }
    /// Announces a committed change to every coordinator on the store. Never throws: a lost
    /// announcement is caught up by the next resync (logged).
    func notify(_ change: StoreChange) async
    /// Changes as they arrive, beginning with `.resync` once the feed listens. One consumer.
    func changes() -> AsyncStream<StoreChange>
    /// Stops listening; the stream finishes.
    func stop() async
}

/// The feed of a store only one coordinator uses (SQLite): nothing to tell anyone.
public struct SoloChangeFeed: StoreChangeFeed {
    public init() {}
    public var isShared: Bool { false }
    public func notify(_ change: StoreChange) async {}
    public func changes() -> AsyncStream<StoreChange> { AsyncStream { $0.finish() } }
    public func stop() async {}
}
