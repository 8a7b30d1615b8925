import Foundation
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
    /// A hash of the redacted command line, stored in the pid file.
    let commandHash: String

    static let listFileName = ".segments.csv"

    /// Reads the password file (if any) and builds the command.
    init(spec: RecorderSpec, rtspTimeoutSeconds: Double) throws(RecorderError) {
        self.spec = spec
        var password: String?
        if let file = spec.passwordFile {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                password = text.trimmingCharacters(in: .newlines)
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
        outputPattern = (stationDir as NSString).appendingPathComponent("\(spec.station)_%Y%m%dT%H%M%S.mkv")
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
            "-segment_list", (stationDir as NSString).appendingPathComponent(RecorderCommand.listFileName),
            "-segment_list_type", "csv",
            outputPattern,
        ]
        self.arguments = arguments
        let safeURL = redactedURL
        let redactedLine = arguments.map { $0 == url ? safeURL : $0 }.joined(separator: "\u{0}")
        commandHash = RecorderCommand.fnv1a(redactedLine)
    }

    /// The command line with the URL redacted, for logs.
    var redactedCommandLine: String {
        arguments.map { redactor.redact($0) }.joined(separator: " ")
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters.
    static func percentEncodeUserInfo(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
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
