import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Helpers of the agent upgrade tests: reading /proc, the agent's status endpoint and state dir.

/// Ports from the agents' "status on http://127.0.0.1:PORT" lines, in order.
func statusPorts(_ stdout: String) -> [Int] {
    stdout.split(separator: "\n").filter { $0.contains("status on http://") }
        .compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
}

func healthz(port: Int) async -> Int {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
    request.method = .GET
    guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)) else { return 0 }
    _ = try? await response.body.collect(upTo: 1 << 16)
    return Int(response.status.code)
}

/// `stationfleet_agent_reconciles_total` from the agent's /metrics (0 when unreadable).
func reconcilePasses(port: Int) async -> Int {
    let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
    guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)),
          let body = try? await response.body.collect(upTo: 1 << 20) else { return 0 }
    let text = String(buffer: body)
    let line = text.split(separator: "\n").first { $0.hasPrefix("stationfleet_agent_reconciles_total") }
    return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
}

func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

func executable(of pid: Int32) -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
}

/// The inode of the pipe behind a process's file descriptor (`pipe:[123]` in /proc), if it is one.
func pipeInode(pid: Int32, fd: Int32) -> String? {
    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
          target.hasPrefix("pipe:") else { return nil }
    return target
}

/// Every pipe a process holds open.
func pipeInodes(heldBy pid: Int32) -> Set<String> {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
    return Set(fds.compactMap { Int32($0).flatMap { pipeInode(pid: pid, fd: $0) } })
}

func segmentNames(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".mkv") }.sorted()
}

/// Names of the segments in the agent's on-disk report journal (`STATE/outbox/chunk-*.jsonl`,
/// lines `SEQ KIND JSON`), acknowledged or not.
func outboxSegments(_ state: String) -> [String] {
    let dir = state + "/outbox"
    let chunks = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("chunk-") }.sorted()
    return chunks.flatMap { chunk -> [String] in
        text(dir + "/" + chunk).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, parts[1] == "segment",
                  let object = (try? JSONSerialization.jsonObject(with: Data(parts[2].utf8))) as? [String: Any] else { return nil }
            return object["name"] as? String
        }
    }
}

func segmentCount(_ dir: String) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".mkv") }.count
}

/// SIGKILL to every process whose command line mentions `dir` (never this test process).
func killProcesses(mentioning dir: String) {
    for pid in processes(mentioning: dir) { kill(pid, SIGKILL) }
}

/// Live processes (not this one) whose command line mentions `dir`.
func processes(mentioning dir: String) -> [Int32] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
        guard let pid = Int32(entry), pid != getpid(), ProcessTableView.startTime(of: pid) != nil,
              ProcessTableView.commandLine(of: pid).contains(dir) else { return nil }
        return pid
    }
}

/// SIGTERM to a process that is not our child, SIGKILL when it is still there after 10 s.
func terminate(_ pid: Int32) {
    guard let started = ProcessTableView.startTime(of: pid) else { return }
    kill(pid, SIGTERM)
    let deadline = ContinuousClock.now + .seconds(10)
    while ProcessTableView.startTime(of: pid) == started, ContinuousClock.now < deadline { usleep(50_000) }
    if ProcessTableView.startTime(of: pid) == started { kill(pid, SIGKILL) }
}

/// /proc readers (the agent's own ProcessTable is internal to FleetAgent).
enum ProcessTableView {
    static func startTime(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 19, rest[0] != "Z", rest[0] != "X" else { return nil }
        return UInt64(rest[19])
    }

    static func commandLine(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }
}
