import FleetProtocol
import Foundation

extension Fleet {
    /// Every node the inventory names or that registered.
    public func nodeViews(now: Date = Date()) -> [NodeView] {
        allNodes().sorted().map { nodeView($0, now: now) }
    }

    /// One node with its storage, jobs and recent events.
    public func nodeDetail(_ name: String) async throws -> NodeView {
        guard allNodes().contains(name) else { throw FleetError.notFound(kind: "node", name: name) }
        var view = nodeView(name, now: Date())
        let report = observed[name]?.report
        view.storage = report?.storage ?? []
        view.jobs = report?.jobs ?? []
        view.wantedAgentVersion = book.served(name)?.agent?.version
        view.agentUpgrade = report?.agentUpgrade
        view.failedUnits = report?.failedUnits
        view.recentEvents = try await store.recentEvents(node: name, station: nil, limit: 20)
        return view
    }

    func nodeView(_ name: String, now: Date) -> NodeView {
        let reported = observed[name]
        return NodeView(
            name: name, site: book.site(of: name), state: nodeState(name), appliedRevision: reported?.appliedRevision ?? 0,
            desiredRevision: book.served(name)?.revision ?? 0,
            lastHeartbeatAgeSeconds: tracker.lastHeartbeat(of: name).map { max(0, now.timeIntervalSince($0)) },
            agentVersion: reported?.agentVersion, diskUsedPercent: reported?.report.storage.map(\.usedPercent).max(),
            registered: registry.isRegistered(name))
    }

    /// Every station with its recorder's live state.
    public func stationViews(now: Date = Date()) -> [StationView] {
        (book.desired?.stations ?? []).sorted { $0.name < $1.name }.map { stationView($0, now: now) }
    }

    /// One station with its recent events and commands.
    public func stationDetail(_ name: String) async throws -> StationView {
        guard let station = book.station(name) else {
            throw FleetError.notFound(kind: "station", name: name)
        }
        var view = stationView(station, now: Date())
        view.recentEvents = try await store.recentEvents(node: nil, station: name, limit: 20)
        view.recentCommands = try await store.recentCommands(target: name, limit: 10)
        view.lastSnapshotAt = lastSnapshotAt(station: name)
        return view
    }

    /// The recorder the station's node is served now: during a staged rollout a node not yet
    /// released (or reverted) records with its previous assignment, not the revision's.
    func servedRecorder(_ station: DesiredStation) -> RecorderSpec {
        book.served(station.node)?.recorders.first { $0.station == station.name } ?? station.recorder
    }

    func stationView(_ station: DesiredStation, now: Date) -> StationView {
        let spec = servedRecorder(station)
        let camera = "\(spec.cameraHost):\(spec.rtspPort)\(spec.rtspPath)"
        let online = nodeState(station.node) == .online
        guard let status = observed[station.node]?.report.stations.first(where: { $0.station == station.name }) else {
            return StationView(name: station.name, node: station.node, site: station.site, state: .unknown, restarts: 0,
                               camera: camera, segmentSeconds: spec.segmentSeconds)
        }
        return StationView(
            name: station.name, node: station.node, site: station.site, state: online ? status.state : .unknown,
            restarts: status.restarts, pid: status.pid, currentSegment: status.currentSegment,
            currentSegmentBytes: status.currentSegmentBytes, newestSegment: status.newestSegment,
            newestSegmentAgeSeconds: status.newestSegmentTime(heardAt: tracker.lastHeartbeat(of: station.node))
                .map { max(0, now.timeIntervalSince($0)) },
            lastError: status.lastError, camera: camera, segmentSeconds: spec.segmentSeconds)
    }

    public func siteViews() -> [SiteView] {
        var sites: [String: SiteView] = [:]
        for site in book.desired?.sites ?? [] {
            sites[site.name] = SiteView(name: site.name, labels: site.labels, nodes: [], online: 0)
        }
        for node in book.desired?.nodes ?? [] {
            sites[node.site, default: SiteView(name: node.site, labels: [:], nodes: [], online: 0)].nodes.append(node.name)
            if nodeState(node.name) == .online { sites[node.site]?.online += 1 }
        }
        return sites.values.sorted { $0.name < $1.name }
    }

    public func site(_ name: String) throws -> SiteView {
        guard let site = siteViews().first(where: { $0.name == name }) else { throw FleetError.notFound(kind: "site", name: name) }
        return site
    }

    public func assignmentViews() -> [Assignment] {
        book.servedAssignments.values.sorted { $0.node < $1.node }
    }

    public func assignment(node: String) throws -> Assignment {
        guard let assignment = book.served(node) else { throw FleetError.notFound(kind: "assignment", name: node) }
        return assignment
    }

    /// The station's catalog between `from` and `to` with coverage and gaps.
    public func recordings(station: String, from: Date?, to: Date?) async throws -> RecordingsView {
        guard let owner = book.station(station) else {
            throw FleetError.notFound(kind: "station", name: station)
        }
        let segments = try await store.segments(station: station, from: from, to: to)
        let first = try await store.firstSegment(station: station)
        return RecordingCoverage.compute(station: station, segments: segments, from: from, to: to,
                                         segmentSeconds: servedRecorder(owner).segmentSeconds, recordingSince: first?.start)
    }

    /// Every station's coverage between `from` and `to` (default: the 24 hours before now),
    /// computed like ``recordings(station:from:to:)``. A segment that began up to one segment
    /// before `from` counts for its part inside the span.
    public func coverage(from: Date?, to: Date?, now: Date = Date()) async throws -> [StationCoverageView] {
        let end = to ?? now
        let start = from ?? end.addingTimeInterval(-86_400)
        guard start < end else {
            throw FleetError.badRequest("from \(start.formatted(.iso8601)) is not before to \(end.formatted(.iso8601))")
        }
        var views: [StationCoverageView] = []
        for station in (book.desired?.stations ?? []).sorted(by: { $0.name < $1.name }) {
            let segmentSeconds = servedRecorder(station).segmentSeconds
            let segments = try await store.segments(station: station.name,
                                                    from: start.addingTimeInterval(-Double(segmentSeconds)), to: end)
            let first = try await store.firstSegment(station: station.name)
            let view = RecordingCoverage.compute(station: station.name, segments: segments, from: start, to: end,
                                                 segmentSeconds: segmentSeconds, recordingSince: first?.start)
            views.append(StationCoverageView(station: station.name, from: start, to: end, coveredSeconds: view.coveredSeconds,
                                             gaps: view.gaps.count, longestGapSeconds: view.gaps.map(\.seconds).max() ?? 0,
                                             recordingSince: first?.start))
        }
        return views
    }
}
