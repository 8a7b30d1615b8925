import Foundation
import Testing
import FleetCoordinator
import FleetProtocol

@Suite struct ExampleInventoryTests {
    @Test func exampleLoadsAndCompiles() throws {
        let inventory = try Inventory.load(files: [packageFile("inventory/example.yaml")])
        #expect(inventory.sites.keys.sorted() == ["auklab", "emsn"])
        #expect(inventory.sites["auklab"]?.labels == ["region": "gotland"])
        #expect(inventory.nodes.keys.sorted() == ["emsn-berging", "emsn-zolder", "recordingpi"])
        #expect(inventory.stations["ROST2"]?.camera.segmentSeconds == 300)

        let state = inventory.compile()
        #expect(state.assignments.keys.sorted() == ["emsn-berging", "emsn-zolder", "recordingpi"])
        #expect(state.assignments.values.allSatisfy { $0.revision == 0 && $0.heartbeatSeconds == 10 })

        let pi = try #require(state.assignments["recordingpi"])
        #expect(pi.site == "auklab")
        #expect(pi.recorders.map(\.station) == ["ROST1", "ROST2"])
        #expect(pi.recorders[0] == RecorderSpec(station: "ROST1", cameraHost: "192.168.1.75", rtspPort: 554,
                                                rtspPath: "/stream1", username: "viewer",
                                                passwordFile: "/etc/stationfleet/camera-password",
                                                segmentSeconds: 600, outputDir: "/var/lib/stationfleet/recordings",
                                                stallSeconds: 30, rtspTransport: "tcp"))
        #expect(pi.recorders[1].segmentSeconds == 300)
        #expect(pi.recorders[1].cameraHost == "192.168.1.76")
        #expect(pi.backups.isEmpty)
        let video = try #require(pi.archives.first)
        #expect(pi.archives.count == 1)
        #expect(video.name == "video-to-nas")
        #expect(video.sources == [
            ArchiveSource(path: "/var/lib/stationfleet/recordings/ROST1", station: "ROST1"),
            ArchiveSource(path: "/var/lib/stationfleet/recordings/ROST2", station: "ROST2"),
        ])
        #expect(video.target == "/mnt/nas/video_archive/{station}/{yyyy}/{mm}/{dd}")
        #expect(video.schedule == .every(600))
        #expect(video.keepLocalSeconds == 7 * 86_400)
        #expect(video.settleSeconds == 60)

        let berging = try #require(state.assignments["emsn-berging"])
        #expect(berging.recorders.isEmpty)
        let photos = try #require(berging.archives.first)
        #expect(photos.sources == [ArchiveSource(path: "/mnt/usb/atmosbird/ruwe_foto", station: nil)])
        #expect(photos.thumbnails == ThumbnailSpec(width: 320, height: 180, quality: 75,
                                                   target: "/mnt/nas-birdnet-archive/atmosbird/thumbnails"))
        #expect(photos.schedule == .every(3_600))
        #expect(berging.backups.map(\.name) == ["birdnet-db", "sd-image"])
        #expect(berging.backups[0] == BackupJobSpec(name: "birdnet-db", kind: .sqlite,
                                                    sourcePath: "/home/pi/BirdNET-Pi/scripts/birds.db",
                                                    compress: "zstd",
                                                    target: "/mnt/nas-birdnet-archive/db-backups/emsn-berging",
                                                    schedule: .every(3_600), keep: 48))
        #expect(berging.backups[1] == BackupJobSpec(name: "sd-image", kind: .image, sourcePath: "/dev/mmcblk0",
                                                    compress: "zstd",
                                                    target: "/mnt/nas-birdnet-archive/sd-backups/emsn-berging",
                                                    schedule: JobSchedule(kind: .weekly, weekday: 1, minuteOfDay: 180),
                                                    keep: 7))
        let zolder = try #require(state.assignments["emsn-zolder"])
        #expect(zolder.archives.isEmpty)
        #expect(zolder.backups.map(\.target) == ["/mnt/nas-birdnet-archive/db-backups/emsn-zolder",
                                                 "/mnt/nas-birdnet-archive/sd-backups/emsn-zolder"])

        #expect(state.stations.map(\.site) == ["auklab", "auklab"])
        #expect(state.nodes.map(\.name) == ["emsn-berging", "emsn-zolder", "recordingpi"])
    }

    @Test func exampleAlertsAreTyped() throws {
        let alerts = try #require(try Inventory.load(files: [packageFile("inventory/example.yaml")]).alerts)
        #expect(alerts.thresholds == AlertThresholds(nodeOfflineAfterSeconds: 60, segmentStaleAfterSeconds: 120,
                                                     diskUsageAbovePercent: 90, archiveBacklogAboveSeconds: 7_200))
        #expect(alerts.receivers["ops-email"]?.channel == .email(EmailReceiverConfig(
            to: ["ops@example.org"], smtp: "smtp://mail.example.org:587",
            usernameFile: "/etc/stationfleet/smtp-user", passwordFile: "/etc/stationfleet/smtp-pass")))
        #expect(alerts.receivers["auklab-hook"]?.channel == .webhook(WebhookReceiverConfig(url: "https://hooks.example.org/auklab")))
        let route = try #require(alerts.route)
        #expect(route.receiver == "ops-email")
        #expect(route.groupBy == ["site", "alertname"])
        #expect(route.groupWaitSeconds == 30)
        #expect(route.groupIntervalSeconds == 300)
        #expect(route.repeatIntervalSeconds == 14_400)
        #expect(route.routes == [AlertRoute(receiver: "auklab-hook", matchers: [try LabelMatcher(name: "site", op: .equal, value: "auklab")], continueMatching: true),
                                 AlertRoute(receiver: "ops-email")])
        #expect(route.matchingRoutes(for: ["site": "auklab"]).map(\.options.receiver) == ["auklab-hook", "ops-email"])
        #expect(route.matchingRoutes(for: ["site": "emsn"]).map(\.options.receiver) == ["ops-email"])
        let child = route.routes[0].inheriting(from: route)
        #expect(child.groupBy == ["site", "alertname"])
        #expect(child.receiver == "auklab-hook")
    }

    @Test func demoLoadsWithEnvironmentAndStaysOnLoopback() throws {
        let demoDir = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
        let inventory = try Inventory.load(files: [packageFile("inventory/demo.yaml")],
                                           environment: ["DEMO_DIR": demoDir, "SMTP_PORT": "2525"])
        let state = inventory.compile()
        #expect(state.assignments.keys.sorted() == ["emsn-berging", "emsn-zolder", "recordingpi"])
        let recorders = try #require(state.assignments["recordingpi"]).recorders
        #expect(recorders.map(\.rtspPath) == ["/ROST1", "/ROST2"])
        #expect(recorders.allSatisfy { $0.cameraHost == "127.0.0.1" && $0.segmentSeconds == 10 })
        // One simulator process per camera, so the demo can pause ROST2's alone.
        #expect(recorders.map(\.rtspPort) == [8554, 8555])
        #expect(recorders.allSatisfy { $0.outputDir == "\(demoDir)/recordings" && $0.passwordFile == "\(demoDir)/camera-password" })
        let video = try #require(state.assignments["recordingpi"]?.archives.first)
        #expect(video.target == "\(demoDir)/nas/video_archive/{station}/{yyyy}/{mm}/{dd}")
        #expect(video.sources.map(\.path) == ["\(demoDir)/recordings/ROST1", "\(demoDir)/recordings/ROST2"])
        let zolder = try #require(state.assignments["emsn-zolder"])
        #expect(zolder.backups.first?.target == "\(demoDir)/nas/db-backups/emsn-zolder")
        // Every path the demo touches is under DEMO_DIR; every address is loopback.
        for assignment in state.assignments.values {
            #expect(assignment.localPaths.allSatisfy { $0.hasPrefix(demoDir) })
            #expect(assignment.archives.allSatisfy { $0.target.hasPrefix(demoDir) })
            #expect(assignment.backups.allSatisfy { $0.target.hasPrefix(demoDir) })
        }
        let receivers = try #require(inventory.alerts?.receivers)
        #expect(receivers["ops-email"]?.channel == .email(EmailReceiverConfig(
            to: ["ops@example.org"], smtp: "smtp://127.0.0.1:2525", from: "stationfleet@example.org")))
        #expect(receivers.count == 1)
    }

    @Test func demoWithoutEnvironmentNamesTheVariable() throws {
        let file = try packageFile("inventory/demo.yaml")
        let found = diagnostics([(file.path, file.content)])
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { $0.message.contains("unknown variable '${DEMO_DIR}'") || $0.message.contains("unknown variable '${SMTP_PORT}'") })
        // defaults.recorder.passwordFile is on line 18, its value at column 19.
        #expect(at(18, 19, in: found) != nil)
    }

    @Test func emptyInventoryIsValid() throws {
        let empty = try loadOne("")
        #expect(empty == Inventory())
        let comments = try loadOne("# nothing yet\n")
        #expect(comments.compile().assignments.isEmpty)
        let nullSections = try loadOne("sites:\nnodes:\n")
        #expect(nullSections.nodes.isEmpty)
        #expect(try Inventory.load(files: []) == Inventory())
    }

    @Test func desiredStateRoundTripsThroughJSON() throws {
        let state = try Inventory.load(files: [packageFile("inventory/example.yaml")]).compile()
        let data = try WireCoding.encode(state)
        let decoded = try WireCoding.decode(DesiredState.self, from: data)
        #expect(decoded == state)
        #expect(DesiredState.diff(old: decoded, new: state).changed.isEmpty)
    }
}
