import FleetInventory
import FleetProtocol
import Foundation
import Synchronization

/// The outbox sender: one send at a time per receiver, oldest first; a receiver that
/// fails waits out its back-off (all its messages with it) while the others go on.
extension Alerting {
    func deliverDue(now: Date = Date()) {
        let due = pending.values
            .filter { $0.nextAttemptAt <= now }
            .sorted { ($0.notification.createdAt, $0.notification.sequence, $0.notification.id)
                    < ($1.notification.createdAt, $1.notification.sequence, $1.notification.id) }
        var started = Set<String>()
        for entry in due {
            let receiver = entry.notification.receiver
            guard !inFlight.contains(receiver), !started.contains(receiver),
                  (receiverDownUntil[receiver] ?? .distantPast) <= now else { continue }
            started.insert(receiver)
            guard let notifier = notifier(for: receiver) else {
                inFlight.insert(receiver)
                Task { await self.finish(entry, outcome: .failure(.permanent("receiver '\(receiver)' is not in the inventory any more"))) }
                continue
            }
            inFlight.insert(receiver)
            let timeout = options.delivery.sendTimeout
            let fence = leadership.map { ($0, activeTerm) }
            Task {
                // The term is checked right before each send: a leader that lost the lease sends nothing more.
                guard await Self.confirm(fence) else {
                    await self.abandon(entry)
                    return
                }
                let outcome = await Self.send(entry.notification, with: notifier, timeout: timeout)
                await self.finish(entry, outcome: outcome)
            }
        }
    }

    /// One send, bounded by `timeout` as a backstop to the notifier's own timeouts: no answer
    /// in time counts as a retryable failure (the receiver may still have taken it: at-least-once).
    static func send(_ notification: AlertNotification, with notifier: any Notifier,
                     timeout: Duration) async -> Result<Void, NotifyError> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, NotifyError>, Never>) in
            // Whichever finishes first answers; a send that outlives its timeout is abandoned.
            let race = FirstAnswer(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { race.answer(.failure(.retryable("no answer within \(timeout)"))) }
            }
            Task {
                let result: Result<Void, NotifyError>
                do throws(NotifyError) {
                    try await notifier.send(notification)
                    result = .success(())
                } catch {
                    result = .failure(error)
                }
                timer.cancel()
                race.answer(result)
            }
        }
    }

    private func notifier(for name: String) -> (any Notifier)? {
        if let cached = notifiers[name] { return cached.1 }
        guard let receiver = config?.receivers[name] else { return nil }
        let notifier = makeNotifier(receiver)
        notifiers[name] = (receiver, notifier)
        return notifier
    }

    /// Records one attempt's outcome: sent, retried after back-off, or failed for good.
    func finish(_ attempted: OutboxEntry, outcome: Result<Void, NotifyError>, now: Date = Date()) async {
        let receiver = attempted.notification.receiver
        defer { inFlight.remove(receiver) }
        var entry = pending[attempted.notification.id] ?? attempted
        entry.attempts += 1
        switch outcome {
        case .success:
            entry.state = .sent
            entry.sentAt = now
            entry.lastError = nil
            receiverDownUntil[receiver] = nil
            metrics.notification(receiver: receiver, outcome: "sent")
        case .failure(let error):
            entry.lastError = error.description
            let age = now.timeIntervalSince(entry.notification.createdAt)
            if !error.isRetryable || options.delivery.givesUp(attempts: entry.attempts, age: age) {
                entry.state = .failed
                entry.sentAt = nil
                metrics.notification(receiver: receiver, outcome: "failed")
                logger.error("notification failed for good", metadata: [
                    "receiver": "\(receiver)", "id": "\(entry.notification.id)", "attempts": "\(entry.attempts)",
                    "error": "\(error)"])
            } else {
                let wait = options.delivery.backoff(afterAttempts: entry.attempts)
                entry.nextAttemptAt = now.addingTimeInterval(wait)
                receiverDownUntil[receiver] = entry.nextAttemptAt
                metrics.notification(receiver: receiver, outcome: "retried")
                logger.warning("notification not delivered; will retry", metadata: [
                    "receiver": "\(receiver)", "id": "\(entry.notification.id)", "attempt": "\(entry.attempts)",
                    "retryInSeconds": "\(Int(wait))", "error": "\(error)"])
            }
        }
        let leads = await mayWrite()
        if !leads, entry.state != .sent {
            // Not the leader any more: the new leader owns retries and failures of this entry.
            return
        }
        do {
            // A send that went out is recorded even after the lease was lost: the new leader
            // then does not send it again.
            try await store.updateOutbox(entry)
        } catch {
            // The message stays pending in the store: at worst it is sent again after a restart,
            // with the same idempotency key.
            logger.error("cannot record notification outcome", metadata: ["id": "\(entry.notification.id)", "error": "\(error)"])
        }
        if !leads {
            pending[entry.notification.id] = nil
        } else if entry.state == .pending {
            pending[entry.notification.id] = entry
        } else {
            pending[entry.notification.id] = nil
        }
        if entry.state == .failed { await recordFailure(entry) }
        metrics.setNotificationsPending(pending.count)
    }

    /// A notification that gave up is an event of the node it is about (or of the coordinator).
    private func recordFailure(_ entry: OutboxEntry) async {
        let node = entry.notification.commonLabels["node"] ?? "coordinator"
        let event = AgentEvent(time: Date(), kind: "notification.failed",
                               message: "notification \(entry.notification.id) to \(entry.notification.receiver) failed after \(entry.attempts) attempts: \(entry.lastError ?? "")")
        do { try await store.recordEvents([event], node: node) } catch {
            logger.warning("cannot record notification failure event", metadata: ["error": "\(error)"])
        }
    }
}

/// Resumes a continuation with the first answer only.
private final class FirstAnswer: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<Void, NotifyError>, Never>?>

    init(_ continuation: CheckedContinuation<Result<Void, NotifyError>, Never>) {
        self.continuation = Mutex(continuation)
    }

    func answer(_ result: Result<Void, NotifyError>) {
        let waiting = continuation.withLock { slot in
            defer { slot = nil }
            return slot
        }
        waiting?.resume(returning: result)
    }
}
