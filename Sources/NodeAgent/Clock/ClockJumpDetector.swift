import FoundationEssentials

/// Notices the wall clock jumping: a Raspberry Pi has no real-time clock and boots with a
/// stale (or default) time until NTP sets it, which moves the wall clock by hours or days at
/// once. Between two observations the wall clock should advance as much as the monotonic
/// clock; a difference beyond `tolerance` is a jump (NTP's slewing stays far below it).
///
/// The agent measures intervals on the monotonic clock; the wall clock only names things
/// (segments, run times), so a jump is reported (`agent.clock-jumped`) rather than acted on.
///
/// ```swift
/// var detector = ClockJumpDetector(wall: Date(), monotonic: .now)
/// // every reconcile pass:
/// if let jump = detector.observe(wall: Date(), monotonic: .now) { report(jump) }
/// ```
public struct ClockJumpDetector: Sendable {
    /// One detected jump.
    public struct Jump: Sendable, Equatable {
        /// Wall-clock time minus what it should have been: positive forward, negative back.
        public var seconds: Double
        /// The wall clock after the jump.
        public var wallNow: Date

        /// `forward by 1d 0h 0m` / `back by 2h 5m`.
        public var description: String {
            let total = Int(abs(seconds).rounded())
            let days = total / 86_400, hours = (total % 86_400) / 3600, minutes = (total % 3600) / 60
            let size = days > 0 ? "\(days)d \(hours)h \(minutes)m" : hours > 0 ? "\(hours)h \(minutes)m" : "\(minutes)m \(total % 60)s"
            return "\(seconds > 0 ? "forward" : "back") by \(size)"
        }
    }

    public let tolerance: Double
    private var lastWall: Date
    private var lastMonotonic: ContinuousClock.Instant

    public init(wall: Date, monotonic: ContinuousClock.Instant, toleranceSeconds: Double = 30) {
        lastWall = wall
        lastMonotonic = monotonic
        tolerance = toleranceSeconds
    }

    /// Compares the clocks since the last observation; the jump when they disagree by more
    /// than the tolerance. Either way the new readings become the reference.
    public mutating func observe(wall: Date, monotonic: ContinuousClock.Instant) -> Jump? {
        let elapsed = monotonic - lastMonotonic
        let expected = lastWall.addingTimeInterval(Double(elapsed.components.seconds)
                                                    + Double(elapsed.components.attoseconds) / 1e18)
        lastWall = wall
        lastMonotonic = monotonic
        let drift = wall.timeIntervalSince(expected)
        return abs(drift) > tolerance ? Jump(seconds: drift, wallNow: wall) : nil
    }
}
