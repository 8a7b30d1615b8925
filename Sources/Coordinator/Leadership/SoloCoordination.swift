import Foundation

/// Instance registry and leader lease in memory, with the same rules as a store's: for a
/// store backend that does not implement ``CoordinatorRegistry`` and ``LeaderLease`` (yet).
/// Only instances in this process see it, so the one coordinator always leads.
public actor SoloCoordination: CoordinatorRegistry, LeaderLease {
    private var instances: [String: CoordinatorInstance] = [:]
    private var grant: LeaseGrant?

    public init() {}

    public func upsertCoordinator(_ instance: CoordinatorInstance) { instances[instance.id] = instance }

    public func coordinators() -> [CoordinatorInstance] {
        instances.values.sorted { ($0.lastSeen, $1.id) > ($1.lastSeen, $0.id) }
    }

    public func removeCoordinators(lastSeenBefore cutoff: Date) -> Int {
        let before = instances.count
        instances = instances.filter { $0.value.lastSeen >= cutoff }
        return before - instances.count
    }

    public func acquireLease(holder: String, ttl: TimeInterval, now: Date) -> LeaseGrant? {
        if let grant, grant.expiresAt > now {
            guard grant.holder == holder else { return nil }
            self.grant?.expiresAt = now.addingTimeInterval(ttl)
            return self.grant
        }
        grant = LeaseGrant(holder: holder, term: (grant?.term ?? 0) + 1, expiresAt: now.addingTimeInterval(ttl))
        return grant
    }

    public func renewLease(holder: String, term: Int64, ttl: TimeInterval, now: Date) -> LeaseGrant? {
        guard let grant, grant.holder == holder, grant.term == term, grant.expiresAt > now else { return nil }
        self.grant?.expiresAt = now.addingTimeInterval(ttl)
        return self.grant
    }

    public func releaseLease(holder: String, term: Int64) {
        guard let grant, grant.holder == holder, grant.term == term else { return }
        self.grant?.expiresAt = Date(timeIntervalSince1970: 0)
    }

    public func leaseHolder() -> LeaseGrant? { grant }
}
