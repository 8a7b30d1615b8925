@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// The fleet actor against a real SQLite store.
@Suite struct FleetTests {
    func makeFleet() async throws -> (Fleet, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                          metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1)
        try await fleet.load()
        return (fleet, dir)
    }

    @Test func watchParksUntilACommandArrives() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        // Nothing new: the watch parks.
        let watch = Task { await fleet.watch(node: "pi1", knownRevision: 0, timeout: .seconds(30)) }
        #expect(await waitFor { await fleet.watchCount == 1 })
        // A queued command releases it at once.
        let command = try await fleet.enqueue(kind: .runArchive, target: "video", node: "pi1")
        let answer = await watch.value
        #expect(answer.commands.map(\.id) == [command.id])
        #expect(try await fleet.command(id: command.id).state == .delivered)
        // The result completes it, and a repeated result is ignored.
        let result = CommandResult(commandId: command.id, ok: true, message: "done", completedAt: Date())
        let report = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0, commandResults: [result])
        _ = try await fleet.heartbeat(node: "pi1", report: report)
        _ = try await fleet.heartbeat(node: "pi1", report: report)
        let done = try await fleet.command(id: command.id)
        #expect(done.state == .succeeded)
        #expect(done.message == "done")
    }

    @Test func watchTimesOutAndIsReleasedOnCancel() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let watch = Task { await fleet.watch(node: "pi1", knownRevision: 0, timeout: .seconds(1)) }
        #expect(await waitFor { await fleet.watchCount == 1 })
        await fleet.tick(now: Date().addingTimeInterval(2))
        let answer = await watch.value
        #expect(answer.assignment == nil && answer.commands.isEmpty)

        let cancelled = Task { await fleet.watch(node: "pi1", knownRevision: 0, timeout: .seconds(30)) }
        #expect(await waitFor { await fleet.watchCount == 1 })
        cancelled.cancel()
        _ = await cancelled.value
        #expect(await waitFor { await fleet.watchCount == 0 })
    }

    @Test func silentNodeGoesOfflineAndComesBack() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        #expect(await fleet.state(of: "pi1") == .online)
        await fleet.tick(now: Date().addingTimeInterval(2.5))  // < 3 × 1 s
        #expect(await fleet.state(of: "pi1") == .online)
        await fleet.tick(now: Date().addingTimeInterval(3.5))
        #expect(await fleet.state(of: "pi1") == .offline)
        _ = try await fleet.heartbeat(node: "pi1", report: StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0))
        #expect(await fleet.state(of: "pi1") == .online)
        #expect(await fleet.state(of: "never") == .pending)
    }

    @Test func undeliveredCommandsExpire() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let command = try await fleet.enqueue(kind: .runBackup, target: "db", node: "offline-pi")
        await fleet.tick(now: Date().addingTimeInterval(Fleet.commandTTL + 1))
        let expired = try await fleet.command(id: command.id)
        #expect(expired.state == .expired)
        #expect(expired.message?.contains("offline-pi") == true)
    }

    @Test func restartOfUnknownStationIsNotFound() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect(throws: FleetError.notFound(kind: "station", name: "ROST9")) {
            try await fleet.restartRecorder(station: "ROST9")
        }
    }
}

func waitFor(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
