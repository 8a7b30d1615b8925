@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// Registration cannot be abused: names follow the inventory's rule and are unique ignoring
/// case, the rate is bounded, a coordinator may accept inventory nodes only, and a stray
/// node can be deleted. Real SQLite store.
@Suite struct RegistrationTests {
    func makeFleet(_ policy: RegistrationPolicy = .open) async throws -> (Fleet, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                          metrics: CoordinatorMetrics(), registration: policy)
        try await fleet.load()
        return (fleet, dir)
    }

    @Test func namesTheInventoryRejectsCannotRegister() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for bad in ["pa.", "_", "-x", "", String(repeating: "a", count: 64), "a/b", "ä"] {
            await #expect(throws: FleetError.self, "\(bad)") { try await fleet.register(RegistrationRequest(name: bad, agentVersion: "t")) }
            #expect(ValueSyntax.isValidName(bad) == false, "the inventory rejects \(bad) too")
        }
        _ = try await fleet.register(RegistrationRequest(name: "pa", agentVersion: "t"))
        await #expect(throws: FleetError.conflict("node name PA clashes with registered node pa: names are unique ignoring case")) {
            try await fleet.register(RegistrationRequest(name: "PA", agentVersion: "t"))
        }
    }

    @Test func registrationsAreRateLimited() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var accepted = 0
        var refusal: FleetError?
        for index in 0..<200 {
            do {
                _ = try await fleet.register(RegistrationRequest(name: "n\(index)", agentVersion: "t"))
                accepted += 1
            } catch let error as FleetError {
                refusal = error
                break
            }
        }
        #expect(accepted == 20)
        guard case .tooManyRequests(_, let seconds) = refusal else {
            Issue.record("expected 429, got \(String(describing: refusal))")
            return
        }
        #expect(seconds >= 1)
    }

    @Test func anInventoryOnlyCoordinatorRefusesUnknownNames() async throws {
        let (fleet, dir) = try await makeFleet(.inventory)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.apply(files: [ApplyRequest.File(path: "f.yaml", content: "sites:\n  s: {}\nnodes:\n  pi1: {site: s}\n")],
                                  dryRun: false)
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        await #expect(throws: FleetError.self) { try await fleet.register(RegistrationRequest(name: "intruder", agentVersion: "t")) }
        #expect(await fleet.nodeViews().map(\.name) == ["pi1"])
    }

    @Test func aStrayNodeCanBeDeletedButAnInventoryNodeCannot() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.apply(files: [ApplyRequest.File(path: "f.yaml", content: "sites:\n  s: {}\nnodes:\n  pi1: {site: s}\n")],
                                  dryRun: false)
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        _ = try await fleet.register(RegistrationRequest(name: "stray", agentVersion: "t"))
        try await fleet.resetNode("stray")
        #expect(await fleet.nodeViews().map(\.name) == ["pi1", "stray"])  // reset alone leaves it listed
        try await fleet.deleteNode("stray")
        #expect(await fleet.nodeViews().map(\.name) == ["pi1"])
        await #expect(throws: FleetError.self) { try await fleet.deleteNode("pi1") }
        await #expect(throws: FleetError.notFound(kind: "node", name: "stray")) { try await fleet.deleteNode("stray") }
        // The name is free again, and survives a restart deleted.
        let reloaded = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                             metrics: CoordinatorMetrics())
        try await reloaded.load()
        #expect(await reloaded.nodeViews().map(\.name) == ["pi1"])
    }
}
