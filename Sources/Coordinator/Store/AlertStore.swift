import FleetProtocol
import Foundation

/// Persistence of alerting: alert state, aggregation groups, the notification outbox and
/// silences. Part of `FleetStore`, so every backend runs the same contract suite.
///
/// `commitAlerting` is one transaction: a notification is never stored without the alert
/// and group state that caused it, nor the other way round.
///
/// ```swift
/// var commit = AlertingCommit()
/// commit.upsertAlerts = [AlertRecord(alert: alert)]
/// commit.newNotifications = [OutboxEntry(notification: note, nextAttemptAt: now)]
/// try await store.commitAlerting(commit)
/// ```
public protocol AlertStore: Sendable {
    func loadAlerting() async throws -> AlertingSnapshot
    func commitAlerting(_ commit: AlertingCommit) async throws
    /// Records a delivery attempt's outcome (state, attempts, error, next attempt, sent time).
    func updateOutbox(_ entry: OutboxEntry) async throws
    /// Newest first; `failedOnly` lists only notifications that gave up.
    func outbox(failedOnly: Bool, limit: Int) async throws -> [OutboxEntry]
    func saveSilence(_ silence: SilenceView) async throws
    /// Silences, newest first; expired ones only when `includeExpired`.
    func silences(includeExpired: Bool, now: Date) async throws -> [SilenceView]
    /// Removes resolved alerts, sent notifications and silences that ended before `cutoff`.
    func pruneAlerting(before cutoff: Date) async throws -> Int
}
