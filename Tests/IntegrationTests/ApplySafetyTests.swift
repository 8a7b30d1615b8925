import FleetProtocol
import Foundation
import Testing

/// The real coordinator and the real fleetctl against one bad keystroke: an empty inventory,
/// a variable that only the operator's shell has, global options in front of the command.
@Suite(.serialized) struct ApplySafetyTests {
    private func revisions(_ fleet: TestFleet) async throws -> Int {
        try await fleet.get([RevisionRecordView].self, "/v1/revisions").count
    }

    private func stations(_ fleet: TestFleet) async throws -> [String] {
        try await fleet.get([StationView].self, APIPath.stations).map(\.name).sorted()
    }

    @Test func anEmptyInventoryCannotWipeTheFleet() async throws {
        try await withFleet("prune") { fleet in
            try await fleet.startCoordinator()
            let inventory = try fleet.renderInventory("fleet.yaml")
            #expect(try await fleet.fleetctl(["apply", "-f", inventory]).status == 0)
            #expect(try await stations(fleet) == ["ROST1", "ROST2"])

            let empty = fleet.dir + "/empty.yaml"
            let comment = fleet.dir + "/comment.yaml"
            try "".write(toFile: empty, atomically: true, encoding: .utf8)
            try "# everything moved elsewhere\n".write(toFile: comment, atomically: true, encoding: .utf8)
            for path in [empty, comment] {
                let refused = try await fleet.fleetctl(["apply", "-f", path])
                #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
                #expect(refused.stderr.contains("- station/ROST1 would be deleted"), "\(refused.stderr)")
                #expect(refused.stderr.contains("- node/emsn-zolder would be deleted"), "\(refused.stderr)")
                #expect(refused.stderr.contains("- archive/video-to-nas would be deleted"), "\(refused.stderr)")
                #expect(refused.stderr.contains("2 of 2 stations"), "\(refused.stderr)")
                #expect(refused.stderr.contains("--prune"), "\(refused.stderr)")
                #expect(refused.stdout.isEmpty)
            }
            // Nothing was lost.
            #expect(try await revisions(fleet) == 1)
            #expect(try await stations(fleet) == ["ROST1", "ROST2"])
            #expect(try await fleet.nodes().count == 3)

            // diff and --dry-run show the deletions and that the flag would be needed.
            let diff = try await fleet.fleetctl(["diff", "-f", empty])
            #expect(diff.status == 1)
            #expect(diff.stdout.contains("- station/ROST2"), "\(diff.stdout)")
            #expect(diff.stdout.contains("apply would refuse") && diff.stdout.contains("--prune"), "\(diff.stdout)")
            let dry = try await fleet.fleetctl(["apply", "-f", empty, "--dry-run"])
            #expect(dry.status == 0)
            #expect(dry.stdout.contains("station/ROST1 deleted") && dry.stdout.contains("--prune"), "\(dry.stdout)")

            // The HTTP answer: 409 with the envelope listing every deletion; unknown fields are ignored.
            let body = Data(#"{"files":[{"path":"e.yaml","content":""}],"dryRun":false,"fromTheFuture":1}"#.utf8)
            let (status, data) = try await fleet.request(.POST, APIPath.apply, token: fleet.adminToken, body: body)
            #expect(status == 409)
            let envelope = try WireCoding.decode(ErrorEnvelope.self, from: data)
            #expect(envelope.error.code == ErrorCode.deletionsNotAllowed)
            #expect(envelope.error.details?.contains("station/ROST1") == true)
            #expect(envelope.error.details?.contains("backup/birdnet-db") == true)
            #expect(try await revisions(fleet) == 1)

            // A small deletion (one of two stations) applies without a flag, printed as before.
            let smaller = try fleet.renderInventory("fleet.yaml", replacing: [
                "  ROST2: {node: recordingpi, camera: {host: 127.0.0.1, segmentSeconds: 300}}\n": "",
            ])
            let removed = try await fleet.fleetctl(["apply", "-f", smaller])
            #expect(removed.status == 0, "\(removed.stderr)")
            #expect(removed.stdout.contains("station/ROST2 deleted"), "\(removed.stdout)")
            #expect(try await stations(fleet) == ["ROST1"])

            // The explicit decision: --prune (and its aliases) deletes everything.
            let pruned = try await fleet.fleetctl(["apply", "-f", empty, "--prune"])
            #expect(pruned.status == 0, "\(pruned.stderr)")
            #expect(pruned.stdout.contains("station/ROST1 deleted"))
            #expect(try await stations(fleet).isEmpty)
            #expect(try await revisions(fleet) == 3)
        }
    }

    @Test func diffShowsEachChangedField() async throws {
        try await withFleet("fielddiff") { fleet in
            try await fleet.startCoordinator()
            #expect(try await fleet.fleetctl(["apply", "-f", try fleet.renderInventory("fleet.yaml")]).status == 0)
            let edited = try fleet.renderInventory("fleet.yaml", replacing: [
                "ROST1: {node: recordingpi, camera: {host: 127.0.0.1}}": "ROST1: {node: recordingpi, camera: {host: 127.0.0.2}}",
            ])
            let diff = try await fleet.fleetctl(["diff", "-f", edited])
            #expect(diff.status == 1)
            #expect(diff.stdout.contains("~ station/ROST1: recorder.cameraHost 127.0.0.1 → 127.0.0.2"), "\(diff.stdout)")
            #expect(!diff.stdout.contains("camera-secret"))
            let json = try await fleet.fleetctl(["diff", "-f", edited, "-o", "json"])
            let result = try WireCoding.decode(ApplyResult.self, from: Data(json.stdout.utf8))
            #expect(result.fieldChanges?["station/ROST1"] == [FieldChange(path: "recorder.cameraHost", old: "127.0.0.1", new: "127.0.0.2")])
            #expect(result.deletionsNeedAllow == false)
        }
    }

    @Test func variablesComeFromFleetctlsEnvironment() async throws {
        try await withFleet("variables") { fleet in
            try await fleet.startCoordinator()
            // The fixture as written, ${DIR} and all (also in its comment).
            let raw = try String(contentsOfFile: packageRoot + "/Tests/IntegrationTests/Fixtures/fleet.yaml", encoding: .utf8)
            let path = fleet.dir + "/raw.yaml"
            try raw.write(toFile: path, atomically: true, encoding: .utf8)

            let unset = try await fleet.fleetctl(["apply", "-f", path])
            #expect(unset.status == 1)
            #expect(unset.stderr.contains("raw.yaml:15:19: unknown variable '${DIR}'"), "\(unset.stderr)")
            #expect(!unset.stderr.contains("raw.yaml:2:"), "a comment is not a reference: \(unset.stderr)")
            #expect(try await revisions(fleet) == 0)

            let set = try await fleet.fleetctl(["apply", "-f", path], environment: ["DIR": fleet.dir])
            #expect(set.status == 0, "\(set.stderr)")
            let stations = try await fleet.get([StationView].self, APIPath.stations)
            #expect(stations.count == 2)
            let assignment = try await fleet.get(Assignment.self, APIPath.assignment("recordingpi"))
            #expect(assignment.recorders.first?.outputDir == fleet.dir + "/recordings")
        }
    }

    @Test func globalOptionsMayComeBeforeTheCommand() async throws {
        try await withFleet("globals") { fleet in
            try await fleet.startCoordinator()
            let run = try await fleet.fleetctl(
                ["--coordinator", fleet.url, "--token-file", fleet.dataDir + "/admin.token", "-o", "json", "get", "nodes"],
                coordinatorEnvironment: false)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.hasPrefix("["), "\(run.stdout)")
            let missing = try await fleet.fleetctl(["--token-file", fleet.dir + "/nope", "get", "nodes"], coordinatorEnvironment: false)
            #expect(missing.status == 1)
            #expect(missing.stderr == "fleetctl: cannot read token file \(fleet.dir)/nope: no such file\n")
        }
    }
}
