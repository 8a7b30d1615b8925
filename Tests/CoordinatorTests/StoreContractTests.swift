@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Synchronization
import Testing

/// One contract, every backend: each store must pass the same checks.
enum StoreContract {
    static func run(_ store: any FleetStore) async throws {
        try await store.migrate()
        try await store.migrate()  // idempotent
        try await store.ping()
        #expect(try await store.loadDesiredState() == nil)

        // Desired state commits atomically and reads back.
        let a1 = Assignment(node: "pi1", site: "s", revision: 1, heartbeatSeconds: 10,
                            recorders: [RecorderSpec(station: "ROST1", cameraHost: "127.0.0.1", outputDir: "/rec")])
        let a2 = Assignment(node: "pi2", site: "s", revision: 1, heartbeatSeconds: 10)
        try await store.commitRevision(RevisionRecord(revision: 1, appliedAt: Date(), created: ["node/pi1"], changed: [], deleted: []),
                                       desired: Data("{\"v\":1}".utf8), changedAssignments: [a1, a2], deletedNodes: [])
        var a1v2 = a1
        a1v2.revision = 2
        a1v2.recorders[0].segmentSeconds = 300
        try await store.commitRevision(RevisionRecord(revision: 2, appliedAt: Date(), created: [], changed: ["station/ROST1"], deleted: []),
                                       desired: Data("{\"v\":2}".utf8), changedAssignments: [a1v2], deletedNodes: ["pi2"])
        let loaded = try #require(try await store.loadDesiredState())
        #expect(loaded.revision == 2)
        #expect(loaded.desired == Data("{\"v\":2}".utf8))
        #expect(loaded.assignments == ["pi1": a1v2])
        #expect(try await store.revisions(limit: 10).map(\.revision) == [2, 1])
        try await runRevisionInventory(store)

        // Credentials: one per name.
        let credential = NodeCredential(name: "pi1", tokenHash: "abc", registeredAt: Date(timeIntervalSince1970: 1000))
        #expect(try await store.insertCredential(credential))
        #expect(!(try await store.insertCredential(NodeCredential(name: "pi1", tokenHash: "other", registeredAt: Date()))))
        #expect(try await store.credentials() == [credential])
        // Looked up by token hash: the credential, nothing for an unknown hash or a name.
        #expect(try await store.credential(tokenHash: "abc") == credential)
        #expect(try await store.credential(tokenHash: "other") == nil)
        #expect(try await store.credential(tokenHash: "pi1") == nil)
        let second = NodeCredential(name: "pi2", tokenHash: "def", registeredAt: Date(timeIntervalSince1970: 1001))
        #expect(try await store.insertCredential(second))
        #expect(try await store.credential(tokenHash: "def") == second)
        // Looked up by node name: that node's credential, nothing for an unknown name or a hash.
        #expect(try await store.credential(node: "pi1") == credential)
        #expect(try await store.credential(node: "pi2") == second)
        #expect(try await store.credential(node: "abc") == nil)
        #expect(try await store.credential(node: "pi3") == nil)
        #expect(try await store.deleteCredential(node: "pi1"))
        #expect(!(try await store.deleteCredential(node: "pi1")))
        #expect(try await store.credential(tokenHash: "abc") == nil, "a deleted credential is no longer found")
        #expect(try await store.credential(node: "pi1") == nil, "a deleted credential is no longer found by name")
        #expect(try await store.credential(tokenHash: "def") == second)
        #expect(try await store.deleteCredential(node: "pi2"))

        // The shared join token: none at first, then the last one saved (expiry optional).
        #expect(try await store.sharedJoinToken() == nil)
        let join = SharedJoinToken(hash: "h1", expiresAt: Date(timeIntervalSince1970: 5000), rotatedAt: Date(timeIntervalSince1970: 4000))
        try await store.saveSharedJoinToken(join)
        #expect(try await store.sharedJoinToken() == join)
        let rotated = SharedJoinToken(hash: "h2", expiresAt: nil, rotatedAt: Date(timeIntervalSince1970: 4100))
        try await store.saveSharedJoinToken(rotated)
        #expect(try await store.sharedJoinToken() == rotated)

        // Snapshots upsert.
        let report = StatusReport(agentVersion: "1", uptimeSeconds: 5, appliedRevision: 2,
                                  storage: [StorageMetric(path: "/", totalBytes: 100, freeBytes: 40, usedPercent: 60)])
        let snapshot = NodeSnapshot(name: "pi1", lastHeartbeat: Date(timeIntervalSince1970: 2000), agentVersion: "1",
                                    appliedRevision: 2, report: report)
        try await store.saveSnapshots([snapshot])
        try await store.saveSnapshots([snapshot])
        #expect(try await store.loadSnapshots() == [snapshot])

        // Events are idempotent by id and filter by node/station.
        let event = AgentEvent(id: "e1", time: Date(timeIntervalSince1970: 3000), kind: "recorder.restarted",
                               station: "ROST1", message: "stalled")
        try await store.recordEvents([event, event], node: "pi1")
        try await store.recordEvents([AgentEvent(id: "e2", time: Date(timeIntervalSince1970: 3001), kind: "x", message: "y")], node: "pi2")
        #expect(try await store.recentEvents(node: "pi1", station: nil, limit: 10).map(\.id) == ["e1"])
        #expect(try await store.recentEvents(node: nil, station: "ROST1", limit: 10).map(\.id) == ["e1"])
        #expect(try await store.recentEvents(node: nil, station: nil, limit: 10).map(\.id) == ["e2", "e1"])

        // Segments: the store applies the merge rule it is given, inside its transaction,
        // and here it is the coordinator's own rule: later reports fill in the archive path
        // without losing the duration.
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let segment = SegmentRecord(station: "ROST1", name: "ROST1_a.mkv", start: start, durationSeconds: 600, bytes: 10, valid: true)
        try await store.recordSegments([segment], node: "pi1", merge: SegmentMerge.merge)
        try await store.recordSegments([SegmentRecord(station: "ROST1", name: "ROST1_a.mkv", start: start, durationSeconds: 0,
                                                      bytes: 10, valid: true, archivePath: "/nas/a.mkv", sha256: "ff")],
                                       node: "pi1", merge: SegmentMerge.merge)
        let segments = try await store.segments(station: "ROST1", from: start.addingTimeInterval(-1), to: nil)
        #expect(segments.count == 1)
        #expect(segments.first?.durationSeconds == 600)
        #expect(segments.first?.archivePath == "/nas/a.mkv")
        #expect(try await store.segments(station: "ROST1", from: start.addingTimeInterval(1), to: nil).isEmpty)
        // The store passes what it holds (nil for a new segment) and keeps what merge returns.
        let seen = Mutex<[SegmentRecord?]>([])
        try await store.recordSegments([SegmentRecord(station: "ROST1", name: "ROST1_b.mkv", start: start.addingTimeInterval(600),
                                                      durationSeconds: 600, bytes: 5, valid: true)], node: "pi1") { old, new in
            seen.withLock { $0.append(old) }
            var kept = new
            kept.bytes = 42
            return kept
        }
        #expect(seen.withLock { $0 } == [nil])
        #expect(try await store.segments(station: "ROST1", from: start.addingTimeInterval(599), to: nil).map(\.bytes) == [42])
        // The earliest entry by start; nil for a station without any.
        #expect(try await store.firstSegment(station: "ROST1")?.name == "ROST1_a.mkv")
        #expect(try await store.firstSegment(station: "ROST9") == nil)

        try await store.recordJobRuns([JobRun(id: "r1", job: "j", kind: .archive, startedAt: start, durationSeconds: 1,
                                              files: 1, bytes: 1, outcome: .succeeded)], node: "pi1")

        // Commands: open ones come back after a restart; finished ones are history.
        let command = CommandView(id: "c1", kind: .restartRecorder, target: "ROST1", node: "pi1", state: .pending,
                                  issuedAt: start, expiresAt: start.addingTimeInterval(300))
        try await store.saveCommand(command)
        #expect(try await store.commands(inStates: [.pending, .delivered]) == [command])
        var done = command
        done.state = .succeeded
        done.message = "ok"
        try await store.saveCommand(done)
        #expect(try await store.commands(inStates: [.pending, .delivered]).isEmpty)
        #expect(try await store.command(id: "c1") == done)
        #expect(try await store.recentCommands(target: "ROST1", limit: 5) == [done])

        // Retention: old history goes, recent history and the catalog stay.
        let pruned = try await store.pruneHistory(before: Date(timeIntervalSince1970: 3000.5),
                                                   keepingCommandStates: [.pending, .delivered])
        #expect(pruned == 1)  // event e1 (t=3000); e2 (t=3001) stays
        #expect(try await store.recentEvents(node: nil, station: nil, limit: 10).map(\.id) == ["e2"])
        let waiting = CommandView(id: "c2", kind: .runArchive, target: "video", node: "pi1", state: .pending,
                                  issuedAt: start, expiresAt: start.addingTimeInterval(300))
        try await store.saveCommand(waiting)
        _ = try await store.pruneHistory(before: start.addingTimeInterval(400), keepingCommandStates: [.pending, .delivered])
        #expect(try await store.command(id: "c1") == nil)
        #expect(try await store.command(id: "c2") == waiting)  // the kept states are the caller's rule
        #expect(try await store.segments(station: "ROST1", from: nil, to: nil).count == 2)

        try await runAlerting(store)
        try await runRollouts(store)
        try await runConcurrentSegments(store)
        try await runSharedLiveness(store)
    }

    /// Snapshots as several coordinators share them: a batched upsert that never moves a
    /// node's last heartbeat backwards, and changes read by cursor, without the reader's own.
    static func runSharedLiveness(_ store: any FleetStore) async throws {
        func snapshot(_ name: String, at seconds: TimeInterval, uptime: Double) -> NodeSnapshot {
            NodeSnapshot(name: name, lastHeartbeat: Date(timeIntervalSince1970: seconds), agentVersion: "1", appliedRevision: 1,
                         report: StatusReport(agentVersion: "1", uptimeSeconds: uptime, appliedRevision: 1))
        }
        func stored(_ name: String) async throws -> NodeSnapshot? { try await store.loadSnapshots().first { $0.name == name } }
        let before = try await store.snapshotsChanged(since: nil, overlap: 0, excludingWriter: nil)

        // Never backwards: an instance holding an older view of live1 cannot overwrite the newer row.
        try await store.saveSnapshots([snapshot("live1", at: 5000, uptime: 1)], writer: "a")
        try await store.saveSnapshots([snapshot("live1", at: 4000, uptime: 2)], writer: "b")
        #expect(try await stored("live1") == snapshot("live1", at: 5000, uptime: 1))
        // In one batch: newer rows replace, and a name listed twice keeps its newest heartbeat.
        try await store.saveSnapshots([snapshot("live1", at: 6000, uptime: 3), snapshot("live2", at: 6000, uptime: 4),
                                       snapshot("live2", at: 5500, uptime: 5)], writer: "b")
        #expect(try await stored("live1") == snapshot("live1", at: 6000, uptime: 3))
        #expect(try await stored("live2") == snapshot("live2", at: 6000, uptime: 4))
        try await store.saveSnapshots([snapshot("live2", at: 5999, uptime: 6)], writer: "a")
        #expect(try await stored("live2") == snapshot("live2", at: 6000, uptime: 4))

        // Changes since a cursor, without the reader's own rows (b wrote both rows last).
        let forA = try await store.snapshotsChanged(since: before.cursor, overlap: 0, excludingWriter: "a")
        #expect(Set(forA.snapshots.map(\.name)) == ["live1", "live2"])
        #expect(forA.snapshots.first { $0.name == "live1" } == snapshot("live1", at: 6000, uptime: 3))
        let cursor = try #require(forA.cursor)
        #expect(before.cursor.map { cursor > $0 } ?? true)
        #expect(try await store.snapshotsChanged(since: before.cursor, overlap: 0, excludingWriter: "b").snapshots.isEmpty)
        let all = try await store.snapshotsChanged(since: nil, overlap: 0, excludingWriter: nil)
        #expect(Set(all.snapshots.map(\.name)).isSuperset(of: ["live1", "live2"]))
        // Nothing new: no rows, the same cursor. The overlap reads the recent rows again.
        let idle = try await store.snapshotsChanged(since: cursor, overlap: 0, excludingWriter: "a")
        #expect(idle.snapshots.isEmpty)
        #expect(idle.cursor == cursor)
        let overlapping = try await store.snapshotsChanged(since: cursor, overlap: 3600, excludingWriter: "a")
        #expect(Set(overlapping.snapshots.map(\.name)).isSuperset(of: ["live1", "live2"]))
        // A later change comes after the cursor.
        try await store.saveSnapshots([snapshot("live1", at: 7000, uptime: 7)], writer: "c")
        let next = try await store.snapshotsChanged(since: cursor, overlap: 0, excludingWriter: "a")
        #expect(next.snapshots == [snapshot("live1", at: 7000, uptime: 7)])
        #expect(next.cursor.map { $0 > cursor } == true)

        try await store.deleteSnapshot(node: "live1")
        try await store.deleteSnapshot(node: "live2")
    }

    /// Concurrent reports of the same segments, in opposite orders, merge one after the other:
    /// no report is lost (a lost update shows as a smaller sum) and none deadlocks.
    static func runConcurrentSegments(_ store: any FleetStore) async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let add: @Sendable (SegmentRecord?, SegmentRecord) -> SegmentRecord = { old, new in
            var merged = new
            merged.bytes = (old?.bytes ?? 0) + new.bytes
            return merged
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let segments = ["x.mkv", "y.mkv"].map {
                        SegmentRecord(station: "ROST9", name: $0, start: start, durationSeconds: 60, bytes: 1, valid: true)
                    }
                    try await store.recordSegments(index % 2 == 0 ? segments : segments.reversed(), node: "pi9", merge: add)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.segments(station: "ROST9", from: nil, to: nil).map(\.bytes) == [16, 16])
    }

    /// Rollouts: saved by revision (a save replaces), the newest revision is the latest.
    static func runRollouts(_ store: any FleetStore) async throws {
        #expect(try await store.loadLatestRollout(upTo: 100) == nil)
        let at = Date(timeIntervalSince1970: 5_000)
        let first = StoredRollout(revision: 3, state: "running", updatedAt: at, body: Data("{\"a\":1}".utf8))
        try await store.saveRollout(first)
        #expect(try await store.loadLatestRollout(upTo: 100) == first)
        let newer = StoredRollout(revision: 4, state: "paused", updatedAt: at + 1, body: Data("{\"b\":2}".utf8))
        try await store.saveRollout(newer)
        var replaced = first
        replaced.state = "aborted"
        try await store.saveRollout(replaced)
        #expect(try await store.loadLatestRollout(upTo: 100) == newer)
        #expect(try await store.loadLatestRollout(upTo: 3) == replaced)
        var done = newer
        done.state = "succeeded"
        try await store.saveRollout(done)
        #expect(try await store.loadLatestRollout(upTo: 4) == done)
    }

    /// Alert state, groups, the outbox and silences: one transaction per commit, outbox
    /// entries idempotent by id, pending ones reloaded oldest first, retention by end time.
    static func runAlerting(_ store: any FleetStore) async throws {
        #expect(try await store.loadAlerting() == AlertingSnapshot())
        let t0 = Date(timeIntervalSince1970: 10_000)
        let alert = Alert(labels: ["alertname": "SegmentStale", "station": "ROST1"], annotations: ["summary": "s"], startsAt: t0)
        let options = RouteOptions(receiver: "ops", groupBy: ["alertname"], groupByAll: false, groupWaitSeconds: 0,
                                   groupIntervalSeconds: 60, repeatIntervalSeconds: 3_600)
        var group = GroupRecord(groupKey: "{}:{alertname=\"SegmentStale\"}", groupLabels: ["alertname": "SegmentStale"],
                                options: options, createdAt: t0)
        group.sequence = 1
        let first = AlertNotification(receiver: "ops", groupKey: group.groupKey, sequence: 1, alerts: [alert],
                                 groupLabels: group.groupLabels, externalURL: "", createdAt: t0)
        let second = AlertNotification(receiver: "ops", groupKey: group.groupKey, sequence: 2, alerts: [alert],
                                  groupLabels: group.groupLabels, externalURL: "", createdAt: t0.addingTimeInterval(1))
        var commit = AlertingCommit()
        commit.upsertAlerts = [AlertRecord(alert: alert)]
        commit.upsertGroups = [group]
        commit.newNotifications = [OutboxEntry(notification: second, nextAttemptAt: t0),
                                   OutboxEntry(notification: first, nextAttemptAt: t0)]
        try await store.commitAlerting(commit)
        try await store.commitAlerting(commit)  // idempotent
        var loaded = try await store.loadAlerting()
        #expect(loaded.alerts == [AlertRecord(alert: alert)])
        #expect(loaded.groups == [group])
        #expect(loaded.pending.map(\.notification.sequence) == [1, 2])  // oldest first

        // Delivery outcomes: sent and failed leave the pending list; failed ones are listed.
        var sent = loaded.pending[0]
        sent.state = .sent
        sent.attempts = 1
        sent.sentAt = t0.addingTimeInterval(2)
        try await store.updateOutbox(sent)
        var failed = loaded.pending[1]
        failed.state = .failed
        failed.attempts = 12
        failed.lastError = "connection refused"
        try await store.updateOutbox(failed)
        loaded = try await store.loadAlerting()
        #expect(loaded.pending.isEmpty)
        #expect(try await store.outbox(failedOnly: true, limit: 10) == [failed])
        #expect(try await store.outbox(failedOnly: false, limit: 10).map(\.notification.sequence) == [2, 1])
        #expect(try await store.outbox(failedOnly: false, limit: 1).count == 1)

        // Resolution and group deletion in one commit.
        var resolved = AlertRecord(alert: alert)
        resolved.alert.endsAt = t0.addingTimeInterval(5)
        var closing = AlertingCommit()
        closing.upsertAlerts = [resolved]
        closing.deleteGroups = [group.id]
        try await store.commitAlerting(closing)
        loaded = try await store.loadAlerting()
        #expect(loaded.alerts == [resolved])
        #expect(loaded.groups.isEmpty)

        // Silences: active ones listed; expired only on request.
        let active = SilenceView(id: "s1", matchers: ["site=\"auklab\""], startsAt: t0, endsAt: t0.addingTimeInterval(3_600),
                                 createdBy: "anna", comment: "NAS move", state: .active)
        var ended = active
        ended.id = "s2"
        ended.endsAt = t0.addingTimeInterval(10)
        ended.state = .expired
        try await store.saveSilence(active)
        try await store.saveSilence(ended)
        let now = t0.addingTimeInterval(60)
        #expect(try await store.silences(includeExpired: false, now: now) == [active])
        #expect(Set(try await store.silences(includeExpired: true, now: now).map(\.id)) == ["s1", "s2"])

        // Retention: resolved alerts, finished notifications and ended silences before the cutoff go.
        let removed = try await store.pruneAlerting(before: t0.addingTimeInterval(100))
        #expect(removed == 3)  // the resolved alert, the notification sent at t0+2, silence s2
        loaded = try await store.loadAlerting()
        #expect(loaded.alerts.isEmpty)
        #expect(loaded.silences == [active])
        // The failed one finished when it was recorded (now), after the cutoff: it stays listed.
        #expect(try await store.outbox(failedOnly: false, limit: 10) == [failed])
    }
}

@Suite struct SQLiteStoreContractTests {
    @Test func sqliteStorePassesTheContract() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await StoreContract.run(try SQLiteFleetStore(path: dir + "/c.sqlite"))
    }

    @Test func unopenableDatabaseIsAClearError() throws {
        #expect(throws: StoreError.self) { try SQLiteFleetStore(path: "/proc/nope/c.sqlite") }
    }
}
