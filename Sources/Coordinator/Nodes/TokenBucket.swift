import Foundation

/// A token bucket: `capacity` tokens, refilled at `refillPerSecond`; a request costs
/// tokens or, when the bucket is short, learns how long to wait (`Retry-After`).
///
/// ```swift
/// var bucket = TokenBucket(capacity: 120, refillPerSecond: 2)
/// switch bucket.take(3, now: Date()) {
/// case .allowed: handle()
/// case .retryAfter(let seconds): answer429(seconds)
/// }
/// ```
struct TokenBucket: Sendable {
    enum Outcome: Equatable {
        case allowed
        /// Whole seconds until the request would be allowed (at least 1).
        case retryAfter(Int)
    }

    let capacity: Double
    let refillPerSecond: Double
    private var tokens: Double
    private var updated: Date?

    init(capacity: Double, refillPerSecond: Double) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        tokens = capacity
    }

    mutating func take(_ cost: Double, now: Date) -> Outcome {
        if let updated {
            tokens = min(capacity, tokens + max(0, now.timeIntervalSince(updated)) * refillPerSecond)
        }
        updated = now
        let cost = min(cost, capacity)  // an oversized request waits for a full bucket, it is never refused forever
        guard tokens < cost else {
            tokens -= cost
            return .allowed
        }
        return .retryAfter(max(1, Int(((cost - tokens) / refillPerSecond).rounded(.up))))
    }
}

/// Per-key token buckets (one per node), created full on first use.
struct RateLimiter: Sendable {
    let capacity: Double
    let refillPerSecond: Double
    private var buckets: [String: TokenBucket] = [:]

    init(capacity: Double, refillPerSecond: Double) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
    }

    mutating func take(_ cost: Double, for key: String, now: Date) -> TokenBucket.Outcome {
        buckets[key, default: TokenBucket(capacity: capacity, refillPerSecond: refillPerSecond)].take(cost, now: now)
    }

    mutating func forget(_ key: String) { buckets[key] = nil }
}
