import FoundationEssentials

/// Remote logs and camera snapshots (issue 15): fleetctl asks the coordinator, the coordinator
/// queues a command for the node, the agent uploads what it found over its own connection.
///
/// ```swift
/// let request = LogRequest(tail: 200, sinceSeconds: 3600, follow: true)
/// let queued = try await client.call(Endpoints.stationLogs, "ROST1", body: request)   // a CommandView
/// let chunk = try await client.call(Endpoints.commandLogs, queued.id, query: [("cursor", "0")])
/// ```
public enum RemoteOutputLimits {
    /// Most lines one log request returns (`--tail`).
    public static let maxTail = 10_000
    /// The default `--tail`.
    public static let defaultTail = 200
    /// Most bytes of log text one upload (and one answer to fleetctl) carries.
    public static let maxLogBytes = 1 << 20
    /// Longest log line kept; longer ones are cut with `…`.
    public static let maxLineBytes = 8 * 1024
    /// Largest snapshot JPEG.
    public static let maxSnapshotBytes = 2 << 20
    /// Longest a follower's poll is held by the coordinator (seconds).
    public static let maxPollSeconds = 25
    /// A follow ends when no fleetctl asked for this long (seconds).
    public static let followerGoneAfter: Double = 3

    /// `line` cut to ``maxLineBytes`` (on a character boundary), with `…` when cut.
    public static func bounded(_ line: String) -> String {
        guard line.utf8.count > maxLineBytes else { return line }
        var cut = line.utf8.prefix(maxLineBytes - 3)
        while !cut.isEmpty, String(cut) == nil { cut = cut.dropLast() }
        return (String(cut) ?? "") + "…"
    }
}

/// What a log command asks of the agent. Carried in ``Command/logs``.
public struct LogRequest: Codable, Sendable, Equatable {
    /// The last this many lines (1…``RemoteOutputLimits/maxTail``).
    public var tail: Int
    /// Only lines from the last this many seconds; nil: no time limit.
    public var sinceSeconds: Int?
    /// Keep sending new lines while someone follows.
    public var follow: Bool

    public init(tail: Int = RemoteOutputLimits.defaultTail, sinceSeconds: Int? = nil, follow: Bool = false) {
        self.tail = tail
        self.sinceSeconds = sinceSeconds
        self.follow = follow
    }

    /// The reason the request is out of bounds, or nil.
    public var problem: String? {
        if !(1...RemoteOutputLimits.maxTail).contains(tail) {
            return "tail \(tail) is outside 1…\(RemoteOutputLimits.maxTail)"
        }
        if let sinceSeconds, !(1...(366 * 24 * 3600)).contains(sinceSeconds) {
            return "since \(sinceSeconds) s is outside 1 s…366 days"
        }
        return nil
    }
}

/// `POST /v1/nodes/{name}/commands/{id}/logs`: lines the agent found (redacted), in order.
public struct LogUpload: Codable, Sendable, Equatable {
    public var lines: [String]
    /// No more lines follow: the request is complete.
    public var final: Bool

    public init(lines: [String], final: Bool) {
        self.lines = lines
        self.final = final
    }

    /// The reason the upload is out of bounds, or nil.
    public var problem: String? {
        if lines.count > RemoteOutputLimits.maxTail { return "\(lines.count) lines, more than \(RemoteOutputLimits.maxTail)" }
        let bytes = lines.reduce(0) { $0 + $1.utf8.count + 1 }
        if bytes > RemoteOutputLimits.maxLogBytes + RemoteOutputLimits.maxTail {
            return "\(bytes) bytes of log text, more than \(RemoteOutputLimits.maxLogBytes)"
        }
        return nil
    }
}

/// The answer to a log upload: whether anyone still follows (false ends a follow).
public struct LogUploadAck: Codable, Sendable, Equatable {
    public var follow: Bool

    public init(follow: Bool) { self.follow = follow }
}

/// `GET /v1/commands/{id}/logs?cursor=N&wait=S`: lines from `cursor` on, as far as they came.
public struct LogChunk: Codable, Sendable, Equatable {
    public var lines: [String]
    /// Where the next poll starts.
    public var cursor: Int
    /// Nothing more will come (the agent sent its last lines, or the command ended).
    public var done: Bool
    /// Lines the coordinator no longer held for this cursor (a slow follower).
    public var skipped: Int
    /// Why it ended without the lines (node went offline, command expired), one line.
    public var error: String?

    public init(lines: [String], cursor: Int, done: Bool, skipped: Int = 0, error: String? = nil) {
        self.lines = lines
        self.cursor = cursor
        self.done = done
        self.skipped = skipped
        self.error = error
    }
}

/// `POST /v1/nodes/{name}/commands/{id}/snapshot`: one JPEG from the station's newest complete segment.
public struct SnapshotUpload: Codable, Sendable, Equatable {
    public var jpeg: Data
    /// When the picture was taken by the camera: segment start + the frame's offset.
    public var capturedAt: Date
    /// The segment it came from.
    public var segment: String
    public var width: Int?
    public var height: Int?

    public init(jpeg: Data, capturedAt: Date, segment: String, width: Int? = nil, height: Int? = nil) {
        self.jpeg = jpeg
        self.capturedAt = capturedAt
        self.segment = segment
        self.width = width
        self.height = height
    }

    /// The reason the upload is not a bounded JPEG, or nil.
    public var problem: String? {
        if jpeg.count > RemoteOutputLimits.maxSnapshotBytes {
            return "snapshot of \(jpeg.count) bytes is over the \(RemoteOutputLimits.maxSnapshotBytes) byte limit"
        }
        if !SnapshotUpload.isJPEG(jpeg) { return "snapshot is not a JPEG (no SOI/EOI markers)" }
        return nil
    }

    /// Starts with SOI (FF D8) and ends with EOI (FF D9).
    public static func isJPEG(_ data: Data) -> Bool {
        data.count >= 4 && data.prefix(2) == Data([0xFF, 0xD8]) && data.suffix(2) == Data([0xFF, 0xD9])
    }
}

/// `GET /v1/stations/{name}/snapshot`: the latest snapshot the coordinator holds for a station.
public struct SnapshotView: Codable, Sendable, Equatable {
    public var station: String
    public var node: String
    /// The command that took it.
    public var commandId: String
    public var capturedAt: Date
    /// When the coordinator received it.
    public var receivedAt: Date
    public var segment: String
    public var width: Int?
    public var height: Int?
    public var jpeg: Data

    public init(station: String, node: String, commandId: String, capturedAt: Date, receivedAt: Date, segment: String,
                width: Int?, height: Int?, jpeg: Data) {
        self.station = station
        self.node = node
        self.commandId = commandId
        self.capturedAt = capturedAt
        self.receivedAt = receivedAt
        self.segment = segment
        self.width = width
        self.height = height
        self.jpeg = jpeg
    }
}
