import Foundation

/// One running `fleet-coordinator serve`, as registered in the shared store.
public struct CoordinatorInstance: Sendable, Equatable {
    /// Random per start (a restarted process is a new instance).
    public var id: String
    public var hostname: String
    public var version: String
    /// The URL this instance advertises (its listen address, or `--external-url`).
    public var url: String
    public var startedAt: Date
    /// The last time the instance refreshed its row (every lease renewal).
    public var lastSeen: Date

    public init(id: String, hostname: String, version: String, url: String, startedAt: Date, lastSeen: Date) {
        self.id = id
        self.hostname = hostname
        self.version = version
        self.url = url
        self.startedAt = startedAt
        self.lastSeen = lastSeen
    }
}

/// The coordinators sharing one store. Small on purpose: a backend stores rows, the
/// coordinator decides what they mean.
///
/// ```swift
/// try await store.upsertCoordinator(instance)          // on start and every renewal
/// let all = try await store.coordinators()             // GET /v1/coordinators
/// ```
public protocol CoordinatorRegistry: Sendable {
    /// Inserts the instance or replaces its row (same `id`), `lastSeen` included.
    func upsertCoordinator(_ instance: CoordinatorInstance) async throws
    /// Every registered instance, most recently seen first.
    func coordinators() async throws -> [CoordinatorInstance]
    /// Forgets instances last seen before `cutoff`; returns how many went.
    func removeCoordinators(lastSeenBefore cutoff: Date) async throws -> Int
}

/// Who holds the leader lease: the holder's instance id, the fencing token and the expiry.
public struct LeaseGrant: Sendable, Equatable {
    public var holder: String
    /// The fencing token: grows by one each time the lease changes hands (or is taken
    /// again after it expired or was released); renewals keep it.
    public var term: Int64
    public var expiresAt: Date

    public init(holder: String, term: Int64, expiresAt: Date) {
        self.holder = holder
        self.term = term
        self.expiresAt = expiresAt
    }
}

/// The one leader lease of a store: the coordinator instance holding it is the only one
/// that evaluates alerts, dispatches the notification outbox, prunes history and drives
/// rollouts. Each method is atomic (read and write in one transaction, or one conditional
/// statement): when two instances race, exactly one wins.
///
/// Times are passed in (`now`) so tests can move them; a backend with a server clock may
/// use that instead, consistently for every method.
///
/// ```swift
/// if let grant = try await lease.acquireLease(holder: id, ttl: 15, now: Date()) { … grant.term … }
/// let still = try await lease.renewLease(holder: id, term: grant.term, ttl: 15, now: Date())   // nil: lost
/// try await lease.releaseLease(holder: id, term: grant.term)
/// ```
public protocol LeaderLease: Sendable {
    /// Takes the lease for `holder` when nobody holds it, or its holder's expiry has passed
    /// (`expiresAt <= now`): term + 1, expiry `now + ttl`. When `holder` already holds a live
    /// lease, extends it (same term). Returns nil, changing nothing, while another holder's
    /// lease is live.
    func acquireLease(holder: String, ttl: TimeInterval, now: Date) async throws -> LeaseGrant?
    /// Extends the lease only if `holder` holds it with `term` and it has not expired;
    /// nil (changing nothing) otherwise: the holder lost it and must stop at once.
    func renewLease(holder: String, term: Int64, ttl: TimeInterval, now: Date) async throws -> LeaseGrant?
    /// Gives the lease up (expires it now, keeping its term) if `holder` holds it with `term`.
    func releaseLease(holder: String, term: Int64) async throws
    /// The lease as stored (possibly expired); nil when it was never taken.
    func leaseHolder() async throws -> LeaseGrant?
    /// Whether `holder` holds the lease with `term` and it is live at `now`: the check made
    /// right before a singleton side effect (a notification send). Default: from `leaseHolder()`.
    func isLeader(holder: String, term: Int64, now: Date) async throws -> Bool
}

extension LeaderLease {
    public func isLeader(holder: String, term: Int64, now: Date) async throws -> Bool {
        guard let grant = try await leaseHolder() else { return false }
        return grant.holder == holder && grant.term == term && grant.expiresAt > now
    }
}
