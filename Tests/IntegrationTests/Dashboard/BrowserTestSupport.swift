import FleetProtocol
import Foundation
import Testing

/// What the dashboard's browser tests share: whether they can run, a browser session
/// around a body, signing in, a viewer token and the console check.
enum DashboardBrowser {
    /// True when chromium and chromium-driver are installed. Otherwise the test passes with a
    /// note, except under FLEET_REQUIRE_BROWSER=1 (scripts/test.sh), where it fails.
    static func available(_ suite: String) -> Bool {
        guard ChromeDriver.executables() == nil else { return true }
        if ProcessInfo.processInfo.environment["FLEET_REQUIRE_BROWSER"] == "1" {
            Issue.record("FLEET_REQUIRE_BROWSER=1 but chromium and chromium-driver are not installed: run scripts/setup.sh (apt-get install chromium chromium-driver)")
        } else {
            print("\(suite): chromium/chromium-driver not installed; browser test not run")
        }
        return false
    }

    /// Runs `body` with a 1920 × 1080 headless Chromium; the browser and its driver are
    /// stopped on every path. A failure is recorded with the end of the fleet's logs.
    static func withBrowser(_ fleet: TestFleet, _ body: (BrowserSession) async throws -> Void) async throws {
        let driver = try await ChromeDriver.start(logDir: fleet.dir)
        do {
            let browser = try await driver.newSession(width: 1920, height: 1080)
            do {
                try await body(browser)
                await browser.quit()
            } catch {
                await browser.quit()
                throw error
            }
        } catch {
            await driver.stop()
            Issue.record("\(error)\n\(fleet.logs.suffix(6000))")
            return
        }
        await driver.stop()
    }

    /// A new viewer token, created with the real fleetctl.
    static func viewerToken(_ fleet: TestFleet) async throws -> String {
        let created = try await fleet.fleetctl(["token", "create", "--role", "viewer", "--name", "browser test"])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(token.hasPrefix("sfv_"))
        return token
    }

    /// The CSRF token of the browser's session, read with its cookie as the page would.
    static func csrfToken(_ fleet: TestFleet, cookie: String) async throws -> String {
        let session = try await DashboardBrowserTests.call(fleet, .GET, Endpoints.session.template, cookie: cookie)
        return (try? WireCoding.decode(SessionView.self, from: Data(session.body.utf8)))?.csrfToken ?? ""
    }

    static func expectNoConsoleErrors(_ browser: BrowserSession, _ when: String) async throws {
        let errors = try await browser.consoleLog().filter { $0.level == "SEVERE" || $0.level == "ERROR" }
        #expect(errors.isEmpty, "console errors \(when): \(errors.map(\.message))")
    }
}

extension BrowserSession {
    /// Types the token into the sign-in form (which must be showing) and waits for the page.
    func signIn(token: String) async throws {
        try await waitFor("the sign-in form", "return document.getElementById('signin').hidden === false")
        try await type("#token", token)
        try await click("#signin button[type=submit]")
        try await waitFor("the signed-in page", "return document.body.dataset.signedIn === 'true' && !!document.getElementById('view').dataset.rendered")
    }
}
