import FleetProtocol
import Foundation
import Testing

/// Progress of a long job through real coordinator, agent and fleetctl processes: a 500 MB
/// image backup, its compressor behind a ~50 MB/s pipe (a stand-in `zstd` on the agent's PATH
/// that throttles its input, then runs the real one), so each run lasts about 13 s.
@Suite(.serialized) struct JobProgressFleetTests {
    static let imageBytes: UInt64 = 500 * 1_048_576

    @Test func imageBackupReportsIncreasingProgressAndRunWaitEndsAtHundred() async throws {
        try await withFleet("progress") { fleet in
            let image = fleet.dir + "/sd.img"
            FileManager.default.createFile(atPath: image, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
            try handle.truncate(atOffset: Self.imageBytes)  // sparse: 500 MB of zeros
            try handle.close()
            try FileManager.default.createDirectory(atPath: fleet.dir + "/nas", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: fleet.dir + "/nas/.stationfleet-target", contents: nil)
            let bin = try Self.throttledZstd(in: fleet.dir, bytesPerSecond: 40_000_000)

            try await fleet.startCoordinator()
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            try await fleet.startAgent("recordingpi", extraArguments: ["--max-job-delay", "0"],
                                       environment: ["PATH": "\(bin):\(path)"])
            #expect(try await fleet.fleetctl(["apply", "-f", try fleet.renderInventory("progress.yaml")]).status == 0)
            let assigned = try await waitUntil(timeout: .seconds(30)) {
                let node = try? await fleet.get(NodeView.self, APIPath.node("recordingpi"))
                return node?.jobs?.contains { $0.job == "sd-image" } == true
            }
            #expect(assigned, "\(fleet.logs)")

            // fleetctl's stdout is a pipe here: plain progress lines, not a redrawn bar.
            async let waited = fleet.fleetctl(["run", "backup", "sd-image", "--node", "recordingpi", "--wait",
                                               "--wait-timeout", "120"])
            var seen: [JobProgress] = []
            var describedRunning = false
            _ = try await waitUntil(timeout: .seconds(90), poll: .milliseconds(300)) {
                guard let node = try? await fleet.get(NodeView.self, APIPath.node("recordingpi")),
                      let job = node.jobs?.first(where: { $0.job == "sd-image" }) else { return false }
                if let progress = job.progress {
                    if progress.phase == "compress", progress.bytesDone != seen.last?.bytesDone { seen.append(progress) }
                    if !describedRunning, progress.phase == "compress", progress.bytesDone > 0 {
                        describedRunning = true
                        let describe = try await fleet.fleetctl(["describe", "node", "recordingpi"])
                        #expect(describe.stdout.contains("Running:"), "\(describe.stdout)")
                        #expect(describe.stdout.contains("backup sd-image (compress) ["), "\(describe.stdout)")
                    }
                    return false
                }
                return job.lastSuccessAt != nil || job.lastFailureAt != nil
            }
            let run = try await waited

            // Successive heartbeats carried strictly increasing bytes of the image's known size:
            // at least four values in ~13 s, which the 5 s heartbeat alone (plus the one at the
            // job's start) could not deliver; the agent reports every 2 s while a job runs.
            let done = seen.map(\.bytesDone)
            #expect(done.count >= 4, "progress seen: \(done)\n\(fleet.logs)")
            #expect(zip(done, done.dropFirst()).allSatisfy { $0 < $1 }, "\(done)")
            #expect(seen.allSatisfy { $0.bytesTotal == Self.imageBytes && $0.filesTotal == 1 }, "\(seen)")
            #expect(seen.contains { $0.bytesPerSecond != nil && $0.etaSeconds != nil }, "\(seen)")
            #expect(describedRunning)

            // The run's record: succeeded, no progress any more.
            let node = try await fleet.get(NodeView.self, APIPath.node("recordingpi"))
            let job = try #require(node.jobs?.first { $0.job == "sd-image" })
            #expect(job.lastSuccessAt != nil && job.progress == nil && job.lastError == nil, "\(job)")
            let backups = (try? FileManager.default.contentsOfDirectory(atPath: fleet.dir + "/nas/sd-backups/recordingpi")) ?? []
            #expect(backups.contains { $0.hasSuffix(".img.zst") }, "\(backups)")

            // fleetctl run --wait: periodic plain lines, rising, the last at 100 %, then the result.
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(!run.stdout.contains("\r"))
            let lines = run.stdout.split(separator: "\n").map(String.init)
            let progressLines = lines.filter { $0.hasPrefix("backup sd-image on recordingpi (") }
            #expect(progressLines.count >= 2, "\(run.stdout)")
            let percents = progressLines.compactMap(Self.percent)
            #expect(percents.count == progressLines.count, "\(progressLines)")
            #expect(percents.last == 100, "\(run.stdout)")
            #expect(progressLines.last?.contains("500 MB of 500 MB") == true || progressLines.last?.contains("524 MB of 524 MB") == true,
                    "\(run.stdout)")
            #expect(lines.last?.hasPrefix("backup sd-image on recordingpi succeeded") == true, "\(run.stdout)")

            // With -o json nothing but the JSON.
            let json = try await fleet.fleetctl(["run", "backup", "sd-image", "--node", "recordingpi", "--wait",
                                                 "--wait-timeout", "120", "-o", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            #expect(!json.stdout.contains("%") && json.stdout.hasPrefix("["), "\(json.stdout)")

            // On a terminal (a pty from util-linux `script`): one bar redrawn in place with \r.
            let command = "'\(try binary("fleetctl"))' run backup sd-image --node recordingpi --wait --wait-timeout 120"
            let tty = try await runCommand("/usr/bin/script", ["-qfec", command, "/dev/null"],
                                           environment: ["FLEET_COORDINATOR": fleet.url,
                                                         "FLEET_TOKEN_FILE": fleet.dataDir + "/admin.token", "COLUMNS": "100"],
                                           timeout: .seconds(120))
            #expect(tty.status == 0, "\(tty.stdout)\(tty.stderr)")
            let draws = tty.stdout.components(separatedBy: "\r").filter { $0.contains("backup sd-image on recordingpi (") }
            #expect(draws.count >= 3, "\(tty.stdout.debugDescription)")
            #expect(draws.allSatisfy { $0.contains("█") || $0.contains("░") }, "\(draws)")
            #expect(draws.last?.contains("100%") == true, "\(draws)")
            #expect(!tty.stdout.contains("(compress): "), "plain lines on a terminal: \(tty.stdout.debugDescription)")
            #expect(tty.stdout.contains("backup sd-image on recordingpi succeeded"))
        }
    }

    /// `LABEL (phase): 42% (…)` → 42.
    static func percent(_ line: String) -> Int? {
        guard let colon = line.range(of: "): ") else { return nil }
        let rest = line[colon.upperBound...]
        guard let sign = rest.firstIndex(of: "%") else { return nil }
        return Int(rest[..<sign])
    }

    /// A folder with a `zstd` that feeds the real one at most `bytesPerSecond` (a pipe, as
    /// `pv -L` would; pv is not installed everywhere).
    static func throttledZstd(in dir: String, bytesPerSecond: Int) throws -> String {
        let bin = dir + "/slow-bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let script = """
        #!/bin/sh
        /usr/bin/python3 -c '
        import sys, time
        src, dst = sys.stdin.buffer, sys.stdout.buffer
        rate, start, n = \(bytesPerSecond), time.monotonic(), 0
        while True:
            b = src.read1(1 << 20)
            if not b:
                break
            dst.write(b)
            n += len(b)
            ahead = n / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
        dst.flush()
        ' | /usr/bin/zstd "$@"
        """
        try script.write(toFile: bin + "/zstd", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/zstd")
        return bin
    }
}
