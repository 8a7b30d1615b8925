import FleetProtocol
import Foundation
import Testing

/// `StatusReport.failedUnits` within `ReportLimits`: the coordinator's check refuses a report
/// beyond them, the agent's shaping makes it fit.
@Suite struct FailedUnitsLimitTests {
    func report(_ units: [String]?) -> StatusReport {
        StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0, failedUnits: units)
    }

    @Test func withinTheLimitsOrAbsentIsAccepted() {
        #expect(report(nil).limitViolation() == nil)
        #expect(report([]).limitViolation() == nil)
        let full = (0..<ReportLimits.maxFailedUnits).map { "unit\($0).service" }
        #expect(report(full).limitViolation() == nil)
        #expect(report([String(repeating: "u", count: ReportLimits.maxUnitNameLength)]).limitViolation() == nil)
    }

    @Test func tooManyFailedUnitsAreRefused() {
        let units = (0...ReportLimits.maxFailedUnits).map { "unit\($0).service" }
        #expect(report(units).limitViolation() == "failedUnits: 65 items, at most 64 per report")
    }

    @Test func anOverlongUnitNameIsRefused() {
        let long = String(repeating: "u", count: ReportLimits.maxUnitNameLength + 1)
        #expect(report(["ok.service", long]).limitViolation() == "failedUnits[1]: 257 bytes, at most 256")
    }

    @Test func fittedToLimitsTrimsToTheLimit() {
        let long = String(repeating: "u", count: ReportLimits.maxUnitNameLength + 1)
        let units = [long] + (0..<100).map { "unit\($0).service" }
        let fitted = report(units).fittedToLimits()
        #expect(fitted.failedUnits?.count == ReportLimits.maxFailedUnits)
        #expect(fitted.failedUnits?.first == "unit0.service")
        #expect(fitted.limitViolation() == nil)
        #expect(report(nil).fittedToLimits().failedUnits == nil)
    }

    @Test func failedUnitsRoundTripAndStayOptional() throws {
        let decoded = try WireCoding.decode(StatusReport.self, from: try WireCoding.encode(report(["a.service"])))
        #expect(decoded.failedUnits == ["a.service"])
        let old = try WireCoding.decode(StatusReport.self, from: Data(#"{"agentVersion":"t","uptimeSeconds":1,"appliedRevision":0}"#.utf8))
        #expect(old.failedUnits == nil)
    }
}
