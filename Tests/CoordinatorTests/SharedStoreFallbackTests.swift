@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// Two `Fleet`s on one store with no notification between them: what one instance wrote
/// must still be honoured by the other, read from the store on demand. A node token
/// registered through one is accepted by the other; bogus tokens cost a bounded number of
/// lookups; a command queued through one is found by a watch on the other.
@Suite struct SharedStoreFallbackTests {
    /// Two fleets on one SQLite file (WAL: both processes' worth of connections may share it).
    func makeFleets() async throws -> (Fleet, Fleet, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shared-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let a = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "a"),
                      metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1, secretFiles: .skip)
        try await a.load()
        let b = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "b"),
                      metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1, secretFiles: .skip)
        try await b.load()
        return (a, b, dir)
    }

    @Test func aTokenRegisteredThroughAnotherInstanceIsAcceptedWithoutANotification() async throws {
        let (a, b, dir) = try await makeFleets()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let registered = try await a.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        // b loaded before the registration and hears of nothing: it looks the token up.
        #expect(try await b.authorize(nodeToken: registered.nodeToken, for: "pi1") == .allowed)
        #expect(try await b.authorize(nodeToken: registered.nodeToken, for: "pi2") == .otherNode)
        // Now in b's registry: the node shows and a second check needs no lookup.
        #expect(await b.allNodes().contains("pi1"))
        #expect(try await b.authorize(nodeToken: registered.nodeToken, for: "pi1") == .allowed)
        // A heartbeat through b works with it.
        _ = try await b.heartbeat(node: "pi1", report: StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0))
    }

    @Test func aReRegisteredNodeIsAcceptedWithItsNewTokenEvenThoughTheOldOneIsCached() async throws {
        let (a, b, dir) = try await makeFleets()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await a.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        #expect(try await b.authorize(nodeToken: first.nodeToken, for: "pi1") == .allowed)
        try await a.resetNode("pi1")
        let second = try await a.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        #expect(try await b.authorize(nodeToken: second.nodeToken, for: "pi1") == .allowed)
        // b replaced pi1's credential with the stored one: the old token is refused now.
        #expect(try await b.authorize(nodeToken: first.nodeToken, for: "pi1") == .invalid)
    }

    /// Following another instance's announcement for one node reads and changes only that
    /// node: a registration is taken, a revocation drops the node's token, and a node the
    /// announcement does not name is left as it is.
    @Test func aCredentialAnnouncementIsFollowedForThatNodeOnly() async throws {
        let (a, b, dir) = try await makeFleets()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pi1 = try await a.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let pi2 = try await a.register(RegistrationRequest(name: "pi2", agentVersion: "t"))
        await b.follow(.credential(node: "pi1"))
        #expect(await b.registry.isRegistered("pi1"), "the announced node's credential is taken")
        #expect(!(await b.registry.isRegistered("pi2")), "a node not announced is not read")
        #expect(await b.registry.authorize(token: pi1.nodeToken, for: "pi1") == .allowed)
        // Revoked through a: following the announcement drops pi1's token on b, and only it.
        await b.follow(.credential(node: "pi2"))
        try await a.resetNode("pi1")
        await b.follow(.credential(node: "pi1"))
        #expect(!(await b.registry.isRegistered("pi1")))
        #expect(await b.registry.authorize(token: pi1.nodeToken, for: "pi1") == .invalid)
        #expect(await b.registry.authorize(token: pi2.nodeToken, for: "pi2") == .allowed)
        // An announcement for a node that never registered changes nothing.
        await b.follow(.credential(node: "ghost"))
        #expect(!(await b.registry.isRegistered("ghost")))
    }

    @Test func bogusTokensAreRememberedAndRateLimited() async throws {
        let (_, b, dir) = try await makeFleets()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await b.authorize(nodeToken: "sfn_bogus", for: "pi1") == .invalid)
        #expect(await b.credentialLookups.rememberedCount == 1)
        // The same bogus token again: answered from the negative cache.
        #expect(try await b.authorize(nodeToken: "sfn_bogus", for: "pi1") == .invalid)
        #expect(await b.credentialLookups.rememberedCount == 1)
        // A flood of distinct bogus tokens exhausts the lookup budget: 429, never a query each.
        var limited = 0
        for index in 0..<200 {
            do {
                #expect(try await b.authorize(nodeToken: "sfn_flood\(index)", for: "pi1") == .invalid)
            } catch FleetError.tooManyRequests(_, let seconds) {
                #expect(seconds >= 1)
                limited += 1
            }
        }
        #expect(limited > 100, "at most the burst (50) plus the refill was looked up")
        #expect(await b.credentialLookups.rememberedCount <= 200)
    }

    @Test func lookupsAreBounded() {
        var lookups = CredentialLookups(ttl: 1, capacity: 3, burst: 4, perSecond: 1)
        let now = Date(timeIntervalSince1970: 1000)
        for hash in ["a", "b", "c", "d"] {
            #expect(lookups.admit(tokenHash: hash, now: now) == .lookUp)
            lookups.remember(unknown: hash, now: now)
        }
        #expect(lookups.rememberedCount == 3, "the size cap holds")
        #expect(lookups.admit(tokenHash: "d", now: now) == .knownUnknown)
        #expect(lookups.admit(tokenHash: "e", now: now) == .retryAfter(1))
        // After the TTL a miss is looked up again (the bucket refilled meanwhile).
        #expect(lookups.admit(tokenHash: "d", now: now.addingTimeInterval(1.5)) == .lookUp)
        // Being limited is logged once per 10 s at most.
        let reports = [0, 5, 10].map { lookups.shouldReportLimit(now: now.addingTimeInterval($0)) }
        #expect(reports == [true, false, true])
    }

    @Test func aCommandQueuedThroughAnotherInstanceIsFoundByTheNextWatch() async throws {
        let (a, b, dir) = try await makeFleets()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // b shares the store but its notifications never come (a feed that stays silent).
        await b.attach(feed: SilentSharedFeed())
        _ = try await a.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let command = try await a.enqueue(kind: .runArchive, target: "video", node: "pi1")
        let answer = await b.watch(node: "pi1", knownRevision: 0, timeout: .seconds(5))
        #expect(answer.commands.map(\.id) == [command.id], "delivered by b although no notification came")
    }
}

/// A feed for a shared store whose notifications are all lost.
struct SilentSharedFeed: StoreChangeFeed {
    var isShared: Bool { true }
    func notify(_ change: StoreChange) async {}
    func changes() -> AsyncStream<StoreChange> { AsyncStream { $0.finish() } }
    func stop() async {}
}
