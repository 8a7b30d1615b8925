import Foundation
import FleetCoordinator
import FleetInventory
import FleetProtocol
import Testing

/// Bad `alerts.timeIntervals` and bad references to them: each is one error at its
/// FILE:LINE:COLUMN, and nothing loads.
@Suite struct TimeIntervalParserTests {
    /// Lines 1–9; line 10 is `    - BODY` (interval `t`, referenced by a child route).
    static func inventory(period body: String) -> String {
        """
        alerts:
          receivers:
            r: {webhook: {url: "http://127.0.0.1:9/h"}}
          route:
            receiver: r
            routes:
            - {matchers: [a=b], muteTimeIntervals: [t]}
          timeIntervals:
            t:
            - \(body)

        """
    }

    /// The expected `fleet.yaml:LINE:COLUMN: message` prefix, the column being where `needle` starts on `line`.
    static func expected(_ yaml: String, line: Int, needle: String, _ message: String) -> String {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard line <= lines.count, let range = lines[line - 1].range(of: needle) else { return "needle '\(needle)' not found" }
        let column = lines[line - 1].distance(from: lines[line - 1].startIndex, to: range.lowerBound) + 1
        return "fleet.yaml:\(line):\(column): \(message)"
    }

    /// `(period, where the error points, message prefix)`.
    static let periodErrors: [(String, String, String)] = [
        ("{times: [{start: '25:00', end: '26:00'}]}", "'25:00'", "bad time '25:00': use HH:MM from 00:00 to 24:00"),
        ("{times: [{start: '01:99', end: '23:59'}]}", "'01:99'", "bad time '01:99'"),
        ("{times: [{start: '9:00', end: '17:00'}]}", "'9:00'", "bad time '9:00'"),
        ("{times: [{start: '00:00', end: '24:01'}]}", "'24:01'", "bad time '24:01'"),
        ("{times: [{start: '17:31', end: '17:31'}]}", "'17:31'", "start time 17:31 must be before end time 17:31"),
        ("{times: [{start: '24:00', end: '17:41'}]}", "'24:00'", "start time 24:00 must be before end time 17:41"),
        ("{times: [{start: '14:03'}]}", "{start", "missing required field 'end' in alerts.timeIntervals.t[0].times[0]"),
        ("{times: [{start: '14:03', end: '15:00', step: 1}]}", "step", "unknown field 'step'"),
        ("{times: []}", "[]", "'times' of alerts.timeIntervals.t[0] is empty: leave it out to match the whole day"),
        ("{weekdays: ['friday:monday']}", "'friday", "weekday range 'friday:monday' ends before it starts"),
        ("{weekdays: ['blurgsday:flurgsday']}", "'blurgsday", "bad weekday 'blurgsday' in 'blurgsday:flurgsday'"),
        ("{weekdays: [monday, '1:3']}", "'1:3'", "bad weekday '1' in '1:3'"),
        ("{weekdays: ['-2:-1']}", "'-2", "bad weekday '-2'"),
        ("{weekdays: ['monday:tuesday:friday']}", "'monday", "bad weekday range 'monday:tuesday:friday'"),
        ("{weekdays: []}", "[]", "'weekdays' of alerts.timeIntervals.t[0] is empty: leave it out to match every weekday"),
        ("{daysOfMonth: ['0']}", "'0'", "bad day of the month '0'"),
        ("{daysOfMonth: ['-50:-20']}", "'-50", "bad day of the month '-50'"),
        ("{daysOfMonth: ['1:50']}", "'1:50'", "bad day of the month '50'"),
        ("{daysOfMonth: ['-15:5']}", "'-15", "day range '-15:5' starts counting from the end of the month"),
        ("{daysOfMonth: ['10:-25']}", "'10", "day range '10:-25' always ends before it starts"),
        ("{months: ['martius:june']}", "'martius", "bad month 'martius'"),
        ("{months: ['march:junius']}", "'march", "bad month 'junius'"),
        ("{months: ['13']}", "'13'", "bad month '13'"),
        ("{months: ['december:january']}", "'december", "month range 'december:january' ends before it starts"),
        ("{years: ['2022:2020']}", "'2022", "year range '2022:2020' ends before it starts"),
        ("{years: [twenty]}", "twenty", "bad year 'twenty'"),
        ("{location: Mars/Olympus_Mons}", "Mars", "unknown time zone 'Mars/Olympus_Mons'"),
        ("{location: ''}", "''", "'location' must not be empty"),
        ("{weekday: [monday]}", "weekday", "unknown field 'weekday' in alerts.timeIntervals.t[0]"),
        ("{weekdays: monday}", "monday", "wrong type for 'weekdays': expected a list"),
    ]

    @Test func periodErrorsArePositioned() {
        for (body, needle, message) in Self.periodErrors {
            let yaml = Self.inventory(period: body)
            let found = onlyError(yaml)
            let expected = Self.expected(yaml, line: 10, needle: needle, message)
            #expect(found.hasPrefix(expected), "\(body)\n→ \(found)\nexpected \(expected)")
        }
    }

    /// `(route tree under alerts.route, line, needle, message prefix)`; interval `t` is defined.
    static let routeErrors: [(String, Int, String, String)] = [
        ("receiver: r\nmuteTimeIntervals: [t]", 6, "muteTimeIntervals",
         "the root route cannot have 'muteTimeIntervals': it is the default for every alert; put it on a child in 'routes'"),
        ("receiver: r\nactiveTimeIntervals: [t]", 6, "activeTimeIntervals", "the root route cannot have 'activeTimeIntervals'"),
        ("receiver: r\nroutes:\n- {receiver: r, muteTimeIntervals: [t, nope]}", 7, "nope",
         "unknown time interval 'nope' in alerts.route.routes[0].muteTimeIntervals (known: t)"),
        ("receiver: r\nroutes:\n- {receiver: r, activeTimeIntervals: [t, t]}", 7, "t]",
         "time interval 't' is listed twice in 'activeTimeIntervals' of alerts.route.routes[0]"),
        ("receiver: r\nroutes:\n- {receiver: r, activeTimeIntervals: t}", 7, "t}",
         "wrong type for 'activeTimeIntervals': expected a list"),
    ]

    @Test func routeErrorsArePositioned() {
        for (route, line, needle, message) in Self.routeErrors {
            let yaml = routingInventory(route, receivers: ["r"]) + "  timeIntervals:\n    t: [{weekdays: [monday]}]\n"
            let found = onlyError(yaml)
            let expected = Self.expected(yaml, line: line, needle: needle, message)
            #expect(found.hasPrefix(expected), "\(route)\n→ \(found)\nexpected \(expected)")
        }
    }

    @Test func unknownNamesWithNoIntervalsSayNoneAreDefined() {
        let yaml = routingInventory("receiver: r\nroutes:\n- {receiver: r, muteTimeIntervals: [night]}", receivers: ["r"])
        #expect(onlyError(yaml).hasPrefix(Self.expected(yaml, line: 7, needle: "night",
                                                        "unknown time interval 'night' in alerts.route.routes[0].muteTimeIntervals (no time intervals are defined)")))
    }

    @Test func badIntervalShapesArePositioned() {
        let notList = "alerts:\n  timeIntervals:\n    t: {times: []}\n"
        #expect(onlyError(notList).hasPrefix("fleet.yaml:3:8: wrong type for 'alerts.timeIntervals.t': expected a list"))
        let badName = "alerts:\n  timeIntervals:\n    'a b': []\n"
        #expect(onlyError(badName).hasPrefix("fleet.yaml:3:5: bad time interval name 'a b'"))
    }

    /// Intervals and route fields load, are not inherited, and appear in the apply objects.
    @Test func routesCarryTheirOwnIntervals() throws {
        let yaml = routingInventory("""
        receiver: r
        routes:
        - matchers: [a=b]
          muteTimeIntervals: [night]
          activeTimeIntervals: [office]
          routes:
          - {matchers: [c=d]}
        """, receivers: ["r"]) + """
          timeIntervals:
            night: [{times: [{start: '22:00', end: '24:00'}]}, {times: [{start: '00:00', end: '07:00'}]}]
            office: [{weekdays: ['monday:friday'], times: [{start: '09:00', end: '17:00'}], location: Europe/Amsterdam}]

        """
        let inventory = try loadOne(yaml)
        let alerts = try #require(inventory.alerts)
        #expect(alerts.timeIntervals.keys.sorted() == ["night", "office"])
        let route = try #require(alerts.route)
        #expect(route.routes.first?.muteTimeIntervals == ["night"])
        #expect(route.routes.first?.activeTimeIntervals == ["office"])
        let parent = route.matchingRoutes(for: ["a": "b"])
        #expect(parent.map(\.options.muteTimeIntervals) == [["night"]])
        #expect(parent.map(\.options.activeTimeIntervals) == [["office"]])
        #expect(parent.first?.result.muteTimeIntervals == ["night"])
        let child = route.matchingRoutes(for: ["a": "b", "c": "d"])
        #expect(child.map(\.options.muteTimeIntervals) == [[]], "not inherited, as in Alertmanager")
        #expect(child.first?.result.muteTimeIntervals == nil)
        #expect(route.treeView().routes.first?.activeTimeIntervals == ["office"])
        let state = DesiredState(alerts: alerts)
        #expect(state.objects.keys.contains("timeInterval/night"))
    }

    /// Desired states and groups stored before time intervals existed still decode.
    @Test func olderStoredValuesDecode() throws {
        let route = AlertRoute(receiver: "r", routes: [AlertRoute(receiver: "s", muteTimeIntervals: ["night"])])
        let config = AlertsConfig(route: route, timeIntervals: ["night": AlertTimeInterval(periods: [AlertTimePeriod()])])
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        json["timeIntervals"] = nil
        var root = try #require(json["route"] as? [String: Any])
        root["muteTimeIntervals"] = nil
        root["activeTimeIntervals"] = nil
        root["routes"] = []
        json["route"] = root
        let old = try JSONDecoder().decode(AlertsConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.timeIntervals.isEmpty)
        #expect(old.route == AlertRoute(receiver: "r"))
        let options = RouteOptions(receiver: "r", groupBy: [], groupByAll: false, groupWaitSeconds: 1, groupIntervalSeconds: 2,
                                   repeatIntervalSeconds: 3, muteTimeIntervals: ["x"])
        var stored = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as? [String: Any])
        stored["muteTimeIntervals"] = nil
        stored["activeTimeIntervals"] = nil
        let decoded = try JSONDecoder().decode(RouteOptions.self, from: JSONSerialization.data(withJSONObject: stored))
        #expect(decoded.muteTimeIntervals.isEmpty && decoded.activeTimeIntervals.isEmpty)
        #expect(decoded.repeatIntervalSeconds == 3)
        #expect(try JSONDecoder().decode(AlertsConfig.self, from: JSONEncoder().encode(config)) == config)
    }
}
