@testable import FleetCoordinator
@testable import FleetInventory
import FleetProtocol
import Foundation
import Logging
import Testing

/// The rule that protects the fleet from an empty or truncated inventory, and the
/// field-level changes `fleetctl diff` prints.
@Suite struct DeletionGuardTests {
    @Test func moreThanHalfOrAllOfAKindNeedsAllowDeletions() {
        let current = ["station/A", "station/B", "station/C", "station/D", "node/n1", "node/n2", "archive/a", "backup/b",
                       "site/s", "defaults/defaults"]
        #expect(DeletionGuard.violations(current: current, deleted: ["station/A", "station/B"]).isEmpty)
        #expect(DeletionGuard.violations(current: current, deleted: ["station/A", "station/B", "station/C"]) == ["3 of 4 stations"])
        #expect(DeletionGuard.violations(current: current, deleted: ["node/n1"]).isEmpty)
        #expect(DeletionGuard.violations(current: current, deleted: ["node/n1", "node/n2"]) == ["2 of 2 nodes"])
        // Jobs count together: one of two is fine, both is not.
        #expect(DeletionGuard.violations(current: current, deleted: ["archive/a"]).isEmpty)
        #expect(DeletionGuard.violations(current: current, deleted: ["archive/a", "backup/b"]) == ["2 of 2 jobs"])
        // The only station of a one-station fleet is "all of them".
        #expect(DeletionGuard.violations(current: ["station/only"], deleted: ["station/only"]) == ["1 of 1 station"])
        // Sites, receivers, defaults are not counted.
        #expect(DeletionGuard.violations(current: current, deleted: ["site/s", "defaults/defaults"]).isEmpty)
        #expect(DeletionGuard.violations(current: [], deleted: []).isEmpty)
    }

    @Test func fieldChangesNameThePathAndNeverASecret() throws {
        let example = try packageFile("inventory/example.yaml")
        let old = try Inventory.load(files: [example]).compile()
        let edited = example.content.replacingOccurrences(of: "segmentSeconds: 300", with: "segmentSeconds: 120")
        let new = try Inventory.load(files: [ApplyRequest.File(path: example.path, content: edited)]).compile()
        let changes = DesiredState.fieldChanges(old: old, new: new)
        #expect(changes == ["station/ROST2": [FieldChange(path: "recorder.segmentSeconds", old: "300", new: "120")]])
        #expect(DesiredState.fieldChanges(old: nil, new: new).isEmpty)
        #expect(FieldFlattener.isSecret("receivers.x.password"))
        #expect(FieldFlattener.isSecret("smtpToken"))
        #expect(!FieldFlattener.isSecret("recorder.passwordFile"))
        #expect(FieldFlattener.flatten(json: #"{"a":{"b":[1,true,"x"],"c":18.3},"d":null}"#)
            == ["a.b[0]": "1", "a.b[1]": "true", "a.b[2]": "x", "a.c": "18.3", "d": "null"])
    }

    @Test func theFleetRefusesAnEmptyInventoryUnlessAllowed() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                          metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1,
                          secretFiles: .skip)  // example.yaml names /etc/stationfleet files
        try await fleet.load()
        let example = try packageFile("inventory/example.yaml")
        #expect(try await fleet.apply(files: [example], dryRun: false).revision == 1)
        let empty = [ApplyRequest.File(path: "empty.yaml", content: "# nothing\n")]

        let dry = try await fleet.apply(files: empty, dryRun: true)
        #expect(dry.deletionsNeedAllow == true)
        #expect(dry.deleted.contains("station/ROST1"))
        do {
            _ = try await fleet.apply(files: empty, dryRun: false)
            Issue.record("an empty inventory was applied")
        } catch let FleetError.deletionsNotAllowed(message, deleted) {
            #expect(message.contains("2 of 2 stations") && message.contains("3 of 3 nodes") && message.contains("4 of 4 jobs"), "\(message)")
            #expect(deleted.contains("node/recordingpi") && deleted.contains("backup/sd-image"))
        }
        #expect(try await fleet.history().count == 1)
        #expect(await fleet.nodeViews().count == 3)

        let allowed = try await fleet.apply(ApplyRequest(files: empty, allowDeletions: true))
        #expect(allowed.revision == 2)
        #expect(allowed.deletionsNeedAllow == false)
        #expect(await fleet.nodeViews().isEmpty)
    }

    @Test func variablesInTheRequestExpandInStringValues() async throws {
        let yaml = """
            sites: {s: {}}
            nodes: {pi: {site: s}}
            stations: {CAM: {node: pi, camera: {host: 10.0.0.2, outputDir: "${DIR}/rec"}}}
            """
        let files = [ApplyRequest.File(path: "v.yaml", content: yaml)]
        let state = try Inventory.load(files: files, environment: ["DIR": "/srv/a \"quoted\": #x"]).compile()
        #expect(state.stations.first?.recorder.outputDir == "/srv/a \"quoted\": #x/rec")
        #expect(HTTPHelpers.maxBodyBytes == ApplyRequest.maxBodyBytes)
    }
}
