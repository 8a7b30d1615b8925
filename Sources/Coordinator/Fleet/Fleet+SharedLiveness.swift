import FleetProtocol
import Foundation

/// Liveness shared by several coordinators on one PostgreSQL database.
///
/// Each agent heartbeats to one instance. That instance flushes the nodes that reported to
/// it every second (one batched upsert, never moving a node's last heartbeat backwards) and
/// every second pulls the rows the other instances changed since its last pull. A newer
/// heartbeat moves this instance's tracker and a newer report replaces what it observed, so
/// all instances converge on the newest heartbeat of each node (the maximum over instances)
/// and compute the same online/missed/offline state, late by at most a flush plus a pull
/// (`syncGrace`, added to both limits). Only the leader stores liveness transitions as
/// events (`recordTransitions`); alerting, also leader-only, reads the merged reports.
extension Fleet {
    /// How far back each pull re-reads before its cursor: a row whose transaction committed
    /// after a newer row was read is not missed. Merging a row twice changes nothing.
    static let snapshotPullOverlap: TimeInterval = 2
    /// The lag of a heartbeat taken by another instance: its flush (1 s) plus this pull (1 s).
    static let sharedLivenessGrace: TimeInterval = 2

    /// Shares liveness with the other coordinators on the store: snapshots are written as
    /// `writer` (this instance's id) and `pullSnapshots` merges what the others wrote.
    public func shareLiveness(writer: String) {
        livenessWriter = writer
        tracker.setSyncGrace(Self.sharedLivenessGrace, now: Date())
    }

    /// Whether liveness is shared (several coordinators may run on the store).
    public var sharesLiveness: Bool { livenessWriter != nil }

    /// Reads the snapshots other instances changed since the last pull and merges the newer
    /// ones: the heartbeat moves the tracker (a node offline here comes back online), the
    /// report replaces the observed one and is published like a report received here.
    public func pullSnapshots(now: Date = Date()) async {
        guard let writer = livenessWriter else { return }
        let page: SnapshotChanges
        do {
            page = try await store.snapshotsChanged(since: snapshotCursor, overlap: Self.snapshotPullOverlap,
                                                       excludingWriter: writer)
        } catch {
            if !snapshotPullFailing { logger.error("cannot read other coordinators' node snapshots", metadata: ["error": "\(error)"]) }
            snapshotPullFailing = true
            return
        }
        if snapshotPullFailing { logger.notice("reading other coordinators' node snapshots again") }
        snapshotPullFailing = false
        snapshotCursor = page.cursor
        func isNewer(_ snapshot: NodeSnapshot) -> Bool {
            tracker.lastHeartbeat(of: snapshot.name).map { $0 < snapshot.lastHeartbeat } ?? true
        }
        guard page.snapshots.contains(where: isNewer) else { return }
        await learnCredentials(of: page.snapshots.filter(isNewer).map(\.name))
        // Checked again after the await: a heartbeat received here meanwhile may be newer.
        let newer = page.snapshots.filter(isNewer)
        var transitions: [NodeTransition] = []
        var published: [FleetChange] = []
        for snapshot in newer {
            if let transition = tracker.merge(node: snapshot.name, lastHeartbeat: snapshot.lastHeartbeat,
                                              intervalSeconds: heartbeatSeconds(of: snapshot.name), now: now) {
                transitions.append(transition)
            }
            let stationChanges = observed.adopt(node: snapshot.name, agentVersion: snapshot.agentVersion,
                                                appliedRevision: snapshot.appliedRevision, report: snapshot.report)
            published += stationChanges.map(FleetChange.stationState)
            published.append(.nodeReported(node: snapshot.name, report: snapshot.report, at: snapshot.lastHeartbeat))
        }
        changes.publish(published)
        for snapshot in newer { await rolloutObserve(node: snapshot.name, report: snapshot.report, now: now) }
        refreshNodeGauges()
        for transition in transitions {
            logger.notice("node online", metadata: ["node": "\(transition.node)", "detail": "\(transition.message)"])
        }
        if !transitions.isEmpty { await recordTransitions(transitions) }
    }

    /// A node that reported to another instance registered there: take its credential from
    /// the store, so this instance shows it registered too.
    private func learnCredentials(of names: [String]) async {
        guard names.contains(where: { !registry.isRegistered($0) }) else { return }
        do {
            for credential in try await store.credentials() where !registry.isRegistered(credential.name) {
                registry.add(name: credential.name, tokenHash: credential.tokenHash)
            }
        } catch {
            logger.error("cannot read node credentials", metadata: ["error": "\(error)"])
        }
    }
}
