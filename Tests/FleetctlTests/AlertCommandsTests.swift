import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

/// `get alerts`, `get notifications`, `alerts ack`, `silence add|list|expire` and the alerts
/// section of `describe`.
///
/// These run against the canned-answer `StubCoordinator`, not the real coordinator: the
/// coordinator's alerting handlers land separately (issue 10), so what is tested here is
/// fleetctl's side of the wire contract in `AlertViews.swift` — request paths, queries and
/// bodies, table and JSON output, argument validation and exit codes.
@Suite struct AlertCommandsTests {
    static let now = Date(timeIntervalSince1970: 1_748_000_000)
    static let environment = ["FLEET_TOKEN": "test-admin-token", "USER": "anna", "HOSTNAME": "fieldlaptop"]

    static let alerts = [
        AlertView(id: "3f9a2c1e7b4d5a60", alertname: "RecorderDown", severity: "critical",
                  labels: ["alertname": "RecorderDown", "site": "auklab", "node": "recordingpi", "station": "ROST1"],
                  state: .firing, startsAt: now.addingTimeInterval(-600), endsAt: nil,
                  summary: "ROST1 recorder down for 10m",
                  acknowledged: Acknowledgement(by: "ole@desk", at: now.addingTimeInterval(-60), comment: "on it"),
                  receivers: ["field-team"]),
        AlertView(id: "77aa00bb11cc22dd", alertname: "ArchiveBacklog", severity: "warning",
                  labels: ["alertname": "ArchiveBacklog", "site": "emsn", "node": "emsn-zolder", "job": "video-to-nas"],
                  state: .silenced, startsAt: now.addingTimeInterval(-7200), endsAt: nil,
                  summary: "video-to-nas backlog 40 GB", silencedBy: ["sil-1"]),
    ]

    static let notifications = [
        NotificationView(id: "n-0123456789abcdef", receiver: "field-team", groupKey: "{}:{site=auklab}", sequence: 3,
                         status: "firing", alerts: 2, summary: "2 alerts at auklab", state: .failed, attempts: 5,
                         lastError: "SMTP 550 mailbox unavailable: " + String(repeating: "x", count: 100),
                         createdAt: now.addingTimeInterval(-3600), sentAt: nil, nextAttemptAt: nil),
        NotificationView(id: "n-fedcba9876543210", receiver: "ops-webhook", groupKey: "{}:{}", sequence: 1,
                         status: "resolved", alerts: 1, summary: "resolved", state: .sent, attempts: 1, lastError: nil,
                         createdAt: now.addingTimeInterval(-120), sentAt: now.addingTimeInterval(-119), nextAttemptAt: nil),
    ]

    static let silence = SilenceView(id: "sil-1", matchers: [#"site="auklab""#, #"alertname=~"Segment.*""#],
                                     startsAt: now.addingTimeInterval(-1800), endsAt: now.addingTimeInterval(5400),
                                     createdBy: "anna@fieldlaptop", comment: "mast work", state: .active)

    static func json<T: Encodable>(_ value: T) -> StubResponse {
        StubResponse(status: 200, body: (try? WireCoding.encode(value)) ?? Data())
    }

    static func run(_ arguments: [String], _ server: StubCoordinator) async -> Invocation {
        await fleetctl(arguments + ["--coordinator", server.url], environment: environment, now: now)
    }

    /// The cells of one table line (columns are separated by at least three spaces).
    static func cells(_ line: Substring) -> [String] {
        line.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    // MARK: get alerts

    @Test func getAlertsSendsTheFiltersAndPrintsTheTable() async throws {
        let server = try await StubCoordinator.start { _ in Self.json(Self.alerts) }
        defer { Task { await server.stop() } }
        let run = await Self.run(["get", "alerts", "--state", "firing", "--node", "recordingpi", "--station", "ROST1"], server)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(server.requests.map(\.path) == ["/v1/alerts"])
        #expect(server.requests.first?.query == "state=firing&node=recordingpi&station=ROST1")
        let lines = Self.lines(run.stdout)
        #expect(lines.count == 3)
        #expect(Self.cells(lines[0]) == ["ID", "ALERTNAME", "SEVERITY", "STATE", "SITE", "NODE", "TARGET", "AGE", "SUMMARY"])
        #expect(Self.cells(lines[1]) == ["3f9a2c1e", "RecorderDown", "critical", "firing (acked)", "auklab", "recordingpi",
                                         "ROST1", "10m", "ROST1 recorder down for 10m"])
        #expect(Self.cells(lines[2]) == ["77aa00bb", "ArchiveBacklog", "warning", "silenced", "emsn", "emsn-zolder",
                                         "video-to-nas", "2h", "video-to-nas backlog 40 GB"])
    }

    @Test func getAlertsJSONIsTheAlertViewArray() async throws {
        let server = try await StubCoordinator.start { _ in Self.json(Self.alerts) }
        defer { Task { await server.stop() } }
        let run = await Self.run(["get", "alerts", "-o", "json"], server)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(server.requests.first?.query == nil, "no filters: the coordinator's default (firing and silenced)")
        let array = try #require(try jsonObject(run.stdout) as? [[String: Any]])
        #expect(array.count == 2)
        for key in ["id", "alertname", "severity", "labels", "state", "startsAt", "summary"] {
            #expect(array[0][key] != nil, "binding key \(key)")
        }
        #expect(array[0]["state"] as? String == "firing")
        #expect((array[0]["acknowledged"] as? [String: Any])?["by"] as? String == "ole@desk")
        #expect(try WireCoding.decode([AlertView].self, from: Data(run.stdout.utf8)) == Self.alerts)
    }

    @Test func noAlertsIsSaidOnStderr() async throws {
        let server = try await StubCoordinator.start { _ in .json("[]") }
        defer { Task { await server.stop() } }
        let run = await Self.run(["get", "alerts"], server)
        #expect(run.code == 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "No alerts found.\n")
    }

    @Test func alertFiltersAreCheckedLocally() async throws {
        let server = try await StubCoordinator.start { _ in .json("[]") }
        defer { Task { await server.stop() } }
        for arguments in [["get", "alerts", "--state", "burning"], ["get", "alerts", "ROST1"],
                          ["get", "nodes", "--state", "firing"], ["get", "stations", "--failed"],
                          ["get", "alerts", "--failed"]] {
            let run = await Self.run(arguments, server)
            #expect(run.code == FleetctlExitCode.usage, "\(arguments)")
            #expect(Self.lines(run.stderr).count == 1, "\(arguments): \(run.stderr)")
        }
        #expect(server.requests.isEmpty)
    }

    // MARK: get notifications

    @Test func getNotificationsTableAndFailedFilter() async throws {
        let server = try await StubCoordinator.start { _ in Self.json(Self.notifications) }
        defer { Task { await server.stop() } }
        let run = await Self.run(["get", "notifications", "--failed"], server)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(server.requests.first?.path == "/v1/notifications")
        #expect(server.requests.first?.query == "failed=true")
        let lines = Self.lines(run.stdout)
        #expect(Self.cells(lines[0]) == ["ID", "RECEIVER", "STATUS", "ALERTS", "STATE", "ATTEMPTS", "AGE", "LAST-ERROR"])
        let first = Self.cells(lines[1])
        #expect(Array(first.prefix(7)) == ["n-012345", "field-team", "firing", "2", "failed", "5", "1h"])
        #expect(first.last?.hasPrefix("SMTP 550 mailbox unavailable: xxx") == true)
        #expect(first.last?.count == AlertTables.errorWidth)
        #expect(first.last?.hasSuffix("…") == true)
        #expect(Self.cells(lines[2]) == ["n-fedcba", "ops-webhook", "resolved", "1", "sent", "1", "2m", "-"])

        let json = await Self.run(["get", "notifications", "-o", "json"], server)
        #expect(json.code == 0)
        #expect(server.requests.last?.query == nil)
        #expect(try WireCoding.decode([NotificationView].self, from: Data(json.stdout.utf8)) == Self.notifications)
    }

    // MARK: alerts ack (not yet registered in a group: run the command directly)

    func ack(_ arguments: [String], server: StubCoordinator) async throws -> Invocation {
        let out = TextOutput.buffer(), err = TextOutput.buffer()
        let console = Console(stdout: out, stderr: err, environment: Self.environment, now: { Self.now })
        let command = try AlertsAckCommand.parse(arguments + ["--coordinator", server.url])
        let code = try await command.execute(console)
        return Invocation(code: code, stdout: out.text, stderr: err.text)
    }

    @Test func ackSendsCommentAndWhoAndPrintsOneLine() async throws {
        let server = try await StubCoordinator.start { _ in Self.json(Self.alerts[0]) }
        defer { Task { await server.stop() } }
        let run = try await ack(["3f9a2c1e", "--comment", " camera power cycled "], server: server)
        #expect(run.code == 0)
        #expect(run.stdout == "Acknowledged 3f9a2c1e RecorderDown (ROST1 recorder down for 10m)\n")
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/alerts/3f9a2c1e/ack")
        let body = try WireCoding.decode(AckRequest.self, from: request.body)
        #expect(body == AckRequest(comment: "camera power cycled", by: "anna@fieldlaptop"))

        let json = try await ack(["3f9a", "--comment", "x", "-o", "json"], server: server)
        #expect(try WireCoding.decode(AlertView.self, from: Data(json.stdout.utf8)) == Self.alerts[0])
    }

    @Test func ackNeedsACommentAndAnIDOfFourCharacters() throws {
        let console = Console(stdout: .buffer(), stderr: .buffer(), environment: [:])
        for arguments in [["3f9a2c1e"], ["3f9", "--comment", "x"], ["3f9a", "--comment", "  "], ["3f/9a", "--comment", "x"]] {
            #expect(throws: (any Error).self, "\(arguments)") { _ = try AlertsAckCommand.parse(arguments) }
            do {
                _ = try AlertsAckCommand.parse(arguments)
            } catch {
                #expect(FleetctlMain.reportParseError(error, console: console) == FleetctlExitCode.usage)
            }
        }
        #expect(AlertsAckCommand.configuration.commandName == "ack")
    }

    // MARK: silence add

    @Test func silenceAddSendsCanonicalMatchersAndPrintsTheID() async throws {
        let server = try await StubCoordinator.start { _ in Self.json(Self.silence) }
        defer { Task { await server.stop() } }
        let run = await Self.run(["silence", "add", "--match", "site=auklab", "--match", "alertname=~Segment.*",
                                  "--for", "2h", "--comment", "mast work"], server)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout == "sil-1\n")
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/silences")
        let body = try WireCoding.decode(SilenceRequest.self, from: request.body)
        #expect(body == SilenceRequest(matchers: [#"site="auklab""#, #"alertname=~"Segment.*""#], durationSeconds: 7200,
                                       comment: "mast work", by: "anna@fieldlaptop"))

        let json = await Self.run(["silence", "add", "--match", "node!=x", "--for", "1h30m", "--comment", "c", "-o", "json"], server)
        #expect(try WireCoding.decode(SilenceView.self, from: Data(json.stdout.utf8)) == Self.silence)
        let second = try WireCoding.decode(SilenceRequest.self, from: try #require(server.requests.last).body)
        #expect(second.durationSeconds == 5400)
        #expect(second.matchers == [#"node!="x""#])
    }

    @Test func silenceAddArgumentsAreCheckedBeforeAnyRequest() async throws {
        let server = try await StubCoordinator.start { _ in Self.json(Self.silence) }
        defer { Task { await server.stop() } }
        let cases: [([String], String)] = [
            (["--for", "2h", "--comment", "c"], "give at least one --match LABEL=VALUE"),
            (["--match", "site", "--for", "2h", "--comment", "c"], "bad matcher 'site'"),
            (["--match", "=auklab", "--for", "2h", "--comment", "c"], "bad label name ''"),
            (["--match", "1site=x", "--for", "2h", "--comment", "c"], "bad label name '1site'"),
            (["--match", "alertname=~(", "--for", "2h", "--comment", "c"], "bad regular expression '('"),
            (["--match", "site=a", "--for", "0s", "--comment", "c"], "--for 0s: must be longer than 0s"),
            (["--match", "site=a", "--for", "91d", "--comment", "c"], "--for 91d: at most 90d"),
            (["--match", "site=a", "--for", "soon", "--comment", "c"], "--for soon: use a duration like 30m"),
            (["--match", "site=a", "--for", "2h", "--comment", " "], "--comment must not be empty"),
            (["--match", "site=a", "--for", "2h"], "--comment"),
        ]
        for (arguments, message) in cases {
            let run = await Self.run(["silence", "add"] + arguments, server)
            #expect(run.code == FleetctlExitCode.usage, "\(arguments)")
            #expect(Self.lines(run.stderr).count == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix("fleetctl: "), "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(server.requests.isEmpty)
    }

    // MARK: silence list, expire

    @Test func silenceListTableExpiredAndJSON() async throws {
        var expired = Self.silence
        expired.id = "sil-0"
        expired.state = .expired
        expired.endsAt = Self.now.addingTimeInterval(-60)
        expired.expiredBy = "ole@desk"
        let both = [Self.silence, expired]
        let server = try await StubCoordinator.start { request in
            request.query == "expired=true" ? Self.json(both) : Self.json([Self.silence])
        }
        defer { Task { await server.stop() } }
        let run = await Self.run(["silence", "list", "--expired"], server)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(server.requests.first?.path == "/v1/silences")
        let lines = Self.lines(run.stdout)
        #expect(Self.cells(lines[0]) == ["ID", "MATCHERS", "STARTS", "ENDS", "REMAINING", "BY", "COMMENT"])
        #expect(Self.cells(lines[1]) == ["sil-1", #"site="auklab",alertname=~"Segment.*""#,
                                         Formatting.time(Self.silence.startsAt), Formatting.time(Self.silence.endsAt),
                                         "1h 30m", "anna@fieldlaptop", "mast work"])
        #expect(Self.cells(lines[2])[4] == "expired (by ole@desk)")

        let json = await Self.run(["silence", "list", "-o", "json"], server)
        #expect(server.requests.last?.query == nil)
        #expect(try WireCoding.decode([SilenceView].self, from: Data(json.stdout.utf8)) == [Self.silence])

        server.setRoute { _ in .json("[]") }
        let empty = await Self.run(["silence", "list"], server)
        #expect(empty.code == 0)
        #expect(empty.stderr == "No silences found.\n")
    }

    @Test func silenceExpireSendsWhoAndPrintsOneLine() async throws {
        let server = try await StubCoordinator.start { _ in Self.json(Self.silence) }
        defer { Task { await server.stop() } }
        let run = await Self.run(["silence", "expire", "sil-1"], server)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout == #"Expired silence sil-1 (site="auklab",alertname=~"Segment.*")"# + "\n")
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/silences/sil-1/expire")
        #expect(try WireCoding.decode(SilenceExpiry.self, from: request.body) == SilenceExpiry(by: "anna@fieldlaptop"))
    }

    // MARK: describe

    static let node = NodeView(name: "recordingpi", site: "auklab", state: .online, appliedRevision: 5, desiredRevision: 5,
                               lastHeartbeatAgeSeconds: 3, agentVersion: "0.1.0", diskUsedPercent: 40, registered: true)
    static let station = StationView(name: "ROST1", node: "recordingpi", site: "auklab", state: .recording, restarts: 0,
                                     camera: "192.168.1.75:554/stream1", segmentSeconds: 600)

    @Test func describeNodeAndStationListTheirAlerts() async throws {
        let server = try await StubCoordinator.start { request in
            switch request.path {
            case "/v1/alerts": return Self.json([Self.alerts[0]])
            case "/v1/stations/ROST1": return Self.json(Self.station)
            default: return Self.json(Self.node)
            }
        }
        defer { Task { await server.stop() } }
        let node = await Self.run(["describe", "node", "recordingpi"], server)
        #expect(node.code == 0, "\(node.stderr)")
        #expect(server.requests.map(\.path) == ["/v1/nodes/recordingpi", "/v1/alerts"])
        #expect(server.requests.last?.query == "node=recordingpi")
        let section = try #require(node.stdout.range(of: "Alerts:\n")).upperBound
        let rows = Self.lines(String(node.stdout[section...]))
        #expect(Self.cells(rows[0]) == ["ID", "ALERTNAME", "SEVERITY", "STATE", "AGE", "SUMMARY"])
        #expect(Self.cells(rows[1]) == ["3f9a2c1e", "RecorderDown", "critical", "firing (acked)", "10m",
                                        "ROST1 recorder down for 10m"])

        let station = await Self.run(["describe", "station", "ROST1"], server)
        #expect(station.code == 0)
        #expect(server.requests.last?.query == "station=ROST1")
        #expect(station.stdout.contains("Alerts:\n"))

        // JSON output stays the node object: no alerts call.
        let before = server.requests.count
        _ = await Self.run(["describe", "node", "recordingpi", "-o", "json"], server)
        #expect(server.requests.count == before + 1)

        server.setRoute { request in
            request.path == "/v1/alerts" ? Self.json([AlertView]()) : Self.json(Self.node)
        }
        #expect(await Self.run(["describe", "node", "recordingpi"], server).stdout.hasSuffix("Alerts:\n  (none)\n"))
    }

    @Test func describeLeavesTheSectionOutWhenTheCoordinatorHasNoAlertsAPI() async throws {
        let notFound = (try? WireCoding.encode(ErrorEnvelope(code: "not_found", message: "no route"))) ?? Data()
        let server = try await StubCoordinator.start { request in
            request.path == "/v1/alerts" ? StubResponse(status: 404, body: notFound) : Self.json(Self.node)
        }
        defer { Task { await server.stop() } }
        let run = await Self.run(["describe", "node", "recordingpi"], server)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        #expect(!run.stdout.contains("Alerts:"))
        #expect(run.stdout.contains("Name:"))
    }
}
