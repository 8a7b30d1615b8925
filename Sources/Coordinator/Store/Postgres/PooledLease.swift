import Foundation
import PostgresNIO

/// Lends a pooled connection to a body in the caller's task, with a bounded wait for it.
///
/// `PostgresClient.withConnection` waits for a connection as long as the pool keeps trying
/// (about a minute while the server is down). Here a child task leases the connection and
/// hands it over; the wait is raced against `timeout`, and cancelling the child withdraws the
/// request from the pool. Once handed over, the connection stays leased until the body
/// returns, whether or not the caller is cancelled meanwhile.
///
/// ```swift
/// let names = try await PooledLease.with(client, timeout: .seconds(5)) { connection in
///     try await connection.texts("SELECT name FROM credentials", logger: logger)
/// }
/// ```
enum PooledLease {
    static func with<T: Sendable>(_ client: PostgresClient, timeout: Duration,
                                  _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let hold = Hold()
        let (handed, handoff) = AsyncThrowingStream.makeStream(of: PostgresConnection.self)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask {
                do {
                    try await client.withConnection { connection in
                        handoff.yield(connection)
                        await hold.wait()
                    }
                } catch {
                    handoff.finish(throwing: error)
                }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return }
                handoff.finish(throwing: StoreError.unreachable("PostgreSQL: no connection within \(timeout.components.seconds) s"))
            }
            defer {
                hold.release()
                group.cancelAll()
            }
            var connections = handed.makeAsyncIterator()
            guard let connection = try await connections.next() else { throw CancellationError() }
            return try await body(connection)
        }
    }

    /// Keeps the lease until `release`; waiting ignores cancellation on purpose.
    final class Hold: @unchecked Sendable {
        private let lock = NSLock()
        private var released = false
        private var waiter: CheckedContinuation<Void, Never>?

        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if released {
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiter = continuation
                    lock.unlock()
                }
            }
        }

        func release() {
            lock.lock()
            released = true
            let waiting = waiter
            waiter = nil
            lock.unlock()
            waiting?.resume()
        }
    }
}
