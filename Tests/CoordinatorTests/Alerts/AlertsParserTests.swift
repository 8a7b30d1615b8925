import Foundation
import FleetCoordinator
import FleetProtocol
import Testing

/// The additions to the `alerts` block: every bad input is one positioned error and nothing loads.
@Suite struct AlertsParserTests {
    /// A receiver block for the route error cases (lines 1–4; the route starts on line 5).
    static let head = """
    alerts:
      receivers:
        r: {webhook: {url: "http://127.0.0.1:9/h"}}
        s: {webhook: {url: "http://127.0.0.1:9/s"}}
      route:

    """

    /// `(route body at 4 spaces from line 6, expected FILE:LINE:COLUMN: message prefix)`.
    static let routeErrors: [(String, String)] = [
        ("    match: {a: b}\n    receiver: r", "fleet.yaml:6:5: the root route cannot have 'match'"),
        ("    receiver: r\n    matchers: [a=b]", "fleet.yaml:7:5: the root route cannot have 'matchers'"),
        ("    receiver: r\n    matchRe: {a: b}", "fleet.yaml:7:5: the root route cannot have 'matchRe'"),
        ("    receiver: r\n    continue: true", "fleet.yaml:7:5: the root route cannot have 'continue'"),
        ("    groupBy: [a]", "fleet.yaml:5:3: missing required field 'receiver' in alerts.route"),
        ("    receiver: r\n    groupBy: ['...', site]",
         "fleet.yaml:7:15: groupBy of alerts.route cannot combine '...' (all labels) with other labels"),
        ("    receiver: r\n    groupBy: [site, site]", "fleet.yaml:7:21: label 'site' is listed twice in 'groupBy'"),
        ("    receiver: r\n    groupBy: [si-te]", "fleet.yaml:7:15: bad label name 'si-te' in 'groupBy'"),
        ("    receiver: r\n    routes:\n    - matchers: ['site=>x']",
         "fleet.yaml:8:18: unknown operator '=>' in matcher 'site=>x'"),
        ("    receiver: r\n    routes:\n    - matchers: [a=b, 'site~x']",
         "fleet.yaml:8:23: unknown operator '~' in matcher 'site~x'"),
        ("    receiver: r\n    routes:\n    - matchers: ['site=~auk[']",
         "fleet.yaml:8:18: bad regular expression 'auk['"),
        ("    receiver: r\n    routes:\n    - matchers: ['1site=x']", "fleet.yaml:8:18: bad label name '1site'"),
        ("    receiver: r\n    routes:\n    - matchers: [site]", "fleet.yaml:8:18: bad matcher 'site'"),
        ("    receiver: r\n    routes:\n    - matchRe: {site: 'auk['}",
         "fleet.yaml:8:23: bad regular expression 'auk[' for label 'site'"),
        ("    receiver: r\n    routes:\n    - match: {1site: x}", "fleet.yaml:8:15: bad label name '1site'"),
        ("    receiver: r\n    routes:\n    - receiver: nobody", "fleet.yaml:8:17: unknown receiver 'nobody'"),
        ("    receiver: r\n    routes:\n    - receiver: s\n      routes:\n      - groupBy: ['...', x]",
         "fleet.yaml:10:19: groupBy of alerts.route.routes[0].routes[0] cannot combine"),
    ]

    @Test func routeErrorsArePositioned() {
        for (route, expected) in Self.routeErrors {
            let found = onlyError(Self.head + route + "\n")
            #expect(found.hasPrefix(expected), "\(route)\n→ \(found)")
        }
    }

    @Test func emptyGroupByAndAllLabelsParse() throws {
        let tree = try routeTree("receiver: r\ngroupBy: ['...']\nroutes:\n- {matchers: [a=b], groupBy: []}", receivers: ["r"])
        #expect(tree.groupBy == ["..."])
        #expect(tree.routes.first?.groupBy == [])
    }

    /// Receivers: the new fields, and the errors (each positioned, nothing loaded).
    @Test func receiverFields() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["user", "pass", "ca.pem", "hook"] {
            try "x\n".write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
        }
        let yaml = """
        alerts:
          receivers:
            mail: {email: {to: [a@b.c], smtp: "smtp://mail.example.org:587", usernameFile: \(dir)/user,
                           passwordFile: \(dir)/pass, requireTLS: true, caFile: \(dir)/ca.pem}}
            hook: {webhook: {url: "https://h.example.org/x", secretFile: \(dir)/hook, maxAlerts: 20}}
            am: {alertmanager: {url: "http://127.0.0.1:9093"}}
          route: {receiver: mail}
        """
        for check in [SecretFileCheck.skip, .require] {
            let alerts = try #require(try Inventory.load(files: [ApplyRequest.File(path: "fleet.yaml", content: yaml)],
                                                         secretFiles: check).alerts)
            #expect(alerts.receivers["mail"]?.channel == .email(EmailReceiverConfig(
                to: ["a@b.c"], smtp: "smtp://mail.example.org:587", usernameFile: "\(dir)/user", passwordFile: "\(dir)/pass",
                requireTLS: true, caFile: "\(dir)/ca.pem")))
            #expect(alerts.receivers["hook"]?.channel == .webhook(WebhookReceiverConfig(
                url: "https://h.example.org/x", secretFile: "\(dir)/hook", maxAlerts: 20)))
            #expect(alerts.receivers["am"]?.channel == .alertmanager(AlertmanagerReceiverConfig(url: "http://127.0.0.1:9093")))
        }
    }

    static let receiverErrors: [(String, String)] = [
        (#"{email: {to: [a@b.c], smtp: "smtp://:25"}}"#, "fleet.yaml:3:36: bad URL 'smtp://:25' for 'smtp'"),
        (#"{email: {to: [a@b.c], smtp: "smtp:relay"}}"#, "fleet.yaml:3:36: bad URL 'smtp:relay' for 'smtp'"),
        (#"{email: {to: [a@b.c], smtp: "smtp://m", requireTLS: maybe}}"#, "fleet.yaml:3:60: wrong type for 'requireTLS'"),
        (#"{email: {to: [a@b.c], smtp: "smtp://m", caFile: ca.pem}}"#, "fleet.yaml:3:56: 'caFile' must be an absolute path"),
        (#"{webhook: {url: "http://h", maxAlerts: -1}}"#, "fleet.yaml:3:47: 'maxAlerts' must be between 0 and"),
        (#"{webhook: {url: "http://h", secretFile: s}}"#, "fleet.yaml:3:48: 'secretFile' must be an absolute path"),
        (#"{alertmanager: {url: "http://am:9093/api"}}"#, "fleet.yaml:3:29: bad URL 'http://am:9093/api' for the alertmanager"),
        (#"{alertmanager: {url: "ftp://am"}}"#, "fleet.yaml:3:29: bad URL 'ftp://am' for 'url'"),
        (#"{alertmanager: {}}"#, "fleet.yaml:3:9: missing required field 'url' in alertmanager"),
        (#"{webhook: {url: "http://h"}, alertmanager: {url: "http://am"}}"#, "fleet.yaml:3:37: receiver 'x' has both 'webhook' and 'alertmanager'"),
    ]

    @Test func receiverErrorsArePositioned() {
        for (receiver, expected) in Self.receiverErrors {
            let found = onlyError("alerts:\n  receivers:\n    x: \(receiver)\n  route: {receiver: x}\n")
            #expect(found.hasPrefix(expected), "\(receiver)\n→ \(found)")
        }
    }

    /// Credential files must exist and be readable only with `.require` (the coordinator's apply).
    @Test func credentialFilesAreCheckedOnlyWhenRequired() {
        let missing = "/nonexistent-\(UUID().uuidString)"
        let fields: [(String, String, Int)] = [
            ("usernameFile", #"{email: {to: [a@b.c], smtp: "smtp://m", usernameFile: \#(missing)}}"#, 62),
            ("passwordFile", #"{email: {to: [a@b.c], smtp: "smtp://m", passwordFile: \#(missing)}}"#, 62),
            ("caFile", #"{email: {to: [a@b.c], smtp: "smtp://m", caFile: \#(missing)}}"#, 56),
            ("secretFile", #"{webhook: {url: "http://h", secretFile: \#(missing)}}"#, 48),
        ]
        for (field, receiver, column) in fields {
            let yaml = "alerts:\n  receivers:\n    x: \(receiver)\n  route: {receiver: x}\n"
            #expect((try? Inventory.load(files: [ApplyRequest.File(path: "fleet.yaml", content: yaml)])) != nil, "\(field)")
            let found = onlyError(yaml, secretFiles: .require)
            #expect(found.hasPrefix("fleet.yaml:3:\(column): '\(field)' file '\(missing)' does not exist on the coordinator"),
                    "\(found)")
        }
        let directory = #"{webhook: {url: "http://h", secretFile: /tmp}}"#
        let found = onlyError("alerts:\n  receivers:\n    x: \(directory)\n  route: {receiver: x}\n", secretFiles: .require)
        #expect(found.hasPrefix("fleet.yaml:3:48: 'secretFile' file '/tmp' is not a readable file"), "\(found)")
    }

    @Test func thresholds() throws {
        let alerts = try #require(try loadOne("""
        alerts:
          thresholds: {recorderRestartsAbove: 5, restartWindow: 30m, diskFullWithin: 2d, agentVersionSkew: true}
        """).alerts)
        #expect(alerts.thresholds.recorderRestartsAbove == 5)
        #expect(alerts.thresholds.restartWindowSeconds == 1800)
        #expect(alerts.thresholds.diskFullWithinSeconds == 172_800)
        #expect(alerts.thresholds.agentVersionSkew)
        #expect(onlyError("alerts:\n  thresholds: {restartWindow: 0s}\n").hasPrefix("fleet.yaml:2:31: 'restartWindow' must be longer than zero"))
        #expect(onlyError("alerts:\n  thresholds: {recorderRestartsAbove: x}\n")
            .hasPrefix("fleet.yaml:2:39: wrong type for 'recorderRestartsAbove'"))
        #expect(onlyError("alerts:\n  thresholds: {agentVersionSkew: 3}\n").hasPrefix("fleet.yaml:2:34: wrong type for 'agentVersionSkew'"))
    }

    @Test func inhibitRules() throws {
        let custom = try #require(try loadOne("""
        alerts:
          inhibitRules:
          - {sourceMatchers: [severity=critical], targetMatchers: ['severity=~"warning|info"'], equal: [site]}
        """).alerts)
        #expect(custom.inhibitRules.count == 2)
        #expect(custom.inhibitRules.first == .nodeOfflineMutesNode)
        #expect(custom.inhibitRules.last?.equal == ["site"])
        #expect(custom.inhibitRules.last?.targetMatchers.map(\.description) == [#"severity=~"warning|info""#])
        let none = try #require(try loadOne("alerts:\n  builtinInhibitRules: false\n").alerts)
        #expect(none.inhibitRules.isEmpty)
        let errors: [(String, String)] = [
            ("- {sourceMatchers: ['a=>b'], targetMatchers: [b=c]}", "fleet.yaml:3:23: unknown operator '=>'"),
            ("- {sourceMatchers: [], targetMatchers: [b=c]}", "fleet.yaml:3:22: 'sourceMatchers' of alerts.inhibitRules[0] must list"),
            ("- {sourceMatchers: [a=b]}", "fleet.yaml:3:5: missing required field 'targetMatchers'"),
            ("- {sourceMatchers: [a=b], targetMatchers: [b=c], equal: [1x]}", "fleet.yaml:3:60: bad label name '1x' in 'equal'"),
            ("- {sourceMatchers: [a=b], targetMatchers: [b=c], when: x}", "fleet.yaml:3:52: unknown field 'when'"),
        ]
        for (rule, expected) in errors {
            let found = onlyError("alerts:\n  inhibitRules:\n  \(rule)\n")
            #expect(found.hasPrefix(expected), "\(rule)\n→ \(found)")
        }
    }
}
