import FleetProtocol
import Foundation
import Testing

/// The rollout page in headless Chromium against a real coordinator, three agents, their
/// ffmpeg recorders and the camera simulator (the rollout tests' rig): the admin pauses,
/// resumes and promotes a staged rollout from the page, and each click is checked through
/// `fleetctl rollout status`, not only on the page; a viewer sees no buttons and the server
/// refuses a viewer's rollout action with 403. No console errors throughout.
@Suite(.serialized) struct DashboardRolloutTests {
    /// Each node's health takes this long, so the canary stays `running` (not yet
    /// `waiting-promotion`) while the test pauses and resumes, and so does pia2 after promotion.
    static let minHealthySeconds = 20

    @Test func pauseResumeAndPromoteFromTheRolloutPage() async throws {
        guard DashboardBrowser.available("DashboardRolloutTests") else { return }
        let screens = try makeScratchDir("dashboard-screens")
        print("DashboardRolloutTests: screenshots in \(screens)")
        try await withRolloutRig("dashboard-rollout", segmentSeconds: 2, autoPromote: false, autoRevert: false) { rig in
            let viewerToken = try await DashboardBrowser.viewerToken(rig.fleet)
            try await DashboardBrowser.withBrowser(rig.fleet) { browser in
                try await asAdmin(browser, rig: rig, screens: screens)
                try await asViewer(browser, rig: rig, viewerToken: viewerToken)
            }
        }
    }

    private static let page = "const r = document.getElementById('rollout');"
    private static func buttons(_ names: [String]) -> String {
        let all = ["pause", "resume", "promote"]
        return all.map { names.contains($0) ? "!!r.querySelector('button.\($0)')" : "!r.querySelector('button.\($0)')" }
            .joined(separator: " && ")
    }

    private func asAdmin(_ browser: BrowserSession, rig: RolloutRig, screens: String) async throws {
        let fleet = rig.fleet
        try await browser.navigate(to: fleet.url + "/#/rollout")
        try await browser.signIn(token: fleet.adminToken)
        try await browser.waitFor("the rollout page", "return !!document.getElementById('rollout')")

        // Revision 2 starts a staged rollout; the open page shows it by itself, with only Pause.
        try await browser.execute("window.sfMarker = 1; return true")
        try await rig.apply(try rig.inventory(segmentSeconds: 1, autoPromote: false, autoRevert: false,
                                              minHealthySeconds: Self.minHealthySeconds, name: "revision2.yaml"))
        try await browser.waitFor("the running rollout of revision 2 on the open page", timeout: .seconds(20), """
            \(Self.page) return window.sfMarker === 1 && !!r && r.dataset.revision === '2' && r.dataset.state === 'running'
              && r.querySelectorAll('tr[data-node]').length === 3 && \(Self.buttons(["pause"]));
            """)
        #expect(try await browser.string("return document.querySelector('#rollout tr[data-node=\"pia1\"]').textContent").contains("canary"))

        // Pause: fleetctl sees it paused by the operator; the page offers Resume only.
        try await browser.click("#rollout button.pause")
        let paused = try await rolloutStatus(fleet, "paused after the Pause button") { $0.state == "paused" }
        #expect(paused.reason == "operator-pause", "\(RolloutRig.describe(paused))")
        #expect(paused.nodes.filter { $0.name != "pia1" }.allSatisfy { $0.state == "pending" }, "\(RolloutRig.describe(paused))")
        let text = try await fleet.fleetctl(["rollout", "status"])
        #expect(text.status == 0 && text.stdout.hasPrefix("revision 2 paused"), "\(text.stdout)\(text.stderr)")
        try await browser.waitFor("the paused rollout with Resume", "\(Self.page) return r.dataset.state === 'paused' && \(Self.buttons(["resume"]))")

        // Resume: running again (the canary is still proving itself for minHealthyTime).
        try await browser.click("#rollout button.resume")
        let resumed = try await rolloutStatus(fleet, "no longer paused after the Resume button") { $0.state != "paused" }
        #expect(resumed.state == "running", "\(RolloutRig.describe(resumed))")
        #expect(resumed.reason == nil && resumed.currentBatch == 1, "\(RolloutRig.describe(resumed))")

        // The canary turns healthy: waiting for promotion, the page offers Promote (and Pause).
        try await rig.waitRollout(2, timeout: .seconds(90), "the canary healthy, waiting for promotion") { $0.state == "waiting-promotion" }
        try await browser.waitFor("the Promote button", "\(Self.page) return r.dataset.state === 'waiting-promotion' && \(Self.buttons(["pause", "promote"]))")
        try await browser.screenshot(to: screens + "/rollout-1920.png")

        // Promote: the batches after the canary go on, site by site, one node at a time.
        try await browser.click("#rollout button.promote")
        let promoted = try await rolloutStatus(fleet, "promoted after the Promote button") { $0.state != "waiting-promotion" }
        #expect(promoted.state == "running", "\(RolloutRig.describe(promoted))")
        #expect(promoted.currentBatch == 2, "\(RolloutRig.describe(promoted))")
        let released = try await rolloutStatus(fleet, "pia2 released and served revision 2") {
            $0.node("pia2").map { $0.state != "pending" && $0.servedRevision == 2 } ?? false
        }
        #expect(released.state == "running" && released.node("pib1")?.state == "pending", "\(RolloutRig.describe(released))")
        try await browser.waitFor("pia2 released on the open page", """
            \(Self.page) const row = r.querySelector('tr[data-node="pia2"]');
            return r.dataset.state === 'running' && !!row && row.dataset.state !== 'pending' && \(Self.buttons(["pause"]));
            """)
        try await DashboardBrowser.expectNoConsoleErrors(browser, "on the rollout page as admin")
        try await browser.click("#signout")
        try await browser.waitFor("the sign-in form after sign-out", "return document.getElementById('signin').hidden === false")
    }

    private func asViewer(_ browser: BrowserSession, rig: RolloutRig, viewerToken: String) async throws {
        let fleet = rig.fleet
        try await browser.signIn(token: viewerToken)
        try await browser.navigate(to: fleet.url + "/#/rollout")
        try await browser.waitFor("the rollout as a viewer", "\(Self.page) return !!r && r.querySelectorAll('tr[data-node]').length === 3")
        #expect(await browser.bool("return document.querySelectorAll('#view button').length === 0"), "a viewer sees rollout buttons")
        #expect(try await browser.string("return document.getElementById('rollout').textContent").contains("Read-only"))

        let cookie = try await browser.cookie(DashboardNames.sessionCookie) ?? ""
        let csrf = try await DashboardBrowser.csrfToken(fleet, cookie: cookie)
        #expect(!csrf.isEmpty)
        let refused = try await DashboardBrowserTests.call(fleet, .POST, "/v1/rollout/pause", cookie: cookie, csrf: csrf)
        #expect(refused.status == 403, "a viewer's pause answered \(refused.status): \(refused.body)")
        #expect(try await rig.rollout()?.state == "running", "a viewer's pause changed the rollout")
        try await DashboardBrowser.expectNoConsoleErrors(browser, "on the rollout page as viewer")
    }

    /// Polls `fleetctl rollout status -o json` until `condition` holds (30 s at most).
    private func rolloutStatus(_ fleet: TestFleet, _ what: String,
                               _ condition: (RolloutStatusView) -> Bool) async throws -> RolloutStatusView {
        var last: RolloutStatusView?
        let held = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(200)) {
            let out = try await fleet.fleetctl(["rollout", "status", "-o", "json"])
            guard out.status == 0 else { return false }
            last = try WireCoding.decode(RolloutStatusResponse.self, from: Data(out.stdout.utf8)).rollout
            return last.map(condition) ?? false
        }
        guard held, let last else {
            throw HarnessError.notReady("rollout \(what); last: \(last.map(RolloutRig.describe) ?? "none")", output: fleet.logs)
        }
        return last
    }
}
