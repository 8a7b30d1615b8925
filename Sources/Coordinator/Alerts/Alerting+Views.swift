import FleetInventory
import FleetProtocol
import Foundation

/// What the API reads and the operator actions (acknowledge, silence).
extension Alerting {
    /// Alerts for `fleetctl get alerts`: by default firing and silenced ones; `node`/`station`
    /// narrow by label.
    public func alertViews(state: AlertView.State? = nil, node: String? = nil, station: String? = nil) -> [AlertView] {
        var views: [AlertView] = []
        for record in book.records.values {
            let labels = record.alert.labels
            if let node, labels["node"] != node { continue }
            if let station, labels["station"] != station { continue }
            let item = view(record)
            if let state { if item.state != state { continue } } else if item.state == .resolved { continue }
            views.append(item)
        }
        return views.sorted { ($0.startsAt, $0.id) > ($1.startsAt, $1.id) }
    }

    func view(_ record: AlertRecord) -> AlertView {
        let alert = record.alert
        let mute = mutes[alert.fingerprint]
        let state: AlertView.State = !alert.isFiring ? .resolved : (mute == nil ? .firing : .silenced)
        return AlertView(id: alert.fingerprint, alertname: alert.name, severity: alert.labels["severity"] ?? "",
                         labels: alert.labels, state: state, startsAt: alert.startsAt, endsAt: alert.endsAt,
                         summary: alert.summary, silencedBy: mute?.silencedBy ?? [], inhibitedBy: mute?.inhibitedBy ?? [],
                         acknowledged: record.acknowledgement, receivers: dispatcher.receivers(for: alert.labels))
    }

    /// Stops repeats of a firing alert until it resolves or fires again.
    public func acknowledge(_ id: String, _ request: AckRequest, now: Date = Date()) async throws(AlertingError) -> AlertView {
        guard !request.comment.trimmingCharacters(in: .whitespaces).isEmpty, request.comment.count <= 1_000,
              request.by.count <= 200 else {
            throw .badSilence("an acknowledgement needs a comment (at most 1000 characters)")
        }
        if !gate.tryEnter() { await withCheckedContinuation { gate.enqueue($0) } }
        defer { gate.leave() }
        var next = book
        let record = try next.acknowledge(id, Acknowledgement(by: request.by, at: now, comment: request.comment)).get()
        var commit = AlertingCommit()
        commit.upsertAlerts = [record]
        do { try await store.commitAlerting(commit) } catch {
            throw .storeFailed("\(error)")
        }
        book = next
        logger.info("alert acknowledged", metadata: ["alert": "\(record.alert.fingerprint)", "by": "\(request.by)"])
        return view(record)
    }

    public func silenceViews(includeExpired: Bool, now: Date = Date()) -> [SilenceView] {
        silences.silences.values
            .filter { includeExpired || ($0.state == .active && $0.endsAt > now) }
            .sorted { ($0.startsAt, $0.id) > ($1.startsAt, $1.id) }
    }

    public func addSilence(_ request: SilenceRequest, now: Date = Date()) async throws(AlertingError) -> SilenceView {
        if !gate.tryEnter() { await withCheckedContinuation { gate.enqueue($0) } }
        defer { gate.leave() }
        var next = silences
        let silence = try next.add(request, now: now).get()
        do { try await store.saveSilence(silence) } catch { throw .storeFailed("\(error)") }
        silences = next
        logger.info("silence added", metadata: ["id": "\(silence.id)", "matchers": "\(silence.matchers)", "by": "\(request.by)"])
        return silence
    }

    public func expireSilence(_ id: String, by: String, now: Date = Date()) async throws(AlertingError) -> SilenceView {
        if !gate.tryEnter() { await withCheckedContinuation { gate.enqueue($0) } }
        defer { gate.leave() }
        var next = silences
        let silence = try next.expire(id, by: by, now: now).get()
        do { try await store.saveSilence(silence) } catch { throw .storeFailed("\(error)") }
        silences = next
        logger.info("silence expired", metadata: ["id": "\(silence.id)", "by": "\(by)"])
        return silence
    }

    public func notificationViews(failedOnly: Bool, limit: Int) async throws -> [NotificationView] {
        try await store.outbox(failedOnly: failedOnly, limit: max(1, min(limit, 1_000))).map(\.view)
    }
}
