@testable import FleetAgent
import Testing

/// A random source that always yields the same word, so jitter is predictable.
struct FixedRandom: RandomNumberGenerator {
    var value: UInt64
    mutating func next() -> UInt64 { value }
}

@Suite struct BackoffTests {
    @Test func doublesFromBaseAndCaps() {
        var backoff = Backoff(base: .seconds(1), cap: .seconds(10))
        let delays = (0..<6).map { _ in backoff.next() }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        #expect(backoff.attempt == 6)
    }

    @Test func resetStartsOverAtBase() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(5))
        for _ in 0..<4 { _ = backoff.next() }
        backoff.reset()
        #expect(backoff.attempt == 0)
        let again = backoff.next()
        #expect(again == .milliseconds(100))
    }

    @Test func statelessDelayMatchesTheCounter() {
        let restart = Backoff(base: .seconds(1), cap: .seconds(60))
        #expect(restart.delay(attempt: 0) == .seconds(1))
        #expect(restart.delay(attempt: 3) == .seconds(8))
        #expect(restart.delay(attempt: 6) == .seconds(60))
        // Huge and negative attempt counts neither overflow nor go below base.
        #expect(restart.delay(attempt: 10_000) == .seconds(60))
        #expect(restart.delay(attempt: -1) == .seconds(1))
    }

    @Test func jitterScalesWithTheInjectedRandomSource() {
        // All-zero bits give the lower bound of the range, all-one bits (almost) the upper.
        var low = FixedRandom(value: 0)
        var backoff = Backoff(base: .seconds(4), cap: .seconds(30), jitter: 0.5...1.0)
        let lowest = backoff.next(using: &low)
        #expect(lowest == .seconds(2))
        var high = FixedRandom(value: .max)
        let upper = backoff.next(using: &high)
        #expect(upper > .milliseconds(7_900) && upper <= .seconds(8))
    }

    @Test func jitteredDelaysStayWithinTheCap() {
        var backoff = Backoff(base: .milliseconds(500), cap: .seconds(30), jitter: 0.5...1.0)
        for _ in 0..<40 {
            let delay = backoff.next()
            #expect(delay >= .milliseconds(250) && delay <= .seconds(30))
        }
    }
}
