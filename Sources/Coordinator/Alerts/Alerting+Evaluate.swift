import FleetInventory
import FleetProtocol
import Foundation

extension Alerting {
    /// One evaluation: rules → alert book → silences and inhibition → dispatcher → one
    /// store transaction → outbox. State is changed only after the transaction succeeded.
    public func evaluate(now: Date = Date()) async {
        if !gate.tryEnter() { await withCheckedContinuation { gate.enqueue($0) } }
        defer { gate.leave() }

        var nextBook = book
        var nextDispatcher = dispatcher
        var nextSilences = silences
        let endedSilences = nextSilences.expireDue(now: now)
        let evaluation = rules.evaluate(facts, now: now, watchingSince: startedAt)
        var current = evaluation.alerts
        if !evaluation.unjudged.isEmpty {
            // Nodes without a current report keep their alerts as they were (a dead Pi's stations
            // are not "resolved"; a coordinator restart does not re-raise or clear anything).
            let raised = Set(current.map(\.fingerprint))
            for record in book.firing where record.alert.name != "NodeOffline"
                && evaluation.unjudged.contains(record.alert.labels["node"] ?? "") && !raised.contains(record.alert.fingerprint) {
                current.append(record.alert)
            }
        }
        let change = nextBook.update(firing: current, now: now)

        let firing = nextBook.firing.map(\.alert)
        let inhibitor = Inhibitor(rules: inhibitRules, firing: firing)
        var nextMutes: [String: (silencedBy: [String], inhibitedBy: [String])] = [:]
        var visible: [Alert] = []
        var acknowledged = Set<String>()
        let awaitingResolution = nextDispatcher.awaitingResolution
        for record in nextBook.records.values {
            let alert = record.alert
            guard alert.isFiring else {
                // A resolved alert matters only to a group that notified it as firing.
                if awaitingResolution.contains(alert.fingerprint) { visible.append(alert) }
                continue
            }
            if record.acknowledgement != nil { acknowledged.insert(alert.fingerprint) }
            let silencedBy = nextSilences.silencing(alert.labels, now: now)
            let inhibitedBy = inhibitor.inhibitedBy(alert)
            if silencedBy.isEmpty && inhibitedBy.isEmpty {
                visible.append(alert)
            } else {
                nextMutes[alert.fingerprint] = (silencedBy, inhibitedBy)
            }
        }
        let step = nextDispatcher.step(visible: visible, acknowledged: acknowledged, now: now)

        var commit = AlertingCommit()
        commit.upsertAlerts = change.started + change.resolved
        commit.upsertGroups = step.upserts
        commit.deleteGroups = step.deletions
        commit.newNotifications = step.notifications.map { OutboxEntry(notification: $0, nextAttemptAt: now) }
        // A leader that lost its lease stops before its next write; the new one reloads.
        guard await mayWrite() else { return }
        do {
            try await store.commitAlerting(commit)
            for silence in endedSilences { try await store.saveSilence(silence) }
        } catch {
            // Nothing changes in memory: the next evaluation tries the same again.
            logger.error("alerting: cannot store alert state; will retry", metadata: ["error": "\(error)"])
            return
        }
        book = nextBook
        // A revision may have arrived while the transaction ran: keep its route tree.
        nextDispatcher.route = dispatcher.route
        nextDispatcher.timeIntervals = dispatcher.timeIntervals
        dispatcher = nextDispatcher
        silences = nextSilences
        mutes = nextMutes
        for entry in commit.newNotifications { pending[entry.notification.id] = entry }
        for record in change.started {
            logger.info("alert firing", metadata: ["alert": "\(record.alert.name)", "summary": "\(record.alert.summary)"])
        }
        for record in change.resolved {
            logger.info("alert resolved", metadata: ["alert": "\(record.alert.name)", "fingerprint": "\(record.alert.fingerprint)"])
        }
        publishMetrics(firing: firing)
        await pruneIfDue(now: now)
    }

    private func publishMetrics(firing: [Alert]) {
        var counts: [String: Int] = [:]
        for alert in firing { counts[alert.name, default: 0] += 1 }
        metrics.setAlertsFiring(counts, known: knownAlertNames)
        knownAlertNames.formUnion(counts.keys)
        metrics.setNotificationsPending(pending.count)
    }

    private func pruneIfDue(now: Date) async {
        guard now.timeIntervalSince(lastPrune) >= 60 else { return }
        lastPrune = now
        let cutoff = now.addingTimeInterval(-DeliveryPolicy.seconds(options.retention))
        book.pruneResolved(before: cutoff)
        silences.prune(before: cutoff)
        do { _ = try await store.pruneAlerting(before: cutoff) } catch {
            logger.warning("alerting: cannot prune history", metadata: ["error": "\(error)"])
        }
    }
}
