import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Free and total space of the file system holding a path (statvfs).
public struct DiskSpace: Sendable, Equatable {
    public var totalBytes: UInt64
    /// Space available to unprivileged users (`f_bavail`).
    public var freeBytes: UInt64
    /// Space used (total minus all free blocks, including those reserved for root).
    public var usedBytes: UInt64

    public init(totalBytes: UInt64, freeBytes: UInt64, usedBytes: UInt64? = nil) {
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.usedBytes = usedBytes ?? (totalBytes >= freeBytes ? totalBytes - freeBytes : 0)
    }

    public var freePercent: Double { totalBytes == 0 ? 100 : Double(freeBytes) / Double(totalBytes) * 100 }

    /// Used share as `df` shows it: used / (used + available to users).
    public var usedPercent: Double {
        let denominator = usedBytes + freeBytes
        return denominator == 0 ? 0 : Double(usedBytes) / Double(denominator) * 100
    }

    /// statvfs of `path`; nil when the path does not exist.
    public static func of(_ path: String) -> DiskSpace? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let frag = UInt64(s.f_frsize == 0 ? s.f_bsize : s.f_frsize)
        let total = UInt64(s.f_blocks) * frag
        return DiskSpace(totalBytes: total, freeBytes: UInt64(s.f_bavail) * frag,
                         usedBytes: total - UInt64(s.f_bfree) * frag)
    }
}

/// One free-space measurement kept over time for the disk-full forecast.
public struct DiskSample: Sendable, Equatable {
    public var time: Date
    public var freeBytes: UInt64
    public init(time: Date, freeBytes: UInt64) {
        self.time = time
        self.freeBytes = freeBytes
    }
}

/// Disk-full forecast from free-space samples.
///
/// The fill rate is the *write* rate: the sum of the drops in free space between consecutive
/// samples divided by the time those drops took. Intervals in which free space grew (cleanup
/// deleted files) are left out, so the forecast answers "how long until full if cleanup stops",
/// which is the case that matters when the NAS is away.
public enum DiskForecast {
    /// Hours until full, or nil when there are too few samples (< 2, or < 60 s span) or the disk is not filling.
    public static func hoursUntilFull(samples: [DiskSample], currentFree: UInt64) -> Double? {
        let sorted = samples.sorted { $0.time < $1.time }
        guard sorted.count >= 2, let first = sorted.first, let last = sorted.last,
              last.time.timeIntervalSince(first.time) >= 60 else { return nil }
        var dropped = 0.0
        var seconds = 0.0
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.freeBytes < a.freeBytes {
            let dt = b.time.timeIntervalSince(a.time)
            guard dt > 0 else { continue }
            dropped += Double(a.freeBytes - b.freeBytes)
            seconds += dt
        }
        guard dropped > 0, seconds > 0 else { return nil }
        let bytesPerSecond = dropped / seconds
        return Double(currentFree) / bytesPerSecond / 3600
    }
}
