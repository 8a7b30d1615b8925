// fleetctl as people type it, and the guard against one bad keystroke, through the real
// fleetctl entry point (and, where a server is needed, a real HTTP server on 127.0.0.1).
import FleetProtocol
import Foundation
import Testing
@testable import FleetctlCore

@Suite(.serialized) struct OperatorSafetyTests {
    static func encode<T: Encodable>(_ value: T) -> Data { (try? WireCoding.encoder().encode(value)) ?? Data() }

    private func withFile<R>(_ name: String, _ content: String, _ body: (String) async throws -> R) async throws -> R {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return try await body(path)
    }

    // MARK: Global options before the subcommand

    @Test func globalOptionsMoveBehindTheSubcommand() {
        #expect(ArgumentOrder.normalize(["--coordinator", "http://h:1", "get", "nodes"])
            == ["get", "--coordinator", "http://h:1", "nodes"])
        #expect(ArgumentOrder.normalize(["-o", "json", "--token-file=/t", "restart", "recorder", "ROST1", "--wait"])
            == ["restart", "recorder", "-o", "json", "--token-file=/t", "ROST1", "--wait"])
        #expect(ArgumentOrder.normalize(["--timeout", "3", "node", "reset", "pi"]) == ["node", "reset", "--timeout", "3", "pi"])
        // Unchanged: nothing global in front, help/version, a dangling option, an unknown option first.
        #expect(ArgumentOrder.normalize(["get", "nodes", "-o", "json"]) == ["get", "nodes", "-o", "json"])
        #expect(ArgumentOrder.normalize(["--help"]) == ["--help"])
        #expect(ArgumentOrder.normalize(["--coordinator"]) == ["--coordinator"])
        #expect(ArgumentOrder.normalize(["--bogus", "get", "nodes"]) == ["--bogus", "get", "nodes"])
        #expect(ArgumentOrder.normalize(["-o", "json", "--bogus", "get"]) == ["-o", "json", "--bogus", "get"])
    }

    @Test func globalOptionsBeforeTheCommandReachTheServer() async throws {
        let server = try await StubCoordinator.start { _ in .json("[]") }
        defer { Task { await server.stop() } }
        let run = await fleetctl(["--coordinator", server.url, "-o", "json", "get", "nodes"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout == "[\n\n]\n" || run.stdout.hasPrefix("["), "\(run.stdout)")
        #expect(server.requests.map(\.path) == ["/v1/nodes"])
        // The later one wins when given twice.
        let twice = await fleetctl(["--coordinator", "http://127.0.0.1:1", "get", "nodes", "--coordinator", server.url])
        #expect(twice.code == 0, "\(twice.stderr)")
    }

    @Test func noCommandAndUnknownHelpTopicAreUsageErrors() async {
        let bare = await fleetctl([])
        #expect(bare.code == 2)
        #expect(bare.stdout.isEmpty)
        #expect(bare.stderr.contains("USAGE:"))
        #expect(bare.stderr.hasSuffix("fleetctl: no command given (see 'fleetctl --help')\n"))
        let unknown = await fleetctl(["help", "bogus"])
        #expect(unknown.code == 2)
        #expect(unknown.stderr == "fleetctl: unknown command 'bogus' (see 'fleetctl --help')\n")
        #expect(await fleetctl(["help", "node", "frobnicate"]).code == 2)
        #expect(await fleetctl(["help", "restart", "recorder"]).code == 0)
    }

    @Test func helpGetTableDoesNotWrap() async {
        let help = await fleetctl(["help", "get"])
        let row = help.stdout.split(separator: "\n").first { $0.contains("nodes ") && $0.contains("LAST-HEARTBEAT") }
        #expect(row?.hasSuffix("VERSION") == true, "\(help.stdout)")
        #expect(help.stdout.split(separator: "\n").allSatisfy { !$0.hasPrefix("VERSION") })
    }

    // MARK: Not a coordinator

    @Test func somethingElseAtTheURLIsNamedInOneLine() async throws {
        let server = try await StubCoordinator.start { request in
            request.path == "/v1/nodes"
                ? StubResponse(status: 404, body: Data("<html>Not Found</html>".utf8), contentType: "text/html; charset=utf-8")
                : StubResponse(status: 200, body: Data("<html>hello</html>".utf8), contentType: "text/html")
        }
        defer { Task { await server.stop() } }
        let notFound = await fleetctl(["get", "nodes", "--coordinator", server.url])
        #expect(notFound.code == 3)
        #expect(notFound.stderr == "fleetctl: \(server.url) answered but is not a StationFleet coordinator (HTTP 404, text/html)\n")
        let page = await fleetctl(["get", "stations", "--coordinator", server.url])
        #expect(page.code == 3)
        #expect(page.stderr == "fleetctl: \(server.url) answered but is not a StationFleet coordinator (HTTP 200, text/html)\n")
        let plain = try await StubCoordinator.start { _ in StubResponse(status: 404, body: Data("404 page not found".utf8), contentType: "text/plain") }
        defer { Task { await plain.stop() } }
        let other = await fleetctl(["get", "nodes", "--coordinator", plain.url])
        #expect(other.code == 3)
        #expect(other.stderr.contains("is not a StationFleet coordinator (HTTP 404, text/plain)"))
    }

    // MARK: Token files

    @Test func tokenFileErrorsSayWhy() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing").path
        let empty = dir.appendingPathComponent("empty").path
        let locked = dir.appendingPathComponent("locked").path
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: locked, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked)
        let cases: [(String, String)] = [
            (missing, "cannot read token file \(missing): no such file"),
            (dir.path, "cannot read token file \(dir.path): it is a folder, not a file"),
            (empty, "token file \(empty) is empty"),
        ] + (getuid() == 0 ? [] : [(locked, "cannot read token file \(locked): permission denied")])
        for (file, message) in cases {
            let run = await fleetctl(["get", "nodes", "--token-file", file, "--coordinator", "http://127.0.0.1:1"], environment: [:])
            #expect(run.code == 1)
            #expect(run.stderr == "fleetctl: \(message)\n")
        }
    }

    // MARK: YAML output

    @Test func yamlWritesPlainNumbersAndISOTimes() throws {
        var node = OutputTests.nodes[0]
        node.diskUsedPercent = 18.3
        let text = try MachineOutput.render([NodeOutput(node)], as: .yaml)
        #expect(text.contains("diskUsedPercent: 18.3\n"), "\(text)")
        #expect(!text.contains("e+"), "\(text)")
        let event = CommandView(id: "c1", kind: .restartRecorder, target: "ROST1", node: "pi", state: .pending,
                                issuedAt: Date(timeIntervalSince1970: 1_748_000_000), expiresAt: Date(timeIntervalSince1970: 1_748_000_060))
        let yaml = try MachineOutput.render(event, as: .yaml)
        #expect(yaml.contains("issuedAt: 2025-05-23T11:33:20.000Z") || yaml.contains("issuedAt: '2025-05-23T11:33:20.000Z'"), "\(yaml)")
        #expect(try MachineOutput.render(["n": "1.5", "b": "true"], as: .yaml) == "b: 'true'\nn: '1.5'\n")
    }

    // MARK: Inventory size and variables

    @Test func anInventoryOverTheBodyLimitIsNotSent() async throws {
        let server = try await StubCoordinator.start { _ in .json("{}") }
        defer { Task { await server.stop() } }
        let big = "# " + String(repeating: "x", count: ApplyRequest.maxBodyBytes) + "\n"
        try await withFile("big.yaml", big) { path in
            let run = await fleetctl(["apply", "-f", path, "--coordinator", server.url])
            #expect(run.code == 1)
            #expect(run.stderr == "fleetctl: \(path) is 4.0 MiB, over the coordinator's request limit of 4 MiB; nothing sent\n")
            #expect(server.requests.isEmpty)
        }
    }

    @Test func variablesResolveFromFleetctlsEnvironment() async throws {
        let result = ApplyResult(revision: 1, created: ["station/ROST1"], changed: [], deleted: [], unchanged: [], dryRun: false)
        let server = try await StubCoordinator.start { _ in StubResponse(status: 200, body: Self.encode(result)) }
        defer { Task { await server.stop() } }
        let yaml = """
            # ${IN_A_COMMENT} is not a reference
            defaults:
              recorder: {outputDir: "${DEMO_DIR}/rec", passwordFile: '$${LITERAL}'}  # ${NOR_HERE}

            """
        try await withFile("demo.yaml", yaml) { path in
            let unset = await fleetctl(["apply", "-f", path, "--coordinator", server.url])
            #expect(unset.code == 1)
            #expect(unset.stderr == """
                \(path):3:26: unknown variable '${DEMO_DIR}': it is not set in fleetctl's environment
                fleetctl: invalid inventory: 1 unknown variable, nothing applied

                """)
            #expect(server.requests.isEmpty)

            let set = await fleetctl(["apply", "-f", path, "--coordinator", server.url],
                                     environment: ["FLEET_TOKEN": "t", "DEMO_DIR": "/srv/demo", "UNRELATED": "x"])
            #expect(set.code == 0, "\(set.stderr)")
            let sent = try WireCoding.decoder().decode(ApplyRequest.self, from: try #require(server.requests.last).body)
            #expect(sent.variables == ["DEMO_DIR": "/srv/demo"])
            #expect(sent.files.first?.content == yaml)
            #expect(sent.allowDeletions == false)
        }
    }

    // MARK: Deletions

    @Test func refusedDeletionsArePrintedWithTheWayForward() async throws {
        let envelope = ErrorEnvelope(code: ErrorCode.deletionsNotAllowed,
                                     message: "this apply would delete 2 of 2 stations; nothing applied. Set allowDeletions to delete them (fleetctl apply --prune)",
                                     details: ["station/ROST1", "station/ROST2"])
        let server = try await StubCoordinator.start { _ in StubResponse(status: 409, body: Self.encode(envelope)) }
        defer { Task { await server.stop() } }
        try await withFile("empty.yaml", "") { path in
            let run = await fleetctl(["apply", "-f", path, "--coordinator", server.url])
            #expect(run.code == 1)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr == """
                - station/ROST1 would be deleted
                - station/ROST2 would be deleted
                fleetctl: deletions not allowed: this apply would delete 2 of 2 stations; nothing applied. Check the list above, then run again with --prune to delete them

                """)
            for flag in ["--prune", "--allow-deletions", "--force"] {
                _ = await fleetctl(["apply", "-f", path, flag, "--coordinator", server.url])
                let sent = try WireCoding.decoder().decode(ApplyRequest.self, from: try #require(server.requests.last).body)
                #expect(sent.allowDeletions, "\(flag)")
            }
        }
    }

    @Test func diffPrintsFieldChangesAndThePruneNote() {
        let result = ApplyResult(revision: 4, created: ["station/X"], changed: ["station/ROST1", "node/pi"], deleted: ["station/Y"],
                                 unchanged: [], dryRun: true,
                                 fieldChanges: ["station/ROST1": [FieldChange(path: "recorder.cameraHost", old: "192.168.1.75", new: "192.168.1.80"),
                                                                  FieldChange(path: "recorder.username", old: nil, new: "viewer")]],
                                 deletionsNeedAllow: true)
        #expect(ApplyReport.diff(result) == """
            + station/X
            ~ station/ROST1: recorder.cameraHost 192.168.1.75 → 192.168.1.80
            ~ station/ROST1: recorder.username (unset) → viewer
            ~ node/pi
            - station/Y
            1 to create, 2 to change, 1 to delete, 0 unchanged (revision 4)
            apply would refuse: it deletes more than half of the stations, nodes or jobs; run apply with --prune to delete them

            """)
        let old = try? WireCoding.decoder().decode(ApplyRequest.self, from: Data(#"{"files":[],"extra":true}"#.utf8))
        #expect(old?.dryRun == false && old?.allowDeletions == false)
    }
}
