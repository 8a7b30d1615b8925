import FleetProtocol
import FoundationEssentials

/// Storage metrics for heartbeats, from the same statvfs reading the archive uses.
public enum DiskUsage {
    /// Space on the file system holding `path`; a path that does not exist yet is
    /// measured at its nearest existing parent. Nil when nothing can be measured.
    public static func measure(_ path: String) -> StorageMetric? {
        var probe = path.isEmpty ? "/" : path
        for _ in 0..<64 {
            if let space = DiskSpace.of(probe) {
                return StorageMetric(path: path, totalBytes: space.totalBytes, freeBytes: space.freeBytes,
                                     usedPercent: (space.usedPercent * 10).rounded() / 10)
            }
            guard probe != "/" else { return nil }
            probe = probe.pathParent
            if probe.isEmpty { probe = "/" }
        }
        return nil
    }
}
