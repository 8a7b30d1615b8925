import Foundation

/// How hard the outbox tries: exponential back-off per receiver (a receiver that is down
/// for a day gets a try every `maxBackoff`, not a storm), and when to give up on a message.
///
/// ```swift
/// let policy = DeliveryPolicy()
/// policy.backoff(afterAttempts: 3)                       // 8 s (2, 4, 8 …, capped at 5 min)
/// policy.givesUp(attempts: 30, age: 90_000)             // true: past a day and 10 attempts
/// ```
public struct DeliveryPolicy: Sendable, Equatable {
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// A message is given up (state `failed`) once it has been tried at least `minAttempts`
    /// times and is older than `giveUpAfter`; a permanent error fails it at once.
    public var minAttempts: Int
    public var giveUpAfter: Duration
    /// How long one send may take before it counts as failed (and is retried).
    public var sendTimeout: Duration

    public init(initialBackoff: Duration = .seconds(2), maxBackoff: Duration = .seconds(300), minAttempts: Int = 10,
                giveUpAfter: Duration = .seconds(86_400), sendTimeout: Duration = .seconds(60)) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.minAttempts = minAttempts
        self.giveUpAfter = giveUpAfter
        self.sendTimeout = sendTimeout
    }

    /// The wait after the `attempts`-th failed attempt (1-based), doubling up to `maxBackoff`.
    public func backoff(afterAttempts attempts: Int) -> TimeInterval {
        let base = Self.seconds(initialBackoff)
        let exponent = min(max(attempts - 1, 0), 30)
        return min(base * pow(2, Double(exponent)), Self.seconds(maxBackoff))
    }

    public func givesUp(attempts: Int, age: TimeInterval) -> Bool {
        attempts >= minAttempts && age >= Self.seconds(giveUpAfter)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let parts = duration.components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
