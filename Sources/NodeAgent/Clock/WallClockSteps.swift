import FoundationEssentials

/// The wall-clock steps a process has seen (NTP setting a Pi's clock at boot, an operator's
/// `date -s`), each at a monotonic instant, so that a time *named* on the old clock can be
/// moved onto the new one.
///
/// A segment's name is its start on the wall clock when ffmpeg opened it. When the clock
/// stepped by Δ after that, the true start is the name plus Δ (the newest clock is taken to be
/// the right one): a recorder that started at boot a day behind and closed its first segment
/// after NTP synced reports that segment at the right time.
///
/// ```swift
/// var steps = WallClockSteps()
/// steps.record(seconds: 86_400, at: .now)          // the clock jumped a day forward
/// let fix = steps.correction(forTimeNamedAt: openedAt)  // 86_400 if opened before the step
/// let start = nameDate.addingTimeInterval(fix)
/// ```
public struct WallClockSteps: Sendable, Equatable {
    /// One step: how far the wall clock moved (positive forward) and when it was noticed.
    public struct Step: Sendable, Equatable {
        public var seconds: Double
        public var at: ContinuousClock.Instant
    }

    /// The most recent steps, oldest first (bounded: older ones no longer matter to anything
    /// still being reported).
    public private(set) var steps: [Step] = []
    public static let maxSteps = 16

    public init() {}

    public mutating func record(seconds: Double, at instant: ContinuousClock.Instant) {
        steps.append(Step(seconds: seconds, at: instant))
        if steps.count > Self.maxSteps { steps.removeFirst(steps.count - Self.maxSteps) }
    }

    /// What to add to a wall-clock time that was read at `instant` (monotonic) to put it on
    /// today's clock: the sum of every step noticed after it.
    public func correction(forTimeNamedAt instant: ContinuousClock.Instant) -> Double {
        steps.reduce(0) { $1.at > instant ? $0 + $1.seconds : $0 }
    }
}
