@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// Announcements that arrive while the follower is busy are folded: a burst of commands for
/// many nodes is one read of all open commands, a resync absorbs everything, and following a
/// folded batch leaves the instance where following each announcement would.
@Suite struct StoreChangeBatchTests {
    @Test func foldsABurstIntoOneStepPerKind() {
        var changes: [StoreChange] = (0..<1_000).map { .command(node: "pi\($0)") }
        changes += [.revision(3), .revision(5), .revision(4), .rollout(revision: 5), .rollout(revision: 5),
                    .credential(node: "b"), .credential(node: "a"), .credential(node: "b"), .joinToken, .joinToken]
        let batch = StoreChangeBatch(changes)
        #expect(batch.steps == [.change(.joinToken), .change(.revision(5)), .change(.rollout(revision: 5)),
                                .change(.credential(node: "b")), .change(.credential(node: "a")), .allCommands])
    }

    @Test func oneNodesCommandsStayOneNodesAndAResyncAbsorbsTheRest() {
        #expect(StoreChangeBatch([.command(node: "pi1"), .command(node: "pi1")]).steps == [.change(.command(node: "pi1"))])
        #expect(StoreChangeBatch([.command(node: "pi1"), .resync, .revision(9)]).steps == [.change(.resync)])
        #expect(StoreChangeBatch().steps.isEmpty)
        #expect(StoreChangeBatch().isEmpty)
        #expect(!StoreChangeBatch([.joinToken]).isEmpty)
    }

    @Test func theInboxHandsOverWhatIsPendingAndEndsWhenFinished() async {
        let inbox = StoreChangeInbox()
        await inbox.add(.command(node: "pi1"))
        await inbox.add(.command(node: "pi2"))
        #expect(await inbox.next()?.steps == [.allCommands])
        // A waiting follower gets the next announcement as it arrives.
        async let waited = inbox.next()
        // Give the waiter the chance to park; either order must give the same answer.
        await Task.yield()
        await inbox.add(.revision(2))
        #expect(await waited?.steps == [.change(.revision(2))])
        await inbox.add(.joinToken)
        await inbox.finish()
        #expect(await inbox.next()?.steps == [.change(.joinToken)], "what was pending is still handed over")
        #expect(await inbox.next() == nil)
    }

    /// Two fleets on one SQLite file: commands queued through `a` for three nodes, followed
    /// by `b` as one folded batch, are all open on `b`; one finished through `a` is dropped.
    @Test func followingAFoldedBatchTakesEveryNodesCommands() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func fleet(_ label: String) async throws -> Fleet {
            let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: label),
                              metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1, secretFiles: .skip)
            try await fleet.load()
            return fleet
        }
        let a = try await fleet("a")
        let b = try await fleet("b")
        var views: [CommandView] = []
        for node in ["pi1", "pi2", "pi3"] {
            views.append(try await a.enqueue(CommandQueue.make(kind: .restartRecorder, target: "C-\(node)", node: node, now: Date())))
        }
        #expect(await b.commands.openCommands(node: nil).isEmpty)
        await b.follow(StoreChangeBatch(views.map { .command(node: $0.node) }))
        #expect(Set(await b.commands.openCommands(node: nil).map(\.id)) == Set(views.map(\.id)))
        // pi2's command finishes through a: the next folded batch drops it on b.
        let result = CommandResult(commandId: views[1].id, ok: true, message: "restarted", completedAt: Date())
        #expect(try await a.complete(result, node: "pi2") != nil)
        await b.follow(StoreChangeBatch([.command(node: "pi2"), .command(node: "pi3")]))
        #expect(Set(await b.commands.openCommands(node: nil).map(\.id)) == [views[0].id, views[2].id])
    }
}
