import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Process helpers that read /proc; Linux only.
enum ProcessTable {
    /// Non-blocking reap of our own child. Nil while it still runs (or when it is not our child).
    static func reap(_ pid: pid_t) -> ProcessExit? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        return ProcessExit(waitStatus: status)
    }

    /// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat),
    /// nil when there is no such live process (zombies count as gone).
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name: state is field 3, starttime field 22.
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 19, rest[0] != "Z", rest[0] != "X" else { return nil }
        return UInt64(rest[19])
    }

    /// The command line of `pid` as its arguments.
    static func commandLine(of pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every live process whose command line runs ffmpeg and writes into `stationDir`
    /// with this station's segment pattern.
    static func ffmpegProcesses(writingTo outputPattern: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid() else { continue }
            if isRecorder(pid: pid, outputPattern: outputPattern) { found.append(pid) }
        }
        return found
    }

    /// True when `pid` is a live ffmpeg writing `outputPattern` (or the same pattern with a run tag).
    static func isRecorder(pid: pid_t, outputPattern: String) -> Bool {
        let arguments = commandLine(of: pid)
        guard let first = arguments.first, first.contains("ffmpeg") else { return false }
        return arguments.contains { RecorderCommand.isOutputPattern($0, of: outputPattern) } && startTime(of: pid) != nil
    }
}
