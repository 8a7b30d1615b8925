import Foundation
import Testing
import FleetCoordinator
import FleetProtocol

@Suite struct DiffTests {
    @Test func oneStationChangeIsOneChangedObject() throws {
        let example = try packageFile("inventory/example.yaml")
        let old = try Inventory.load(files: [example]).compile()
        let edited = example.content.replacingOccurrences(of: "segmentSeconds: 300", with: "segmentSeconds: 120")
        #expect(edited != example.content)
        let new = try Inventory.load(files: [ApplyRequest.File(path: example.path, content: edited)]).compile()

        let diff = DesiredState.diff(old: old, new: new)
        #expect(diff.changed == ["station/ROST2"])
        #expect(diff.created.isEmpty)
        #expect(diff.deleted.isEmpty)
        #expect(diff.unchanged.count == old.objects.count - 1)
        #expect(diff.unchanged.contains("archive/video-to-nas"))
        #expect(DesiredState.changedAssignments(old: old, new: new) == ["recordingpi"])
        #expect(new.assignments["emsn-zolder"] == old.assignments["emsn-zolder"])
        #expect(new.assignments["emsn-berging"] == old.assignments["emsn-berging"])
        #expect(new.assignments["recordingpi"] != old.assignments["recordingpi"])
    }

    @Test func objectNamesCoverEveryKind() throws {
        let state = try Inventory.load(files: [packageFile("inventory/example.yaml")]).compile()
        #expect(state.objectNames == [
            "alerts/route", "alerts/thresholds",
            "archive/atmosbird-photos", "archive/video-to-nas",
            "backup/birdnet-db", "backup/sd-image",
            "defaults/defaults",
            "node/emsn-berging", "node/emsn-zolder", "node/recordingpi",
            "receiver/auklab-hook", "receiver/ops-email",
            "site/auklab", "site/emsn",
            "station/ROST1", "station/ROST2",
        ])
        let first = DesiredState.diff(old: nil, new: state)
        #expect(first.created == state.objectNames)
        #expect(first.changed.isEmpty && first.deleted.isEmpty && first.unchanged.isEmpty)
        let again = DesiredState.diff(old: state, new: try Inventory.load(files: [packageFile("inventory/example.yaml")]).compile())
        #expect(again.unchanged == state.objectNames)
        #expect(again.created.isEmpty && again.changed.isEmpty && again.deleted.isEmpty)
    }

    @Test func removingAndAddingObjects() throws {
        let old = try loadOne(baseFleet + "stations:\n  S1: {node: pi1, camera: {host: h}}\n").compile()
        let new = try loadOne(baseFleet + "  pi2: {site: auklab}\nstations:\n  S2: {node: pi2, camera: {host: h}}\n").compile()
        let diff = DesiredState.diff(old: old, new: new)
        #expect(diff.created == ["node/pi2", "station/S2"])
        #expect(diff.deleted == ["station/S1"])
        #expect(diff.changed.isEmpty)
        #expect(diff.unchanged == ["defaults/defaults", "node/pi1", "site/auklab"])
        #expect(DesiredState.changedAssignments(old: old, new: new) == ["pi1", "pi2"])
    }

    @Test func changingDefaultsChangesEveryResolvedStation() throws {
        let stations = "stations:\n  S1: {node: pi1, camera: {host: h}}\n  S2: {node: pi1, camera: {host: h, stallSeconds: 9}}\n"
        let old = try loadOne(baseFleet + stations).compile()
        let new = try loadOne(baseFleet + stations + "defaults: {recorder: {stallSeconds: 12}}\n").compile()
        #expect(DesiredState.diff(old: old, new: new).changed == ["defaults/defaults", "station/S1"])
    }
}

@Suite struct AlertsValidationTests {
    @Test func unknownReceiverDeepInTheRouteTree() {
        let yaml = """
        alerts:
          receivers:
            ops: {webhook: {url: "http://127.0.0.1:9094/a"}}
          route:
            receiver: ops
            routes:
              - match: {site: a}
                routes:
                  - match: {site: b}
                    routes:
                      - matchRe: {station: "ROST[0-9]+"}
                        routes:
                          - receiver: nobody
                            continue: true
        """
        let found = diagnostics(yaml)
        #expect(found.map(\.description) == [
            "fleet.yaml:13:31: unknown receiver 'nobody' in alerts.route.routes[0].routes[0].routes[0].routes[0] (known: ops)",
        ])
    }

    @Test func receiverAndRouteProblems() {
        let yaml = """
        alerts:
          thresholds: {diskUsageAbove: 101%, segmentStaleAfter: 2m}
          receivers:
            both: {email: {to: [a@b.c], smtp: "smtp://127.0.0.1:25"}, webhook: {url: "http://127.0.0.1/x"}}
            none: {}
            badmail: {email: {to: [not-an-address], smtp: "http://127.0.0.1:25", passwordFile: pw}}
            badhook: {webhook: {url: "ftp://127.0.0.1/x"}}
          route:
            groupBy: site
            routes:
              - matchRe: {station: "ROST[", site: ok}
                continue: maybe
        """
        let found = diagnostics(yaml)
        let expected = [
            "fleet.yaml:2:32: bad percentage '101%' for 'diskUsageAbove'",
            "fleet.yaml:4:63: receiver 'both' has both 'email' and 'webhook'",
            "fleet.yaml:5:5: receiver 'none' needs one of 'email' or 'webhook'",
            "fleet.yaml:6:28: bad email address 'not-an-address'",
            "fleet.yaml:6:51: bad URL 'http://127.0.0.1:25' for 'smtp': use smtp://HOST or smtps://HOST",
            "fleet.yaml:6:88: 'passwordFile' must be an absolute path, found 'pw'",
            "fleet.yaml:7:30: bad URL 'ftp://127.0.0.1/x' for 'url'",
            "fleet.yaml:8:3: missing required field 'receiver' in alerts.route",
            "fleet.yaml:9:14: wrong type for 'groupBy': expected a list, found 'site'",
            "fleet.yaml:11:28: bad regular expression 'ROST[' for label 'station'",
            "fleet.yaml:12:19: wrong type for 'continue': expected true or false, found 'maybe'",
        ]
        #expect(found.count == expected.count, "\(found)")
        for (diagnostic, prefix) in zip(found, expected) {
            #expect(diagnostic.description.hasPrefix(prefix), "\(diagnostic) vs \(prefix)")
        }
    }

    @Test func receiversWithoutRouteAndThresholdDefaults() throws {
        let found = diagnostics("alerts:\n  receivers:\n    ops: {webhook: {url: \"http://127.0.0.1/x\"}}\n")
        #expect(found.map(\.description) == [
            "fleet.yaml:3:5: alerts has receivers but no 'route': add alerts.route with a receiver",
        ])
        let alerts = try loadOne("alerts:\n  receivers:\n    ops: {webhook: {url: \"http://127.0.0.1/x\"}}\n  route: {receiver: ops}\n").alerts
        #expect(alerts?.thresholds == AlertThresholds())
        #expect(alerts?.route?.inheriting(from: nil).groupWaitSeconds == 30)
    }
}
