/// Capped exponential back-off: `base × 2^attempt`, never above `cap`, optionally jittered.
///
/// A value type: each retry loop owns its own copy. `next()` returns the delay for the
/// current attempt and counts it; `reset()` starts over after a success. `delay(attempt:)`
/// is the pure, stateless form for callers that keep the failure count elsewhere.
///
/// ```swift
/// var backoff = Backoff(base: .milliseconds(500), cap: .seconds(30), jitter: 0.5...1.0)
/// while true {
///     do { try await connect(); backoff.reset() }
///     catch { try await Task.sleep(for: backoff.next()) }
/// }
///
/// // Deterministic, without a counter of its own:
/// let restart = Backoff(base: .seconds(1), cap: .seconds(60))
/// restart.delay(attempt: failures - 1)   // 1 s, 2 s, 4 s … 60 s
/// ```
public struct Backoff: Sendable, Equatable {
    /// The first delay.
    public let base: Duration
    /// No delay exceeds this.
    public let cap: Duration
    /// The capped delay is multiplied by a random factor from this range; nil means no jitter.
    public let jitter: ClosedRange<Double>?
    /// Failures counted by `next()` since the last `reset()`.
    public private(set) var attempt = 0

    /// Doublings beyond this change nothing for any sensible cap and would only risk overflow.
    static let maxExponent = 30

    public init(base: Duration, cap: Duration, jitter: ClosedRange<Double>? = nil) {
        self.base = base
        self.cap = max(cap, .zero)
        self.jitter = jitter
    }

    /// The un-jittered delay of attempt `attempt` (0-based): `min(base × 2^attempt, cap)`.
    public func delay(attempt: Int) -> Duration {
        let exponent = min(max(attempt, 0), Self.maxExponent)
        return min(base * (1 << exponent), cap)
    }

    /// The next delay (jittered with the system random source), counting one more failure.
    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// The next delay, jittered with `generator` (inject a seeded one in tests).
    public mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> Duration {
        let capped = delay(attempt: attempt)
        attempt += 1
        guard let jitter else { return capped }
        return capped * Double.random(in: jitter, using: &generator)
    }

    /// Starts over at `base` (after a success).
    public mutating func reset() { attempt = 0 }
}
