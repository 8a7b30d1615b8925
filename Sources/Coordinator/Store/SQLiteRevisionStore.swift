import FleetProtocol
import Foundation
import GRDB

/// Revisions on SQLite: the history record in `revisions` (as before) and, since
/// "v3-revision-inventory", the inventory each revision was applied from in
/// `revision_inventories`. Rows stored earlier have no inventory and still load.
extension SQLiteFleetStore {
    static func registerRevisionInventoryMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-revision-inventory") { db in
            try db.execute(sql: "CREATE TABLE revision_inventories (revision INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        }
    }

    public func commitRevision(_ record: RevisionRecord, inventory: RevisionInventory?, desired: Data,
                               changedAssignments: [Assignment], deletedNodes: [String]) async throws {
        var listed = record
        listed.files = nil
        let recordBody = try WireCoding.encode(listed)
        let inventoryBody = try inventory.map { try WireCoding.encode($0) }
        let assignmentBodies = try changedAssignments.map { ($0.node, $0.revision, try WireCoding.encode($0)) }
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('revision', ?)",
                           arguments: [Data(String(record.revision).utf8)])
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('desired', ?)", arguments: [desired])
            for (node, revision, body) in assignmentBodies {
                try db.execute(sql: "INSERT OR REPLACE INTO assignments (node, revision, body) VALUES (?, ?, ?)",
                               arguments: [node, revision, body])
            }
            for node in deletedNodes {
                try db.execute(sql: "DELETE FROM assignments WHERE node = ?", arguments: [node])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO revisions (revision, body) VALUES (?, ?)",
                           arguments: [record.revision, recordBody])
            if let inventoryBody {
                try db.execute(sql: "INSERT OR REPLACE INTO revision_inventories (revision, body) VALUES (?, ?)",
                               arguments: [record.revision, inventoryBody])
            } else {
                try db.execute(sql: "DELETE FROM revision_inventories WHERE revision = ?", arguments: [record.revision])
            }
        }
    }

    public func revisions(limit: Int) async throws -> [RevisionRecord] {
        try await pool.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM revisions ORDER BY revision DESC LIMIT ?", arguments: [limit])
                .map { try Self.decode(RevisionRecord.self, $0, what: "revision") }
        }
    }

    public func revision(_ number: Int) async throws -> StoredRevision? {
        try await pool.read { db -> StoredRevision? in
            guard let body = try Data.fetchOne(db, sql: "SELECT body FROM revisions WHERE revision = ?",
                                               arguments: [number]) else { return nil }
            let record = try Self.decode(RevisionRecord.self, body, what: "revision \(number)")
            let inventory = try Data.fetchOne(db, sql: "SELECT body FROM revision_inventories WHERE revision = ?",
                                              arguments: [number])
                .map { try Self.decode(RevisionInventory.self, $0, what: "inventory of revision \(number)") }
            return StoredRevision(record: record, inventory: inventory)
        }
    }
}
