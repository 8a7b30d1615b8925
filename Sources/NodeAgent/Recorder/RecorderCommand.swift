import FoundationEssentials
import FleetProtocol

/// The ffmpeg command line for one station, and the camera URL with and without its secret.
struct RecorderCommand: Sendable {
    let spec: RecorderSpec
    /// Arguments after argv[0]; contains the password inside the input URL.
    let arguments: [String]
    /// The camera URL with the password replaced by `***`; safe to log.
    let redactedURL: String
    /// Redacts this station's password from any text.
    let redactor: Redactor
    /// The output pattern argument; /proc command lines are matched against it.
    let outputPattern: String
    /// A hash of the redacted command line without the run tag, stored in the pid file: the
    /// same camera and settings give the same hash whatever the run is named.
    let commandHash: String
    /// The run tag in segment names (see ``SegmentName``), nil for plain names.
    let nameTag: String?

    static let listFileName = ".segments.csv"

    /// Reads the password file (if any) and builds the command; `nameTag` names this run's
    /// segments `STATION_…-TAG.mkv` (used while the wall clock is behind existing names).
    init(spec: RecorderSpec, rtspTimeoutSeconds: Double, nameTag: String? = nil) throws(RecorderError) {
        self.spec = spec
        self.nameTag = nameTag
        var password: String?
        if let file = spec.passwordFile {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                password = text.trimmedNewlines
            } catch {
                throw .passwordUnreadable(station: spec.station, path: file)
            }
        }
        let encodedPassword = password.map(RecorderCommand.percentEncodeUserInfo)
        redactor = Redactor(secrets: [password, encodedPassword].compactMap { $0 })

        let path = spec.rtspPath.hasPrefix("/") ? spec.rtspPath : "/" + spec.rtspPath
        let host = spec.cameraHost.contains(":") && !spec.cameraHost.hasPrefix("[") ? "[\(spec.cameraHost)]" : spec.cameraHost
        var userInfo = ""
        var redactedUserInfo = ""
        if let user = spec.username, !user.isEmpty {
            let encodedUser = RecorderCommand.percentEncodeUserInfo(user)
            if let encodedPassword {
                userInfo = "\(encodedUser):\(encodedPassword)@"
                redactedUserInfo = "\(encodedUser):***@"
            } else {
                userInfo = "\(encodedUser)@"
                redactedUserInfo = userInfo
            }
        }
        let url = "rtsp://\(userInfo)\(host):\(spec.rtspPort)\(path)"
        redactedURL = "rtsp://\(redactedUserInfo)\(host):\(spec.rtspPort)\(path)"

        let stationDir = spec.stationDir
        let plainPattern = RecorderCommand.outputPattern(stationDir: stationDir, station: spec.station, tag: nil)
        outputPattern = RecorderCommand.outputPattern(stationDir: stationDir, station: spec.station, tag: nameTag)
        let timeoutMicros = Int(max(0.5, rtspTimeoutSeconds) * 1_000_000)
        let transport = spec.rtspTransport.lowercased() == "udp" ? "udp" : "tcp"
        let arguments = [
            "-hide_banner", "-nostdin", "-loglevel", "warning",
            "-rtsp_transport", transport,
            "-timeout", String(timeoutMicros),
            "-analyzeduration", "500000", "-probesize", "32768",
            "-i", url,
            "-c", "copy",
            "-f", "segment",
            "-segment_time", String(max(1, spec.segmentSeconds)),
            "-segment_atclocktime", "1",
            "-reset_timestamps", "1",
            "-strftime", "1",
            "-segment_format", "matroska",
            "-segment_format_options", "flush_packets=1:cluster_time_limit=500",
            "-segment_list", stationDir.pathJoining(RecorderCommand.listFileName),
            "-segment_list_type", "csv",
            outputPattern,
        ]
        self.arguments = arguments
        let (safeURL, taggedPattern) = (redactedURL, outputPattern)
        let redactedLine = arguments.map { $0 == url ? safeURL : $0 == taggedPattern ? plainPattern : $0 }.joined(separator: "\u{0}")
        commandHash = RecorderCommand.fnv1a(redactedLine)
    }

    /// ffmpeg's `-strftime` output pattern for a station, plain or with a run tag.
    static func outputPattern(stationDir: String, station: String, tag: String?) -> String {
        stationDir.pathJoining("\(station)_%Y%m%dT%H%M%S\(tag.map { "-" + $0 } ?? "").mkv")
    }

    /// True when `argument` is the plain `pattern` or the same pattern with a run tag: a
    /// leftover ffmpeg of a tagged run is still this station's recorder.
    static func isOutputPattern(_ argument: String, of pattern: String) -> Bool {
        if argument == pattern { return true }
        guard pattern.hasSuffix(".mkv"), argument.hasSuffix(".mkv") else { return false }
        let stem = String(pattern.dropLast(4)) + "-"
        guard argument.hasPrefix(stem) else { return false }
        let tag = argument.dropFirst(stem.count).dropLast(4)
        return (1...SegmentName.maxTagLength).contains(tag.count) && tag.allSatisfy { $0.isASCII && ($0.isNumber || $0.isLowercase) }
    }

    /// A fresh run tag: 6 characters of `0-9a-z`.
    static func makeNameTag() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return String((0..<6).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// The command line with the URL redacted, for logs.
    var redactedCommandLine: String {
        arguments.map { redactor.redact($0) }.joined(separator: " ")
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters.
    static func percentEncodeUserInfo(_ text: String) -> String {
        EndpointTemplate.percentEncodeUnreserved(text)
    }

    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
