import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// A coordinator upgraded in place must read the desired state its previous version stored:
/// an alerts block written before matchers lists, inhibit rules, time intervals and the
/// newer thresholds and receiver fields existed.
@Suite struct StoredConfigCompatibilityTests {
    /// `AlertsConfig` as the previous release encoded it (its synthesized Codable).
    static let previousRelease = #"""
    {"thresholds": {"nodeOfflineAfterSeconds": 90, "segmentStaleAfterSeconds": 120,
                    "diskUsageAbovePercent": 85, "archiveBacklogAboveSeconds": 7200},
     "receivers": {
       "ops-email": {"name": "ops-email", "channel": {"email": {"_0": {"to": ["ops@example.org"],
                     "smtp": "smtp://127.0.0.1:2525", "passwordFile": "/etc/stationfleet/smtp-pass"}}}},
       "auklab-hook": {"name": "auklab-hook", "channel": {"webhook": {"_0": {"url": "http://127.0.0.1:9094/hook"}}}}},
     "route": {"receiver": "ops-email", "groupBy": ["site", "alertname"], "groupWaitSeconds": 30,
               "match": {}, "matchRe": {}, "continueMatching": false,
               "routes": [{"match": {"site": "auklab"}, "matchRe": {"node": "pi[0-9]+"}, "continueMatching": true,
                           "receiver": "auklab-hook", "routes": []}]}}
    """#

    @Test func alertsConfigOfThePreviousReleaseDecodes() throws {
        let config = try WireCoding.decode(AlertsConfig.self, from: Data(Self.previousRelease.utf8))
        #expect(config.thresholds.nodeOfflineAfterSeconds == 90)
        #expect(config.thresholds.diskUsageAbovePercent == 85)
        #expect(config.thresholds.recorderRestartsAbove == AlertThresholds().recorderRestartsAbove)
        #expect(config.inhibitRules == [.nodeOfflineMutesNode])
        #expect(config.timeIntervals.isEmpty)
        guard case .webhook(let hook) = config.receivers["auklab-hook"]?.channel else {
            Issue.record("the webhook receiver did not decode")
            return
        }
        #expect(hook.maxAlerts == 0)
        guard case .email(let mail) = config.receivers["ops-email"]?.channel else {
            Issue.record("the email receiver did not decode")
            return
        }
        #expect(!mail.requireTLS)
        let child = try #require(config.route?.routes.first)
        #expect(child.matchers.map(\.description) == [#"node=~"pi[0-9]+""#, #"site="auklab""#])
        #expect(child.continueMatching)
        let routes = try #require(config.route).matchingRoutes(for: ["site": "auklab", "node": "pi12"])
        #expect(routes.map(\.options.receiver) == ["auklab-hook"])
        // And it round-trips in the current format.
        let again = try WireCoding.decode(AlertsConfig.self, from: try WireCoding.encode(config))
        #expect(again == config)
    }
}
