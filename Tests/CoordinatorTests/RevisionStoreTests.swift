@testable import FleetCoordinator
import FleetProtocol
import Foundation
import GRDB
import Logging
import Testing

extension StoreContract {
    /// Revisions keep their inventory; the list leaves it out; a revision without one loads.
    /// Runs after `run` committed revisions 1 and 2 (without inventory).
    static func runRevisionInventory(_ store: any FleetStore) async throws {
        let inventory = RevisionInventory(files: [ApplyRequest.File(path: "fleet.yaml", content: "sites: {s: {}}\n"),
                                                  ApplyRequest.File(path: "more.yaml", content: "# ${DIR}\n")],
                                          variables: ["DIR"])
        let record = RevisionRecord(revision: 3, appliedAt: Date(timeIntervalSince1970: 5000), created: [], changed: ["site/s"],
                                    deleted: [], author: "admin", by: "anna@laptop", hash: String(repeating: "ab", count: 32),
                                    undoOf: 1, variables: ["DIR"])
        try await store.commitRevision(record, inventory: inventory, desired: Data("{\"v\":3}".utf8),
                                       changedAssignments: [], deletedNodes: [])
        let stored = try #require(try await store.revision(3))
        #expect(stored.record == record)
        #expect(stored.inventory == inventory)
        #expect(try await store.revisions(limit: 10).first == record)
        #expect(try await store.revisions(limit: 10).map(\.revision) == [3, 2, 1])
        #expect(try await store.loadDesiredState()?.revision == 3)
        // Committed without an inventory: the record loads, the inventory is nil.
        let older = try #require(try await store.revision(1))
        #expect(older.inventory == nil)
        #expect(older.record.created == ["node/pi1"])
        #expect(try await store.revision(99) == nil)
    }
}

@Suite struct RevisionStoreTests {
    private func withStore<R>(_ body: (SQLiteFleetStore) async throws -> R) async throws -> R {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("revisions-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteFleetStore(path: dir + "/c.sqlite")
        try await store.migrate()
        return try await body(store)
    }

    @Test func aRevisionRowStoredTheOldWayStillLoads() async throws {
        try await withStore { store in
            // Exactly what the previous version wrote: the five-field body, no inventory row.
            let body = #"{"appliedAt":"2026-05-01T10:00:00.000Z","changed":[],"created":["station/ROST1"],"deleted":[],"revision":1}"#
            try await store.pool.write { db in
                try db.execute(sql: "INSERT INTO revisions (revision, body) VALUES (1, ?)", arguments: [Data(body.utf8)])
            }
            let listed = try #require(try await store.revisions(limit: 5).first)
            #expect(listed.revision == 1 && listed.created == ["station/ROST1"])
            #expect(listed.author == nil && listed.hash == nil && listed.undoOf == nil && listed.files == nil)
            #expect(listed.authorText == "-" && listed.shortHash == "-" && listed.changeSummary == "+1 ~0 -0")
            let stored = try #require(try await store.revision(1))
            #expect(stored.inventory == nil)
        }
    }

    @Test func migratingTwiceKeepsInventories() async throws {
        try await withStore { store in
            let inventory = RevisionInventory(files: [.init(path: "a.yaml", content: "x")], variables: [])
            try await store.commitRevision(RevisionRecord(revision: 1, appliedAt: Date(), created: [], changed: [], deleted: []),
                                           inventory: inventory, desired: Data("{}".utf8), changedAssignments: [], deletedNodes: [])
            try await store.migrate()
            #expect(try await store.revision(1)?.inventory == inventory)
        }
    }
}
