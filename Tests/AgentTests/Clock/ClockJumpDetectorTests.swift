import FleetAgent
import Foundation
import Testing

/// The wall clock and the monotonic clock given by hand (the fake clock seam): a jump of a
/// day either way is seen once, with its direction and size; NTP-sized drift is not.
@Suite struct ClockJumpDetectorTests {
    let start = Date(timeIntervalSince1970: 1_764_547_200)  // 2025-12-01T00:00:00Z
    let zero = ContinuousClock.now

    @Test func aDayForwardIsSeenOnce() {
        var detector = ClockJumpDetector(wall: start, monotonic: zero)
        // 10 s pass on both clocks: nothing.
        #expect(detector.observe(wall: start.addingTimeInterval(10), monotonic: zero + .seconds(10)) == nil)
        // 1 s later NTP sets the clock a day ahead.
        let jump = detector.observe(wall: start.addingTimeInterval(11 + 86_400), monotonic: zero + .seconds(11))
        #expect(jump.map { abs($0.seconds - 86_400) < 0.001 } == true)
        #expect(jump?.description == "forward by 1d 0h 0m")
        // From the new reference on, the clocks agree again.
        #expect(detector.observe(wall: start.addingTimeInterval(21 + 86_400), monotonic: zero + .seconds(21)) == nil)
    }

    @Test func aDayBackIsSeenWithItsDirection() {
        var detector = ClockJumpDetector(wall: start, monotonic: zero)
        let jump = detector.observe(wall: start.addingTimeInterval(5 - 86_400), monotonic: zero + .seconds(5))
        #expect(jump.map { abs($0.seconds + 86_400) < 0.001 } == true)
        #expect(jump?.description == "back by 1d 0h 0m")
        #expect(jump?.wallNow == start.addingTimeInterval(5 - 86_400))
    }

    @Test func slewAndSchedulingDelaysAreNotJumps() {
        var detector = ClockJumpDetector(wall: start, monotonic: zero)
        // NTP slewing (0.5 ms/s) over an hour, and a pass that ran 20 s late: no jump.
        #expect(detector.observe(wall: start.addingTimeInterval(3600 + 1.8), monotonic: zero + .seconds(3600)) == nil)
        #expect(detector.observe(wall: start.addingTimeInterval(3620 + 1.8), monotonic: zero + .seconds(3620)) == nil)
        // A 2-minute step (a manual `date -s`) is one.
        #expect(detector.observe(wall: start.addingTimeInterval(3621 + 1.8 + 120), monotonic: zero + .seconds(3621))?
            .description == "forward by 2m 0s")
    }
}
