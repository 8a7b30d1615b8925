import Foundation
import FleetCoordinator
import Testing

/// Inhibition as Alertmanager's `inhibit/inhibit.go` (`Mutes`, `hasEqual` with excludeTwoSidedMatch).
@Suite struct InhibitRuleTests {
    static func rule(_ source: [String], _ target: [String], equal: [String]) throws -> InhibitRule {
        InhibitRule(sourceMatchers: try source.map { try LabelMatcher(parsing: $0) },
                    targetMatchers: try target.map { try LabelMatcher(parsing: $0) }, equal: equal)
    }

    @Test func builtInNodeOfflineRule() {
        let rule = InhibitRule.nodeOfflineMutesNode
        let offline = ["alertname": "NodeOffline", "node": "pi1"]
        let firing = [offline, ["alertname": "DiskFull", "node": "pi1"]]
        #expect(rule.inhibits(["alertname": "DiskFull", "node": "pi1"], firing: firing))
        #expect(!rule.inhibits(["alertname": "DiskFull", "node": "pi2"], firing: firing))
        #expect(!rule.inhibits(offline, firing: firing), "the source itself is not a target")
        #expect(!rule.inhibits(["alertname": "DiskFull", "node": "pi1"], firing: []))
    }

    @Test func equalLabelsTreatMissingAsEmpty() throws {
        let rule = try Self.rule(["severity=critical"], ["severity=warning"], equal: ["cluster"])
        let critical = ["severity": "critical"]
        #expect(rule.inhibits(["severity": "warning"], firing: [critical]))
        #expect(!rule.inhibits(["severity": "warning", "cluster": "a"], firing: [critical]))
        #expect(rule.inhibits(["severity": "warning", "cluster": "a"], firing: [["severity": "critical", "cluster": "a"]]))
    }

    /// TestInhibitRuleMatches / TestInhibitRuleMatchers' two-sided case: an alert matching both
    /// sides is muted only by a source that does not also match the target side.
    @Test func twoSidedMatches() throws {
        let rule = try Self.rule(["s=~\"1|2\""], ["t=~\"1|2\""], equal: ["e"])
        let both1 = ["s": "1", "t": "1", "e": "x"]
        let both2 = ["s": "2", "t": "2", "e": "x"]
        let sourceOnly = ["s": "1", "t": "0", "e": "x"]
        let targetOnly = ["s": "0", "t": "1", "e": "x"]
        #expect(!rule.inhibits(both1, firing: [both1]), "an alert never mutes itself")
        #expect(!rule.inhibits(both1, firing: [both1, both2]), "two-sided alerts do not mute each other")
        #expect(rule.inhibits(both1, firing: [both1, sourceOnly]))
        #expect(rule.inhibits(targetOnly, firing: [both1]), "a two-sided alert mutes a target-only one")
        #expect(!rule.inhibits(sourceOnly, firing: [both1]), "not a target")
        #expect(!rule.inhibits(["s": "1", "t": "1", "e": "y"], firing: [sourceOnly]), "equal labels differ")
    }
}
