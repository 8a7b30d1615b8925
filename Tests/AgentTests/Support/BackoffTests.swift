@testable import FleetAgent
import Testing

/// A seeded random source (SplitMix64), so jitter is reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
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
        // The same seed gives the same delays; each stays within [50 %, 100 %] of its step.
        var first = SeededRandom(state: 42), second = SeededRandom(state: 42)
        var a = Backoff(base: .seconds(1), cap: .seconds(30), jitter: 0.5...1.0), b = a
        for step in 0..<6 {
            let x = a.next(using: &first), y = b.next(using: &second)
            #expect(x == y)
            let full = a.delay(attempt: step)
            #expect(x >= full * 0.5 && x <= full)
        }
        // A different seed gives different delays (the source really is used).
        var other = SeededRandom(state: 7)
        var c = Backoff(base: .seconds(1), cap: .seconds(30), jitter: 0.5...1.0)
        var d = Backoff(base: .seconds(1), cap: .seconds(30), jitter: 0.5...1.0)
        var again = SeededRandom(state: 42)
        let differ = (0..<6).contains { _ in c.next(using: &other) != d.next(using: &again) }
        #expect(differ)
    }

    @Test func jitteredDelaysStayWithinTheCap() {
        var backoff = Backoff(base: .milliseconds(500), cap: .seconds(30), jitter: 0.5...1.0)
        for _ in 0..<40 {
            let delay = backoff.next()
            #expect(delay >= .milliseconds(250) && delay <= .seconds(30))
        }
    }
}
