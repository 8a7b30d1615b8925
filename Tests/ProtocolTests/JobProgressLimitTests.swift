import FleetProtocol
import Foundation
import Testing

/// `JobStatus.progress` on the wire: optional (old agents and coordinators understand each
/// other), bounded by `ReportLimits` on the coordinator, fitted by the agent.
@Suite struct JobProgressLimitTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    func report(_ progress: JobProgress?) -> StatusReport {
        StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0,
                     jobs: [JobStatus(job: "sd-image", kind: .backup, progress: progress)])
    }

    @Test func roundTripsAndIsOptionalBothWays() throws {
        let progress = JobProgress(phase: "compress", startedAt: Self.start, filesTotal: 1, bytesDone: 5, bytesTotal: 10,
                                   bytesPerSecond: 2.5, etaSeconds: 2)
        let sent = report(progress)
        #expect(try WireCoding.decode(StatusReport.self, from: WireCoding.encode(sent)) == sent)
        // An old agent's job status has no progress key: decoded as not running.
        let old = #"{"agentVersion":"0.1","jobs":[{"job":"db","kind":"backup","backlogFiles":0,"backlogBytes":0}]}"#
        #expect(try WireCoding.decode(StatusReport.self, from: Data(old.utf8)).jobs.first?.progress == nil)
        // And a status without progress sends no key an old coordinator would have to ignore.
        let idle = String(decoding: try WireCoding.encode(report(nil)), as: UTF8.self)
        #expect(!idle.contains("progress"))
    }

    @Test func fractionByBytesElseFiles() {
        #expect(JobProgress(phase: "p", startedAt: Self.start, bytesDone: 1, bytesTotal: 4).fraction == 0.25)
        #expect(JobProgress(phase: "p", startedAt: Self.start, filesDone: 1, filesTotal: 2).fraction == 0.5)
        #expect(JobProgress(phase: "p", startedAt: Self.start, bytesDone: 9).fraction == nil)
        #expect(JobProgress(phase: "p", startedAt: Self.start, bytesDone: 0, bytesTotal: 0).fraction == 1)
    }

    @Test func outOfRangeProgressIsRefusedAndFitted() {
        let huge = JobProgress(phase: "compress", startedAt: Self.start, bytesDone: UInt64(1) << 51)
        #expect(report(huge).limitViolation()?.hasPrefix("jobs[0].progress.bytesDone:") == true)
        #expect(report(huge).fittedToLimits().jobs[0].progress == nil)

        let badRate = JobProgress(phase: "compress", startedAt: Self.start, bytesDone: 1, bytesPerSecond: .infinity,
                                  etaSeconds: -1)
        #expect(report(badRate).limitViolation()?.hasPrefix("jobs[0].progress.bytesPerSecond:") == true)
        let fitted = report(badRate).fittedToLimits()
        #expect(fitted.limitViolation() == nil)
        #expect(fitted.jobs[0].progress?.bytesPerSecond == nil && fitted.jobs[0].progress?.etaSeconds == nil)
        #expect(fitted.jobs[0].progress?.bytesDone == 1)

        let longPhase = JobProgress(phase: String(repeating: "p", count: ReportLimits.maxNameLength + 1), startedAt: Self.start)
        #expect(report(longPhase).limitViolation() == "jobs[0].progress.phase: 513 bytes, at most 512")
        #expect(report(JobProgress(phase: "copy", startedAt: Self.start, filesDone: 3, filesTotal: 9)).limitViolation() == nil)
    }
}
