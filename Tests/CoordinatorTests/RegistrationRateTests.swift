@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// Registrations are rate-limited per coordinator: a burst of 20, then 0.5 per second by
/// default; `--registration-rate` raises both for onboarding many stations at once.
@Suite struct RegistrationRateTests {
    func makeFleet() async throws -> (Fleet, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("regrate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "t"),
                          metrics: CoordinatorMetrics(), secretFiles: .skip)
        try await fleet.load()
        return (fleet, dir)
    }

    func registered(_ fleet: Fleet, count: Int) async -> (accepted: Int, limited: Int) {
        var accepted = 0, limited = 0
        for index in 0..<count {
            do {
                _ = try await fleet.register(RegistrationRequest(name: "pi\(index)", agentVersion: "t"))
                accepted += 1
            } catch FleetError.tooManyRequests {
                limited += 1
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        return (accepted, limited)
    }

    @Test func theDefaultAllowsABurstOfTwenty() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = await registered(fleet, count: 30)
        #expect(outcome.accepted >= 20 && outcome.accepted <= 21, "the burst, plus at most one refilled")
        #expect(outcome.limited == 30 - outcome.accepted)
    }

    @Test func aHigherRateOnboardsAFleetAtOnce() async throws {
        let (fleet, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await fleet.setRegistrationRate(50)   // a burst of 500
        let outcome = await registered(fleet, count: 300)
        #expect(outcome == (300, 0))
    }
}
