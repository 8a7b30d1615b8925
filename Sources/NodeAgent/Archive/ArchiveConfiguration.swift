import FleetProtocol
import FoundationEssentials

/// Tunables of archive runs that are not part of the wire spec.
public struct ArchiveConfiguration: Sendable, Equatable {
    /// Below this share of free space on a source's file system, the oldest verified files are
    /// deleted even before `keepLocalSeconds` (emergency rule), until the share is reached again.
    public var minFreePercent: Double
    /// A cleanup that would delete more than this share of a source folder's files at once is
    /// stopped and reported (`archive.cleanup-brake`). Emergency deletions are exempt (see `ArchiveJob`).
    public var safetyBrakeShare: Double
    /// The brake only applies when more than this many files would go at once.
    public var safetyBrakeMinFiles: Int
    /// ffmpeg executable for thumbnails.
    public var ffmpegPath: String
    /// Time limit for one thumbnail.
    public var thumbnailTimeoutSeconds: Double
    /// How far back disk samples are used for the fill-rate forecast.
    public var forecastWindowSeconds: Double
    /// Files copied at once; two overlap one file's disk reads with another's hashing and writes.
    public var copyWorkers: Int

    public init(minFreePercent: Double = 10, safetyBrakeShare: Double = 0.5, safetyBrakeMinFiles: Int = 5,
                ffmpegPath: String = "ffmpeg", thumbnailTimeoutSeconds: Double = 60,
                forecastWindowSeconds: Double = 6 * 3600, copyWorkers: Int = 2) {
        self.copyWorkers = copyWorkers
        self.minFreePercent = minFreePercent
        self.safetyBrakeShare = safetyBrakeShare
        self.safetyBrakeMinFiles = safetyBrakeMinFiles
        self.ffmpegPath = ffmpegPath
        self.thumbnailTimeoutSeconds = thumbnailTimeoutSeconds
        self.forecastWindowSeconds = forecastWindowSeconds
    }
}

/// Files waiting to be archived.
public struct ArchiveBacklog: Sendable, Equatable {
    public var files: Int
    public var bytes: UInt64
    public var oldestAgeSeconds: Double?
    public init(files: Int = 0, bytes: UInt64 = 0, oldestAgeSeconds: Double? = nil) {
        self.files = files
        self.bytes = bytes
        self.oldestAgeSeconds = oldestAgeSeconds
    }
}

/// Everything one archive run produced.
public struct ArchiveRunReport: Sendable {
    public var run: JobRun
    public var events: [AgentEvent]
    public var segments: [SegmentRecord]
    public var backlog: ArchiveBacklog
    /// Hours until the fullest source disk is full at the recent fill rate.
    public var diskFullInHours: Double?
    public var deletedFiles: Int
    public var copiedFiles: Int
}
