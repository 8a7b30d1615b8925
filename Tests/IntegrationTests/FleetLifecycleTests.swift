import FleetProtocol
import Foundation
import Testing

/// The fleet core end to end: a coordinator and three agents as real processes on loopback.
@Suite(.serialized) struct FleetLifecycleTests {
    static let nodes = ["recordingpi", "emsn-zolder", "emsn-berging"]

    @Test func applyConvergeRestartAndOffline() async throws {
        try await withFleet("lifecycle") { fleet in
            try await fleet.startCoordinator()
            for name in Self.nodes { try await fleet.startAgent(name) }
            let registered = try await waitUntil(timeout: .seconds(20)) {
                try await fleet.nodes().values.filter { $0.registered && $0.state == .online }.count == 3
            }
            #expect(registered, "\(fleet.logs)")

            // Apply: one revision, and all three agents run it within 2 s.
            let inventory = try fleet.renderInventory("fleet.yaml")
            let applied = try await fleet.fleetctl(["apply", "-f", inventory, "-o", "json"])
            #expect(applied.status == 0, "\(applied.stderr)")
            let result = try WireCoding.decode(ApplyResult.self, from: Data(applied.stdout.utf8))
            #expect(result.revision == 1)
            #expect(result.created.contains("station/ROST1") && result.created.contains("node/emsn-berging"))
            let converged = try await waitUntil(timeout: .seconds(2), poll: .milliseconds(20)) {
                try await fleet.nodes().values.filter { $0.appliedRevision == 1 }.count == 3
            }
            #expect(converged, "\(fleet.logs)")

            // The same inventory again changes nothing.
            let again = try await fleet.fleetctl(["apply", "-f", inventory, "-o", "json"])
            let unchanged = try WireCoding.decode(ApplyResult.self, from: Data(again.stdout.utf8))
            #expect(unchanged.revision == 1)
            #expect(unchanged.created.isEmpty && unchanged.changed.isEmpty && unchanged.deleted.isEmpty)

            // diff: exit 0 when nothing would change, 1 with the change listed when something would.
            let noDiff = try await fleet.fleetctl(["diff", "-f", inventory])
            #expect(noDiff.status == 0, "\(noDiff.stdout)\(noDiff.stderr)")

            // One station changes: only its node gets the new revision.
            let edited = try fleet.renderInventory("fleet.yaml", replacing: ["segmentSeconds: 300": "segmentSeconds: 120"])
            let diff = try await fleet.fleetctl(["diff", "-f", edited])
            #expect(diff.status == 1)
            #expect(diff.stdout.contains("station/ROST2"), "\(diff.stdout)")
            #expect(try await fleet.nodes()["recordingpi"]?.desiredRevision == 1)
            let change = try await fleet.fleetctl(["apply", "-f", edited, "-o", "json"])
            let changed = try WireCoding.decode(ApplyResult.self, from: Data(change.stdout.utf8))
            #expect(changed.revision == 2)
            #expect(changed.changed == ["station/ROST2"])
            let nodes = try await fleet.nodes()
            #expect(nodes["recordingpi"]?.desiredRevision == 2)
            #expect(nodes["emsn-zolder"]?.desiredRevision == 1)
            #expect(nodes["emsn-berging"]?.desiredRevision == 1)
            #expect(try await waitUntil(timeout: .seconds(2)) { try await fleet.nodes()["recordingpi"]?.appliedRevision == 2 })

            // kill -9 the coordinator and restart it on the same data dir: nothing lost.
            await fleet.coordinator?.stop(signal: SIGKILL)
            try await fleet.restartCoordinator()
            let reconnected = try await waitUntil(timeout: .seconds(20)) {
                let nodes = try await fleet.nodes()
                return nodes.count == 3 && nodes.values.allSatisfy {
                    $0.registered && $0.state == .online && $0.appliedRevision == $0.desiredRevision
                        && ($0.lastHeartbeatAgeSeconds ?? 99) < 2
                }
            }
            #expect(reconnected, "\(fleet.logs)")
            let afterRestart = try await fleet.nodes()
            #expect(afterRestart["recordingpi"]?.desiredRevision == 2)
            #expect(afterRestart["emsn-zolder"]?.desiredRevision == 1)
            let history = try await fleet.get([RevisionRecordView].self, "/v1/revisions")
            #expect(history.map(\.revision) == [2, 1])
            for name in Self.nodes {
                let log = fleet.agents[name]?.stderr ?? ""
                let refused = log.split(separator: "\n").filter { $0.contains("registration refused") }
                #expect(refused.isEmpty, "\(refused)")
            }

            // A stopped agent shows offline within 3 × heartbeat (1 s) + 1 s.
            await fleet.stopAgent("emsn-zolder")
            let stoppedAt = ContinuousClock.now
            let offline = try await waitUntil(timeout: .seconds(6), poll: .milliseconds(50)) {
                try await fleet.nodes()["emsn-zolder"]?.state == .offline
            }
            let took = ContinuousClock.now - stoppedAt
            #expect(offline)
            #expect(took <= .seconds(4), "offline after \(took)")
            #expect(try await fleet.nodes()["recordingpi"]?.state == .online)
        }
    }

    @Test func invalidInventoryPrintsEveryErrorAndChangesNothing() async throws {
        try await withFleet("invalid") { fleet in
            try await fleet.startCoordinator()
            let path = try fleet.renderInventory("invalid.yaml")
            let outcome = try await fleet.fleetctl(["apply", "-f", path])
            #expect(outcome.status == 1)
            let lines = outcome.stderr.split(separator: "\n").filter { $0.contains("invalid.yaml:") }
            // unknown site (5), unknown field (7), unknown node (8), bad duration (14).
            for line in [5, 7, 8, 14] {
                #expect(lines.contains { $0.contains("invalid.yaml:\(line):") }, "no error on line \(line):\n\(outcome.stderr)")
            }
            #expect(lines.allSatisfy { $0.range(of: #"invalid\.yaml:\d+:\d+: "#, options: .regularExpression) != nil })
            #expect(try await fleet.get([RevisionRecordView].self, "/v1/revisions").isEmpty)
            #expect(try await fleet.nodes().isEmpty)
        }
    }
}

/// The parts of a revision record the tests read.
struct RevisionRecordView: Decodable {
    var revision: Int
}
