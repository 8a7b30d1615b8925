// End-to-end: the real fleetctl entry point against a real HTTP server on 127.0.0.1.
// The server is a stub (StubCoordinator) ONLY because the real coordinator is being built
// in parallel and cannot run yet; see StubCoordinator.swift.
import FleetProtocol
import Foundation
import Synchronization
import Testing
@testable import FleetctlCore

@Suite(.serialized) struct EndToEndTests {
    static func encode<T: Encodable>(_ value: T) -> Data {
        (try? WireCoding.encoder().encode(value)) ?? Data()
    }

    static func command(_ id: String, node: String = "recordingpi", kind: Command.Kind = .restartRecorder,
                        target: String = "ROST1", state: CommandView.State, message: String? = nil) -> CommandView {
        let now = Date()
        return CommandView(id: id, kind: kind, target: target, node: node, state: state, issuedAt: now,
                           expiresAt: now.addingTimeInterval(60), message: message)
    }

    private func withInventory<R>(_ body: (String) async throws -> R) async throws -> R {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "sites:\n  auklab: {}\n".write(to: dir.appendingPathComponent("10-sites.yaml"), atomically: true, encoding: .utf8)
        try "stations:\n  ROST1: {node: recordingpi}\n".write(to: dir.appendingPathComponent("20-stations.yml"),
                                                            atomically: true, encoding: .utf8)
        return try await body(dir.path)
    }

    @Test func applyPrintsCreatedAndChanged() async throws {
        let result = ApplyResult(revision: 7, created: ["station/ROST1"], changed: ["node/recordingpi"], deleted: [],
                                 unchanged: ["site/auklab"], dryRun: false)
        let server = try await StubCoordinator.start { request in
            request.method == "POST" && request.path == "/v1/apply"
                ? StubResponse(status: 200, body: Self.encode(result)) : .json(404, #"{"error":{"code":"not_found","message":"nope"}}"#)
        }
        defer { Task { await server.stop() } }
        try await withInventory { path in
            let run = await fleetctl(["apply", "-f", path, "--coordinator", server.url])
            #expect(run.code == 0, "\(run.stderr)")
            #expect(run.stdout == "station/ROST1 created\nnode/recordingpi changed\n1 unchanged\nrevision 7\n")
            #expect(run.stderr.isEmpty)

            let sent = try #require(server.requests.last)
            #expect(sent.header("Authorization") == "Bearer test-admin-token")
            let body = try WireCoding.decoder().decode(ApplyRequest.self, from: sent.body)
            #expect(body.dryRun == false)
            #expect(body.files.map(\.path) == [path + "/10-sites.yaml", path + "/20-stations.yml"])
            #expect(body.files[1].content == "stations:\n  ROST1: {node: recordingpi}\n")

            let json = await fleetctl(["apply", "-f", path, "--coordinator", server.url, "-o", "json"])
            let object = try #require(try jsonObject(json.stdout) as? [String: Any])
            #expect(object["revision"] as? Int == 7)
            #expect(object["created"] as? [String] == ["station/ROST1"])
            #expect(object["unchanged"] as? [String] == ["site/auklab"])
        }
    }

    @Test func invalidInventoryPrintsEveryDetailAndExits1() async throws {
        let details = ["inventory/a.yaml:3:5: unknown node 'recordingpy'", "inventory/b.yaml:10:1: duplicate key 'ROST1'"]
        let envelope = ErrorEnvelope(code: ErrorCode.invalidInventory, message: "2 errors", details: details)
        let server = try await StubCoordinator.start { _ in StubResponse(status: 422, body: Self.encode(envelope)) }
        defer { Task { await server.stop() } }
        try await withInventory { path in
            let run = await fleetctl(["apply", "-f", path, "--coordinator", server.url])
            #expect(run.code == 1)
            #expect(run.stdout.isEmpty)
            let lines = run.stderr.split(separator: "\n").map(String.init)
            #expect(Array(lines.prefix(2)) == details)
            #expect(lines.count == 3)
            #expect(lines.last?.hasPrefix("fleetctl: invalid inventory") == true)
        }
    }

    @Test func unreachableCoordinatorExits3() async throws {
        // Bind, then close: the port is then (almost certainly) refused.
        let server = try await StubCoordinator.start { _ in .json("{}") }
        let url = server.url
        await server.stop()
        let run = await fleetctl(["get", "nodes", "--coordinator", url])
        #expect(run.code == 3)
        #expect(run.stderr == "fleetctl: coordinator \(url) unreachable: connection refused\n")
    }

    @Test func serverErrorExits3() async throws {
        let server = try await StubCoordinator.start { _ in
            .json(500, #"{"error":{"code":"internal","message":"database is locked"}}"#)
        }
        defer { Task { await server.stop() } }
        let run = await fleetctl(["get", "stations", "--coordinator", server.url])
        #expect(run.code == 3)
        #expect(run.stderr == "fleetctl: coordinator error (HTTP 500): database is locked\n")
    }

    @Test func notFoundAndUnauthorizedExit1() async throws {
        let server = try await StubCoordinator.start { request in
            if request.header("Authorization") == nil {
                return .json(401, #"{"error":{"code":"unauthorized","message":"missing bearer token"}}"#)
            }
            return .json(404, #"{"error":{"code":"not_found","message":"station ROST9"}}"#)
        }
        defer { Task { await server.stop() } }
        let missing = await fleetctl(["describe", "station", "ROST9", "--coordinator", server.url])
        #expect(missing.code == 1)
        #expect(missing.stderr == "fleetctl: not found: station ROST9\n")
        #expect(server.requests.last?.path == "/v1/stations/ROST9")
        let anonymous = await fleetctl(["get", "nodes", "--coordinator", server.url], environment: [:])
        #expect(anonymous.code == 1)
        #expect(anonymous.stderr.hasPrefix("fleetctl: unauthorized: missing bearer token"))
    }

    @Test func getNodesJSONAndSingleItemAsArray() async throws {
        let nodes = OutputTests.nodes
        let server = try await StubCoordinator.start { request in
            switch request.path {
            case "/v1/nodes": return StubResponse(status: 200, body: Self.encode(nodes))
            case "/v1/nodes/recordingpi": return StubResponse(status: 200, body: Self.encode(nodes[0]))
            default: return .json(404, #"{"error":{"code":"not_found","message":"no such path"}}"#)
            }
        }
        defer { Task { await server.stop() } }
        let list = await fleetctl(["get", "nodes", "-o", "json", "--coordinator", server.url])
        #expect(list.code == 0)
        let array = try #require(try jsonObject(list.stdout) as? [[String: Any]])
        #expect(array.map { $0["name"] as? String } == ["recordingpi", "emsn-zolder", "emsn-berging"])
        let one = await fleetctl(["get", "nodes", "recordingpi", "-o", "json", "--coordinator", server.url])
        let single = try #require(try jsonObject(one.stdout) as? [[String: Any]])
        #expect(single.count == 1)
        #expect(single.first?["appliedRevision"] as? Int == 4)
        let table = await fleetctl(["get", "nodes", "recordingpi", "--coordinator", server.url])
        #expect(table.stdout.split(separator: "\n").count == 2)
        #expect(table.stdout.contains("4/5"))
    }

    @Test func diffExitsByChanges() async throws {
        let changes = Mutex(true)
        let server = try await StubCoordinator.start { request in
            let body = (try? WireCoding.decoder().decode(ApplyRequest.self, from: request.body))
            let changed = changes.withLock { $0 }
            let result = ApplyResult(revision: 3, created: changed ? ["station/ROST3"] : [], changed: [], deleted: [],
                                     unchanged: ["station/ROST1"], dryRun: body?.dryRun ?? false)
            return StubResponse(status: 200, body: Self.encode(result))
        }
        defer { Task { await server.stop() } }
        try await withInventory { path in
            let withChanges = await fleetctl(["diff", "-f", path, "--coordinator", server.url])
            #expect(withChanges.code == 1)
            #expect(withChanges.stdout.hasPrefix("+ station/ROST3\n"))
            let sent = try WireCoding.decoder().decode(ApplyRequest.self, from: try #require(server.requests.last).body)
            #expect(sent.dryRun)
            changes.withLock { $0 = false }
            let none = await fleetctl(["diff", "-f", path, "--coordinator", server.url])
            #expect(none.code == 0)
            #expect(none.stdout == "no changes (revision 3)\n")
        }
    }

    @Test func restartWaitSucceedsOnceTheCommandSucceeds() async throws {
        let polls = Mutex(0)
        let server = try await StubCoordinator.start { request in
            switch (request.method, request.path) {
            case ("POST", "/v1/stations/ROST1/restart"):
                return StubResponse(status: 200, body: Self.encode(CommandsResponse(commands: [Self.command("c-1", state: .pending)])))
            case ("GET", "/v1/commands/c-1"):
                let count = polls.withLock { $0 += 1; return $0 }
                let state: CommandView.State = count < 3 ? (count == 1 ? .pending : .delivered) : .succeeded
                return StubResponse(status: 200, body: Self.encode(Self.command("c-1", state: state,
                                                                                message: state == .succeeded ? "recorder restarted, new segment growing" : nil)))
            default:
                return .json(404, #"{"error":{"code":"not_found","message":"no such path"}}"#)
            }
        }
        defer { Task { await server.stop() } }
        let run = await fleetctl(["restart", "recorder", "ROST1", "--wait", "--wait-timeout", "20", "--coordinator", server.url])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout == "restart of ROST1 queued (command c-1)\nrestart of ROST1 succeeded: recorder restarted, new segment growing\n")
        #expect(polls.withLock { $0 } == 3)
    }

    @Test func restartWaitFailureAndTimeoutExit1() async throws {
        let server = try await StubCoordinator.start { request in
            switch (request.method, request.path) {
            case ("POST", "/v1/stations/ROST1/restart"):
                return StubResponse(status: 200, body: Self.encode(CommandsResponse(commands: [Self.command("fail", state: .pending)])))
            case ("POST", "/v1/stations/ROST2/restart"):
                return StubResponse(status: 200, body: Self.encode(CommandsResponse(commands: [Self.command("slow", target: "ROST2", state: .pending)])))
            case ("GET", "/v1/commands/fail"):
                return StubResponse(status: 200, body: Self.encode(Self.command("fail", state: .failed, message: "camera unreachable")))
            default:
                return StubResponse(status: 200, body: Self.encode(Self.command("slow", target: "ROST2", state: .delivered)))
            }
        }
        defer { Task { await server.stop() } }
        let failed = await fleetctl(["restart", "recorder", "ROST1", "--wait", "--coordinator", server.url])
        #expect(failed.code == 1)
        #expect(failed.stderr == "fleetctl: restart of ROST1 failed: camera unreachable\n")

        let clock = ContinuousClock()
        let start = clock.now
        let slow = await fleetctl(["restart", "recorder", "ROST2", "--wait", "--wait-timeout", "1", "--coordinator", server.url])
        #expect(slow.code == 1)
        #expect(slow.stderr == "fleetctl: timed out after 1s waiting for restart of ROST2 on recordingpi (command slow is delivered)\n")
        #expect(clock.now - start < .seconds(5))
    }

    @Test func runJobWaitsForEveryNode() async throws {
        let server = try await StubCoordinator.start { request in
            switch (request.method, request.path) {
            case ("POST", "/v1/jobs/backup/birdnet-db/run"):
                return StubResponse(status: 200, body: Self.encode(CommandsResponse(commands: [
                    Self.command("z", node: "emsn-zolder", kind: .runBackup, target: "birdnet-db", state: .pending),
                    Self.command("b", node: "emsn-berging", kind: .runBackup, target: "birdnet-db", state: .pending),
                ])))
            case ("GET", "/v1/commands/z"):
                return StubResponse(status: 200, body: Self.encode(Self.command("z", node: "emsn-zolder", kind: .runBackup,
                                                                                target: "birdnet-db", state: .succeeded, message: "1 file, 12 MB")))
            case ("GET", "/v1/commands/b"):
                return StubResponse(status: 200, body: Self.encode(Self.command("b", node: "emsn-berging", kind: .runBackup,
                                                                                target: "birdnet-db", state: .failed, message: "no space left on /tmp")))
            default:
                return .json(404, #"{"error":{"code":"not_found","message":"no such path"}}"#)
            }
        }
        defer { Task { await server.stop() } }
        let run = await fleetctl(["run", "backup", "birdnet-db", "--wait", "--coordinator", server.url])
        #expect(run.code == 1)
        #expect(run.stdout.contains("backup birdnet-db queued on emsn-zolder (command z)"))
        #expect(run.stdout.contains("backup birdnet-db on emsn-zolder succeeded: 1 file, 12 MB"))
        #expect(run.stderr == "fleetctl: backup birdnet-db on emsn-berging failed: no space left on /tmp\n")

        _ = await fleetctl(["run", "backup", "birdnet-db", "--node", "emsn-zolder", "--coordinator", server.url])
        let sent = try #require(server.requests.last)
        #expect(sent.path == "/v1/jobs/backup/birdnet-db/run")
        #expect(sent.query == "node=emsn-zolder")
    }

    @Test func recordingsSendsTheSpan() async throws {
        let from = Date(timeIntervalSince1970: 1_747_971_000)
        let view = RecordingsView(station: "ROST1", from: from, to: from.addingTimeInterval(3600), segmentSeconds: 600,
                                  segments: [], coveredSeconds: 0,
                                  gaps: [.init(from: from, to: from.addingTimeInterval(3600), seconds: 3600)])
        let server = try await StubCoordinator.start { _ in StubResponse(status: 200, body: Self.encode(view)) }
        defer { Task { await server.stop() } }
        let run = await fleetctl(["recordings", "ROST1", "--from", "2025-05-23T03:30:00Z", "--to", "+1h",
                                  "--coordinator", server.url], now: from)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(server.requests.last?.query == "from=2025-05-23T03%3A30%3A00Z&to=2025-05-23T04%3A30%3A00Z")
        #expect(run.stdout.contains("2025-05-23T03:30:00Z → 2025-05-23T04:30:00Z (1h)"))
        let backwards = await fleetctl(["recordings", "ROST1", "--from", "-1h", "--to", "-2h", "--coordinator", server.url])
        #expect(backwards.code == 1)
    }

    @Test func nodeResetPostsAndConfirms() async throws {
        let server = try await StubCoordinator.start { _ in .json(200, "{}") }
        defer { Task { await server.stop() } }
        let run = await fleetctl(["node", "reset", "recordingpi", "--coordinator", server.url])
        #expect(run.code == 0)
        #expect(run.stdout == "node recordingpi reset: it may register again\n")
        #expect(server.requests.last?.method == "POST")
        #expect(server.requests.last?.path == "/v1/nodes/recordingpi/reset")
    }
}
