@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

@Suite struct NodeRegistryTests {
    @Test func tokensReachOnlyTheirOwnNodeAndRevokedTokensNothing() {
        var registry = NodeRegistry([NodeCredential(name: "pi1", tokenHash: Tokens.hash("t1"), registeredAt: Date())])
        registry.add(name: "pi2", tokenHash: Tokens.hash("t2"))
        #expect(registry.authorize(token: "t1", for: "pi1") == .allowed)
        #expect(registry.authorize(token: "t1", for: "pi2") == .otherNode)
        #expect(registry.authorize(token: "nope", for: "pi1") == .invalid)
        let removed = registry.remove(name: "pi1")
        let removedAgain = registry.remove(name: "pi1")
        #expect(removed && !removedAgain)
        #expect(registry.authorize(token: "t1", for: "pi1") == .invalid)
        registry.add(name: "pi2", tokenHash: Tokens.hash("t2b"))  // re-registration replaces the old token
        #expect(registry.authorize(token: "t2", for: "pi2") == .invalid)
        #expect(registry.authorize(token: "t2b", for: "pi2") == .allowed)
        #expect(registry.count == 1)
    }
}

@Suite struct CommandQueueTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test func deliversOnceThenRedeliversUnansweredAndExpires() {
        var queue = CommandQueue()
        let view = CommandQueue.make(kind: .runArchive, target: "video", node: "pi1", now: t0)
        queue.add(view)
        #expect(queue.takeForDelivery(node: "pi2", now: t0).isEmpty)
        #expect(queue.takeForDelivery(node: "pi1", now: t0).map(\.id) == [view.id])
        #expect(queue.takeForDelivery(node: "pi1", now: t0).isEmpty)  // delivered, not pending
        let early = queue.sweep(now: t0.addingTimeInterval(CommandQueue.redeliverAfter - 1))
        #expect(early.redeliver.isEmpty && early.expired.isEmpty)
        #expect(queue.sweep(now: t0.addingTimeInterval(CommandQueue.redeliverAfter + 1)).redeliver == ["pi1"])
        #expect(queue.takeForDelivery(node: "pi1", now: t0).map(\.id) == [view.id])
        let expired = queue.sweep(now: t0.addingTimeInterval(CommandQueue.ttl))
        #expect(expired.expired.map(\.state) == [.expired])
        #expect(expired.expired.first?.message == "node pi1 did not answer before the command expired")
        #expect(queue.count == 0)
    }

    @Test func onlyTheAddressedNodeCompletesACommand() throws {
        var queue = CommandQueue()
        let view = CommandQueue.make(kind: .restartRecorder, target: "ROST1", node: "pi1", now: t0)
        queue.add(view)
        let result = CommandResult(commandId: view.id, ok: true, message: "ok", completedAt: t0)
        #expect(throws: CommandQueue.RefusalError(.otherNode("pi1"))) { try queue.completion(of: result, node: "pi2").get() }
        let done = try queue.completion(of: result, node: "pi1").get()
        #expect(done.state == .succeeded && done.message == "ok")
        #expect(queue.command(id: view.id)?.state == .pending)  // open until stored
        queue.finish(view.id)
        #expect(throws: CommandQueue.RefusalError(.unknown)) { try queue.completion(of: result, node: "pi1").get() }
    }
}
