import FleetProtocol
import Foundation
import Testing

/// Archiving and backups run now through fleetctl, coordinator and agent processes.
@Suite(.serialized) struct ArchiveFleetTests {
    @Test func runArchiveAndBackupNowAndSeeThemReported() async throws {
        try await withFleet("archive") { fleet in
            let camera = try await CameraSimulator(dir: fleet.dir, mounts: ["/ROST1"], passwordFile: fleet.dir + "/camera-password")
            do {
                try await run(fleet, camera: camera)
            } catch {
                await camera.stop()
                throw error
            }
            await camera.stop()
        }
    }

    private func run(_ fleet: TestFleet, camera: CameraSimulator) async throws {
        let nas = fleet.dir + "/nas"
        try FileManager.default.createDirectory(atPath: nas, withIntermediateDirectories: true)
        let database = fleet.dir + "/birds.db"
        #expect(try await runCommand("/usr/bin/sqlite3", [database, "CREATE TABLE d(x); INSERT INTO d VALUES (1),(2),(3);"]).status == 0)
        try await fleet.startCoordinator()
        try await fleet.startAgent("recordingpi", extraArguments: ["--max-job-delay", "0"])
        let inventory = try fleet.renderInventory("archive.yaml", replacing: ["${CAMERA_PORT}": String(camera.port)])
        #expect(try await fleet.fleetctl(["apply", "-f", inventory]).status == 0)

        // Without the marker the NAS counts as not mounted: the run fails and says why.
        let closedSegment = try await waitUntil(timeout: .seconds(30)) {
            let view = try await fleet.get(RecordingsView.self, APIPath.recordings("ROST1"))
            return view.segments.filter(\.valid).count >= 2
        }
        #expect(closedSegment, "\(fleet.logs)")
        let unmounted = try await fleet.fleetctl(["run", "archive", "video-to-nas", "--wait"])
        #expect(unmounted.status == 1)
        #expect((unmounted.stdout + unmounted.stderr).contains(".stationfleet-target"), "\(unmounted.stdout)\(unmounted.stderr)")

        // With the marker (the documented setup step) it archives and verifies.
        FileManager.default.createFile(atPath: nas + "/.stationfleet-target", contents: nil)
        let archived = try await fleet.fleetctl(["run", "archive", "video-to-nas", "--wait"])
        #expect(archived.status == 0, "\(archived.stdout)\(archived.stderr)\n\(fleet.logs)")

        // The catalog learns each archived segment's path and checksum.
        let catalogued = try await waitUntil(timeout: .seconds(10)) {
            let view = try await fleet.get(RecordingsView.self, APIPath.recordings("ROST1"))
            return view.segments.contains { $0.archivePath != nil && $0.sha256?.count == 64 }
        }
        #expect(catalogued, "\(fleet.logs)")
        let view = try await fleet.get(RecordingsView.self, APIPath.recordings("ROST1"))
        for segment in view.segments {
            guard let path = segment.archivePath else { continue }
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(path.hasPrefix(nas + "/video_archive/ROST1/"))
        }

        // A backup now: compressed SQLite snapshot on the target with its checksum.
        let backup = try await fleet.fleetctl(["run", "backup", "birdnet-db", "--node", "recordingpi", "--wait"])
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        let backups = (try? FileManager.default.contentsOfDirectory(atPath: nas + "/db-backups/recordingpi")) ?? []
        #expect(backups.contains { $0.hasSuffix(".zst") })

        // describe node shows the jobs' last success and the archive backlog.
        let reported = try await waitUntil(timeout: .seconds(10)) {
            let node = try await fleet.get(NodeView.self, APIPath.node("recordingpi"))
            let jobs = node.jobs ?? []
            return jobs.contains { $0.job == "video-to-nas" && $0.lastSuccessAt != nil }
                && jobs.contains { $0.job == "birdnet-db" && $0.lastSuccessAt != nil }
        }
        #expect(reported, "\(fleet.logs)")
        let describe = try await fleet.fleetctl(["describe", "node", "recordingpi"])
        #expect(describe.status == 0)
        #expect(describe.stdout.contains("video-to-nas") && describe.stdout.contains("birdnet-db"), "\(describe.stdout)")
    }
}
