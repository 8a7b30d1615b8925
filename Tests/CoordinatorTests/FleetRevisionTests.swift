@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// Revisions through the fleet actor: what an apply records, diffs and re-applies.
@Suite struct FleetRevisionTests {
    func makeFleet() async throws -> (Fleet, SQLiteFleetStore, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-rev-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try SQLiteFleetStore(path: dir + "/c.sqlite")
        let fleet = Fleet(store: store, logger: Logger(label: "test"), metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1)
        try await fleet.load()
        return (fleet, store, dir)
    }

    static func inventory(host: String = "127.0.0.1", dir: String = "/tmp/rec") -> String {
        """
        sites:
          s1: {}
        defaults:
          recorder: {outputDir: \(dir)}
        nodes:
          pi1: {site: s1}
          pi2: {site: s1}
        stations:
          ROST1: {node: pi1, camera: {host: \(host)}}
          ROST2: {node: pi2, camera: {host: 127.0.0.1}}
        """
    }

    static func request(_ content: String, by: String? = nil, variables: [String: String]? = nil) -> ApplyRequest {
        ApplyRequest(files: [.init(path: "fleet.yaml", content: content)], variables: variables, by: by)
    }

    @Test func anApplyThatChangesNothingMakesNoRevision() async throws {
        let (fleet, _, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await fleet.apply(Self.request(Self.inventory())).revision == 1)
        let again = try await fleet.apply(Self.request("# same content, other layout\n" + Self.inventory()))
        #expect(again.revision == 1 && !again.hasChanges)
        #expect(try await fleet.history().map(\.revision) == [1])
    }

    @Test func equalContentHasAnEqualHash() async throws {
        let (fleet, _, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await _ = fleet.apply(Self.request(Self.inventory()))
        try await _ = fleet.apply(Self.request(Self.inventory(host: "127.0.0.2")))
        try await _ = fleet.apply(Self.request("# a comment changes no content\n" + Self.inventory()))
        let history = try await fleet.history()
        #expect(history.map(\.revision) == [3, 2, 1])
        let hashes = history.map { $0.hash ?? "" }
        #expect(hashes.allSatisfy { $0.count == 64 })
        #expect(hashes[0] == hashes[2])
        #expect(hashes[0] != hashes[1])
    }

    @Test func aRevisionRecordsItsAuthorFilesAndVariableNamesOnly() async throws {
        let (fleet, store, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let content = Self.inventory(dir: "\"${REC_DIR}/rec\"")
        try await _ = fleet.apply(Self.request(content, by: "anna@laptop", variables: ["REC_DIR": "/srv/secret-value"]))
        let listed = try #require(try await fleet.history().first)
        #expect(listed.author == "admin" && listed.by == "anna@laptop")
        #expect(listed.authorText == "anna@laptop (admin)")
        #expect(listed.variables == ["REC_DIR"])
        #expect(listed.files == nil)
        #expect(listed.changeSummary == "+\(listed.created.count) ~0 -0")
        let one = try await fleet.revision(1)
        #expect(one.files == [ApplyRequest.File(path: "fleet.yaml", content: content)])
        // The value of the variable is not stored anywhere with the revision.
        let stored = try #require(try await store.revision(1))
        let bodies = try WireCoding.encode(stored.inventory) + WireCoding.encode(stored.record)
        #expect(!String(decoding: bodies, as: UTF8.self).contains("secret-value"))
    }

    @Test func revisionsDiffAndReapplyThroughTheApplyPath() async throws {
        let (fleet, _, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await _ = fleet.apply(Self.request(Self.inventory()))
        try await _ = fleet.apply(Self.request(Self.inventory(host: "127.0.0.2")))
        let diff = try await fleet.diffRevisions(from: 1, RevisionDiffRequest())
        #expect(diff.from == 1 && diff.to == 2)
        #expect(diff.changed.contains("station/ROST1") && diff.created.isEmpty && diff.deleted.isEmpty)
        #expect(diff.fieldChanges["station/ROST1"]?.contains { $0.old == "127.0.0.1" && $0.new == "127.0.0.2" } == true)

        let undo = try await fleet.reapply(revision: 1, ReapplyRequest(by: "anna@laptop"))
        #expect(undo.revision == 3 && undo.changed.contains("station/ROST1"))
        let history = try await fleet.history()
        #expect(history[0].undoOf == 1 && history[0].hash == history[2].hash)
        // Back at revision 1's content: re-applying it again changes nothing.
        let nothing = try await fleet.reapply(revision: 1, ReapplyRequest())
        #expect(!nothing.hasChanges && nothing.revision == 3)

        await #expect(throws: FleetError.notFound(kind: "revision", name: "9")) {
            try await fleet.reapply(revision: 9, ReapplyRequest())
        }
        await #expect(throws: FleetError.notFound(kind: "revision", name: "9")) {
            try await fleet.diffRevisions(from: 1, RevisionDiffRequest(to: 9))
        }
    }

    @Test func aRevisionStoredWithoutItsInventoryIsShownButNotReapplied() async throws {
        let (_, store, dir) = try await makeFleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Revision 1 as the previous version stored it; a coordinator started afterwards.
        try await store.commitRevision(RevisionRecord(revision: 1, appliedAt: Date(), created: ["site/s1"], changed: [], deleted: []),
                                       desired: try WireCoding.encode(DesiredState()), changedAssignments: [], deletedNodes: [])
        let fleet = Fleet(store: store, logger: Logger(label: "test"), metrics: CoordinatorMetrics(), defaultHeartbeatSeconds: 1)
        try await fleet.load()
        #expect(try await fleet.apply(Self.request(Self.inventory())).revision == 2)
        #expect(try await fleet.revision(1).files == nil)
        #expect(try await fleet.history().map { $0.hash == nil } == [false, true])
        let expected = FleetError.conflict("revision 1 was stored before revisions kept their inventory; it cannot be re-applied")
        await #expect(throws: expected) { try await fleet.reapply(revision: 1, ReapplyRequest()) }
        await #expect(throws: FleetError.self) { try await fleet.diffRevisions(from: 1, RevisionDiffRequest()) }
    }
}
