import FleetProtocol
import Foundation
import Testing

/// The open dashboard follows a real recorder: the camera simulator pauses, the station
/// turns away from recording on the open overview by itself, and after it resumes the
/// station page's timeline shows the new gap without a reload. Keeps a screenshot of the
/// timeline with its gap (the README's come from `DashboardDemoScreenshotTests`).
@Suite(.serialized) struct DashboardRecordingTests {
    @Test func aPausedCameraShowsOnTheOpenPageAndLeavesAGap() async throws {
        guard ChromeDriver.executables() != nil else {
            if ProcessInfo.processInfo.environment["FLEET_REQUIRE_BROWSER"] == "1" {
                Issue.record("FLEET_REQUIRE_BROWSER=1 but chromium and chromium-driver are not installed: run scripts/setup.sh")
            }
            return
        }
        let screens = try makeScratchDir("dashboard-screens")
        print("DashboardRecordingTests: screenshots in \(screens)")
        try await withFleet("dashboard-recording") { fleet in
            let camera = try await CameraSimulator(dir: fleet.dir, mounts: ["/ROST1", "/ROST2"],
                                                   passwordFile: fleet.dir + "/camera-password")
            do {
                try await run(fleet, camera: camera, screens: screens)
            } catch {
                await camera.stop()
                throw error
            }
            await camera.stop()
        }
    }

    private func run(_ fleet: TestFleet, camera: CameraSimulator, screens: String) async throws {
        try await fleet.startCoordinator()
        try await fleet.startAgent("recordingpi")
        let inventory = try fleet.renderInventory("recorders.yaml", replacing: ["${CAMERA_PORT}": String(camera.port)])
        let apply = try await fleet.fleetctl(["apply", "-f", inventory])
        #expect(apply.status == 0, "\(apply.stderr)")
        let driver = try await ChromeDriver.start(logDir: fleet.dir)
        let browser = try await driver.newSession(width: 1920, height: 1080)
        do {
            try await browser.navigate(to: fleet.url + "/")
            try await browser.type("#token", fleet.adminToken)
            try await browser.click("#signin button[type=submit]")
            let chip = "document.querySelector('.station-chip[data-station=\"ROST1\"]')"
            try await browser.waitFor("ROST1 recording", timeout: .seconds(60), "const c = \(chip); return !!c && c.dataset.state === 'recording'")
            // Recording for at least two segments, so the gap has segments on both sides.
            _ = await waitUntil(timeout: .seconds(30)) {
                ((try? await fleet.get(RecordingsView.self, APIPath.recordings("ROST1")))?.segments.count ?? 0) >= 2
            }

            try await browser.execute("window.sfMarker = 7; return true")
            camera.pause()
            let pausedAt = Date()
            try await browser.waitFor("ROST1 not recording on the open overview", timeout: .seconds(30),
                                      "const c = \(chip); return window.sfMarker === 7 && !!c && c.dataset.state !== 'recording'")
            try await browser.screenshot(to: screens + "/overview-stalled-1920.png")

            try await browser.navigate(to: fleet.url + "/#/station/ROST1")
            try await browser.waitFor("the station page", "return document.querySelectorAll('#station .coverage').length === 3")
            try await browser.execute("window.sfMarker = 8; return true")
            await waitUntil(timeout: .seconds(9)) { Date().timeIntervalSince(pausedAt) > 8 }
            camera.resume()
            let resumedAt = Date()
            // A closed gap (recording again after it) spanning the pause, on the open page by itself.
            let paused = Int(pausedAt.timeIntervalSince1970 * 1000), resumed = Int(resumedAt.timeIntervalSince1970 * 1000)
            try await browser.waitFor("the pause's gap on the open station page", timeout: .seconds(60), """
                return window.sfMarker === 8 && document.querySelector('#station .badge').textContent === 'recording' &&
                  [...document.querySelectorAll('.coverage[data-window="Last hour"] .timeline .gap')].some((g) =>
                    g.dataset.open === 'false' && Date.parse(g.dataset.from) <= \(resumed) && Date.parse(g.dataset.to) >= \(paused));
                """)
            let title = try await browser.string("const g = document.querySelectorAll('.coverage[data-window=\"Last hour\"] .timeline .gap'); return g[g.length - 1].getAttribute('title')")
            #expect(title.contains("Gap") && title.contains("–"), "gap tooltip: \(title)")
            try await browser.screenshot(to: screens + "/station-gap-1920.png")

            // The latest snapshot on the station page: taken from the page, shown as the
            // simulator's 320x240 picture.
            #expect(await browser.bool("return document.querySelector('#snapshot img.snapshot') === null"))
            try await browser.click("#snapshot button.snapshot")
            try await browser.waitFor("the snapshot on the station page", timeout: .seconds(40), """
                const img = document.querySelector('#snapshot img.snapshot');
                return !!img && img.complete && img.naturalWidth === 320 && img.naturalHeight === 240;
                """)
            let captured = try await browser.string("return document.querySelector('#snapshot img.snapshot').dataset.captured")
            #expect(WireCoding.parseDate(captured).map { abs($0.timeIntervalSinceNow) < 120 } == true, "captured \(captured)")
            #expect(try await fleet.fleetctl(["describe", "station", "ROST1"]).stdout.contains("Last snapshot"))
            try await browser.screenshot(to: screens + "/station-snapshot-1920.png")
            let errors = try await browser.consoleLog().filter { $0.level == "SEVERE" }
            #expect(errors.isEmpty, "console errors: \(errors.map(\.message))")
            await browser.quit()
            await driver.stop()
        } catch {
            await browser.quit()
            await driver.stop()
            Issue.record("\(error)\n\(fleet.logs.suffix(6000))")
        }
    }
}
