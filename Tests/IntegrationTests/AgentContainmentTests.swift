import FleetProtocol
import Foundation
import Testing

/// The agent keeps recording when its own bookkeeping breaks: real coordinator, agent,
/// ffmpeg and camera simulator.
@Suite(.serialized) struct AgentContainmentTests {
    @Test func aGarbageLedgerIsMovedAsideAndRecordingStarts() async throws {
        try await withFleet("garbage-ledger") { fleet in
            let camera = try await CameraSimulator(dir: fleet.dir, mounts: ["/ROST1", "/ROST2"],
                                                   passwordFile: fleet.dir + "/camera-password")
            do {
                try await garbageLedger(fleet, camera: camera)
            } catch {
                await camera.stop()
                throw error
            }
            await camera.stop()
        }
    }

    private func garbageLedger(_ fleet: TestFleet, camera: CameraSimulator) async throws {
        let stateDir = fleet.dir + "/agents/recordingpi"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: stateDir + "/ledger.sqlite"))

        try await fleet.startCoordinator()
        try await fleet.startAgent("recordingpi")
        let inventory = try fleet.renderInventory("recorders.yaml", replacing: ["${CAMERA_PORT}": String(camera.port)])
        let apply = try await fleet.fleetctl(["apply", "-f", inventory])
        #expect(apply.status == 0, "\(apply.stderr)")

        let recording = try await waitUntil(timeout: .seconds(30)) {
            let all = try await fleet.get([StationView].self, APIPath.stations)
            return all.count == 2 && all.allSatisfy { $0.state == .recording && ($0.currentSegmentBytes ?? 0) > 0 }
        }
        #expect(recording, "a garbage ledger must not stop recording\n\(fleet.logs)")
        let reported = try await waitUntil(timeout: .seconds(10)) {
            let node = try await fleet.get(NodeView.self, APIPath.node("recordingpi"))
            return (node.recentEvents ?? []).contains { $0.kind == "ledger.reset" && $0.message.contains("ledger.sqlite.corrupt-") }
        }
        #expect(reported, "\(fleet.logs)")
        let names = try FileManager.default.contentsOfDirectory(atPath: stateDir)
        let aside = try #require(names.first { $0.hasPrefix("ledger.sqlite.corrupt-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") })
        #expect(FileManager.default.contents(atPath: stateDir + "/" + aside) == garbage, "the corrupt ledger is kept, byte for byte")
    }
}
