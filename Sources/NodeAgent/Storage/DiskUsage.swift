import FleetProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Measures file systems with the OS's statvfs.
public enum DiskUsage {
    /// Space on the file system holding `path`; a path that does not exist yet is
    /// measured at its nearest existing parent. Nil when nothing can be measured.
    public static func measure(_ path: String) -> StorageMetric? {
        var probe = path.isEmpty ? "/" : path
        var stats = statvfs()
        var attempts = 0
        while statvfs(probe, &stats) != 0 {
            attempts += 1
            guard probe != "/", attempts < 64 else { return nil }
            probe = (probe as NSString).deletingLastPathComponent
            if probe.isEmpty { probe = "/" }
        }
        let blockSize = UInt64(stats.f_frsize == 0 ? stats.f_bsize : stats.f_frsize)
        let total = UInt64(stats.f_blocks) * blockSize
        let free = UInt64(stats.f_bavail) * blockSize
        let usedForUsers = total - UInt64(stats.f_bfree) * blockSize
        // Like df: used / (used + available to users).
        let denominator = usedForUsers + free
        let percent = denominator == 0 ? 0 : (Double(usedForUsers) / Double(denominator) * 1000).rounded() / 10
        return StorageMetric(path: path, totalBytes: total, freeBytes: free, usedPercent: percent)
    }
}
