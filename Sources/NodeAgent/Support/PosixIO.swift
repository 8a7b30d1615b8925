import FoundationEssentials
import Glibc

/// Blocking sleeps and writes to the standard streams with plain system calls: `Thread.sleep`
/// and `FileHandle` are in full Foundation, which the agent does not link (a small agent).
public enum PosixIO {
    /// Sleeps the calling thread for `seconds` (resuming after signals until the time is up).
    /// Only for the synchronous upgrade guardian and launcher; async code uses `Task.sleep`.
    public static func sleep(seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        let whole = seconds.rounded(.down)
        var request = timespec(tv_sec: Int(min(whole, Double(Int32.max))), tv_nsec: Int((seconds - whole) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR {
            request = remaining
        }
    }

    /// Writes `text` to standard error in full (retrying short writes and EINTR); errors are
    /// ignored, as `FileHandle.standardError.write` did in effect.
    public static func writeError(_ text: String) { write(text, to: STDERR_FILENO) }

    /// Writes `text` to standard output in full.
    public static func writeOutput(_ text: String) { write(text, to: STDOUT_FILENO) }

    private static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { try? FileIO.writeAll(fd, $0, path: "standard stream \(fd)") }
    }
}

extension PosixIO {
    /// A short reason for a file-system error: the C library's text for the POSIX error under a
    /// FoundationEssentials `CocoaError` ("No such file or directory"), else the error itself.
    /// `localizedDescription`, which said this before, is in full Foundation only.
    static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError, let posix = cocoa.userInfo["NSUnderlyingError"] as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        return "\(error)"
    }
}
