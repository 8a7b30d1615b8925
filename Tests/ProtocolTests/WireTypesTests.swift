import FleetProtocol
import Foundation
import Testing

/// Every wire type survives a JSON round trip, and a newer peer's extra fields are ignored.
@Suite struct WireTypesTests {
    static let now = Date(timeIntervalSince1970: 1_748_439_000.25)

    func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        try WireCoding.decode(T.self, from: try WireCoding.encode(value))
    }

    @Test func everyTypeRoundTrips() throws {
        let recorder = RecorderSpec(station: "ROST1", cameraHost: "127.0.0.1", passwordFile: "/etc/pw", segmentSeconds: 300,
                                    outputDir: "/rec")
        let assignment = Assignment(
            node: "recordingpi", site: "auklab", revision: 7, heartbeatSeconds: 10, recorders: [recorder],
            archives: [ArchiveJobSpec(name: "video", sources: [ArchiveSource(path: "/rec/ROST1", station: "ROST1")],
                                      target: "/nas/{station}/{yyyy}", schedule: .every(600), keepLocalSeconds: 604_800,
                                      thumbnails: ThumbnailSpec(width: 320, height: 180, quality: 75, target: "/nas/t"))],
            backups: [BackupJobSpec(name: "db", kind: .sqlite, sourcePath: "/db", compress: "zstd", target: "/nas/db",
                                    schedule: JobSchedule(kind: .weekly, weekday: 1, minuteOfDay: 180), keep: 48)])
        #expect(try roundTrip(assignment) == assignment)
        #expect(assignment.localPaths == ["/db", "/rec", "/rec/ROST1"])

        let report = StatusReport(
            agentVersion: "0.1.0", uptimeSeconds: 12.5, appliedRevision: 7,
            storage: [StorageMetric(path: "/", totalBytes: 100, freeBytes: 25, usedPercent: 75)],
            stations: [StationStatus(station: "ROST1", state: .backingOff, pid: 42, restarts: 3, newestSegmentAt: Self.now)],
            events: [AgentEvent(id: "e", time: Self.now, kind: "recorder.stalled", station: "ROST1", message: "stalled")],
            segments: [SegmentRecord(station: "ROST1", name: "ROST1_20250528T153000.mkv", start: Self.now, durationSeconds: 600,
                                     bytes: 9, valid: true)],
            jobRuns: [JobRun(id: "r", job: "video", kind: .archive, startedAt: Self.now, durationSeconds: 1, files: 2,
                             bytes: 3, outcome: .partial, error: "x")],
            jobs: [JobStatus(job: "video", kind: .archive, lastSuccessAt: Self.now, backlogFiles: 4)],
            commandResults: [CommandResult(commandId: "c", ok: true, message: "ok", completedAt: Self.now)])
        #expect(try roundTrip(report) == report)

        let command = Command(id: "c", kind: .restartRecorder, target: "ROST2", node: "recordingpi", issuedAt: Self.now,
                              expiresAt: Self.now.addingTimeInterval(300))
        #expect(try roundTrip(WatchResponse(assignment: assignment, commands: [command])).commands == [command])
        #expect(try roundTrip(RegistrationRequest(name: "pi", agentVersion: "1")) == RegistrationRequest(name: "pi", agentVersion: "1"))
        #expect(try roundTrip(ErrorEnvelope(code: "x", message: "y", details: ["a:1:2: z"])).error.details == ["a:1:2: z"])
        #expect(try roundTrip(ApplyRequest(files: [.init(path: "a.yaml", content: "x")], dryRun: true)).dryRun)
    }

    @Test func unknownFieldsFromANewerPeerAreIgnored() throws {
        let json = """
            {"agentVersion": "9.0", "uptimeSeconds": 1, "appliedRevision": 3, "quantumFlux": {"level": 11},
             "stations": [{"station": "ROST1", "state": "recording", "restarts": 0, "futureField": true}]}
            """
        let report = try WireCoding.decode(StatusReport.self, from: Data(json.utf8))
        #expect(report.appliedRevision == 3)
        #expect(report.stations.first?.state == .recording)
        #expect(report.events.isEmpty && report.segments.isEmpty)
    }

    @Test func errorEnvelopeHasTheSpecShape() throws {
        let data = try WireCoding.encode(ErrorEnvelope(code: ErrorCode.notFound, message: "station ROST9 not found"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "not_found")
        #expect(error["message"] as? String == "station ROST9 not found")
    }

    @Test func datesAreISO8601AndTolerateBothForms() throws {
        let encoded = String(decoding: try WireCoding.encode(CommandResult(commandId: "c", ok: true, message: "",
                                                                           completedAt: Self.now)), as: UTF8.self)
        #expect(encoded.contains("2025-05-28T13:30:00.250Z"))
        #expect(WireCoding.parseDate("2025-05-28T13:30:00Z") == Date(timeIntervalSince1970: 1_748_439_000))
        #expect(WireCoding.parseDate("yesterday") == nil)
    }

    @Test func recorderStateUsesSpecNames() throws {
        #expect(RecorderState.allCases.map(\.rawValue) == ["recording", "stalled", "backing-off", "stopped", "unknown"])
        #expect(RecorderSpec(station: "ROST1", cameraHost: "h", outputDir: "/rec").stationDir == "/rec/ROST1")
    }
}
