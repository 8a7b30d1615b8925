@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

/// Remote logs with two coordinators on one store: the lines live in the memory of the instance
/// that took the upload; the command still completes through the store, and the instance the
/// operator asked says at once that the lines went elsewhere instead of waiting.
@Suite("Remote logs across coordinators sharing a store", .timeLimit(.minutes(1)))
struct SharedRemoteOutputTests {
    @Test func linesUploadedToTheOtherInstanceAreReportedNotAwaited() async throws {
        let pair = try await LeaderAndFollower.make()
        defer { pair.remove() }
        let (asked, uploaded) = (pair.leader, pair.follower)
        for (fleet, lease) in [(asked, pair.leaderLease), (uploaded, pair.followerLease)] {
            await fleet.shareLiveness(writer: lease.instanceID)
        }
        _ = try await uploaded.register(RegistrationRequest(name: "pi1", agentVersion: "1"))
        _ = try await uploaded.heartbeat(node: "pi1", report: StatusReport(agentVersion: "1", uptimeSeconds: 1, appliedRevision: 0))
        await uploaded.flushSnapshots()
        await asked.pullSnapshots()
        #expect(await asked.state(of: "pi1") == .online)

        let command = try await asked.requestNodeLogs(node: "pi1", LogRequest(tail: 5))
        try await uploaded.reloadCommands(only: "pi1")  // what the node's watch on that instance does
        let ack = try await uploaded.uploadLogs(node: "pi1", command: command.id, LogUpload(lines: ["a", "b"], final: true))
        #expect(!ack.follow)
        let result = CommandResult(commandId: command.id, ok: true, message: "2 log lines", completedAt: Date())
        _ = try await uploaded.heartbeat(node: "pi1", report: StatusReport(agentVersion: "1", uptimeSeconds: 2, appliedRevision: 0,
                                                                         commandResults: [result]))
        // The instance that took the upload serves the lines …
        let here = try await uploaded.logOutput(command: command.id, cursor: 0, waitSeconds: 0)
        #expect(here.lines == ["a", "b"] && here.done)
        // … the other one, once it learnt the command ended, says where they went.
        try await asked.reloadCommands(only: "pi1")
        #expect(try await asked.command(id: command.id).state == .succeeded)
        let elsewhere = try await asked.logOutput(command: command.id, cursor: 0, waitSeconds: 5)
        #expect(elsewhere.done && elsewhere.lines.isEmpty)
        #expect(elsewhere.error?.contains("another coordinator instance") == true)

        // Another node's upload for this command is refused; so is one after it ended.
        await #expect(throws: FleetError.self) {
            try await uploaded.uploadLogs(node: "pi2", command: command.id, LogUpload(lines: ["x"], final: true))
        }
        await #expect(throws: FleetError.self) {
            try await uploaded.uploadLogs(node: "pi1", command: command.id, LogUpload(lines: ["late"], final: true))
        }
    }
}
