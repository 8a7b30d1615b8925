import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

@Suite struct ProgressBarTests {
    static let half = ProgressBar(label: "backup sd-image on pi1", fraction: 0.52, done: 260_000_000, total: 500_000_000,
                                  rate: 50_000_000, etaSeconds: 4.8)

    @Test func plainLineCarriesPercentAmountRateAndETA() {
        #expect(Self.half.plain == "backup sd-image on pi1: 52% (260 MB of 500 MB, 50.0 MB/s, ETA 5s)")
    }

    @Test func barFillsItsShareOfCellsWithinTheWidth() {
        let line = Self.half.line(width: 120)
        #expect(line.count <= 120)
        #expect(line.hasPrefix("backup sd-image on pi1 ["))
        #expect(line.hasSuffix("]  52%  260 MB of 500 MB  50.0 MB/s  ETA 5s"))
        let cells = line.split(separator: "[")[1].split(separator: "]")[0]
        #expect(cells.count == 40)  // the widest bar
        #expect(cells.filter { $0 == "█" }.count == 20)  // 52% of 40, rounded down
    }

    @Test func narrowWidthsDropETAThenRateThenAmountThenCutTheLabel() {
        let w60 = Self.half.line(width: 60)
        #expect(w60.count <= 60)
        #expect(!w60.contains("ETA") && w60.contains("52%"))
        let w45 = Self.half.line(width: 45)
        #expect(w45.count <= 45)
        #expect(!w45.contains("MB") && w45.contains("52%"))
        let w30 = Self.half.line(width: 30)
        #expect(w30.count <= 30, "\(w30)")
        #expect(w30.hasSuffix("]  52%") && w30.contains("…"))
        for width in 1...120 { #expect(Self.half.line(width: width).count <= width, "width \(width)") }
    }

    @Test func unknownTotalAndDoneStates() {
        let unknown = ProgressBar(label: "x", fraction: nil, done: 1_500_000, total: nil)
        #expect(unknown.plain == "x: - (1.5 MB)")
        #expect(!unknown.line(width: 40).contains("█"))
        let done = ProgressBar(label: "x", fraction: 1, done: 10, total: 10, rate: 5, etaSeconds: 0)
        #expect(done.percent == "100%")
        #expect(done.etaText == nil)
        #expect(!done.line(width: 40).contains("░"))
        let nodes = ProgressBar(label: "rollout 7", fraction: 0.3, done: 3, total: 10, unit: .items("nodes"))
        #expect(nodes.plain == "rollout 7: 30% (3 of 10 nodes)")
    }

    @Test func fromJobProgressByBytesOrElseByFiles() {
        let start = Date(timeIntervalSince1970: 0)
        let bytes = ProgressBar(label: "backup db", progress: JobProgress(phase: "compress", startedAt: start, filesTotal: 1,
                                                                          bytesDone: 25, bytesTotal: 100))
        #expect(bytes.plain == "backup db (compress): 25% (25 B of 100 B)")
        let files = ProgressBar(label: "archive v", progress: JobProgress(phase: "copy", startedAt: start, filesDone: 3,
                                                                          filesTotal: 4, bytesDone: 30))
        #expect(files.plain == "archive v (copy): 75% (3 of 4 files)")
    }

    @Test func plainDisplayPrintsEveryTenthOrEveryFiveSecondsAndEndsAtHundred() {
        let out = TextOutput.buffer()
        let display = ProgressDisplay(output: out, width: 80)
        let t0 = Date(timeIntervalSince1970: 1000)
        func bar(_ f: Double) -> ProgressBar { ProgressBar(label: "j", fraction: f, done: UInt64(f * 100), total: 100) }
        display.show("n", bar(0.01), now: t0)                       // first: printed
        display.show("n", bar(0.05), now: t0 + 1)                   // same tenth, 1 s: quiet
        display.show("n", bar(0.07), now: t0 + 6)                   // 5 s later: printed
        display.show("n", bar(0.12), now: t0 + 6.5)                 // next tenth: printed
        display.show("n", bar(0.95), now: t0 + 7)                   // printed
        display.finish("n", succeeded: true)                        // 100 %
        display.show("n", bar(0.5), now: t0 + 20)                   // after finish: ignored
        #expect(out.text == """
        j: 1% (1 B of 100 B)
        j: 7% (7 B of 100 B)
        j: 12% (12 B of 100 B)
        j: 95% (95 B of 100 B)
        j: 100% (100 B of 100 B)

        """)
        #expect(!out.text.contains("\r"))
    }

    @Test func terminalDisplayRedrawsOneLineInPlace() {
        let out = TextOutput.buffer(terminal: true)
        let display = ProgressDisplay(output: out, width: 60)
        let t0 = Date(timeIntervalSince1970: 1000)
        display.show("n", ProgressBar(label: "j", fraction: 0.5, done: 50, total: 100), now: t0)
        display.show("n", ProgressBar(label: "j", fraction: 0.6, done: 60, total: 100), now: t0 + 0.1)
        display.finish("n", succeeded: true)
        let draws = out.text.split(separator: "\r", omittingEmptySubsequences: true)
        #expect(draws.count == 3)
        #expect(draws.last?.contains("100%") == true)
        #expect(out.text.hasSuffix("\n") && out.text.filter { $0 == "\n" }.count == 1)
        #expect(draws.allSatisfy { $0.count <= 60 + 4 })  // the line plus the erase-to-end escape
    }

    @Test func failedRunEndsTheLineWithoutClaimingHundred() {
        let out = TextOutput.buffer(terminal: true)
        let display = ProgressDisplay(output: out, width: 60)
        display.show("n", ProgressBar(label: "j", fraction: 0.5, done: 50, total: 100), now: Date())
        display.finish("n", succeeded: false)
        #expect(!out.text.contains("100%"))
        #expect(out.text.hasSuffix("\n"))
    }

    @Test func describeNodeShowsRunningJobsWithTheirProgress() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let progress = JobProgress(phase: "compress", startedAt: now - 125, filesTotal: 1, bytesDone: 260_000_000,
                                   bytesTotal: 500_000_000, bytesPerSecond: 50_000_000, etaSeconds: 4.8)
        let node = NodeView(name: "pi1", site: "s", state: .online, appliedRevision: 1, desiredRevision: 1,
                            lastHeartbeatAgeSeconds: 1, agentVersion: "0.1.0", diskUsedPercent: 10, registered: true,
                            jobs: [JobStatus(job: "sd-image", kind: .backup, progress: progress),
                                   JobStatus(job: "db", kind: .backup, nextRunAt: now + 600)])
        let text = DescribeView.node(node, now: now)
        #expect(text.contains("Running:\n  backup sd-image (compress) ["), "\(text)")
        #expect(text.contains("52%  260 MB of 500 MB  50.0 MB/s  ETA 5s  started 2m ago"), "\(text)")
        #expect(text.contains("running"))
        #expect(!text.contains("backup db ("))  // an idle job has no bar
        let idle = NodeView(name: "pi1", site: "s", state: .online, appliedRevision: 1, desiredRevision: 1,
                            lastHeartbeatAgeSeconds: 1, agentVersion: "0.1.0", diskUsedPercent: 10, registered: true,
                            jobs: [JobStatus(job: "db", kind: .backup)])
        #expect(!DescribeView.node(idle, now: now).contains("Running:"))
    }
}

@Suite struct RolloutProgressBarTests {
    @Test func healthyNodesOfAllTakingPart() throws {
        func node(_ name: String, _ state: String) -> RolloutNodeView {
            RolloutNodeView(name: name, site: "s", batch: 0, canary: false, state: state, reason: "r", detail: nil, servedRevision: 7)
        }
        let rollout = RolloutStatusView(state: "running", revision: 7, reason: nil, detail: nil, status: "batch 1/2", currentBatch: 1,
                                        batchCount: 2, hasCanary: false, autoPromote: true, autoRevert: true,
                                        startedAt: Date(), finishedAt: nil,
                                        nodes: [node("a", "healthy"), node("b", "updating"), node("c", "healthy"), node("d", "pending")])
        let bar = try #require(RolloutStatusCommand.progressBar(rollout))
        #expect(bar.plain == "revision 7: 50% (2 of 4 nodes)")
        #expect(bar.line(width: 60).hasPrefix("revision 7 [") && bar.line(width: 60).hasSuffix("]  50%  2 of 4 nodes"))
        var none = rollout
        none.nodes = []
        #expect(RolloutStatusCommand.progressBar(none) == nil)
    }
}
