import Foundation
import Logging
import PostgresNIO

/// ``StoreChangeFeed`` on PostgreSQL: `NOTIFY stationfleet_changes` with a small JSON payload,
/// sent through the store's pool after the change committed, and one dedicated connection
/// that `LISTEN`s. The listening connection reconnects with back-off (0.2 s doubling to 5 s)
/// and yields `.resync` after every (re)connect, once LISTEN is in place: whatever was
/// announced while it was away is caught up by reloading.
///
/// ```swift
/// let feed = PostgresChangeFeed(store: store, logger: logger)
/// for await change in feed.changes() { await fleet.follow(change) }
/// ```
public final class PostgresChangeFeed: StoreChangeFeed {
    /// The channel every coordinator on the database listens on.
    public static let channel = "stationfleet_changes"
    private let store: PostgresFleetStore
    private let logger: Logger
    private let stream: AsyncStream<StoreChange>
    private let continuation: AsyncStream<StoreChange>.Continuation
    private let listener: Task<Void, Never>

    /// Starts listening at once on a connection of its own (not one of the pool's).
    public init(store: PostgresFleetStore, logger: Logger,
                backoff: (initial: Duration, max: Duration) = (.milliseconds(200), .seconds(5))) {
        self.store = store
        self.logger = logger
        let (stream, continuation) = AsyncStream.makeStream(of: StoreChange.self, bufferingPolicy: .unbounded)
        self.stream = stream
        self.continuation = continuation
        let settings = store.settings
        listener = Task {
            await Self.listen(settings: settings, logger: logger, backoff: backoff, into: continuation)
            continuation.finish()
        }
    }

    deinit { listener.cancel() }

    public var isShared: Bool { true }

    public func changes() -> AsyncStream<StoreChange> { stream }

    public func notify(_ change: StoreChange) async {
        do {
            let payload = String(decoding: try JSONEncoder().encode(change), as: UTF8.self)
            try await store.execute("SELECT pg_notify(\(Self.channel), \(payload))")
        } catch {
            logger.error("cannot announce a change to the other coordinators; they catch up on their next resync",
                         metadata: ["change": "\(change)", "error": "\(error)"])
        }
    }

    public func stop() async {
        listener.cancel()
        await listener.value
    }

    /// Connect, LISTEN, yield `.resync`, yield every notification; on any failure wait and
    /// start over, until cancelled.
    private static func listen(settings: PostgresSettings, logger: Logger,
                               backoff: (initial: Duration, max: Duration),
                               into continuation: AsyncStream<StoreChange>.Continuation) async {
        var delay = backoff.initial
        var connectionID = 1_000
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try settings.connectionConfiguration(), id: connectionID, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        logger.info("listening for changes of other coordinators", metadata: ["channel": "\(channel)"])
                        delay = backoff.initial
                        continuation.yield(.resync)
                        for try await notification in notifications {
                            guard let change = try? JSONDecoder().decode(StoreChange.self, from: Data(notification.payload.utf8)) else {
                                logger.warning("unreadable change notification ignored", metadata: ["payload": "\(notification.payload.prefix(200))"])
                                continue
                            }
                            continuation.yield(change)
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
                if Task.isCancelled { return }
                logger.warning("change listener ended; reconnecting", metadata: ["retryIn": "\(delay)"])
            } catch {
                if Task.isCancelled { return }
                logger.warning("change listener lost its connection; reconnecting",
                               metadata: ["error": "\(String(reflecting: error))", "retryIn": "\(delay)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, backoff.max)
        }
    }
}
