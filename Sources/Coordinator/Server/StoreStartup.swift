import Dispatch
import Foundation
import Logging

/// Start-up against a database that may not be up yet: the store is migrated before anything
/// is served; while the server is unreachable (refused, no answer, starting up) that is
/// retried with back-off, one log line per attempt naming the database, the reason and the
/// next attempt. Any other failure (a refused password, a missing database, a schema newer
/// than this coordinator) is thrown at once. SIGTERM or SIGINT during the wait ends it.
///
/// ```swift
/// guard try await StoreStartup(migrate: store.migrate, logger: logger).migrate() else { return }  // signalled
/// ```
struct StoreStartup {
    /// One attempt: connect, check the schema, migrate.
    let attempt: @Sendable () async throws -> Void
    let logger: Logger
    var firstDelay: Duration = .seconds(1)
    var maxDelay: Duration = .seconds(15)

    init(migrate attempt: @escaping @Sendable () async throws -> Void, logger: Logger) {
        self.attempt = attempt
        self.logger = logger
    }

    /// The delays between attempts: `firstDelay` doubling up to `maxDelay`.
    static func delays(first: Duration, max: Duration) -> some Sequence<Duration> {
        sequence(first: first) { Swift.min($0 * 2, max) }
    }

    /// Migrates the store, retrying while it is unreachable. Returns false when SIGTERM or
    /// SIGINT came before the store did.
    func migrate() async throws -> Bool {
        do {
            try await attempt()
            return true
        } catch StoreError.unreachable(let reason) {
            return try await retry(after: reason)
        }
    }

    private func retry(after firstReason: String) async throws -> Bool {
        let signals = StopSignals()
        defer { signals.stop() }
        var reason = firstReason
        var tries = 1
        for delay in Self.delays(first: firstDelay, max: maxDelay) {
            logger.warning("database unreachable: \(reason); attempt \(tries) failed, next in \(delay.components.seconds) s (nothing is served until then)")
            guard await signals.sleep(for: delay) else {
                logger.notice("stopped while waiting for the database")
                return false
            }
            tries += 1
            do {
                try await attempt()
                // A signal during the attempt itself still stops the start.
                guard !signals.wasSignalled else {
                    logger.notice("stopped while waiting for the database")
                    return false
                }
                logger.notice("database reachable after \(tries) attempts")
                return true
            } catch StoreError.unreachable(let next) {
                reason = next
            }
        }
        return false  // the delays never end
    }
}

/// SIGTERM and SIGINT while the coordinator waits for its database (the service group that
/// handles them later is not running yet).
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var signalled = false
    private var sleeper: Task<Void, any Error>?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGTERM, SIGINT] {
            #if canImport(Darwin)
            // kqueue delivers signals to the source only when they are ignored otherwise. On
            // Linux libdispatch installs its own handler: the disposition is not touched (setting
            // it back later would undo the handler the service group's sources share).
            signal(number, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            sources.append(source)
        }
    }

    private func fire() {
        lock.lock()
        signalled = true
        let sleeping = sleeper
        lock.unlock()
        sleeping?.cancel()
    }

    var wasSignalled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return signalled
    }

    /// Sleeps for `duration`; false when a signal came first (or had come already).
    func sleep(for duration: Duration) async -> Bool {
        let sleeping = Task { try await Task.sleep(for: duration) }
        let already = lock.withLock {
            sleeper = sleeping
            return signalled
        }
        if already { sleeping.cancel() }
        let slept = await withTaskCancellationHandler {
            (try? await sleeping.value) != nil
        } onCancel: {
            sleeping.cancel()
        }
        lock.withLock { sleeper = nil }
        return slept && !wasSignalled
    }

    /// Ends the sources; the service group registers its own for the same signals.
    func stop() {
        for source in sources { source.cancel() }
        sources = []
    }
}
