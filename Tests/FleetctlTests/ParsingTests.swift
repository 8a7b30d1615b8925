import ArgumentParser
import Foundation
import Testing
@testable import FleetctlCore

@Suite struct ParsingTests {
    private func parse<T: ParsableCommand>(_ arguments: [String], as type: T.Type) throws -> T {
        let command = try FleetctlRoot.parseAsRoot(arguments)
        guard let typed = command as? T else {
            Issue.record("parsed \(Swift.type(of: command)), expected \(T.self)")
            throw CancellationError()
        }
        return typed
    }

    @Test func applyWithGlobalOptions() throws {
        let apply = try parse(["apply", "-f", "inventory/", "--dry-run", "--coordinator", "https://nas:8420",
                               "--token-file", "/tmp/t", "--ca-file", "/tmp/ca.pem", "-o", "json", "--timeout", "3"],
                              as: ApplyCommand.self)
        #expect(apply.file == "inventory/")
        #expect(apply.dryRun)
        #expect(apply.global.coordinator == "https://nas:8420")
        #expect(apply.global.tokenFile == "/tmp/t")
        #expect(apply.global.caFile == "/tmp/ca.pem")
        #expect(apply.global.output == .json)
        #expect(apply.global.timeout == 3)
    }

    @Test func defaults() throws {
        let diff = try parse(["diff", "-f", "a.yaml"], as: DiffCommand.self)
        #expect(diff.global.output == .table)
        #expect(diff.global.timeout == 10)
        #expect(diff.global.coordinator == nil)
        let settings = try diff.global.settings(environment: [:])
        #expect(settings.baseURL == "http://127.0.0.1:8420")
        #expect(settings.token == nil)
    }

    @Test func environmentSuppliesCoordinatorAndToken() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tokenFile = dir.appendingPathComponent("token").path
        try "  secret-from-file\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let get = try parse(["get", "nodes"], as: GetCommand.self)
        let fromFile = try get.global.settings(environment: ["FLEET_COORDINATOR": "http://10.0.0.1:9000/",
                                                             "FLEET_TOKEN_FILE": tokenFile, "FLEET_TOKEN": "ignored"])
        #expect(fromFile.baseURL == "http://10.0.0.1:9000")
        #expect(fromFile.token == "secret-from-file")
        let fromValue = try get.global.settings(environment: ["FLEET_TOKEN": "direct"])
        #expect(fromValue.token == "direct")
        let flagWins = try parse(["get", "nodes", "--coordinator", "http://127.0.0.1:1"], as: GetCommand.self)
        #expect(try flagWins.global.settings(environment: ["FLEET_COORDINATOR": "http://x:2"]).baseURL == "http://127.0.0.1:1")
        #expect(throws: FleetctlError.self) {
            try get.global.settings(environment: ["FLEET_TOKEN_FILE": dir.appendingPathComponent("missing").path])
        }
    }

    @Test func getKindsAndName() throws {
        let nodes = try parse(["get", "nodes"], as: GetCommand.self)
        #expect(nodes.kind == .nodes)
        #expect(nodes.name == nil)
        let station = try parse(["get", "station", "ROST1", "-o", "yaml"], as: GetCommand.self)
        #expect(station.kind == .stations)
        #expect(station.name == "ROST1")
        #expect(station.global.output == .yaml)
        #expect(try parse(["get", "sites"], as: GetCommand.self).kind == .sites)
        #expect(try parse(["get", "assignments", "pi"], as: GetCommand.self).kind == .assignments)
    }

    @Test func describeNodeResetRestartRunRecordings() throws {
        #expect(try parse(["describe", "node", "pi"], as: DescribeNodeCommand.self).name == "pi")
        #expect(try parse(["describe", "station", "ROST1"], as: DescribeStationCommand.self).name == "ROST1")
        #expect(try parse(["node", "reset", "pi"], as: NodeResetCommand.self).name == "pi")
        let restart = try parse(["restart", "recorder", "ROST2", "--wait", "--wait-timeout", "5"], as: RestartRecorderCommand.self)
        #expect(restart.station == "ROST2")
        #expect(restart.wait)
        #expect(restart.waitTimeout == 5)
        #expect(try parse(["restart", "recorder", "ROST2"], as: RestartRecorderCommand.self).waitTimeout == 60)
        let run = try parse(["run", "backup", "birdnet-db", "--node", "emsn-zolder", "--wait"], as: RunJobCommand.self)
        #expect(run.kind == .backup)
        #expect(run.name == "birdnet-db")
        #expect(run.node == "emsn-zolder")
        #expect(run.wait)
        #expect(run.waitTimeout == 600)
        let recordings = try parse(["recordings", "ROST1", "--from", "-24h", "--to", "2025-05-23T03:30:00Z"], as: RecordingsCommand.self)
        #expect(recordings.from == .relative(-86_400))
        #expect(recordings.to == .absolute(Date(timeIntervalSince1970: 1_747_971_000)))
    }

    @Test(arguments: [
        ["get"], ["get", "widgets"], ["apply"], ["apply", "-f"], ["restart", "recorder"], ["run", "cleanup", "x"],
        ["describe", "node"], ["get", "nodes", "-o", "xml"], ["get", "nodes", "--timeout", "0"], ["bogus"],
        ["recordings", "ROST1", "--from", "yesterday"], ["restart", "recorder", "R", "--wait-timeout", "-1"],
        ["node", "reset"], ["get", "nodes", "--no-such-flag"],
    ])
    func usageErrorsExit2(arguments: [String]) async {
        let result = await fleetctl(arguments)
        #expect(result.code == 2)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.hasPrefix("fleetctl: "))
    }

    @Test(arguments: [["--help"], ["apply", "--help"], ["help", "get"], ["restart", "recorder", "-h"], ["--version"]])
    func helpExits0(arguments: [String]) async {
        let result = await fleetctl(arguments)
        #expect(result.code == 0)
        #expect(!result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
    }

    @Test func helpHasAbstractDiscussionAndExamples() async {
        for command in [["apply"], ["diff"], ["get"], ["describe", "node"], ["describe", "station"], ["node", "reset"],
                        ["restart", "recorder"], ["run"], ["recordings"]] {
            let result = await fleetctl(command + ["--help"])
            #expect(result.stdout.contains("OVERVIEW:"), "\(command)")
            #expect(result.stdout.contains("Examples:"), "\(command)")
            #expect(result.stdout.contains("--coordinator"), "\(command)")
            #expect(result.stdout.contains("--ca-file"), "\(command)")
        }
        let diff = await fleetctl(["diff", "--help"])
        #expect(diff.stdout.contains("1 when there are"))
    }
}

@Suite struct SnapshotFileOptionTests {
    @Test func dashOWithAFileNameIsThePicturesFile() throws {
        let cases: [([String], String?, OutputFormat)] = [
            (["snapshot", "ROST1", "-o", "rost1.jpg"], "rost1.jpg", .table),
            (["-o", "rost1.jpg", "snapshot", "ROST1"], "rost1.jpg", .table),
            (["snapshot", "ROST1", "--output=r.jpg"], "r.jpg", .table),
            (["snapshot", "ROST1", "-o", "json"], nil, .json),
            (["snapshot", "ROST1", "-f", "x.jpg", "-o", "yaml"], "x.jpg", .yaml),
        ]
        for (arguments, file, format) in cases {
            let parsed = try FleetctlRoot.parseAsRoot(ArgumentOrder.snapshotFile(ArgumentOrder.normalize(arguments)))
            let command = try #require(parsed as? SnapshotCommand, "\(arguments)")
            #expect(command.file == file, "\(arguments)")
            #expect(command.global.output == format, "\(arguments)")
        }
        // Other commands keep -o as the output format: a file name there is a usage error.
        #expect(ArgumentOrder.snapshotFile(["get", "nodes", "-o", "x.jpg"]) == ["get", "nodes", "-o", "x.jpg"])
    }
}
