import FleetProtocol
import Foundation
import Testing

/// The overview of a large fleet (1,000 nodes, 4,000 stations) renders quickly in headless
/// Chromium, measured from navigation to the first complete view.
@Suite(.serialized) struct DashboardScaleTests {
    /// The issue's bar: 1 s (best of three loads; FLEET_DASHBOARD_BUDGET_MS overrides it).
    /// About 250 ms on the 2-core development machine under load.
    static let budgetMs = Double(ProcessInfo.processInfo.environment["FLEET_DASHBOARD_BUDGET_MS"] ?? "") ?? 1000

    static func inventory(dir: String, nodes: Int, stationsPerNode: Int) -> String {
        var text = """
        sites:
        \((0..<50).map { "  site\($0): {}" }.joined(separator: "\n"))
        defaults:
          heartbeatSeconds: 10
          recorder:
            segmentSeconds: 600
            rtspPort: 9
            rtspPath: /stream1
            username: viewer
            passwordFile: \(dir)/camera-password
            outputDir: \(dir)/recordings
        nodes:

        """
        for n in 0..<nodes { text += "  node\(n): {site: site\(n % 50)}\n" }
        text += "stations:\n"
        for n in 0..<nodes {
            for s in 0..<stationsPerNode { text += "  st\(n)-\(s): {node: node\(n), camera: {host: 127.0.0.1}}\n" }
        }
        return text
    }

    @Test func theOverviewOfAThousandNodesRendersQuickly() async throws {
        guard ChromeDriver.executables() != nil else {
            if ProcessInfo.processInfo.environment["FLEET_REQUIRE_BROWSER"] == "1" {
                Issue.record("FLEET_REQUIRE_BROWSER=1 but chromium and chromium-driver are not installed: run scripts/setup.sh")
            }
            return
        }
        try await withFleet("dashboard-scale") { fleet in
            try await fleet.startCoordinator()
            let path = fleet.dir + "/large.yaml"
            try Self.inventory(dir: fleet.dir, nodes: 1000, stationsPerNode: 4).write(toFile: path, atomically: true, encoding: .utf8)
            let apply = try await fleet.fleetctl(["apply", "-f", path])
            #expect(apply.status == 0, "\(apply.stderr)")
            let driver = try await ChromeDriver.start(logDir: fleet.dir)
            do {
                let browser = try await driver.newSession(width: 1920, height: 1080)
                do {
                    try await browser.navigate(to: fleet.url + "/")
                    try await browser.type("#token", fleet.adminToken)
                    try await browser.click("#signin button[type=submit]")
                    try await browser.waitFor("the overview", timeout: .seconds(60),
                                              "return document.querySelectorAll('tr[data-node]').length === 1000")
                    // Signed in: a fresh load measures the first render alone.
                    var best = Double.infinity
                    for _ in 0..<3 {
                        try await browser.navigate(to: fleet.url + "/")
                        try await browser.waitFor("the overview after a reload", timeout: .seconds(60),
                                                  "return !!document.getElementById('view').dataset.firstRenderMs")
                        let ms = Double(try await browser.string("return document.getElementById('view').dataset.firstRenderMs")) ?? .infinity
                        #expect(await browser.bool("return document.querySelectorAll('.station-chip').length === 4000"))
                        best = min(best, ms)
                    }
                    print("DashboardScaleTests: first render of 1,000 nodes and 4,000 stations in \(Int(best)) ms (best of 3)")
                    #expect(best < Self.budgetMs, "first render took \(Int(best)) ms")
                    let weight = try await browser.execute("""
                        return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
                          .filter((e) => !e.name.includes('/v1/')).reduce((sum, e) => sum + (e.decodedBodySize || 0), 0);
                        """) as? Int ?? 0
                    print("DashboardScaleTests: page weight \(weight) bytes (without API answers)")
                    #expect(weight > 0 && weight < 200_000)
                    await browser.quit()
                } catch {
                    await browser.quit()
                    throw error
                }
            } catch {
                await driver.stop()
                throw error
            }
            await driver.stop()
        }
    }
}
