import FleetProtocol
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Removes secrets from text before it is logged, reported or thrown.
///
/// Two rules: every literal secret (the password and its percent-encoded form, when at
/// least 4 characters long) becomes `***`, and the password part of any URL's user info
/// becomes `***` (`rtsp://user:***@host`). ffmpeg prints the full input URL on errors,
/// so this runs over every stderr line too.
public struct Redactor: Sendable {
    private let secrets: [String]

    public init(secrets: [String]) {
        // Longest first so that an encoded form containing the plain one is replaced whole.
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    /// The text with secrets and URL passwords replaced by `***`.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where !secret.isEmpty { result = result.replacing(secret, with: "***") }
        return Redactor.redactURLPasswords(result)
    }

    /// Replaces `scheme://user:password@` with `scheme://user:***@` everywhere in `text`.
    public static func redactURLPasswords(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var output = ""
        var rest = Substring(text)
        while let marker = rest.firstRange(of: "://") {
            output += rest[..<marker.upperBound]
            rest = rest[marker.upperBound...]
            // User info ends at the last '@' before the first '/', '?', '#' or whitespace.
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" || $0.isWhitespace } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                output += authority[..<colon] + ":***"
                rest = rest[at...]
            }
        }
        return output + rest
    }
}

/// A size-bounded log file with numbered rotations: `NAME.log`, `NAME.log.1`, … `NAME.log.(keep-1)`.
/// Thread-safe; every line is redacted by the caller.
final class RotatingLog: Sendable {
    let path: String
    private let maxBytes: Int
    private let files: Int
    private let state: Mutex<(fd: Int32, size: Int)>

    init(path: String, maxBytes: Int, files: Int) {
        self.path = path
        self.maxBytes = max(4096, maxBytes)
        self.files = max(1, files)
        let fd = RotatingLog.open(path)
        var info = stat()
        let size = fd >= 0 && fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        state = Mutex((fd, size))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { close($0.fd) } }
    }

    /// Appends one line (a newline is added) with a UTC timestamp.
    func write(_ line: String) {
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        var bytes = Array("\(stamp) \(line)\n".utf8)
        if bytes.count > maxBytes / 2 { bytes = Array(bytes.prefix(maxBytes / 2)) + Array("…\n".utf8) }
        state.withLock { current in
            if current.size + bytes.count > maxBytes { rotate(&current) }
            guard current.fd >= 0 else { return }
            let written = bytes.withUnsafeBytes { Glibc.write(current.fd, $0.baseAddress, $0.count) }
            if written > 0 { current.size += written }
        }
    }

    private func rotate(_ current: inout (fd: Int32, size: Int)) {
        if current.fd >= 0 { close(current.fd) }
        if files > 1 {
            for index in stride(from: files - 1, through: 1, by: -1) {
                let from = index == 1 ? path : "\(path).\(index - 1)"
                rename(from, "\(path).\(index)")
            }
        } else {
            unlink(path)
        }
        current = (RotatingLog.open(path), 0)
    }

    private static func open(_ path: String) -> Int32 {
        Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    }
}

/// The last few stderr lines of one ffmpeg, already redacted; shared with the reader thread.
final class StderrTail: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { all in
            all.append(line)
            if all.count > 5 { all.removeFirst(all.count - 5) }
        }
    }

    /// The most recent line that says something (skips ffmpeg's timestamp chatter).
    var lastMeaningful: String? {
        lines.withLock { all in
            all.last { !$0.contains("Timestamps are unset") && !$0.contains("Non-monotonous DTS") }
        }
    }
}

/// Reads a child's stderr on a dedicated thread until EOF and writes each line, redacted,
/// into the station's rotating log. Blocking reads stay off the Swift cooperative pool.
enum StderrPump {
    static func start(fd: Int32, pid: pid_t, log: RotatingLog, redactor: Redactor, tail: StderrTail) {
        DetachedThread.start(name: "recorder-stderr-\(pid)") {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            func emit(_ bytes: ArraySlice<UInt8>) {
                let text = String(decoding: bytes, as: UTF8.self).trimmedWhitespace
                guard !text.isEmpty else { return }
                let clean = redactor.redact(text)
                log.write("[ffmpeg \(pid)] \(clean)")
                tail.append(clean)
            }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let end = pending.firstIndex(where: { $0 == 10 || $0 == 13 }) {
                    emit(pending[..<end])
                    pending.removeSubrange(...end)
                }
                if pending.count > 8192 {
                    emit(pending[...])
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { emit(pending[...]) }
            close(fd)
        }
    }
}
