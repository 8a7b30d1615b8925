import FleetProtocol
import NIOHTTP1
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Remote logs and snapshots end to end (issue 15): camera simulator, coordinator, agent and
/// fleetctl as real processes, real ffmpeg; the agent answers over its own connection.
@Suite(.serialized) struct RemoteOutputTests {
    @Test func logsFollowSnapshotsAndRefusals() async throws {
        try await withFleet("remote-output") { fleet in
            let camera = try await CameraSimulator(dir: fleet.dir, mounts: ["/ROST1", "/ROST2"],
                                                   passwordFile: fleet.dir + "/camera-password")
            do {
                try await run(fleet, camera: camera)
            } catch {
                await camera.stop()
                Issue.record("\(error)\n\(String((fleet.coordinator?.output ?? "").suffix(3000)))")
                throw error
            }
            await camera.stop()
        }
    }

    private func run(_ fleet: TestFleet, camera: CameraSimulator) async throws {
        let password = try String(contentsOfFile: fleet.dir + "/camera-password", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try await fleet.startCoordinator()
        try await fleet.startAgent("recordingpi")
        let inventory = try fleet.renderInventory("recorders.yaml", replacing: ["${CAMERA_PORT}": String(camera.port)])
        #expect(try await fleet.fleetctl(["apply", "-f", inventory]).status == 0)
        let recording = try await waitUntil(timeout: .seconds(30)) {
            let view = try await fleet.get(StationView.self, APIPath.station("ROST1"))
            return view.state == .recording && view.newestSegment != nil
        }
        #expect(recording, "\(fleet.logs)")

        // A stall the test provokes (camera paused) shows in the recorder's remote log, the password never.
        let pausedAt = Date()
        camera.pause()
        let stalled = try await waitUntil(timeout: .seconds(10)) {
            let events = try await fleet.get(StationView.self, APIPath.station("ROST1")).recentEvents ?? []
            return events.contains { ["recorder.stalled", "recorder.exited"].contains($0.kind) && $0.time >= pausedAt }
        }
        camera.resume()
        #expect(stalled, "\(fleet.logs)")
        let logs = try await fleet.fleetctl(["logs", "station", "ROST1", "--since", "10m", "--tail", "200"])
        #expect(logs.status == 0, "\(logs.stderr)")
        #expect(logs.stdout.contains("[supervisor] recorder.started"), "\(logs.stdout)")
        #expect(logs.stdout.contains("recorder.stalled") || logs.stdout.contains("recorder.exited"), "\(logs.stdout)")
        #expect(logs.stdout.contains("[ffmpeg "), "ffmpeg's own lines are there too")
        #expect(!logs.stdout.contains(password) && !logs.stderr.contains(password))
        let lineCount = logs.stdout.split(separator: "\n").count
        #expect(lineCount > 0 && lineCount <= 200)
        let short = try await fleet.fleetctl(["logs", "station", "ROST1", "--tail", "3", "-o", "json"])
        #expect(try WireCoding.decode(LogsJSON.self, from: Data(short.stdout.utf8)).lines.count == 3, "\(short.stdout)\(short.stderr)")

        // The agent's own log, from its in-memory ring.
        let nodeLogs = try await fleet.fleetctl(["logs", "node", "recordingpi", "--tail", "500"])
        #expect(nodeLogs.status == 0, "\(nodeLogs.stderr)")
        #expect(nodeLogs.stdout.contains("fleet-agent: command received"), "\(nodeLogs.stdout)")

        try await follow(fleet)
        try await otherNodesCannotUpload(fleet)
        try await snapshot(fleet)

        // An offline node answers at once with one line.
        await fleet.stopAgent("recordingpi")
        let offline = try await waitUntil(timeout: .seconds(15)) {
            try await fleet.nodes()["recordingpi"]?.state == .offline
        }
        #expect(offline)
        let started = ContinuousClock.now
        let refused = try await fleet.fleetctl(["logs", "station", "ROST1"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("node recordingpi is offline"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(try await fleet.fleetctl(["snapshot", "ROST1"]).stderr.contains("offline"))
    }

    /// `-f` shows a line the test provokes within 2 s, and ends when fleetctl is interrupted.
    private func follow(_ fleet: TestFleet) async throws {
        let follower = try ManagedProcess(
            label: "fleetctl-follow", executable: try binary("fleetctl"), arguments: ["logs", "station", "ROST1", "-f", "--tail", "5"],
            logDir: fleet.dir, environment: ["FLEET_COORDINATOR": fleet.url, "FLEET_TOKEN_FILE": fleet.dataDir + "/admin.token"])
        let tailed = await waitUntil(timeout: .seconds(10)) { follower.stdout.split(separator: "\n").count >= 5 }
        #expect(tailed, "\(follower.output)")
        let restart = try await fleet.fleetctl(["restart", "recorder", "ROST1"])
        #expect(restart.status == 0)
        var seenAt: Date?
        var line: Substring?
        let shown = await waitUntil(timeout: .seconds(20), poll: .milliseconds(20)) {
            line = follower.stdout.split(separator: "\n").first { $0.contains("recorder.restarted") }
            if line != nil { seenAt = Date() }
            return line != nil
        }
        #expect(shown, "\(follower.output)\n\(fleet.logs)")
        if let line, let seenAt, let written = Self.stamp(of: line) {
            let delay = seenAt.timeIntervalSince(written)
            #expect(delay < 2, "the line took \(delay) s")
            FileHandle.standardError.write(Data("remote-output: -f latency \(String(format: "%.3f", delay)) s\n".utf8))
        } else {
            Issue.record("no timestamped restart line in \(follower.stdout)")
        }

        // Ctrl-C: fleetctl exits, the coordinator notices, the agent stops and reports the command done.
        kill(follower.pid, SIGINT)
        let exited = await waitUntil(timeout: .seconds(3)) { !follower.isRunning }
        #expect(exited)
        let ended = try await waitUntil(timeout: .seconds(10)) {
            let commands = try await fleet.get(StationView.self, APIPath.station("ROST1")).recentCommands ?? []
            guard let follow = commands.first(where: { $0.kind == .stationLogs && $0.logs?.follow == true }) else { return false }
            return follow.state == .succeeded
        }
        #expect(ended, "\(fleet.logs)")
    }

    /// A node token may upload only for its own node and its own open command.
    private func otherNodesCannotUpload(_ fleet: TestFleet) async throws {
        let registration = try WireCoding.encode(RegistrationRequest(name: "otherpi", agentVersion: FleetVersion.current))
        let (status, data) = try await Self.request(fleet, .POST, Endpoints.register.path(), token: fleet.joinToken, body: registration)
        #expect(status == 201)
        let other = try WireCoding.decode(RegistrationResponse.self, from: data).nodeToken
        let (queued, body) = try await Self.request(fleet, .POST, Endpoints.stationLogs.path("ROST1"), token: fleet.adminToken,
                                                     body: try WireCoding.encode(LogRequest(tail: 1, follow: true)))
        #expect(queued == 202)
        let command = try WireCoding.decode(CommandView.self, from: body)
        let upload = try WireCoding.encode(LogUpload(lines: ["forged line"], final: true))
        let (own, _) = try await Self.request(fleet, .POST, Endpoints.logUpload.path("otherpi", command.id), token: other, body: upload)
        #expect(own == 404)
        let (foreign, _) = try await Self.request(fleet, .POST, Endpoints.logUpload.path("recordingpi", command.id), token: other,
                                                   body: upload)
        #expect(foreign == 403)
        let snapshot = try WireCoding.encode(SnapshotUpload(jpeg: Data([0xFF, 0xD8, 0, 0xFF, 0xD9]), capturedAt: Date(), segment: "x"))
        #expect(try await Self.request(fleet, .POST, Endpoints.snapshotUpload.path("otherpi", command.id), token: other,
                                        body: snapshot).0 == 404)
        let (read, chunk) = try await Self.request(fleet, .POST, Endpoints.commandLogs.path(command.id, query: [("wait", "2")]),
                                                   token: fleet.adminToken)
        #expect(read == 200)
        #expect(!String(decoding: chunk, as: UTF8.self).contains("forged line"))
    }

    /// A snapshot is a decodable JPEG of the simulator's frame size, captured within the newest segment.
    private func snapshot(_ fleet: TestFleet) async throws {
        let file = fleet.dir + "/rost1.jpg"
        let taken = try await fleet.fleetctl(["snapshot", "ROST1", "-f", file, "-o", "json"])
        #expect(taken.status == 0, "\(taken.stderr)\n\(fleet.logs)")
        let details = try WireCoding.decode(SnapshotJSON.self, from: Data(taken.stdout.utf8))
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(SnapshotUpload.isJPEG(jpeg))
        #expect(details.bytes == jpeg.count)
        let probe = try await runCommand("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                                             "stream=width,height", "-of", "csv=p=0", file])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "320,240", "\(probe.stdout)\(probe.stderr)")
        #expect(details.width == 320 && details.height == 240)
        let start = try #require(Self.segmentStart(details.segment, station: "ROST1"))
        #expect(details.capturedAt >= start && details.capturedAt <= start.addingTimeInterval(3 + 1), "\(details)")
        #expect(Date().timeIntervalSince(details.capturedAt) < 30)
        let describe = try await fleet.fleetctl(["describe", "station", "ROST1"])
        let row = describe.stdout.split(separator: "\n").first { $0.hasPrefix("Last snapshot") }
        #expect(row?.contains("ago") == true, "\(describe.stdout)")
    }

    /// A raw request, sent once more when the connection failed under it: the coordinator closes
    /// a connection after refusing a request before reading its body (the 403 above).
    static func request(_ fleet: TestFleet, _ method: HTTPMethod, _ path: String, token: String?,
                        body: Data? = nil) async throws -> (Int, Data) {
        do {
            return try await fleet.request(method, path, token: token, body: body)
        } catch {
            // Only transport errors throw here (a status is returned): the connection went away.
            return try await fleet.request(method, path, token: token, body: body)
        }
    }

    struct LogsJSON: Decodable { var lines: [String] }

    struct SnapshotJSON: Decodable {
        var capturedAt: Date
        var segment: String
        var width: Int?
        var height: Int?
        var bytes: Int
    }

    /// The UTC timestamp a recorder log line starts with.
    static func stamp(of line: Substring) -> Date? {
        guard let first = line.split(separator: " ").first else { return nil }
        return try? Date(String(first), strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    /// Segment names carry the node's local wall clock: `ROST1_20261201T053000.mkv`.
    static func segmentStart(_ name: String, station: String) -> Date? {
        let stamp = name.dropFirst(station.count + 1).prefix(15)
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = .current
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.date(from: String(stamp))
    }
}
