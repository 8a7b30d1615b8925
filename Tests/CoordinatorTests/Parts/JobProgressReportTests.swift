@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

/// A job's progress goes from the heartbeat to the node's view, bounded like every report field.
@Suite struct JobProgressReportTests {
    static let inventory = """
        sites:
          s1: {}
        nodes:
          pi1: {site: s1}
        backups:
          sd-image:
            nodes: [pi1]
            image: /dev/mmcblk0
            target: /mnt/nas/sd/{node}
            schedule: "sun 03:00"
        """

    @Test func progressReachesTheNodeViewAndOutOfBoundsProgressIsRefused() async throws {
        let (fleet, dir) = try await StatusPipelineTests().makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await fleet.apply(files: [ApplyRequest.File(path: "f.yaml", content: Self.inventory)], dryRun: false)
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        let progress = JobProgress(phase: "compress", startedAt: Date(timeIntervalSince1970: 1_800_000_000), filesTotal: 1,
                                   bytesDone: 100, bytesTotal: 400, bytesPerSecond: 50, etaSeconds: 6)
        func report(_ p: JobProgress?) -> StatusReport {
            StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 1,
                         jobs: [JobStatus(job: "sd-image", kind: .backup, progress: p)])
        }
        _ = try await fleet.heartbeat(node: "pi1", report: report(progress))
        #expect(try await fleet.nodeDetail("pi1").jobs?.first?.progress == progress)

        var wild = progress
        wild.etaSeconds = 1e300
        await #expect(throws: FleetError.badRequest("report refused: jobs[0].progress.etaSeconds: 1e+300 is outside 0…1000000000")) {
            try await fleet.heartbeat(node: "pi1", report: report(wild))
        }
        // The agent's shaping drops the ETA; the rest is kept.
        _ = try await fleet.heartbeat(node: "pi1", report: report(wild).fittedToLimits())
        let kept = try await fleet.nodeDetail("pi1").jobs?.first?.progress
        #expect(kept?.bytesDone == 100 && kept?.etaSeconds == nil)

        // The run ended: a status without progress clears it.
        _ = try await fleet.heartbeat(node: "pi1", report: report(nil))
        #expect(try await fleet.nodeDetail("pi1").jobs?.first?.progress == nil)
    }
}
