import AsyncHTTPClient
import FleetAgent
import FleetProtocol
import Foundation
import Logging
import Testing

/// "A week cut off, nothing dropped", compressed in time, with real processes: coordinator,
/// agent, camera simulator and ffmpeg recording 1-second segments.
///
/// 1. The agent records and reports; its RSS is sampled (baseline).
/// 2. The coordinator stops: real 1-s segments queue in the agent's on-disk journal.
/// 3. The agent is stopped and 20,000 synthetic segment records are added to its journal
///    through the journal's own API (`ReportJournal`, the same format the agent writes) — a
///    week of 1-s segments would take a week; 20,000 queued reports take 40 batches either way.
/// 4. The agent starts again with the backlog (coordinator still down), then the coordinator
///    comes back on the same port and data dir; mid-upload the agent is SIGKILLed and started
///    again.
/// 5. The catalog then holds every segment exactly once — seeded and real — and the agent's
///    RSS while the backlog was queued and draining stayed within a few MiB of the baseline.
@Suite(.serialized) struct OutageBacklogTests {
    static let seeded = 20_000
    /// RSS growth allowed over the baseline: the journal keeps one batch (≤ 500 entries,
    /// ~150 KB of JSON) in memory, and a 500-segment report is ~100 KB; the outbox before the
    /// journal held every queued record in memory and rewrote it whole on each flush (20,000
    /// segments: ~10 MB of pretty JSON per flush plus the decoded records).
    static let rssGrowthBoundKiB = 8 * 1024

    @Test func aWeekCutOffNothingDroppedNothingDuplicated() async throws {
        try await withFleet("outage") { fleet in
            let camera = try await CameraSimulator(dir: fleet.dir, mounts: ["/ROST1"], passwordFile: fleet.dir + "/camera-password")
            do {
                try await run(fleet, cameraPort: camera.port)
            } catch {
                await camera.stop()
                throw error
            }
            await camera.stop()
        }
    }

    private func run(_ fleet: TestFleet, cameraPort: Int) async throws {
        let state = fleet.dir + "/agents/outagepi", recordings = fleet.dir + "/recordings/ROST1"
        try await fleet.startCoordinator()
        try await fleet.startAgent("outagepi")
        let inventory = try fleet.renderInventory("outage.yaml", replacing: ["${CAMERA_PORT}": String(cameraPort)])
        let apply = try await fleet.fleetctl(["apply", "-f", inventory])
        try #require(apply.status == 0, "\(apply.stderr)")
        let reporting = try await waitUntil(timeout: .seconds(40), poll: .milliseconds(500)) { try await catalog(fleet).count >= 4 }
        try #require(reporting, "\(fleet.logs)")
        let baseline = await peakRSS(of: fleet, over: .seconds(3))

        // 2. Outage: real segments keep closing and queue on disk.
        await fleet.coordinator?.stop()
        let atOutage = segmentCount(recordings)
        let recorded = await waitUntil(timeout: .seconds(40), poll: .milliseconds(200)) { segmentCount(recordings) >= atOutage + 10 }
        try #require(recorded, "\(fleet.logs)")

        // 3. Seed the journal while the agent is stopped (one writer at a time).
        await fleet.stopAgent("outagepi")
        let real = Array(segmentNames(recordings).dropLast())  // all closed and reported to the journal at the stop
        let seededNames = try seed(journal: state + "/outbox")
        let queuedBytes = directoryBytes(state + "/outbox")

        // 4. The agent starts with the backlog; the coordinator is still down.
        try await fleet.startAgent("outagepi")
        let port = try await statusPort(fleet)
        var peak = baseline
        let queued = await waitUntil(timeout: .seconds(20), poll: .milliseconds(200)) {
            peak = max(peak, rss(fleet))
            return await metric(port, "stationfleet_agent_outbox_items") >= Double(Self.seeded)
        }
        #expect(queued, "\(fleet.logs)")
        peak = max(peak, await peakRSS(of: fleet, over: .seconds(3)))
        let queuedPeak = peak

        // The coordinator returns; mid-upload the agent dies (SIGKILL) and starts again.
        let reconnected = ContinuousClock.now
        try await fleet.restartCoordinator()
        let midway = await waitUntil(timeout: .seconds(90), poll: .milliseconds(100)) {
            peak = max(peak, rss(fleet))
            return await metric(port, "stationfleet_agent_outbox_items") < Double(Self.seeded) * 0.6
        }
        try #require(midway, "\(fleet.logs)")
        let atKill = await metric(port, "stationfleet_agent_outbox_items")
        await fleet.stopAgent("outagepi", signal: SIGKILL)
        #expect(atKill > 1_000, "the agent died with a backlog left (\(atKill) queued)")
        try await fleet.startAgent("outagepi")
        _ = try await statusPort(fleet)

        let expected = Set(seededNames).union(real)
        var names: [String] = []
        let complete = try await waitUntil(timeout: .seconds(120), poll: .seconds(2)) {
            peak = max(peak, rss(fleet))
            names = try await catalog(fleet).map(\.name)
            return expected.isSubset(of: Set(names))
        }
        let drained = ContinuousClock.now - reconnected
        let missing = expected.subtracting(names)
        #expect(complete, "missing \(missing.count) segments, e.g. \(missing.sorted().prefix(5))\n\(fleet.logs.suffix(6000))")
        #expect(names.count == Set(names).count, "every segment exactly once in the catalog")
        #expect(Set(names).intersection(seededNames).count == Self.seeded)
        #expect(real.count >= 10 && Set(real).isSubset(of: Set(names)))
        let growth = peak - baseline
        #expect(growth < Self.rssGrowthBoundKiB, "agent RSS grew \(growth) KiB (baseline \(baseline) KiB, peak \(peak) KiB)")
        print("outage-backlog: queued \(Self.seeded + real.count) reports (\(Self.seeded) seeded, \(real.count) real 1-s segments), "
              + "\(queuedBytes) bytes on disk; SIGKILL with \(Int(atKill)) queued; drained in \(drained.seconds) s including a SIGKILL and restart; "
              + "agent RSS baseline \(baseline) KiB, peak while queued \(queuedPeak) KiB, peak while draining \(peak) KiB")
    }

    /// Appends `seeded` segment records of ROST1, one per second from 2025-06-01 00:00 local time.
    private func seed(journal directory: String) throws -> [String] {
        var logger = Logger(label: "seed")
        logger.logLevel = .critical
        let journal = ReportJournal(directory: directory, logger: logger)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let base = try #require(calendar.date(from: DateComponents(year: 2025, month: 6, day: 1)))
        var names: [String] = []
        for start in stride(from: 0, to: Self.seeded, by: 1_000) {
            let records = (start..<start + 1_000).map { i -> SegmentRecord in
                let at = base.addingTimeInterval(Double(i))
                return SegmentRecord(station: "ROST1", name: "ROST1_\(formatter.string(from: at)).mkv", start: at,
                                     durationSeconds: 1, bytes: 180_000, valid: true)
            }
            names += records.map(\.name)
            journal.enqueue(records.map(QueuedReport.segment))
            try journal.flush()
        }
        return names
    }

    private func catalog(_ fleet: TestFleet) async throws -> [SegmentRecord] {
        try await fleet.get(RecordingsView.self, APIPath.recordings("ROST1")).segments
    }

    private func statusPort(_ fleet: TestFleet) async throws -> Int {
        let agent = try #require(fleet.agents["outagepi"])
        _ = try await agent.waitForLine(containing: "status on http://")
        return try #require(statusPorts(agent.stdout).last)
    }

    private func rss(_ fleet: TestFleet) -> Int {
        guard let pid = fleet.agents["outagepi"]?.pid else { return 0 }
        return rssKiB(pid) ?? 0
    }

    /// The largest RSS seen in `duration` of sampling every 100 ms.
    private func peakRSS(of fleet: TestFleet, over duration: Duration) async -> Int {
        var peak = 0
        let until = ContinuousClock.now + duration
        await waitUntil(timeout: duration + .seconds(1), poll: .milliseconds(100)) {
            peak = max(peak, rss(fleet))
            return ContinuousClock.now >= until
        }
        return peak
    }
}

/// VmRSS of a process in KiB.
func rssKiB(_ pid: Int32) -> Int? {
    text("/proc/\(pid)/status").split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        .flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }.flatMap { Int($0) }
}

/// One metric's value from an agent's /metrics (-1 when unreadable).
func metric(_ port: Int, _ name: String) async -> Double {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
    request.method = .GET
    guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)),
          let body = try? await response.body.collect(upTo: 1 << 20) else { return -1 }
    let line = String(buffer: body).split(separator: "\n").first { $0.hasPrefix(name + " ") }
    return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? -1
}

/// Bytes of the files directly in `dir`.
func directoryBytes(_ dir: String) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).reduce(0) { total, name in
        total + (((try? FileManager.default.attributesOfItem(atPath: dir + "/" + name))?[.size] as? Int) ?? 0)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
