@testable import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// The station rules find each assigned station's status in the node's report, by a linear
/// search for a few stations and through an index above 16.
@Suite struct AlertRulesStationTests {
    func facts(stations count: Int, staleEvery: Int, now: Date) throws -> FleetFacts {
        var yaml = """
            sites: {s: {}}
            defaults: {recorder: {passwordFile: /etc/pw, outputDir: /srv/rec}}
            nodes: {pi: {site: s}}
            stations:

            """
        for index in 0..<count { yaml += "  C\(index): {node: pi, camera: {host: 10.0.0.\(index + 1)}}\n" }
        let desired = try Inventory.load(files: [.init(path: "t.yaml", content: yaml)]).compile()
        var facts = FleetFacts()
        facts.setDesired(desired, now: now)
        // The report lists the stations in reverse order, plus one that is not assigned.
        let statuses = (0..<count).reversed().map { index in
            StationStatus(station: "C\(index)", state: .recording, pid: 1, restarts: 0, currentSegment: nil,
                          currentSegmentBytes: nil, newestSegment: nil,
                          newestSegmentAt: index % staleEvery == 0 ? now.addingTimeInterval(-3_600) : now)
        } + [StationStatus(station: "OTHER", state: .stalled, pid: nil, restarts: 9, currentSegment: nil,
                           currentSegmentBytes: nil, newestSegment: nil, newestSegmentAt: nil)]
        let report = StatusReport(agentVersion: "1", uptimeSeconds: 1, appliedRevision: 1, storage: [], stations: statuses)
        facts.apply(.nodeReported(node: "pi", report: report, at: now))
        return facts
    }

    @Test(arguments: [4, 40])
    func staleStationsFireWithTheirOwnLabels(count: Int) throws {
        let now = Date()
        let facts = try facts(stations: count, staleEvery: 3, now: now)
        let alerts = AlertRules(thresholds: AlertThresholds()).evaluate(facts, now: now).alerts
        let stale = alerts.filter { $0.name == "SegmentStale" }.compactMap { $0.labels["station"] }.sorted()
        #expect(stale == stride(from: 0, to: count, by: 3).map { "C\($0)" }.sorted())
        #expect(!alerts.contains { $0.labels["station"] == "OTHER" })
        #expect(alerts.filter { $0.name == "SegmentStale" }.allSatisfy { $0.summary.contains($0.labels["station"] ?? "?") })
    }

    /// A Pi whose wall clock is a day off (before NTP) sends ages measured on its monotonic
    /// clock: staleness follows them, not its wall times.
    @Test func staleAgeComesFromTheAgentsMonotonicClockNotItsWallClock() throws {
        let now = Date()
        let desired = try Inventory.load(files: [.init(path: "t.yaml", content: """
            sites: {s: {}}
            defaults: {recorder: {passwordFile: /etc/pw, outputDir: /srv/rec}}
            nodes: {pi: {site: s}}
            stations:
              BEHIND: {node: pi, camera: {host: 10.0.0.1}}
              AHEAD: {node: pi, camera: {host: 10.0.0.2}}
              QUIET: {node: pi, camera: {host: 10.0.0.3}}
            """)]).compile()
        var facts = FleetFacts()
        facts.setDesired(desired, now: now)
        let statuses = [
            // Wall clock a day behind, but a segment closed 5 s ago: fresh.
            StationStatus(station: "BEHIND", state: .recording, newestSegmentAt: now.addingTimeInterval(-86_400),
                          newestSegmentAgeSeconds: 5),
            // Wall clock a day ahead, and nothing closed for an hour: stale.
            StationStatus(station: "AHEAD", state: .recording, newestSegmentAt: now.addingTimeInterval(86_400),
                          newestSegmentAgeSeconds: 3_600),
            // An older agent without the age: its wall time is used as before.
            StationStatus(station: "QUIET", state: .recording, newestSegmentAt: now.addingTimeInterval(-3_600)),
        ]
        facts.apply(.nodeReported(node: "pi", report: StatusReport(agentVersion: "1", uptimeSeconds: 1, appliedRevision: 1,
                                                                    stations: statuses), at: now))
        let alerts = AlertRules(thresholds: AlertThresholds()).evaluate(facts, now: now.addingTimeInterval(10)).alerts
        let stale = alerts.filter { $0.name == "SegmentStale" }.compactMap { $0.labels["station"] }.sorted()
        #expect(stale == ["AHEAD", "QUIET"])
        #expect(statuses[0].newestSegmentTime(heardAt: now) == now.addingTimeInterval(-5))
        #expect(statuses[2].newestSegmentTime(heardAt: now) == now.addingTimeInterval(-3_600))
    }

    @Test func fingerprintIsStableHex() {
        let fingerprint = Alert.fingerprint(of: ["alertname": "SegmentStale", "station": "ROST2"])
        #expect(fingerprint.count == 16)
        #expect(fingerprint.allSatisfy { "0123456789abcdef".contains($0) })
        // Pinned: the same labels must keep their identity across versions (stored alerts, silences).
        #expect(fingerprint == "d37ee57f606dbadc")
    }
}
