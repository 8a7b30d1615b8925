@testable import FleetCoordinator
import FleetInventory
import Foundation
import Testing

/// Routes' `muteTimeIntervals` and `activeTimeIntervals` in the dispatcher, with a clock the test moves.
@Suite struct DispatcherTimeIntervalTests {
    /// Monday 30 November 2026, 22:00 UTC.
    let t0 = Date(timeIntervalSince1970: 1_796_076_000)
    let hour: TimeInterval = 3600

    let intervals: [String: AlertTimeInterval] = [
        "night": AlertTimeInterval(periods: [
            AlertTimePeriod(times: [.init(start: 22 * 60, end: 24 * 60)]),
            AlertTimePeriod(times: [.init(start: 0, end: 7 * 60)]),
        ]),
        "office": AlertTimeInterval(periods: [
            AlertTimePeriod(times: [.init(start: 9 * 60, end: 17 * 60)], weekdays: [.init(1, 5)]),
        ]),
    ]

    /// Alerts of site `quiet` go to `mail` with `mute`/`active` set; others to `ops`. groupInterval 5m.
    func makeDispatcher(mute: [String] = [], active: [String] = []) throws -> Dispatcher {
        let quiet = try LabelMatcher(name: "site", op: .equal, value: "quiet")
        let route = AlertRoute(receiver: "ops", groupBy: ["site"], groupWaitSeconds: 0, groupIntervalSeconds: 300,
                               repeatIntervalSeconds: 86_400,
                               routes: [AlertRoute(receiver: "mail", matchers: [quiet],
                                                   muteTimeIntervals: mute, activeTimeIntervals: active)])
        return Dispatcher(route: route, externalURL: "", timeIntervals: intervals)
    }

    func alert(_ station: String, site: String = "quiet", at time: Date, resolved: Date? = nil) -> Alert {
        Alert(labels: ["alertname": "SegmentStale", "site": site, "station": station],
              annotations: ["summary": "\(station) stale"], startsAt: time, endsAt: resolved)
    }

    @Test func aMutedRouteSendsNothingUntilTheMuteEnds() throws {
        var dispatcher = try makeDispatcher(mute: ["night"])
        let quiet = alert("A", at: t0)
        let loud = alert("B", site: "busy", at: t0)
        let first = dispatcher.step(visible: [quiet, loud], acknowledged: [], now: t0)
        #expect(first.notifications.map(\.receiver) == ["ops"], "only the unmuted route sends")
        let group = try #require(dispatcher.groups.values.first { $0.options.receiver == "mail" })
        #expect(group.nextFlushAt == t0.addingTimeInterval(300), "a muted group still advances")
        #expect(group.notifiedFiring.isEmpty)
        #expect(group.sequence == 0)
        // Every flush through the night: nothing.
        var now = t0
        while now < t0.addingTimeInterval(9 * hour - 300) {
            now = now.addingTimeInterval(300)
            #expect(dispatcher.step(visible: [quiet, loud], acknowledged: [], now: now).notifications.isEmpty, "\(now)")
        }
        // 07:00: the mute ends and the first flush sends it.
        let morning = dispatcher.step(visible: [quiet, loud], acknowledged: [], now: t0.addingTimeInterval(9 * hour))
        #expect(morning.notifications.map(\.receiver) == ["mail"])
        #expect(morning.notifications.first?.alerts.map(\.fingerprint) == [quiet.fingerprint])
        #expect(morning.notifications.first?.sequence == 1)
    }

    @Test func aResolutionDuringTheMuteIsSentAfterIt() throws {
        var dispatcher = try makeDispatcher(mute: ["night"])
        let evening = t0.addingTimeInterval(-600)   // 21:50, before the night
        let firing = alert("A", at: evening)
        #expect(dispatcher.step(visible: [firing], acknowledged: [], now: evening).notifications.count == 1)
        let resolved = alert("A", at: evening, resolved: t0.addingTimeInterval(60))
        // 22:00 and later: the resolution is due but muted; the group keeps it.
        for flush in [t0, t0.addingTimeInterval(300), t0.addingTimeInterval(3 * hour)] {
            #expect(dispatcher.step(visible: [resolved], acknowledged: [], now: flush).notifications.isEmpty)
        }
        #expect(dispatcher.awaitingResolution == [firing.fingerprint])
        let morning = dispatcher.step(visible: [resolved], acknowledged: [], now: t0.addingTimeInterval(9 * hour))
        #expect(morning.notifications.map(\.status) == [.resolved])
        #expect(dispatcher.groups.isEmpty)
    }

    @Test func anActiveRouteSendsOnlyInsideItsIntervals() throws {
        var dispatcher = try makeDispatcher(active: ["office"])
        let a = alert("A", at: t0)
        // Monday 22:00: outside office hours.
        #expect(dispatcher.step(visible: [a], acknowledged: [], now: t0).notifications.isEmpty)
        // Tuesday 08:55: still outside.
        #expect(dispatcher.step(visible: [a], acknowledged: [], now: t0.addingTimeInterval(10 * hour + 55 * 60)).notifications.isEmpty)
        // Tuesday 09:00: the first flush inside sends it.
        let office = dispatcher.step(visible: [a], acknowledged: [], now: t0.addingTimeInterval(11 * hour))
        #expect(office.notifications.map(\.receiver) == ["mail"])
        // A new alert inside office hours goes out at the next flush.
        let b = alert("B", at: t0.addingTimeInterval(11 * hour + 60))
        let next = dispatcher.step(visible: [a, b], acknowledged: [], now: t0.addingTimeInterval(11 * hour + 300))
        #expect(next.notifications.first?.alerts.count == 2)
    }

    @Test func muteWinsOverActiveAndNamesComeFromTheCurrentRoute() throws {
        var dispatcher = try makeDispatcher(mute: ["night"], active: ["night"])
        let a = alert("A", at: t0)
        #expect(dispatcher.step(visible: [a], acknowledged: [], now: t0).notifications.isEmpty)
        // A new route tree without the mute (a new revision): the group sends at its next flush.
        dispatcher.route = try makeDispatcher().route
        #expect(dispatcher.step(visible: [a], acknowledged: [], now: t0.addingTimeInterval(300)).notifications.count == 1)
    }

    @Test func isMutedFollowsAlertmanagersStages() {
        let options = RouteOptions(receiver: "r", groupBy: [], groupByAll: false, groupWaitSeconds: 0, groupIntervalSeconds: 1,
                                   repeatIntervalSeconds: 1)
        var muted = options
        muted.muteTimeIntervals = ["night"]
        var active = options
        active.activeTimeIntervals = ["office", "night"]
        let tuesdayNoon = t0.addingTimeInterval(14 * hour)
        let tuesdayEvening = t0.addingTimeInterval(20 * hour)
        #expect(!options.isMuted(at: t0, intervals: intervals))
        #expect(muted.isMuted(at: t0, intervals: intervals))
        #expect(!muted.isMuted(at: tuesdayNoon, intervals: intervals))
        #expect(!active.isMuted(at: t0, intervals: intervals), "night is one of its active intervals")
        #expect(!active.isMuted(at: tuesdayNoon, intervals: intervals))
        #expect(active.isMuted(at: tuesdayEvening, intervals: intervals))
    }
}
