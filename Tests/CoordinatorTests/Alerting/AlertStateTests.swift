@testable import FleetCoordinator
import FleetInventory
import FleetProtocol
import Foundation
import Testing

/// The alert book, silences and inhibition on their own.
@Suite struct AlertStateTests {
    let t0 = Date(timeIntervalSince1970: 2_000_000)

    func alert(_ name: String, node: String = "pi1", station: String? = nil) -> Alert {
        var labels = ["alertname": name, "node": node, "site": "auklab"]
        labels["station"] = station
        return Alert(labels: labels, annotations: ["summary": name], startsAt: .distantPast)
    }

    @Test func bookStartsRefreshesResolvesAndRefires() throws {
        var book = AlertBook()
        let a = alert("SegmentStale", station: "ROST1")
        let started = book.update(firing: [a], now: t0)
        #expect(started.started.map(\.alert.startsAt) == [t0])
        var refreshed = a
        refreshed.annotations["summary"] = "14m old"
        #expect(book.update(firing: [refreshed], now: t0.addingTimeInterval(1)).isEmpty)
        #expect(book.firing.first?.alert.summary == "14m old")
        #expect(book.firing.first?.alert.startsAt == t0)
        _ = try book.acknowledge(String(a.fingerprint.prefix(6)), Acknowledgement(by: "anna", at: t0, comment: "on it")).get()
        let resolved = book.update(firing: [], now: t0.addingTimeInterval(2))
        #expect(resolved.resolved.count == 1)
        #expect(resolved.resolved.first?.acknowledgement == nil)
        #expect(book.records[a.fingerprint]?.alert.endsAt == t0.addingTimeInterval(2))
        // Fires again: a new instance, new start, not acknowledged.
        let again = book.update(firing: [a], now: t0.addingTimeInterval(3))
        #expect(again.started.first?.alert.startsAt == t0.addingTimeInterval(3))
        book.pruneResolved(before: t0.addingTimeInterval(10))
        #expect(book.records.count == 1)
    }

    @Test func ackNeedsAFiringAlertAndAUniqueID() {
        var book = AlertBook()
        _ = book.update(firing: [alert("A"), alert("B")], now: t0)
        let ack = Acknowledgement(by: "anna", at: t0, comment: "x")
        #expect(throws: AlertingError.alertNotFound("zzzz")) { try book.acknowledge("zzzz", ack).get() }
        #expect(throws: AlertingError.alertNotFound("ab")) { try book.acknowledge("ab", ack).get() }
        let id = alert("A").fingerprint
        _ = book.update(firing: [alert("B")], now: t0.addingTimeInterval(1))
        #expect(throws: AlertingError.alertNotFiring(id)) { try book.acknowledge(id, ack).get() }
    }

    @Test func silencesMatchExpireAndRefuseBadInput() throws {
        var silences = SilenceBook()
        let silence = try silences.add(SilenceRequest(matchers: ["site=auklab", "alertname=~Segment.*"], durationSeconds: 60,
                                                      comment: "NAS move", by: "anna"), now: t0).get()
        #expect(silences.silencing(["site": "auklab", "alertname": "SegmentStale"], now: t0) == [silence.id])
        #expect(silences.silencing(["site": "auklab", "alertname": "NodeOffline"], now: t0).isEmpty)
        #expect(silences.silencing(["site": "emsn", "alertname": "SegmentStale"], now: t0).isEmpty)
        #expect(silences.expireDue(now: t0.addingTimeInterval(59)).isEmpty)
        #expect(silences.expireDue(now: t0.addingTimeInterval(60)).map(\.id) == [silence.id])
        #expect(silences.silencing(["site": "auklab", "alertname": "SegmentStale"], now: t0.addingTimeInterval(61)).isEmpty)

        let early = try silences.add(SilenceRequest(matchers: ["node=pi1"], durationSeconds: 3_600, comment: "", by: "b"),
                                     now: t0).get()
        let expired = try silences.expire(String(early.id.prefix(8)), by: "carl", now: t0.addingTimeInterval(5)).get()
        #expect(expired.state == .expired)
        #expect(expired.expiredBy == "carl")
        #expect(expired.endsAt == t0.addingTimeInterval(5))

        #expect(throws: AlertingError.self) { try silences.add(SilenceRequest(matchers: [], durationSeconds: 60, comment: "", by: ""), now: t0).get() }
        #expect(throws: AlertingError.self) { try silences.add(SilenceRequest(matchers: ["site=>x"], durationSeconds: 60, comment: "", by: ""), now: t0).get() }
        #expect(throws: AlertingError.self) { try silences.add(SilenceRequest(matchers: ["site=~("], durationSeconds: 60, comment: "", by: ""), now: t0).get() }
        #expect(throws: AlertingError.self) { try silences.add(SilenceRequest(matchers: ["a=b"], durationSeconds: 0, comment: "", by: ""), now: t0).get() }
        #expect(throws: AlertingError.silenceNotFound("nope")) { try silences.expire("nope", by: "x", now: t0).get() }
    }

    @Test func nodeOfflineInhibitsOnlyItsOwnNode() {
        let offline = alert("NodeOffline", node: "pi1")
        let ownStation = alert("SegmentStale", node: "pi1", station: "ROST1")
        let otherStation = alert("SegmentStale", node: "pi2", station: "ROST9")
        let inhibitor = Inhibitor(rules: [.nodeOfflineMutesNode], firing: [offline, ownStation, otherStation])
        #expect(inhibitor.inhibitedBy(ownStation) == [offline.fingerprint])
        #expect(inhibitor.inhibitedBy(otherStation).isEmpty)
        #expect(inhibitor.inhibitedBy(offline).isEmpty)
    }
}
