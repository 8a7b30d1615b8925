@testable import FleetCoordinator
import FleetInventory
import Foundation
import Testing

/// Alertmanager's dispatch rules, step by step, with a clock the test moves.
@Suite struct DispatcherTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    func route(groupWait: Int = 30, groupInterval: Int = 300, repeatInterval: Int = 3_600) -> AlertRoute {
        AlertRoute(receiver: "ops", groupBy: ["site", "alertname"], groupWaitSeconds: groupWait,
                   groupIntervalSeconds: groupInterval, repeatIntervalSeconds: repeatInterval,
                   routes: [AlertRoute(receiver: "hook", matchers: [try! LabelMatcher(name: "site", op: .equal, value: "auklab")],
                                       continueMatching: true),
                            // Alertmanager semantics: once a child matched, the parent is not used; a
                            // catch-all child after a `continue` one sends to the default as well.
                            AlertRoute()])
    }

    func stale(_ station: String, site: String = "auklab", at time: Date? = nil, resolved: Date? = nil) -> Alert {
        Alert(labels: ["alertname": "SegmentStale", "site": site, "node": "pi1", "station": station],
              annotations: ["summary": "\(station) stale"], startsAt: time ?? t0, endsAt: resolved)
    }

    @Test func firstNotificationWaitsForGroupWaitAndGroupsTenStations() {
        var dispatcher = Dispatcher(route: route(), externalURL: "")
        let alerts = (1...10).map { stale("ROST\($0)", site: "emsn") }
        #expect(dispatcher.step(visible: alerts, acknowledged: [], now: t0).notifications.isEmpty)
        #expect(dispatcher.step(visible: alerts, acknowledged: [], now: t0.addingTimeInterval(29)).notifications.isEmpty)
        let step = dispatcher.step(visible: alerts, acknowledged: [], now: t0.addingTimeInterval(30))
        #expect(step.notifications.count == 1)
        #expect(step.notifications[0].alerts.count == 10)
        #expect(step.notifications[0].receiver == "ops")
        #expect(step.notifications[0].groupLabels == ["site": "emsn", "alertname": "SegmentStale"])
        // Nothing new: no notification at the next interval.
        #expect(dispatcher.step(visible: alerts, acknowledged: [], now: t0.addingTimeInterval(330)).notifications.isEmpty)
    }

    @Test func continueSendsToBothReceiversWithTheirOwnGroups() {
        var dispatcher = Dispatcher(route: route(groupWait: 0), externalURL: "")
        let step = dispatcher.step(visible: [stale("ROST1")], acknowledged: [], now: t0)
        #expect(Set(step.notifications.map(\.receiver)) == ["ops", "hook"])
        #expect(dispatcher.receivers(for: stale("x").labels) == ["hook", "ops"])
        #expect(dispatcher.receivers(for: stale("x", site: "emsn").labels) == ["ops"])
    }

    @Test func newAlertInANotifiedGroupWaitsForGroupIntervalThenRepeatsAfterRepeatInterval() {
        var dispatcher = Dispatcher(route: route(groupWait: 0, groupInterval: 60, repeatInterval: 600), externalURL: "")
        let a = stale("A", site: "emsn")
        #expect(dispatcher.step(visible: [a], acknowledged: [], now: t0).notifications.count == 1)
        let b = stale("B", site: "emsn")
        #expect(dispatcher.step(visible: [a, b], acknowledged: [], now: t0.addingTimeInterval(30)).notifications.isEmpty)
        let second = dispatcher.step(visible: [a, b], acknowledged: [], now: t0.addingTimeInterval(60))
        #expect(second.notifications.map(\.sequence) == [2])
        #expect(second.notifications.first?.alerts.count == 2)
        #expect(dispatcher.step(visible: [a, b], acknowledged: [], now: t0.addingTimeInterval(600)).notifications.isEmpty)
        let repeatStep = dispatcher.step(visible: [a, b], acknowledged: [], now: t0.addingTimeInterval(660))
        #expect(repeatStep.notifications.map(\.sequence) == [3])
    }

    @Test func acknowledgedAlertsDoNotRepeatButTheirResolutionIsSent() {
        var dispatcher = Dispatcher(route: route(groupWait: 0, groupInterval: 10, repeatInterval: 20), externalURL: "")
        let a = stale("A", site: "emsn")
        #expect(dispatcher.step(visible: [a], acknowledged: [], now: t0).notifications.count == 1)
        #expect(dispatcher.step(visible: [a], acknowledged: [a.fingerprint], now: t0.addingTimeInterval(30)).notifications.isEmpty)
        #expect(dispatcher.step(visible: [a], acknowledged: [a.fingerprint], now: t0.addingTimeInterval(100)).notifications.isEmpty)
        var resolved = a
        resolved.endsAt = t0.addingTimeInterval(105)
        let step = dispatcher.step(visible: [resolved], acknowledged: [], now: t0.addingTimeInterval(110))
        #expect(step.notifications.count == 1)
        #expect(step.notifications.first?.status == .resolved)
        #expect(step.deletions.count == 1)
        #expect(dispatcher.groups.isEmpty)
    }

    @Test func aBlipShorterThanGroupWaitSendsNothing() {
        var dispatcher = Dispatcher(route: route(groupWait: 30), externalURL: "")
        let a = stale("A", site: "emsn")
        _ = dispatcher.step(visible: [a], acknowledged: [], now: t0)
        var resolved = a
        resolved.endsAt = t0.addingTimeInterval(5)
        let step = dispatcher.step(visible: [resolved], acknowledged: [], now: t0.addingTimeInterval(30))
        #expect(step.notifications.isEmpty)
        #expect(dispatcher.groups.isEmpty)
    }

    @Test func thousandFlappingAlertsOfOneGroupGiveOneNotificationPerInterval() {
        var dispatcher = Dispatcher(route: route(groupWait: 0, groupInterval: 60), externalURL: "")
        var sent = 0
        var largest = 0
        for second in 0..<180 {
            // A flapping site: every second ten alerts stop and ten others start, 1,000 firing at once.
            let alerts = (second * 10..<(second * 10 + 1_000)).map { stale("S\($0)", site: "emsn") }
            let notes = dispatcher.step(visible: alerts, acknowledged: [], now: t0.addingTimeInterval(Double(second))).notifications
            sent += notes.count
            largest = max(largest, notes.map(\.alerts.count).max() ?? 0)
        }
        #expect(sent == 3)  // at 0 s, 60 s, 120 s: one per groupInterval
        #expect(largest == 1_000)
    }
}
