@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

/// The coordinator's report check (the one that answers 400) covers `failedUnits`.
@Suite struct FailedUnitsReportTests {
    @Test func aReportWithTooManyFailedUnitsIsRefusedWhole() async throws {
        let (fleet, dir) = try await StatusPipelineTests().makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let units = (0...ReportLimits.maxFailedUnits).map { "unit\($0).service" }
        let report = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0, failedUnits: units)
        await #expect(throws: FleetError.badRequest("report refused: failedUnits: 65 items, at most 64 per report")) {
            try await fleet.heartbeat(node: "pi1", report: report)
        }
        _ = try await fleet.heartbeat(node: "pi1", report: report.fittedToLimits())
    }
}
