import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Synchronization
import Testing

/// The leader lease and registry contract, every backend: a store's `LeaderLease` and
/// `CoordinatorRegistry` (SQLite here; PostgreSQL runs the same checks) with explicit times.
/// `open` gives two handles (separate connections) on one fresh, migrated database.
enum LeaseContract {
    typealias Store = any CoordinatorRegistry & LeaderLease
    typealias Open = @Sendable () async throws -> (Store, Store)

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func run(_ open: Open) async throws {
        try await acquireIsExclusiveAndRenewalKeepsTheTerm(try await open().0)
        try await expiryLetsAnotherHolderTakeOver(try await open().0)
        try await releaseHandsTheLeaseOver(try await open().0)
        try await racingConnectionsElectOneHolder(try await open())
        try await registry(try await open().0)
    }

    static func acquireIsExclusiveAndRenewalKeepsTheTerm(_ store: Store) async throws {
        #expect(try await store.leaseHolder() == nil)
        let first = try #require(try await store.acquireLease(holder: "a", ttl: 15, now: t0))
        #expect(first == LeaseGrant(holder: "a", term: 1, expiresAt: t0.addingTimeInterval(15)))
        // Another holder cannot take a live lease.
        #expect(try await store.acquireLease(holder: "b", ttl: 15, now: t0.addingTimeInterval(14.9)) == nil)
        #expect(try await store.leaseHolder()?.holder == "a")

        // Renewal extends the expiry under the same term; acquiring again while holding it does too.
        let renewed = try #require(try await store.renewLease(holder: "a", term: 1, ttl: 15, now: t0.addingTimeInterval(5)))
        #expect(renewed.term == 1)
        #expect(renewed.expiresAt == t0.addingTimeInterval(20))
        let again = try #require(try await store.acquireLease(holder: "a", ttl: 15, now: t0.addingTimeInterval(10)))
        #expect(again.term == 1)
        #expect(try await store.isLeader(holder: "a", term: 1, now: t0.addingTimeInterval(24)))
        #expect(try await !store.isLeader(holder: "b", term: 1, now: t0.addingTimeInterval(24)))
    }

    static func expiryLetsAnotherHolderTakeOver(_ store: Store) async throws {
        _ = try #require(try await store.acquireLease(holder: "a", ttl: 15, now: t0))
        // At the expiry the lease is free.
        let expiry = t0.addingTimeInterval(15)
        #expect(try await !store.isLeader(holder: "a", term: 1, now: expiry))
        let taken = try #require(try await store.acquireLease(holder: "b", ttl: 15, now: expiry))
        #expect(taken.holder == "b")
        #expect(taken.term == 2, "the fencing token grows when the lease changes hands")

        // The old holder's renewal is refused and changes nothing.
        #expect(try await store.renewLease(holder: "a", term: 1, ttl: 15, now: expiry.addingTimeInterval(1)) == nil)
        #expect(try await store.acquireLease(holder: "a", ttl: 15, now: expiry.addingTimeInterval(1)) == nil)
        #expect(try await store.leaseHolder() == taken)
        // Not even with the current term: it is b's.
        #expect(try await store.renewLease(holder: "a", term: 2, ttl: 15, now: expiry.addingTimeInterval(1)) == nil)
        // b itself cannot renew an expired lease; taking it again is a new term.
        let late = expiry.addingTimeInterval(16)
        #expect(try await store.renewLease(holder: "b", term: 2, ttl: 15, now: late) == nil)
        #expect(try await store.acquireLease(holder: "b", ttl: 15, now: late)?.term == 3)
    }

    static func releaseHandsTheLeaseOver(_ store: Store) async throws {
        _ = try #require(try await store.acquireLease(holder: "a", ttl: 15, now: t0))
        try await store.releaseLease(holder: "b", term: 1)  // not b's: ignored
        #expect(try await store.acquireLease(holder: "b", ttl: 15, now: t0.addingTimeInterval(1)) == nil)
        try await store.releaseLease(holder: "a", term: 1)
        let next = try #require(try await store.acquireLease(holder: "b", ttl: 15, now: t0.addingTimeInterval(1)))
        #expect(next.term == 2)
        try await store.releaseLease(holder: "b", term: 1)  // a stale term: ignored
        #expect(try await store.isLeader(holder: "b", term: 2, now: t0.addingTimeInterval(2)))
    }

    static func racingConnectionsElectOneHolder(_ stores: (Store, Store)) async throws {
        let both = [stores.0, stores.1]
        let now = Date()
        let grants = try await withThrowingTaskGroup(of: LeaseGrant?.self) { group in
            for index in 0..<10 {
                let store = both[index % 2]
                group.addTask { try await store.acquireLease(holder: "h\(index)", ttl: 15, now: now) }
            }
            var all: [LeaseGrant] = []
            for try await grant in group { if let grant { all.append(grant) } }
            return all
        }
        #expect(grants.count == 1, "exactly one of ten racing holders gets the lease: \(grants)")
        #expect(grants.first?.term == 1)
        // Both connections read the winner (times compared to the millisecond: a backend may store fewer digits).
        for store in both {
            let stored = try await store.leaseHolder()
            #expect(stored?.holder == grants.first?.holder)
            #expect(stored?.term == grants.first?.term)
            #expect(abs((stored?.expiresAt ?? .distantPast).timeIntervalSince(grants.first?.expiresAt ?? .distantFuture)) < 0.001)
        }
    }

    static func registry(_ store: Store) async throws {
        let a = CoordinatorInstance(id: "a", hostname: "nas", version: "1.0", url: "https://nas:8420", startedAt: t0,
                                    lastSeen: t0)
        var b = CoordinatorInstance(id: "b", hostname: "pi", version: "1.1", url: "https://pi:8420",
                                    startedAt: t0, lastSeen: t0.addingTimeInterval(5))
        try await store.upsertCoordinator(a)
        try await store.upsertCoordinator(b)
        b.lastSeen = t0.addingTimeInterval(10)
        b.url = "https://pi.example:8420"
        try await store.upsertCoordinator(b)
        #expect(try await store.coordinators() == [b, a])
        #expect(try await store.removeCoordinators(lastSeenBefore: t0.addingTimeInterval(1)) == 1)
        #expect(try await store.coordinators() == [b])
    }
}

@Suite("Leader lease contract", .timeLimit(.minutes(1)))
struct LeaderLeaseTests {
    static func scratchStore() async throws -> (SQLiteFleetStore, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lease-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try SQLiteFleetStore(path: dir + "/coordinator.sqlite")
        try await store.migrate()
        return (store, dir)
    }

    @Test func sqliteTwoConnectionsOnOneFile() async throws {
        let dirs = Mutex<[String]>([])
        defer { for dir in dirs.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: dir) } }
        try await LeaseContract.run {
            let (first, dir) = try await Self.scratchStore()
            dirs.withLock { $0.append(dir) }
            return (first, try SQLiteFleetStore(path: dir + "/coordinator.sqlite"))
        }
    }

    @Test func soloCoordinationInMemory() async throws {
        try await LeaseContract.run {
            let solo = SoloCoordination()
            return (solo, solo)
        }
    }
}

/// Two `Leadership`s (two coordinators) on one SQLite file with short lease timings.
@Suite("Leadership of coordinators sharing a store", .timeLimit(.minutes(1)))
struct LeadershipTests {
    static let timing = LeaseTiming(ttl: .milliseconds(1_500), renewEvery: .milliseconds(250))

    static func logger() -> Logger {
        var logger = Logger(label: "leadership-test")
        logger.logLevel = .error
        return logger
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return try await condition()
    }

    @Test func oneLeadsTheOtherTakesOverWithinTheTTLAfterACrashAndAtOnceAfterARelease() async throws {
        let (storeA, dir) = try await LeaderLeaseTests.scratchStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let storeB = try SQLiteFleetStore(path: dir + "/coordinator.sqlite")
        let metricsA = CoordinatorMetrics()
        let a = Leadership(store: storeA, url: "http://127.0.0.1:1", timing: Self.timing, logger: Self.logger(),
                           metrics: metricsA, instanceID: "a")
        let b = Leadership(store: storeB, url: "http://127.0.0.1:2", timing: Self.timing, logger: Self.logger(),
                           instanceID: "b")
        await a.start()
        await b.start()
        let updatesB = await b.updates()
        let termA = try #require(await a.term, "the first to start leads")
        #expect(metricsA.render().contains("stationfleet_coordinator_leader 1"))
        #expect(await b.term == nil)
        // Several renewals later, still exactly one leader.
        #expect(await !Self.waitUntil(timeout: .milliseconds(800)) { await b.isLeader })
        #expect(await a.term == termA)
        let views = try await b.coordinatorViews()
        #expect(views.map(\.id).sorted() == ["a", "b"])
        #expect(views.filter(\.leader).map(\.id) == ["a"])
        #expect(views.first { $0.leader }?.term == termA)

        // a crashes (stops renewing, keeps the lease): b leads within the TTL, with a higher term.
        let crashed = ContinuousClock.now
        await a.stop(release: false)
        #expect(metricsA.render().contains("stationfleet_coordinator_leader 0"), "a stopped instance reports 0")
        let tookOver = await Self.waitUntil(timeout: .seconds(4)) { await b.isLeader }
        #expect(tookOver)
        #expect(ContinuousClock.now - crashed < Self.timing.ttl + .seconds(1))
        let termB = try #require(await b.term)
        #expect(termB > termA)
        #expect(await !a.confirm(term: termA), "the old leader's term is no longer the store's")
        #expect(await b.confirm(term: termB))
        // The change was published: nil at subscription, then b's term.
        var seen: [Int64?] = []
        for await update in updatesB {
            seen.append(update)
            if update == termB { break }
        }
        #expect(seen.first == .some(nil))
        #expect(seen.last == termB)

        // A clean stop releases the lease: a third instance takes it over at once (well within the TTL).
        let c = Leadership(store: storeA, url: "http://127.0.0.1:3", timing: Self.timing, logger: Self.logger(),
                           instanceID: "c")
        await c.start()
        #expect(await c.term == nil)
        let released = ContinuousClock.now
        await b.stop(release: true)
        #expect(await Self.waitUntil(timeout: .seconds(2)) { await c.isLeader })
        #expect(ContinuousClock.now - released < Self.timing.ttl)
        #expect(try #require(await c.term) > termB)
        await c.stop(release: true)
    }
}

extension LeadershipTests {
    /// A leader still trusting its last renewal learns from the store, before a send, that the
    /// lease was taken over; its next renewal is refused and it stops.
    @Test func aLeaderWhoseLeaseWasTakenOverFailsTheSendCheckAndStepsDownAtItsNextRenewal() async throws {
        let (store, dir) = try await LeaderLeaseTests.scratchStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let other = try SQLiteFleetStore(path: dir + "/coordinator.sqlite")
        // Long timings and no renewal loop: the test makes each step itself.
        let a = Leadership(store: store, url: "http://127.0.0.1:1", timing: LeaseTiming(ttl: .seconds(60), renewEvery: .seconds(20)),
                           logger: Self.logger(), instanceID: "a")
        await a.step()
        let term = try #require(await a.term)
        #expect(await a.confirm(term: term))

        // The lease lapses behind a's back (a paused process, say) and b takes it.
        try await other.releaseLease(holder: "a", term: term)
        let b = try #require(try await other.acquireLease(holder: "b", ttl: 60, now: Date()))
        #expect(b.term == term + 1)
        #expect(await a.term == term, "a still trusts its last renewal locally")
        #expect(await !a.confirm(term: term), "but the check before a send asks the store")
        await a.step()
        #expect(await a.term == nil, "a's renewal is refused: it is no longer leader")
        #expect(try await store.leaseHolder()?.holder == "b")
    }
}

/// The fleet's singleton work under the lease: only the leader prunes history and answers
/// rollout controls; the other instance stops before writing.
@Suite("Fleet singleton work under the lease", .timeLimit(.minutes(1)))
struct FleetLeadershipTests {
    @Test func onlyTheLeaderPrunesHistoryAndControlsRollouts() async throws {
        let pair = try await LeaderAndFollower.make()
        defer { pair.remove() }
        let (leader, follower, storeA) = (pair.leader, pair.follower, pair.leaderStore)
        let (leaderLease, followerLease) = (pair.leaderLease, pair.followerLease)
        #expect(await leader.leaderTerm == 1)
        #expect(await follower.leaderTerm == nil)

        // History older than the retention: the follower leaves it, the leader prunes it.
        let old = AgentEvent(time: Date().addingTimeInterval(-100 * 24 * 3600), kind: "test.old", message: "old")
        try await storeA.recordEvents([old], node: "pi1")
        await follower.pruneHistory()
        #expect(try await storeA.recentEvents(node: "pi1", station: nil, limit: 10).map(\.id) == [old.id])
        await leader.pruneHistory()
        #expect(try await storeA.recentEvents(node: "pi1", station: nil, limit: 10).isEmpty)

        // Rollout controls: the follower refuses (409 over HTTP); the leader answers (no rollout yet: 404).
        await #expect(throws: FleetError.self) { _ = try await follower.controlRollout(.pause) }
        do {
            _ = try await follower.controlRollout(.pause)
        } catch let error as FleetError {
            #expect("\(error)".contains("not the leader"))
        }
        do {
            _ = try await leader.controlRollout(.pause)
            Issue.record("no rollout was started")
        } catch let error as FleetError {
            #expect(!"\(error)".contains("not the leader"))
        }

        // The leader loses the lease: after its next tick it stops pruning; the follower takes
        // over and, on its tick, drives.
        await leaderLease.stop(release: true)
        #expect(await LeadershipTests.waitUntil(timeout: .seconds(3)) { await followerLease.isLeader })
        await leader.tick()
        await follower.tick()
        #expect(await leader.leaderTerm == nil)
        #expect(await follower.leaderTerm == followerLease.term)
        try await storeA.recordEvents([AgentEvent(time: old.time, kind: "test.old", message: "old again")], node: "pi1")
        await leader.pruneHistory()
        #expect(try await storeA.recentEvents(node: "pi1", station: nil, limit: 10).count == 1)
        await follower.pruneHistory()
        #expect(try await storeA.recentEvents(node: "pi1", station: nil, limit: 10).isEmpty)
    }
}
