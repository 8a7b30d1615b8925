import Foundation
import FleetCoordinator
import Testing

/// Alertmanager's routing rules, case by case: matcher operators, anchoring, missing labels,
/// first match and `continue`, fallback to the parent, inheritance and grouping.
@Suite struct RouteSemanticsTests {
    /// `(matcher, labels, matches)` for every operator, anchoring and the missing-label rule.
    static let matcherCases: [(String, [String: String], Bool)] = [
        ("site=auklab", ["site": "auklab"], true),
        ("site=auklab", ["site": "auklab2"], false),
        ("site=auklab", [:], false),
        ("site=\"\"", [:], true),                       // a missing label is the empty string
        ("site!=auklab", ["site": "rost"], true),
        ("site!=auklab", [:], true),
        ("site!=auklab", ["site": "auklab"], false),
        ("level!=\"critical\"", [:], true),
        ("site=~auk.*", ["site": "auklab"], true),
        ("site=~auk", ["site": "auklab"], false),       // anchored at the end
        ("site=~lab", ["site": "auklab"], false),       // anchored at the start
        ("site=~a|b", ["site": "ab"], false),           // the whole alternation is anchored
        ("site=~a|b", ["site": "b"], true),
        ("site=~.*", [:], true),
        ("site=~.+", [:], false),
        ("site=~a.b", ["site": "a\nb"], false),         // `.` does not match a newline (Go RE2 default)
        ("site!~auk.*", ["site": "auklab"], false),
        ("site!~auk.*", ["site": "rost"], true),
        ("site!~auk.*", [:], true),
        ("site!~\"\"", [:], false),
        ("{site=\"auk lab\"}", ["site": "auk lab"], true),
        ("site = \"a\\\"b\"", ["site": "a\"b"], true),
        ("site=a=b", ["site": "a=b"], true),            // only the first operator counts
    ]

    @Test func everyOperator() throws {
        for (text, labels, expected) in Self.matcherCases {
            let matcher = try LabelMatcher(parsing: text)
            #expect(matcher.matches(labels) == expected, "\(text) on \(labels)")
        }
    }

    @Test func descriptionParsesBack() throws {
        for (text, _, _) in Self.matcherCases {
            let matcher = try LabelMatcher(parsing: text)
            #expect(try LabelMatcher(parsing: matcher.description) == matcher, "\(text) → \(matcher.description)")
        }
        let tricky = try LabelMatcher(name: "a", op: .equal, value: "x\"y\\z\nw")
        #expect(tricky.description == #"a="x\"y\\z\nw""#)
        #expect(try LabelMatcher(parsing: tricky.description) == tricky)
    }

    @Test func badMatchersAreRejected() {
        let bad: [(String, LabelMatcherError)] = [
            ("site=>x", .unknownOperator("=>", "site=>x")),
            ("site==x", .unknownOperator("==", "site==x")),
            ("site~x", .unknownOperator("~", "site~x")),
            ("site<x", .unknownOperator("<", "site<x")),
            ("site", .noOperator("site")),
            ("1site=x", .badLabelName("1site")),
            ("si-te=x", .badLabelName("si-te")),
            ("=x", .badLabelName("")),
            ("site=~(", .badRegex("(")),
            ("site=\"open", .badQuoting("site=\"open")),
        ]
        for (text, error) in bad {
            #expect(throws: error, "\(text)") { _ = try LabelMatcher(parsing: text) }
        }
    }

    static let tree = """
    receiver: root
    groupBy: [site]
    groupWait: 10s
    routes:
    - matchers: [team=a]
      receiver: a
      groupInterval: 1m
      continue: true
      routes:
      - matchers: [severity=critical]
        receiver: a-crit
      - matchers: [severity=~"critical|page"]
        receiver: a-page
    - matchers: [team=~"a|b"]
      receiver: ab
      groupBy: []
      repeatInterval: 2h
      routes:
      - matchers: [node="pi1"]
        groupBy: ['...']
    - matchers: [team=a]
      receiver: never
    """

    @Test func firstMatchContinueFallbackAndInheritance() throws {
        let tree = try routeTree(Self.tree, receivers: ["root", "a", "a-crit", "a-page", "ab", "never"])
        check(tree, [
            // No child matches: the root itself, with its own settings.
            RoutingCase(labels: ["team": "c"], expected: [ExpectedRoute("root", groupBy: ["site"], wait: 10)]),
            // `continue` on the first child lets the second one match too; the third is never reached.
            RoutingCase(labels: ["team": "a"], expected: [
                ExpectedRoute("a", groupBy: ["site"], wait: 10, interval: 60),
                ExpectedRoute("ab", wait: 10, repeat: 7200),
            ]),
            // Only the first matching grandchild; `continue` is not inherited from its parent.
            RoutingCase(labels: ["team": "a", "severity": "critical"], expected: [
                ExpectedRoute("a-crit", groupBy: ["site"], wait: 10, interval: 60),
                ExpectedRoute("ab", wait: 10, repeat: 7200),
            ]),
            RoutingCase(labels: ["team": "a", "severity": "page"], expected: [
                ExpectedRoute("a-page", groupBy: ["site"], wait: 10, interval: 60),
                ExpectedRoute("ab", wait: 10, repeat: 7200),
            ]),
            // Receiver and intervals inherited; '...' replaces the parent's (emptied) groupBy.
            RoutingCase(labels: ["team": "b", "node": "pi1"], expected: [ExpectedRoute("ab", all: true, wait: 10, repeat: 7200)]),
            // `groupBy: []` clears the root's [site].
            RoutingCase(labels: ["team": "b"], expected: [ExpectedRoute("ab", wait: 10, repeat: 7200)]),
        ])
    }

    @Test func allMatchersOfARouteMustMatch() throws {
        let tree = try routeTree("""
        receiver: root
        routes:
        - matchers: [a=1, b!=2, c=~"x.*", d!~"y"]
          receiver: all
        """, receivers: ["root", "all"])
        #expect(receivers(tree, ["a": "1", "c": "xx"]) == ["all"])
        #expect(receivers(tree, ["a": "1", "c": "xx", "b": "2"]) == ["root"])
        #expect(receivers(tree, ["a": "1", "c": "xx", "d": "y"]) == ["root"])
        #expect(receivers(tree, ["a": "1"]) == ["root"])
        #expect(receivers(tree, ["c": "xx"]) == ["root"])
    }

    @Test func groupLabels() {
        let all = RouteOptions(receiver: "r", groupBy: [], groupByAll: true, groupWaitSeconds: 0,
                               groupIntervalSeconds: 1, repeatIntervalSeconds: 1)
        let some = RouteOptions(receiver: "r", groupBy: ["site", "node"], groupByAll: false, groupWaitSeconds: 0,
                                groupIntervalSeconds: 1, repeatIntervalSeconds: 1)
        let none = RouteOptions(receiver: "r", groupBy: [], groupByAll: false, groupWaitSeconds: 0,
                                groupIntervalSeconds: 1, repeatIntervalSeconds: 1)
        let labels = ["site": "auklab", "alertname": "X"]
        #expect(all.groupLabels(of: labels) == labels)
        #expect(some.groupLabels(of: labels) == ["site": "auklab"])  // a missing label is left out, as in Alertmanager
        #expect(none.groupLabels(of: labels).isEmpty)
    }

    @Test func routeViewsCarryTheEffectiveSettings() throws {
        let tree = try routeTree(Self.tree, receivers: ["root", "a", "a-crit", "a-page", "ab", "never"])
        let view = tree.treeView()
        #expect(view.key == "{}" && view.matchers.isEmpty && view.receiver == "root" && view.groupBy == ["site"])
        let ab = try #require(view.routes.dropFirst().first)
        #expect(ab.matchers == [#"team=~"a|b""#])
        #expect(ab.groupBy.isEmpty && ab.repeatIntervalSeconds == 7200 && ab.groupWaitSeconds == 10 && !ab.continue)
        #expect(ab.routes.first?.groupBy == ["..."])
        #expect(view.routes.first?.continue == true)
        let results = tree.matchingRoutes(for: ["team": "b", "node": "pi1"]).map(\.result)
        #expect(results.map(\.receiver) == ["ab"])
        #expect(results.first?.groupBy == ["..."])
    }
}
