import FleetProtocol
import Foundation
import Testing

/// Staged rollouts end to end: one suite (its tests run one after another: each starts a
/// coordinator, three agents, their ffmpeg recorders and the camera simulator), its tests in
/// the other files of this folder.
@Suite(.serialized) struct RolloutProcessTests {}

/// Three nodes with one station each on the camera simulator: pia1 and pia2 in site `a`,
/// pib1 in site `b`. With canary 1 and maxParallel 1 the order is fixed: pia1 (canary),
/// then pia2, then pib1 (site by site, names in order; site b has no canary of its own).
final class RolloutRig: @unchecked Sendable {
    static let nodes = ["pia1", "pia2", "pib1"]
    static let stations = ["pia1": "RA1", "pia2": "RA2", "pib1": "RB1"]

    let fleet: TestFleet
    let camera: CameraSimulator

    init(fleet: TestFleet, camera: CameraSimulator) {
        self.fleet = fleet
        self.camera = camera
    }

    /// Short timings: 1 s heartbeats (offline after 3 s), 3 s of health per node (or
    /// `minHealthySeconds`; the healthy deadline is at least three times that).
    static func strategy(autoPromote: Bool, autoRevert: Bool, canary: Int = 1, minHealthySeconds: Int = 3) -> String {
        "{canary: \(canary), maxParallel: 1, minHealthyTime: \(minHealthySeconds)s, "
            + "healthyDeadline: \(max(30, 3 * minHealthySeconds))s, progressDeadline: 2m"
            + (canary > 0 ? ", autoPromote: \(autoPromote)" : "") + ", autoRevert: \(autoRevert)}"
    }

    /// Writes the inventory and returns its path. `paths` overrides a station's RTSP path.
    /// `agentVersion` names the agent build every node must run (`defaults.agentVersion`).
    func inventory(segmentSeconds: Int, autoPromote: Bool, autoRevert: Bool, paths: [String: String] = [:],
                   agentVersion: String? = nil, minHealthySeconds: Int = 3, name: String = "fleet.yaml") throws -> String {
        var yaml = """
            sites:
              a: {}
              b: {rollout: \(Self.strategy(autoPromote: false, autoRevert: autoRevert, canary: 0, minHealthySeconds: minHealthySeconds))}
            defaults:
              heartbeatSeconds: 1
              recorder: {segmentSeconds: \(segmentSeconds), rtspPort: \(camera.port), username: viewer, passwordFile: \(fleet.dir)/camera-password, outputDir: \(fleet.dir)/recordings, stallSeconds: 3}
              rollout: \(Self.strategy(autoPromote: autoPromote, autoRevert: autoRevert, minHealthySeconds: minHealthySeconds))
            \(agentVersion.map { "  agentVersion: \($0)" } ?? "")
            nodes:
              pia1: {site: a}
              pia2: {site: a}
              pib1: {site: b}
            stations:

            """
        for node in Self.nodes {
            let station = Self.stations[node]!
            yaml += "  \(station): {node: \(node), camera: {host: 127.0.0.1, rtspPath: \(paths[station] ?? "/" + station)}}\n"
        }
        let path = fleet.dir + "/" + name
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func apply(_ path: String) async throws {
        let outcome = try await fleet.fleetctl(["apply", "-f", path])
        guard outcome.status == 0 else { throw HarnessError.http("apply failed: \(outcome.stdout)\(outcome.stderr)") }
    }

    func rollout() async throws -> RolloutStatusView? {
        try await fleet.get(RolloutStatusResponse.self, Endpoints.rollout.template).rollout
    }

    func nodes() async throws -> [String: NodeView] { try await fleet.nodes() }

    func stations() async throws -> [String: StationView] {
        Dictionary(uniqueKeysWithValues: try await fleet.get([StationView].self, APIPath.stations).map { ($0.name, $0) })
    }

    /// What each node is served now (`GET /v1/assignments`: held-back nodes get their old one).
    func served() async throws -> [String: Assignment] {
        Dictionary(uniqueKeysWithValues: try await fleet.get([Assignment].self, APIPath.assignments).map { ($0.node, $0) })
    }

    /// True when every node in `names` is served and runs `revision` with its station's
    /// segmentSeconds, and that station records.
    func running(_ names: [String], revision: Int, segmentSeconds: Int) async throws -> Bool {
        let nodes = try await nodes()
        let stations = try await stations()
        let served = try await served()
        return names.allSatisfy { name in
            guard let node = nodes[name], let station = stations[Self.stations[name]!],
                  let assignment = served[name] else { return false }
            return node.appliedRevision == revision && assignment.revision == revision
                && assignment.recorders.map(\.segmentSeconds) == [segmentSeconds]
                && station.state == .recording && (station.currentSegmentBytes ?? 0) > 0
        }
    }

    /// Waits until the rollout of `revision` satisfies `condition`; calls `each` on every view
    /// seen on the way (to check what must hold throughout). Gives up at once when the rollout
    /// stops (paused, failed, reverted, aborted) without satisfying it. Returns the last view.
    @discardableResult
    func waitRollout(_ revision: Int, timeout: Duration, _ what: String,
                     each: (RolloutStatusView) async throws -> Void = { _ in },
                     until condition: (RolloutStatusView) -> Bool) async throws -> RolloutStatusView {
        var last: RolloutStatusView?
        let reached = try await waitUntil(timeout: timeout, poll: .milliseconds(200)) {
            guard let view = try await rollout(), view.revision == revision else { return false }
            last = view
            try await each(view)
            return condition(view) || Self.stopped.contains(view.state)
        }
        guard reached, let last, condition(last) else {
            throw HarnessError.notReady("rollout of revision \(revision): \(what); last: \(last.map(Self.describe) ?? "none")",
                                        output: fleet.logs)
        }
        return last
    }

    static let stopped: Set<String> = ["paused", "failed", "reverted", "revert-failed", "aborted"]

    /// `running: canary: … | pia1 healthy (healthy) served 2 | …` for failure messages.
    static func describe(_ view: RolloutStatusView) -> String {
        "\(view.state): \(view.status) | " + view.nodes.map {
            "\($0.name) \($0.state) (\($0.reason)\($0.detail.map { ": \($0)" } ?? "")) served \($0.servedRevision)"
        }.joined(separator: " | ")
    }
}

extension RolloutStatusView {
    func node(_ name: String) -> RolloutNodeView? { nodes.first { $0.name == name } }
}

/// Starts the camera simulator, the coordinator and the three agents, applies revision 1
/// (`segmentSeconds`, no staged rollout: every node is new) and waits until every station
/// records; runs `body`, then stops everything on every path.
func withRolloutRig(_ label: String, segmentSeconds: Int, autoPromote: Bool, autoRevert: Bool,
                    _ body: (RolloutRig) async throws -> Void) async throws {
    try await withFleet(label) { fleet in
        let camera = try await CameraSimulator(dir: fleet.dir, mounts: RolloutRig.stations.values.sorted().map { "/" + $0 },
                                               passwordFile: fleet.dir + "/camera-password")
        let rig = RolloutRig(fleet: fleet, camera: camera)
        do {
            try await fleet.startCoordinator()
            for node in RolloutRig.nodes { try await fleet.startAgent(node) }
            try await rig.apply(try rig.inventory(segmentSeconds: segmentSeconds, autoPromote: autoPromote, autoRevert: autoRevert,
                                                  name: "revision1.yaml"))
            let ready = try await waitUntil(timeout: .seconds(45), poll: .milliseconds(200)) {
                try await rig.running(RolloutRig.nodes, revision: 1, segmentSeconds: segmentSeconds)
            }
            guard ready else { throw HarnessError.notReady("three recording nodes on revision 1", output: fleet.logs) }
            try await body(rig)
        } catch {
            await camera.stop()
            throw error
        }
        await camera.stop()
    }
}
