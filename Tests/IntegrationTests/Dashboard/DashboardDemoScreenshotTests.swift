import FleetProtocol
import Foundation
import Testing

/// The README's two dashboard screenshots, taken from the demo's own inventory
/// (`inventory/demo.yaml`) rather than the test fixtures: the demo's three nodes run as real
/// agents, its two cameras are camera simulators on loopback (the inventory's RTSP ports are
/// rewritten to theirs, and the test refuses to run if any address in it is not 127.0.0.1),
/// its alert mail goes to the SMTP sink. ROST1's camera is paused for longer than the
/// inventory's `stallSeconds`; the station page then shows the gap. The screenshots
/// (`overview-1920.png`, `station-gap-1920.png`) stay in this test's own output folder;
/// docs/images holds copies.
@Suite(.serialized) struct DashboardDemoScreenshotTests {
    static let nodes = ["recordingpi", "emsn-zolder", "emsn-berging"]

    @Test func theReadmeScreenshotsFromTheDemoInventory() async throws {
        guard DashboardBrowser.available("DashboardDemoScreenshotTests") else { return }
        let screens = try makeScratchDir("dashboard-demo-screens")
        print("DashboardDemoScreenshotTests: screenshots in \(screens)")
        try await withFleet("dashboard-demo") { fleet in
            let demo = try DemoDir(fleet.dir + "/demo")
            try await demo.makeBirdDatabase()
            let rost1 = try await CameraSimulator(dir: try demo.logDir("camera-rost1"), mounts: ["/ROST1"], passwordFile: demo.passwordFile)
            var peers: [ManagedProcess] = [rost1.process]
            do {
                let rost2 = try await CameraSimulator(dir: try demo.logDir("camera-rost2"), mounts: ["/ROST2"], passwordFile: demo.passwordFile)
                peers.append(rost2.process)
                let smtp = try await demo.startSMTPSink()
                peers.append(smtp.process)
                let inventory = try Self.demoInventory(cameraPorts: ["8554": rost1.port, "8555": rost2.port], to: fleet.dir + "/demo.yaml")
                try await fleet.startCoordinator()
                for node in Self.nodes { try await fleet.startAgent(node) }
                let apply = try await fleet.fleetctl(["apply", "-f", inventory],
                                                     environment: ["DEMO_DIR": demo.path, "SMTP_PORT": String(smtp.port)])
                #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
                try await DashboardBrowser.withBrowser(fleet) { browser in
                    try await run(browser, fleet: fleet, rost1: rost1, screens: screens)
                }
            } catch {
                rost1.resume()
                for peer in peers.reversed() { await peer.stop() }
                throw error
            }
            rost1.resume()
            for peer in peers.reversed() { await peer.stop() }
        }
    }

    /// inventory/demo.yaml with each camera's RTSP port replaced by a simulator's
    /// (`cameraPorts`: the inventory's port → the simulator's). Throws when a port is not found
    /// exactly once or when any host or URL in the result is not on 127.0.0.1, so nothing the
    /// agents or the coordinator do can reach another address.
    static func demoInventory(cameraPorts: [String: Int], to path: String) throws -> String {
        var text = try String(contentsOfFile: packageRoot + "/inventory/demo.yaml", encoding: .utf8)
        for (from, to) in cameraPorts {
            let setting = "rtspPort: \(from)"
            guard text.components(separatedBy: setting).count == 2 else {
                throw HarnessError.http("inventory/demo.yaml: expected `\(setting)` exactly once")
            }
            text = text.replacingOccurrences(of: setting, with: "rtspPort: \(to)")
        }
        let lines = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }.joined(separator: "\n")
        let hosts = matches(#"host: *([^,}\s]+)"#, in: lines)
        let urls = matches(#"[a-z]+://([^/:"\s]+)"#, in: lines)
        guard !hosts.isEmpty, (hosts + urls).allSatisfy({ $0 == "127.0.0.1" }),
              !cameraPorts.keys.contains(where: { lines.contains("rtspPort: \($0)") }) else {
            throw HarnessError.http("the rewritten demo inventory names an address other than 127.0.0.1 (hosts \(hosts), URLs \(urls)) or a camera port not rewritten")
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    private func run(_ browser: BrowserSession, fleet: TestFleet, rost1: CameraSimulator, screens: String) async throws {
        try await browser.navigate(to: fleet.url + "/")
        try await browser.signIn(token: fleet.adminToken)
        try await browser.waitFor("three nodes online and both stations recording", timeout: .seconds(120), """
            const names = \(DashboardBrowserTests.jsArray(Self.nodes));
            const online = names.every((n) => { const c = document.querySelector('tr[data-node="' + n + '"] .node-state');
                                                return c && c.textContent === 'online'; });
            const chips = [...document.querySelectorAll('.station-chip')];
            return online && chips.length === 2 && chips.every((c) => c.dataset.state === 'recording');
            """)
        // Closed segments on both sides of the gap to come.
        let segments = await waitUntil(timeout: .seconds(60), poll: .milliseconds(500)) {
            ((try? await fleet.get(RecordingsView.self, APIPath.recordings("ROST1")))?.segments.count ?? 0) >= 2
        }
        #expect(segments, "ROST1 wrote no two segments")
        try await browser.waitFor("every node on revision 1", timeout: .seconds(30),
                                  "return [...document.querySelectorAll('tr[data-node]')].every((r) => r.textContent.includes('1 / 1'))")
        try await browser.screenshot(to: screens + "/overview-1920.png")

        // Pause ROST1's camera longer than the inventory's stallSeconds (10 s).
        try await browser.execute("window.sfMarker = 5; return true")
        rost1.pause()
        let pausedAt = Date()
        let chip = "document.querySelector('.station-chip[data-station=\"ROST1\"]')"
        try await browser.waitFor("ROST1 not recording on the open overview", timeout: .seconds(60),
                                  "const c = \(chip); return window.sfMarker === 5 && !!c && c.dataset.state !== 'recording'")
        try await browser.navigate(to: fleet.url + "/#/station/ROST1")
        try await browser.waitFor("the station page", "return document.querySelectorAll('#station .coverage').length === 3")
        await waitUntil(timeout: .seconds(20)) { Date().timeIntervalSince(pausedAt) > 15 }
        rost1.resume()
        let resumedAt = Date()
        let paused = Int(pausedAt.timeIntervalSince1970 * 1000), resumed = Int(resumedAt.timeIntervalSince1970 * 1000)
        try await browser.waitFor("the pause's gap on the open station page", timeout: .seconds(120), """
            return document.querySelector('#station .badge').textContent === 'recording' &&
              [...document.querySelectorAll('.coverage[data-window="Last hour"] .timeline .gap')].some((g) =>
                g.dataset.open === 'false' && Date.parse(g.dataset.from) <= \(resumed) && Date.parse(g.dataset.to) >= \(paused));
            """)
        try await browser.screenshot(to: screens + "/station-gap-1920.png")
        try await DashboardBrowser.expectNoConsoleErrors(browser, "with the demo inventory")
    }
}

/// The demo's data folder, laid out as scripts/demo.sh lays it out (`${DEMO_DIR}` of the inventory).
struct DemoDir {
    let path: String
    var passwordFile: String { path + "/camera-password" }

    init(_ path: String) throws {
        self.path = path
        let files = FileManager.default
        for dir in ["logs", "mail", "atmosbird/ruwe_foto", "birdnet", "sd"] {
            try files.createDirectory(atPath: path + "/" + dir, withIntermediateDirectories: true)
        }
        // The NAS stand-in is "mounted": each archive or backup target root has the marker file.
        for target in ["video_archive", "atmosbird/ruwe_foto", "atmosbird/thumbnails", "db-backups", "sd-backups"] {
            try files.createDirectory(atPath: path + "/nas/" + target, withIntermediateDirectories: true)
            _ = files.createFile(atPath: path + "/nas/\(target)/.stationfleet-target", contents: Data())
        }
        _ = files.createFile(atPath: path + "/sd/mmcblk0.img", contents: Data(count: 1 << 20))
        try "demo-camera-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile)
    }

    func logDir(_ name: String) throws -> String {
        let dir = path + "/logs/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The SQLite database the demo's `birdnet-db` backup copies.
    func makeBirdDatabase() async throws {
        let made = try await runCommand("/usr/bin/sqlite3", [path + "/birdnet/birds.db",
            "CREATE TABLE IF NOT EXISTS detections(id INTEGER PRIMARY KEY, species TEXT, t TEXT); INSERT INTO detections(species, t) VALUES ('Uria aalge', datetime('now'));"])
        guard made.status == 0 else { throw HarnessError.http("sqlite3: \(made.stderr)") }
    }

    /// scripts/peers/smtp-sink.py on a free loopback port, writing mail into `mail/`.
    func startSMTPSink() async throws -> (process: ManagedProcess, port: Int) {
        let portFile = path + "/smtp.port"
        let process = try ManagedProcess(label: "smtp-sink", executable: "/usr/bin/python3",
                                         arguments: [packageRoot + "/scripts/peers/smtp-sink.py", "--port", "0",
                                                     "--port-file", portFile, "--maildir", path + "/mail"],
                                         logDir: try logDir("smtp-sink"))
        var port: Int?
        await waitUntil(timeout: .seconds(15), poll: .milliseconds(100)) {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return port != nil || !process.isRunning
        }
        guard let port else {
            await process.stop()
            throw HarnessError.notReady("the SMTP sink", output: process.output)
        }
        return (process, port)
    }
}
