import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

@Suite struct OutputTests {
    static let nodes = [
        NodeView(name: "recordingpi", site: "auklab", state: .online, appliedRevision: 4, desiredRevision: 5,
                 lastHeartbeatAgeSeconds: 3.7, agentVersion: "0.1.0", diskUsedPercent: 87.4, registered: true),
        NodeView(name: "emsn-zolder", site: "emsn", state: .offline, appliedRevision: 5, desiredRevision: 5,
                 lastHeartbeatAgeSeconds: 150, agentVersion: "0.1.0", diskUsedPercent: 42.6, registered: true),
        NodeView(name: "emsn-berging", site: "emsn", state: .pending, appliedRevision: 0, desiredRevision: 5,
                 lastHeartbeatAgeSeconds: nil, agentVersion: nil, diskUsedPercent: nil, registered: false),
    ]

    static let stations = [
        StationView(name: "ROST1", node: "recordingpi", site: "auklab", state: .recording, restarts: 2, pid: 4242,
                    currentSegment: "ROST1_20250523T033000.mkv", currentSegmentBytes: 12_345_678,
                    newestSegment: "ROST1_20250523T032000.mkv", newestSegmentAgeSeconds: 42,
                    camera: "192.168.1.75:554/stream1", segmentSeconds: 600),
        StationView(name: "ROST2", node: "recordingpi", site: "auklab", state: .backingOff, restarts: 17,
                    lastError: "connection refused", camera: "192.168.1.76:554/stream1", segmentSeconds: 300),
    ]

    @Test func ages() {
        #expect(Formatting.age(nil) == "-")
        #expect(Formatting.age(3.9) == "3s")
        #expect(Formatting.age(59) == "59s")
        #expect(Formatting.age(150) == "2m")
        #expect(Formatting.age(7200) == "2h")
        #expect(Formatting.age(3 * 86_400 + 5) == "3d")
        #expect(Formatting.duration(4200) == "1h 10m")
        #expect(Formatting.duration(45) == "45s")
        #expect(Formatting.bytes(12_345_678) == "12.3 MB")
        #expect(Formatting.bytes(512) == "512 B")
    }

    @Test func nodesTable() {
        let lines = ResourceTables.nodes(Self.nodes).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].split(separator: " ", omittingEmptySubsequences: true)
            == ["NAME", "SITE", "STATE", "LAST-HEARTBEAT", "REVISION", "DISK", "VERSION"])
        #expect(lines[1].split(separator: " ").map(String.init) == ["recordingpi", "auklab", "online", "3s", "4/5", "87%", "0.1.0"])
        #expect(lines[2].split(separator: " ").map(String.init) == ["emsn-zolder", "emsn", "offline", "2m", "5/5", "43%", "0.1.0"])
        #expect(lines[3].split(separator: " ").map(String.init) == ["emsn-berging", "emsn", "pending", "-", "0/5", "-", "-"])
        // Columns line up: every row's SITE starts where the header's does.
        let siteColumn = lines[0].range(of: "SITE").map { lines[0].distance(from: lines[0].startIndex, to: $0.lowerBound) }
        let auklab = lines[1].range(of: "auklab").map { lines[1].distance(from: lines[1].startIndex, to: $0.lowerBound) }
        #expect(siteColumn != nil && siteColumn == auklab)
    }

    @Test func stationsTable() {
        let text = ResourceTables.stations(Self.stations, coverage24h: ["ROST1": 99.3055])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].split(separator: " ").map(String.init)
                == ["NAME", "NODE", "STATE", "RESTARTS", "SEGMENT", "NEWEST-AGE", "COVERAGE-24H"])
        #expect(lines[1].contains("ROST1_20250523T033000.mkv (12.3 MB)"))
        #expect(lines[1].hasSuffix("42s          99.3%"))
        // Unknown coverage (a station the coordinator did not answer for) is a dash, not 0%.
        #expect(lines[2].split(separator: " ").map(String.init) == ["ROST2", "recordingpi", "backing-off", "17", "-", "-", "-"])
    }

    @Test func nodesJSONHasBindingKeysEvenWhenUnknown() throws {
        let text = try MachineOutput.render(Self.nodes.map(NodeOutput.init), as: .json)
        let array = try #require(try jsonObject(text) as? [[String: Any]])
        #expect(array.count == 3)
        for object in array {
            for key in ["name", "site", "state", "appliedRevision", "desiredRevision", "lastHeartbeatAgeSeconds",
                        "agentVersion", "diskUsedPercent"] {
                #expect(object[key] != nil, "missing \(key)")
            }
        }
        #expect(array[0]["state"] as? String == "online")
        #expect(array[0]["desiredRevision"] as? Int == 5)
        #expect(array[0]["diskUsedPercent"] as? Double == 87.4)
        #expect(array[2]["lastHeartbeatAgeSeconds"] is NSNull)
        #expect(array[2]["agentVersion"] is NSNull)
    }

    @Test func stationsJSONHasBindingKeys() throws {
        let text = try MachineOutput.render(Self.stations.map(StationOutput.init), as: .json)
        let array = try #require(try jsonObject(text) as? [[String: Any]])
        for object in array {
            for key in ["name", "node", "state", "restarts", "currentSegment", "newestSegmentAgeSeconds"] {
                #expect(object[key] != nil, "missing \(key)")
            }
        }
        #expect(array[1]["state"] as? String == "backing-off")
        #expect(array[1]["currentSegment"] is NSNull)
        #expect(array[0]["currentSegment"] as? String == "ROST1_20250523T033000.mkv")
    }

    @Test func yamlOutput() throws {
        let text = try MachineOutput.render(Self.nodes.map(NodeOutput.init), as: .yaml)
        #expect(text.contains("- agentVersion: 0.1.0"))
        #expect(text.contains("lastHeartbeatAgeSeconds: null"))
        #expect(text.contains("state: pending"))
    }

    @Test func applyJSONAndTable() throws {
        let result = ApplyResult(revision: 5, created: ["station/ROST1"], changed: ["node/recordingpi"],
                                 deleted: ["station/OLD"], unchanged: ["site/auklab", "site/emsn"], dryRun: false)
        let object = try #require(try jsonObject(try MachineOutput.render(result, as: .json)) as? [String: Any])
        #expect(object["revision"] as? Int == 5)
        #expect(object["created"] as? [String] == ["station/ROST1"])
        #expect(object["changed"] as? [String] == ["node/recordingpi"])
        #expect(object["deleted"] as? [String] == ["station/OLD"])
        #expect(object["unchanged"] as? [String] == ["site/auklab", "site/emsn"])
        #expect(ApplyReport.apply(result) == """
            station/ROST1 created
            node/recordingpi changed
            station/OLD deleted
            2 unchanged
            revision 5

            """)
        let none = ApplyResult(revision: 5, created: [], changed: [], deleted: [], unchanged: ["site/auklab"], dryRun: false)
        #expect(ApplyReport.apply(none) == "1 unchanged\nno changes (revision 5)\n")
        #expect(ApplyReport.diff(none) == "no changes (revision 5)\n")
        #expect(ApplyReport.diff(result).hasPrefix("+ station/ROST1\n~ node/recordingpi\n- station/OLD\n"))
    }

    @Test func describeStationNeverShowsCredentials() {
        let now = Date(timeIntervalSince1970: 1_747_971_000)
        var station = Self.stations[0]
        station.recentCommands = [CommandView(id: "c1", kind: .restartRecorder, target: "ROST1", node: "recordingpi",
                                              state: .succeeded, issuedAt: now.addingTimeInterval(-120),
                                              expiresAt: now, message: "restarted, segment growing")]
        let text = DescribeView.station(station, now: now)
        #expect(text.contains("Camera:"))
        #expect(text.contains("192.168.1.75:554/stream1"))
        #expect(text.contains("PID:"))
        #expect(text.contains("4242"))
        #expect(text.contains("restarted, segment growing"))
        #expect(!text.contains("@"))
    }

    @Test func describeNodeShowsStorageAndJobs() {
        let now = Date(timeIntervalSince1970: 1_747_971_000)
        var node = Self.nodes[0]
        node.storage = [StorageMetric(path: "/var/lib/stationfleet/recordings", totalBytes: 64_000_000_000,
                                      freeBytes: 8_064_000_000, usedPercent: 87.4)]
        node.jobs = [JobStatus(job: "video-to-nas", kind: .archive, lastSuccessAt: now.addingTimeInterval(-600),
                               lastFailureAt: now.addingTimeInterval(-7200), lastError: "NAS offline",
                               backlogFiles: 3, backlogBytes: 900_000_000, diskFullInHours: 30)]
        node.recentEvents = [AgentEvent(id: "e1", time: now.addingTimeInterval(-60), kind: "recorder.restarted",
                                        station: "ROST2", message: "stalled for 30s")]
        let text = DescribeView.node(node, now: now)
        #expect(text.contains("applied 4, desired 5"))
        #expect(text.contains("/var/lib/stationfleet/recordings   87%    8.1 GB   64.0 GB"))
        #expect(text.contains("video-to-nas"))
        #expect(text.contains("10m ago"))
        #expect(text.contains("3 files, 900 MB"))
        #expect(text.contains("1d 6h"))
        #expect(text.contains("video-to-nas last error: NAS offline"))
        #expect(text.contains("recorder.restarted"))
    }

    @Test func recordingsReport() {
        let from = Date(timeIntervalSince1970: 1_747_971_000)
        let segments = (0..<3).map { index in
            SegmentRecord(station: "ROST1", name: "s\(index)", start: from.addingTimeInterval(Double(index) * 600),
                          durationSeconds: 600, bytes: 1, valid: true)
        }
        let view = RecordingsView(station: "ROST1", from: from, to: from.addingTimeInterval(3600), segmentSeconds: 600,
                                  segments: segments, coveredSeconds: 1800,
                                  gaps: [.init(from: from.addingTimeInterval(1800), to: from.addingTimeInterval(3600), seconds: 1800)])
        let text = RecordingsReport.render(view)
        #expect(text.contains("coverage: 30m of 1h (50.0%), 3 segments"))
        #expect(text.contains("2025-05-23T04:00:00Z → 2025-05-23T04:30:00Z (30m)"))
    }
}
