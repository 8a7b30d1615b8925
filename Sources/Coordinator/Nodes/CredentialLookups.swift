import Foundation

/// Bounds how often a token the in-memory registry does not know is looked up in the store.
///
/// A token registered through another coordinator on the same database is found by one
/// indexed lookup. A bogus token must not turn every request into a query: a token hash
/// found in no credential is remembered for `ttl` (answered 401 without a query; at most
/// `capacity` remembered, the oldest forgotten first), and all lookups together draw from a
/// token bucket. A request that finds the bucket empty is told to retry (429), never 401: a
/// 401 makes an agent discard its credential.
///
/// ```swift
/// var lookups = CredentialLookups()
/// switch lookups.admit(tokenHash: hash, now: Date()) {
/// case .knownUnknown: answer401()
/// case .retryAfter(let seconds): answer429(seconds)
/// case .lookUp: if try await store.credential(tokenHash: hash) == nil { lookups.remember(unknown: hash, now: Date()) }
/// }
/// ```
struct CredentialLookups: Sendable {
    enum Admission: Equatable {
        /// Look the hash up in the store.
        case lookUp
        /// Looked up within `ttl` and not found: 401 without a query.
        case knownUnknown
        /// Too many lookups right now: retry after this many seconds.
        case retryAfter(Int)
    }

    let ttl: TimeInterval
    let capacity: Int
    private var bucket: TokenBucket
    /// Token hash → when its "not found" expires.
    private var unknown: [String: Date] = [:]
    private var lastReport: Date?

    /// Defaults: remember a miss for 1 s, at most 1024 misses, and 50 lookups in a burst,
    /// then 20 per second.
    init(ttl: TimeInterval = 1, capacity: Int = 1024, burst: Double = 50, perSecond: Double = 20) {
        self.ttl = ttl
        self.capacity = capacity
        bucket = TokenBucket(capacity: burst, refillPerSecond: perSecond)
    }

    /// How many misses are remembered (for tests).
    var rememberedCount: Int { unknown.count }

    mutating func admit(tokenHash: String, now: Date) -> Admission {
        if let expiry = unknown[tokenHash] {
            if expiry > now { return .knownUnknown }
            unknown[tokenHash] = nil
        }
        switch bucket.take(1, now: now) {
        case .allowed: return .lookUp
        case .retryAfter(let seconds): return .retryAfter(seconds)
        }
    }

    /// Remembers a hash the store did not hold.
    mutating func remember(unknown tokenHash: String, now: Date) {
        if unknown.count >= capacity {
            unknown = unknown.filter { $0.value > now }
        }
        if unknown.count >= capacity, let oldest = unknown.min(by: { $0.value < $1.value })?.key {
            unknown[oldest] = nil
        }
        unknown[tokenHash] = now.addingTimeInterval(ttl)
    }

    /// Whether to log that lookups are being limited: at most once every 10 s, so that a
    /// flood of made-up tokens does not flood the log too.
    mutating func shouldReportLimit(now: Date) -> Bool {
        if let lastReport, now.timeIntervalSince(lastReport) < 10 { return false }
        lastReport = now
        return true
    }
}
