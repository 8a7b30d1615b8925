import FleetProtocol
import Foundation
import Logging

/// Lease timings. The holder renews every `renewEvery`; each renewal extends the stored
/// expiry to `ttl` from then. The holder itself trusts a renewal only for
/// `ttl - renewEvery` (measured on its monotonic clock from before the renewal was sent), so
/// a leader that cannot reach the store stops its singleton work a whole renewal interval
/// before any other instance may take the lease over.
public struct LeaseTiming: Sendable {
    public var ttl: Duration
    public var renewEvery: Duration

    public init(ttl: Duration = .seconds(15), renewEvery: Duration = .seconds(5)) {
        precondition(renewEvery < ttl, "the lease must be renewed more often than it expires")
        self.ttl = ttl
        self.renewEvery = renewEvery
    }

    /// How long after a renewal began its holder acts on it.
    var trustFor: Duration { ttl - renewEvery }
}

/// This coordinator's part in leader election: it registers the instance in the store,
/// takes or renews the one leader lease every `renewEvery`, and tells the singleton work
/// (alert evaluation, the notification outbox, history pruning, rollout driving) whether to
/// run: `term` is non-nil only while this instance holds a trusted lease.
///
/// Consumers check `term` before each step and compare it with the term they last acted
/// under: a new term means "reload from the store", nil means "stop". Changes are also
/// published on `updates()`, logged and exported as `stationfleet_coordinator_leader`.
///
/// ```swift
/// let leadership = Leadership(store: store, url: "https://coord-a:8420", logger: logger, metrics: metrics)
/// await leadership.start()
/// if let term = await leadership.term { … act as leader of `term` … }
/// await leadership.stop(release: true)
/// ```
public actor Leadership {
    public nonisolated let instanceID: String
    public nonisolated let hostname: String
    public nonisolated let version: String
    public nonisolated let startedAt: Date
    public nonisolated let timing: LeaseTiming

    /// The URL this instance advertises in the registry.
    public private(set) var url: String
    let lease: any LeaderLease
    let registry: any CoordinatorRegistry
    let logger: Logger
    let metrics: CoordinatorMetrics?

    /// The term of the lease this instance last renewed; trusted until `trustedUntil`.
    private var heldTerm: Int64?
    private var trustedUntil = ContinuousClock.now
    private var published: Int64?
    private var loop: Task<Void, Never>?
    private var subscribers: [UUID: AsyncStream<Int64?>.Continuation] = [:]
    private var lastRegistryPrune = Date.distantPast
    /// How long an instance that stopped renewing stays listed.
    static let forgetAfter: TimeInterval = 24 * 3600

    public init(store: any CoordinatorRegistry & LeaderLease, url: String, timing: LeaseTiming = LeaseTiming(),
                logger: Logger, metrics: CoordinatorMetrics? = nil, instanceID: String = UUID().uuidString.lowercased(),
                hostname: String = ProcessInfo.processInfo.hostName, version: String = FleetVersion.current) {
        self.lease = store
        self.registry = store
        self.url = url
        self.timing = timing
        self.logger = logger
        self.metrics = metrics
        self.instanceID = instanceID
        self.hostname = hostname
        self.version = version
        self.startedAt = Date()
        metrics?.setLeader(false)
    }

    /// The term this instance leads under right now; nil when it does not (or no longer
    /// trusts its last renewal).
    public var term: Int64? {
        guard let heldTerm, ContinuousClock.now < trustedUntil else { return nil }
        return heldTerm
    }

    public var isLeader: Bool { term != nil }

    /// The URL to advertise (known once the server listens); the registry row is updated at once.
    public func advertise(_ url: String) async {
        self.url = url
        do {
            try await registry.upsertCoordinator(CoordinatorInstance(id: instanceID, hostname: hostname, version: version,
                                                                     url: url, startedAt: startedAt, lastSeen: Date()))
        } catch {
            logger.warning("cannot register this coordinator instance", metadata: ["error": "\(error)"])
        }
    }

    /// Whether this instance still leads under `term`, asking the store: the check made
    /// right before a side effect that must not happen twice (a notification send).
    public func confirm(term expected: Int64) async -> Bool {
        guard term == expected else { return false }
        do {
            return try await lease.isLeader(holder: instanceID, term: expected, now: Date())
        } catch {
            logger.warning("cannot check the leader lease", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Registers the instance, tries the lease once, then renews every `renewEvery`.
    public func start() async {
        await step()
        guard loop == nil else { return }
        let every = timing.renewEvery
        loop = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: every)
                if Task.isCancelled { break }
                await self.step()
            }
        }
    }

    /// Stops renewing. With `release`, gives the lease up so another instance takes over at
    /// once (a clean shutdown); without, the lease runs out after its TTL (as after a crash).
    public func stop(release: Bool) async {
        loop?.cancel()
        loop = nil
        if release, let heldTerm {
            do { try await lease.releaseLease(holder: instanceID, term: heldTerm) } catch {
                logger.warning("cannot release the leader lease", metadata: ["error": "\(error)"])
            }
        }
        heldTerm = nil
        publishIfChanged()
        for continuation in subscribers.values { continuation.finish() }
        subscribers = [:]
    }

    /// The leader term as it changes (nil: not leader), starting with the current one.
    public func updates() -> AsyncStream<Int64?> {
        let (stream, continuation) = AsyncStream<Int64?>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let key = UUID()
        continuation.yield(term)
        subscribers[key] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(key) }
        }
        return stream
    }

    private func unsubscribe(_ key: UUID) { subscribers[key] = nil }

    /// One renewal (or attempt to take the lease) and registry refresh.
    public func step() async {
        let began = ContinuousClock.now
        let now = Date()
        let ttl = Self.seconds(timing.ttl)
        do {
            var grant: LeaseGrant?
            if let heldTerm {
                grant = try await lease.renewLease(holder: instanceID, term: heldTerm, ttl: ttl, now: now)
                if grant == nil { self.heldTerm = nil }
            }
            if grant == nil {
                grant = try await lease.acquireLease(holder: instanceID, ttl: ttl, now: now)
            }
            if let grant {
                heldTerm = grant.term
                trustedUntil = began + timing.trustFor
            } else {
                heldTerm = nil
            }
        } catch {
            // The last renewal stays trusted until it runs out; then `term` is nil by itself.
            logger.warning("cannot renew the leader lease", metadata: ["error": "\(error)"])
        }
        do {
            try await registry.upsertCoordinator(CoordinatorInstance(id: instanceID, hostname: hostname, version: version,
                                                                     url: url, startedAt: startedAt, lastSeen: now))
            if term != nil, now.timeIntervalSince(lastRegistryPrune) >= 3600 {
                lastRegistryPrune = now
                _ = try await registry.removeCoordinators(lastSeenBefore: now.addingTimeInterval(-Self.forgetAfter))
            }
        } catch {
            logger.warning("cannot register this coordinator instance", metadata: ["error": "\(error)"])
        }
        publishIfChanged()
    }

    private func publishIfChanged() {
        let current = term
        guard current != published else { return }
        let previous = published
        published = current
        if let current {
            logger.notice("this coordinator is now the leader", metadata: [
                "instance": "\(instanceID)", "term": "\(current)", "previousTerm": "\(previous.map(String.init) ?? "-")"])
        } else {
            logger.notice("this coordinator is no longer the leader", metadata: [
                "instance": "\(instanceID)", "term": "\(previous.map(String.init) ?? "-")"])
        }
        metrics?.setLeader(current != nil)
        for continuation in subscribers.values { continuation.yield(current) }
    }

    /// Every registered instance, which one holds the live lease, for `GET /v1/coordinators`.
    /// "Live" is the store's judgement (`isLeader`), on the server's clock where it has one.
    public func coordinatorViews(now: Date = Date()) async throws -> [CoordinatorView] {
        let instances = try await registry.coordinators()
        var live: LeaseGrant?
        if let stored = try await lease.leaseHolder(),
           try await lease.isLeader(holder: stored.holder, term: stored.term, now: now) {
            live = stored
        }
        return instances.map { instance in
            let leads = instance.id == live?.holder
            return CoordinatorView(id: instance.id, hostname: instance.hostname, version: instance.version, url: instance.url,
                                   startedAt: instance.startedAt, lastSeen: instance.lastSeen, leader: leads,
                                   term: leads ? live?.term : nil)
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let parts = duration.components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
