import FleetProtocol
import Foundation

/// Alerting under the leader lease. Only the leader evaluates rules and sends notifications:
///
/// - gaining the lease (a new term): alert state, groups, silences and the pending outbox
///   are reloaded from the store before the first evaluation or send, so what the previous
///   leader stored (and did not send) is sent now, once;
/// - losing it: the pending outbox is dropped from memory and nothing more is written;
/// - before each send the term is checked against the store, so a leader that lost the
///   lease does not send after losing it (a send already on the wire when the lease runs out
///   may still arrive: delivery stays at-least-once, and receivers get the same
///   idempotency key from either leader).
extension Alerting {
    /// Loads alert state, silences and pending notifications from the store.
    func reloadState() async throws {
        let snapshot = try await store.loadAlerting()
        var book = AlertBook()
        book.restore(snapshot.alerts)
        self.book = book
        dispatcher.restore(snapshot.groups)
        var silences = SilenceBook()
        silences.restore(snapshot.silences)
        self.silences = silences
        pending = [:]
        for entry in snapshot.pending { pending[entry.notification.id] = entry }
        receiverDownUntil = [:]
        knownAlertNames.formUnion(snapshot.alerts.map(\.alert.name))
        metrics.setNotificationsPending(pending.count)
    }

    /// Follows the lease before each evaluation and delivery round; returns whether this
    /// instance leads now (always true without a leader seam).
    func followLeadership() async -> Bool {
        guard let leadership else { return true }
        let term = await leadership.term
        if term == activeTerm { return term != nil }
        if !gate.tryEnter() { await withCheckedContinuation { gate.enqueue($0) } }
        defer { gate.leave() }
        let now = await leadership.term
        guard now != activeTerm else { return now != nil }
        guard let now else {
            activeTerm = nil
            pending = [:]
            metrics.setNotificationsPending(0)
            logger.notice("alerting: stopped evaluating and sending (not the leader)")
            return false
        }
        do {
            try await reloadState()
        } catch {
            logger.error("alerting: cannot load alert state as new leader; will retry", metadata: ["error": "\(error)"])
            return false
        }
        activeTerm = now
        logger.notice("alerting: evaluating and sending as leader", metadata: [
            "term": "\(now)", "alerts": "\(book.firing.count)", "pending": "\(pending.count)"])
        return true
    }

    /// Whether a write of the singleton work may happen now: the lease is still trusted under
    /// the term the state was loaded in.
    func mayWrite() async -> Bool {
        guard let leadership else { return true }
        guard let activeTerm else { return false }
        return await leadership.term == activeTerm
    }

    /// The send check: the store still names this instance leader under `term`.
    static func confirm(_ fence: (Leadership, Int64?)?) async -> Bool {
        guard let (leadership, term) = fence else { return true }
        guard let term else { return false }
        return await leadership.confirm(term: term)
    }

    /// A send that was not made (the lease was lost): frees its receiver.
    func abandon(_ entry: OutboxEntry) {
        inFlight.remove(entry.notification.receiver)
        logger.notice("alerting: notification not sent: this coordinator no longer leads",
                      metadata: ["id": "\(entry.notification.id)", "receiver": "\(entry.notification.receiver)"])
    }

    /// Whether this alerting leads now (tests and views).
    public var leaderTerm: Int64? { leadership == nil ? nil : activeTerm }
}
