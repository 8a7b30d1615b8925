import Foundation
import FleetCoordinator
import Testing

/// Alertmanager's own routing tests, ported: `dispatch/route_test.go` (TestRouteMatch,
/// TestRouteMatchers, TestRouteMatchersAndMatch, TestRouteWalk, TestInheritParentGroupByAll,
/// TestRouteID), the routing part of `TestGroups` in `dispatch/dispatch_test.go`, and
/// `cli/test_routing_test.go`, with the YAML in inventory syntax.
@Suite struct AlertmanagerRoutingTests {
    static let names = ["notify-def", "notify-A", "notify-testing", "notify-productionA", "notify-productionB", "notify-BC"]

    /// TestRouteMatch's tree with `match` / `matchRe`.
    static let matchTree = """
    receiver: notify-def
    routes:
    - match: {owner: team-A}
      receiver: notify-A
      routes:
      - match: {env: testing}
        receiver: notify-testing
        groupBy: ['...']
      - match: {env: production}
        receiver: notify-productionA
        groupWait: 1m
        continue: true
      - matchRe: {env: "produ.*", job: ".*"}
        receiver: notify-productionB
        groupWait: 30s
        groupInterval: 5m
        repeatInterval: 1h
        groupBy: [job]
    - matchRe: {owner: "team-(B|C)"}
      groupBy: [foo, bar]
      groupWait: 2m
      receiver: notify-BC
    - match: {group_by: role}
      groupBy: [role]
      routes:
      - match: {env: testing}
        receiver: notify-testing
        routes:
        - match: {wait: long}
          groupWait: 2m
    """

    /// TestRouteMatchers' tree: Alertmanager's string matchers, with and without braces.
    static let matchersTree = """
    receiver: notify-def
    routes:
    - matchers: ['{owner="team-A"}', '{level!="critical"}']
      receiver: notify-A
      routes:
      - matchers: ['{env="testing"}', '{baz!~".*quux"}']
        receiver: notify-testing
        groupBy: ['...']
      - matchers: ['{env="production"}']
        receiver: notify-productionA
        groupWait: 1m
        continue: true
      - matchers: [ env=~"produ.*", job=~".*"]
        receiver: notify-productionB
        groupWait: 30s
        groupInterval: 5m
        repeatInterval: 1h
        groupBy: [job]
    - matchers: [owner=~"team-(B|C)"]
      groupBy: [foo, bar]
      groupWait: 2m
      receiver: notify-BC
    - matchers: [group_by="role"]
      groupBy: [role]
      routes:
      - matchers: ['{env="testing"}']
        receiver: notify-testing
        routes:
        - matchers: [wait="long"]
          groupWait: 2m
    """

    /// TestRouteMatchersAndMatch's tree: both forms mixed.
    static let mixedTree = """
    receiver: notify-def
    routes:
    - matchers: ['{owner="team-A"}', '{level!="critical"}']
      receiver: notify-A
      routes:
      - matchers: ['{env="testing"}', '{baz!~".*quux"}']
        receiver: notify-testing
        groupBy: ['...']
      - match: {env: production}
        receiver: notify-productionA
        groupWait: 1m
        continue: true
      - matchers: [ env=~"produ.*", job=~".*"]
        receiver: notify-productionB
        groupWait: 30s
        groupInterval: 5m
        repeatInterval: 1h
        groupBy: [job]
    - matchRe: {owner: "team-(B|C)"}
      groupBy: [foo, bar]
      groupWait: 2m
      receiver: notify-BC
    - matchers: [group_by="role"]
      groupBy: [role]
      routes:
      - matchers: ['{env="testing"}']
        receiver: notify-testing
        routes:
        - matchers: [wait="long"]
          groupWait: 2m
    """

    /// The expectations the three trees share (TestRouteMatch and friends).
    static let cases: [RoutingCase] = [
        RoutingCase(labels: ["owner": "team-A"], expected: [ExpectedRoute("notify-A")]),
        RoutingCase(labels: ["owner": "team-A", "env": "unset"], expected: [ExpectedRoute("notify-A")]),
        RoutingCase(labels: ["owner": "team-C"], expected: [ExpectedRoute("notify-BC", groupBy: ["foo", "bar"], wait: 120)]),
        RoutingCase(labels: ["owner": "team-A", "env": "testing"], expected: [ExpectedRoute("notify-testing", all: true)]),
        RoutingCase(labels: ["owner": "team-A", "env": "production"], expected: [
            ExpectedRoute("notify-productionA", wait: 60),
            ExpectedRoute("notify-productionB", groupBy: ["job"], wait: 30, interval: 300, repeat: 3600),
        ]),
        RoutingCase(labels: ["group_by": "role"], expected: [ExpectedRoute("notify-def", groupBy: ["role"])]),
        RoutingCase(labels: ["env": "testing", "group_by": "role"], expected: [ExpectedRoute("notify-testing", groupBy: ["role"])]),
        RoutingCase(labels: ["env": "testing", "group_by": "role", "wait": "long"],
                    expected: [ExpectedRoute("notify-testing", groupBy: ["role"], wait: 120)]),
    ]

    @Test(arguments: ["match", "matchers", "mixed"])
    func routeMatch(variant: String) throws {
        let yaml = variant == "match" ? Self.matchTree : variant == "matchers" ? Self.matchersTree : Self.mixedTree
        check(try routeTree(yaml, receivers: Self.names), Self.cases)
    }

    /// TestRouteMatchers' keys: matchers sorted by name, values quoted, regexes as written.
    @Test func routeMatchersKeys() throws {
        let tree = try routeTree(Self.matchersTree, receivers: Self.names)
        let teamA = #"{}/{level!="critical",owner="team-A"}"#
        let keys: [([String: String], [String])] = [
            (["owner": "team-A"], [teamA]),
            (["owner": "team-C"], [#"{}/{owner=~"team-(B|C)"}"#]),
            (["owner": "team-A", "env": "testing"], [teamA + #"/{baz!~".*quux",env="testing"}"#]),
            (["owner": "team-A", "env": "production"], [teamA + #"/{env="production"}"#, teamA + #"/{env=~"produ.*",job=~".*"}"#]),
            (["group_by": "role"], [#"{}/{group_by="role"}"#]),
            (["env": "testing", "group_by": "role", "wait": "long"], [#"{}/{group_by="role"}/{env="testing"}/{wait="long"}"#]),
        ]
        for (labels, expected) in keys {
            #expect(tree.matchingRoutes(for: labels).map { alertmanagerKey($0.key) } == expected, "\(labels)")
        }
    }

    /// TestRouteWalk: every route depth-first with its inherited receiver.
    @Test func routeWalk() throws {
        let tree = try routeTree(Self.matchTree, receivers: Self.names)
        #expect(tree.walk().map(\.receiver) == [
            "notify-def", "notify-A", "notify-testing", "notify-productionA", "notify-productionB",
            "notify-BC", "notify-def", "notify-testing", "notify-testing",
        ])
    }

    /// TestInheritParentGroupByAll: '...' is inherited; a child's own groupBy replaces it.
    @Test func inheritParentGroupByAll() throws {
        let tree = try routeTree("""
        receiver: r
        routes:
        - match: {env: parent}
          groupBy: ['...']
          routes:
          - match: {env: child1}
          - match: {env: child2}
            groupBy: [foo]
        """, receivers: ["r"])
        let parent = tree.walk()[1]
        #expect(parent.groupBy == ["..."])
        #expect(parent.routes.map(\.groupBy) == [["..."], ["foo"]])
    }

    /// TestRouteID: our keys are Alertmanager's route IDs (with sibling indices), so equal siblings stay apart.
    @Test func routeIDs() throws {
        let tree = try routeTree("""
        receiver: default
        routes:
        - {continue: true, matchers: [foo=bar], receiver: test1, routes: [{matchers: [bar=baz]}]}
        - {continue: true, matchers: [foo=bar], receiver: test1, routes: [{matchers: [bar=baz]}]}
        - {continue: true, matchers: [foo=bar], receiver: test2, routes: [{matchers: [bar=baz]}]}
        - {continue: true, matchers: [bar=baz], receiver: test3, routes: [{matchers: [baz=qux]}, {matchers: [qux=corge]}]}
        - {continue: true, matchers: ['qux=~"[a-zA-Z0-9]+"']}
        - {continue: true, matchers: ['corge!~"[0-9]+"']}
        """, receivers: ["default", "test1", "test2", "test3"])
        #expect(tree.walk().map(\.key) == [
            #"{}"#,
            #"{}/{foo="bar"}/0"#, #"{}/{foo="bar"}/0/{bar="baz"}/0"#,
            #"{}/{foo="bar"}/1"#, #"{}/{foo="bar"}/1/{bar="baz"}/0"#,
            #"{}/{foo="bar"}/2"#, #"{}/{foo="bar"}/2/{bar="baz"}/0"#,
            #"{}/{bar="baz"}/3"#, #"{}/{bar="baz"}/3/{baz="qux"}/0"#, #"{}/{bar="baz"}/3/{qux="corge"}/1"#,
            #"{}/{qux=~"[a-zA-Z0-9]+"}/4"#,
            #"{}/{corge!~"[0-9]+"}/5"#,
        ])
    }

    /// TestGroups (dispatch_test.go): which receivers, route IDs and group labels each alert gets.
    @Test func groups() throws {
        let tree = try routeTree("""
        groupBy: [alertname]
        groupWait: 0s
        groupInterval: 1s
        receiver: prod
        routes:
        - match: {env: testing}
          receiver: testing
          groupBy: [alertname, service]
        - match: {env: prod}
          receiver: prod
          groupBy: [alertname, service, cluster]
          continue: true
        - match: {kafka: 'yes'}
          receiver: kafka
          groupBy: [alertname, service, cluster]
        """, receivers: ["kafka", "prod", "testing"])
        let alerts: [[String: String]] = [
            ["alertname": "OtherAlert", "cluster": "cc", "service": "dd"],
            ["env": "testing", "alertname": "TestingAlert", "service": "api", "instance": "inst1"],
            ["env": "prod", "alertname": "HighErrorRate", "cluster": "aa", "service": "api", "instance": "inst1"],
            ["env": "prod", "alertname": "HighErrorRate", "cluster": "aa", "service": "api", "instance": "inst2"],
            ["env": "prod", "alertname": "HighErrorRate", "cluster": "bb", "service": "api", "instance": "inst1"],
            ["env": "prod", "alertname": "HighLatency", "cluster": "bb", "service": "db", "kafka": "yes", "instance": "inst3"],
        ]
        struct Group: Equatable { var receiver: String; var routeID: String; var labels: [String: String] }
        func groups(_ labels: [String: String]) -> [Group] {
            tree.matchingRoutes(for: labels).map { Group(receiver: $0.options.receiver, routeID: $0.key,
                                                         labels: $0.options.groupLabels(of: labels)) }
        }
        let prodID = #"{}/{env="prod"}/1"#
        #expect(groups(alerts[0]) == [Group(receiver: "prod", routeID: "{}", labels: ["alertname": "OtherAlert"])])
        #expect(groups(alerts[1]) == [Group(receiver: "testing", routeID: #"{}/{env="testing"}/0"#,
                                            labels: ["alertname": "TestingAlert", "service": "api"])])
        let errorRateAA = Group(receiver: "prod", routeID: prodID,
                                labels: ["alertname": "HighErrorRate", "cluster": "aa", "service": "api"])
        #expect(groups(alerts[2]) == [errorRateAA])
        #expect(groups(alerts[3]) == [errorRateAA], "inst1 and inst2 share one group")
        #expect(groups(alerts[4]) == [Group(receiver: "prod", routeID: prodID,
                                            labels: ["alertname": "HighErrorRate", "cluster": "bb", "service": "api"])])
        let latency: [String: String] = ["alertname": "HighLatency", "cluster": "bb", "service": "db"]
        #expect(groups(alerts[5]) == [Group(receiver: "prod", routeID: prodID, labels: latency),
                                      Group(receiver: "kafka", routeID: #"{}/{kafka="yes"}/2"#, labels: latency)])
        let options = tree.matchingRoutes(for: alerts[0]).first?.options
        #expect(options?.groupWaitSeconds == 0 && options?.groupIntervalSeconds == 1)
    }

    /// cli/test_routing_test.go with testdata/conf.routing.yml and conf.routing-reverted.yml.
    @Test func amtoolRoutingTest() throws {
        let routing = try routeTree("""
        receiver: default
        routes:
        - matchRe: {test: '^[12]$'}
          receiver: test1
          continue: true
        - match: {test: '2'}
          receiver: test2
        """, receivers: ["default", "test1", "test2"])
        let reverted = try routeTree("""
        receiver: default
        routes:
        - match: {test: '2'}
          receiver: test2
          continue: true
        - matchRe: {test: '^[12]$'}
          receiver: test1
          continue: true
        """, receivers: ["default", "test1", "test2"])
        #expect(receivers(routing, ["test": "1"]) == ["test1"])
        #expect(receivers(routing, ["test": "2"]) == ["test1", "test2"])
        #expect(receivers(reverted, ["test": "2"]) == ["test2", "test1"])
        #expect(receivers(routing, ["test": "volovina"]) == ["default"])
    }
}
