import AsyncHTTPClient
import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Agent upgrades with real processes: the built `fleet-agent`, its guardian, real ffmpeg and the
/// camera simulator. The coordinator's publish/download endpoints are not needed: the state dir is
/// seeded with an assignment whose `agent` target names the build, and with the build's complete
/// download (`agent/downloads/SHA.part`), which the agent verifies and installs without a request.
/// In those tests no coordinator answers (`--coordinator` points at a closed loopback port), so a
/// trial never commits; the deadline is long enough not to fire during a test. The HTTP test uses
/// ``StandInCoordinator`` instead.
@Suite(.serialized) struct AgentUpgradeTests {
    /// A build that dies at once: the guardian must roll back and run the previous binary again,
    /// which then reports the rolled-back build instead of trying it again.
    @Test func badBuildIsRolledBackAndThePreviousBinaryRunsAgain() async throws {
        let dir = try makeScratchDir("upgrade-bad")
        let state = dir + "/state"
        let script = dir + "/bad-build"
        try "#!/bin/sh\necho 'bad build: exiting with 3' >&2\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        let build = try await seed(state: state, binary: script, version: "9.9.9-bad", recorders: [])
        let agentBinary = realPath(try binary("fleet-agent"))
        let agent = try ManagedProcess(label: "agent", executable: agentBinary, arguments: agentArguments(state: state),
                                       logDir: dir)
        var successor: Int32?
        defer {
            if let successor { terminate(successor) }
            kill(agent.pid, SIGKILL)
            killProcesses(mentioning: dir)  // a guardian or agent left by a failed expectation
            try? FileManager.default.removeItem(atPath: dir)
        }

        // The agent exec's the build in its own pid: the process ends with the build's exit code.
        let exited = await waitUntil(timeout: .seconds(60)) { !agent.isRunning }
        #expect(exited, "\(agent.output)")
        #expect(agent.process.terminationStatus == 3, "\(agent.output)")
        #expect(agent.stderr.contains("bad build: exiting with 3"))

        // The guardian marks the rollback and becomes the agent with the previous binary.
        let rolledBack = await waitUntil(timeout: .seconds(20)) { record(state)?["phase"] as? String == "rolled-back" }
        #expect(rolledBack, "\(agent.output)")
        let found = record(state) ?? [:]
        #expect(found["reason"] as? String == "exited-at-start")
        #expect(found["previousPath"] as? String == agentBinary)
        #expect((found["build"] as? [String: Any])?["sha256"] as? String == build.sha256)
        successor = (found["guardianPid"] as? NSNumber)?.int32Value
        let pid = try #require(successor)
        let listening = await waitUntil(timeout: .seconds(20)) { statusPorts(agent.stdout).count == 2 }
        #expect(listening, "\(agent.output)")
        #expect(executable(of: pid) == agentBinary)
        #expect(ProcessTableView.commandLine(of: pid).contains(state))
        let started = ProcessTableView.startTime(of: pid)
        #expect(started != nil)

        // The previous binary reconciles (its /healthz turns ok only after a completed pass) and
        // does not try the rolled-back build again: same process, record unchanged.
        let port = try #require(statusPorts(agent.stdout).last)
        let healthy = await waitUntil(timeout: .seconds(20)) { await healthz(port: port) == 200 }
        #expect(healthy, "\(agent.output)")
        let passes = await waitUntil(timeout: .seconds(10)) { await reconcilePasses(port: port) >= 3 }
        #expect(passes)
        #expect(ProcessTableView.startTime(of: pid) == started)
        #expect(record(state)?["phase"] as? String == "rolled-back")
        #expect(record(state)?["guardianPid"] as? NSNumber == NSNumber(value: pid))
    }

    /// An exec into a copy of the same binary keeps the running ffmpeg: same pid, adopted (no
    /// restart), and it keeps recording.
    @Test func execKeepsTheRecorderRunning() async throws {
        let dir = try makeScratchDir("upgrade-adopt")
        let state = dir + "/state"
        try "camera-secret-\(UUID().uuidString)\n".write(toFile: dir + "/camera-password", atomically: true, encoding: .utf8)
        let camera = try await CameraSimulator(dir: dir, mounts: ["/ROST1"], passwordFile: dir + "/camera-password")
        let agentBinary = realPath(try binary("fleet-agent"))
        let copy = dir + "/fleet-agent-copy"
        try FileManager.default.copyItem(atPath: agentBinary, toPath: copy)
        let spec = RecorderSpec(station: "ROST1", cameraHost: "127.0.0.1", rtspPort: camera.port, rtspPath: "/ROST1",
                                username: "viewer", passwordFile: dir + "/camera-password", segmentSeconds: 2,
                                outputDir: dir + "/recordings", stallSeconds: 3)
        let build = try await seed(state: state, binary: copy, version: "9.9.9-same", recorders: [spec])
        let agent = try ManagedProcess(label: "agent", executable: agentBinary, arguments: agentArguments(state: state),
                                       logDir: dir)
        var guardian: Int32?
        defer {
            kill(agent.pid, SIGKILL)
            if let guardian { terminate(guardian) }
            killProcesses(mentioning: dir)  // ffmpeg, and a guardian left by a failed expectation
            kill(camera.process.pid, SIGKILL)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let log = state + "/logs/recorder-ROST1.log"
        let adopted = await waitUntil(timeout: .seconds(60)) { text(log).contains("recorder.adopted") }
        #expect(adopted, "\(agent.output)\n\(text(log))")
        let namesAtAdoption = Set(segmentNames(dir + "/recordings/ROST1"))
        guardian = (record(state)?["guardianPid"] as? NSNumber)?.int32Value

        // The same process (pid) now runs the installed copy, on trial.
        #expect(agent.isRunning)
        let installed = state + "/agent/builds/9.9.9-same-\(build.sha256.prefix(12))/fleet-agent"
        #expect(executable(of: agent.pid) == installed)
        #expect(record(state)?["phase"] as? String == "trial")
        #expect(record(state)?["path"] as? String == installed)

        // One ffmpeg was ever started, and the adopted one is it, still alive with its start time.
        let starts = text(log).components(separatedBy: "started ffmpeg pid ").dropFirst()
            .compactMap { $0.split(separator: ":").first.flatMap { Int32($0) } }
        #expect(starts.count == 1, "\(text(log))")
        let ffmpeg = try #require(starts.first)
        #expect(text(log).contains("recorder adopted (pid \(ffmpeg))"))
        let pidFile = try #require(FileManager.default.contents(atPath: state + "/recorders/recorder-ROST1.pid"))
        let pidJSON = try #require(try JSONSerialization.jsonObject(with: pidFile) as? [String: Any])
        #expect((pidJSON["pid"] as? NSNumber)?.int32Value == ffmpeg)
        #expect((pidJSON["startTime"] as? NSNumber)?.uint64Value == ProcessTableView.startTime(of: ffmpeg))
        #expect(ffmpegProcesses(writingUnder: dir) == [ffmpeg])

        // It keeps recording under the new process: segments keep closing after the adoption, and
        // ffmpeg's stderr is still the pipe the agent reads (the handed fd is held by the adopting
        // process; ffmpeg only writes warnings there, so waiting for a line would be a race).
        let closedAfter = await waitUntil(timeout: .seconds(20)) { segmentCount(dir + "/recordings/ROST1") >= 2 }
        #expect(closedAfter, "\(text(log))")
        let stderrPipe = try #require(pipeInode(pid: ffmpeg, fd: 2), "ffmpeg's stderr is not a pipe")
        #expect(pipeInodes(heldBy: agent.pid).contains(stderrPipe), "the agent does not hold ffmpeg's stderr pipe")
        // The adopting process follows the handed-over segment list: a segment opened after the
        // adoption closes, is probed and queued for the coordinator (no coordinator acknowledges
        // it here, so it waits in the persisted outbox).
        let listed = await waitUntil(timeout: .seconds(20)) {
            outboxSegments(state).contains { !namesAtAdoption.contains($0) }
        }
        #expect(listed, "outbox: \(outboxSegments(state)), at adoption: \(namesAtAdoption.sorted())")
        #expect(ProcessTableView.startTime(of: ffmpeg) == (pidJSON["startTime"] as? NSNumber)?.uint64Value)
        #expect(!text(log).contains("recorder.restarted"))

        // A clean stop of the upgraded agent stops the adopted ffmpeg (reaped: it is still our child),
        // and its guardian, so no previous binary comes back behind the operator's back.
        await agent.stop()
        let gone = await waitUntil(timeout: .seconds(10)) { ffmpegProcesses(writingUnder: dir).isEmpty }
        #expect(gone)
        if let guardian {
            let guardianGone = await waitUntil(timeout: .seconds(10)) { ProcessTableView.startTime(of: guardian) == nil }
            #expect(guardianGone)
        }
        #expect(guardian != nil)
        let none = await waitUntil(timeout: .seconds(5)) { processes(mentioning: state).isEmpty }
        #expect(none, "still running: \(processes(mentioning: state).map(ProcessTableView.commandLine))")
        await camera.stop()
    }

    /// A build that hangs: at the deadline the guardian stops it (SIGTERM reaches it although the
    /// agent's runtime ignored SIGTERM before the exec) and runs the previous binary again.
    @Test func hungBuildIsStoppedAtTheDeadline() async throws {
        let dir = try makeScratchDir("upgrade-hung")
        let state = dir + "/state"
        let script = dir + "/hung-build"
        try "#!/bin/sh\necho 'hung build: waiting forever' >&2\nwhile :; do sleep 1; done\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        _ = try await seed(state: state, binary: script, version: "9.9.9-hung", recorders: [])
        let agentBinary = realPath(try binary("fleet-agent"))
        var arguments = agentArguments(state: state)
        arguments[arguments.count - 1] = "5"  // --upgrade-deadline 5
        let agent = try ManagedProcess(label: "agent", executable: agentBinary, arguments: arguments, logDir: dir)
        defer {
            if let pid = (record(state)?["guardianPid"] as? NSNumber)?.int32Value { terminate(pid) }
            kill(agent.pid, SIGKILL)
            killProcesses(mentioning: dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let trial = await waitUntil(timeout: .seconds(60)) { agent.stderr.contains("hung build: waiting forever") }
        #expect(trial, "\(agent.output)")
        #expect(record(state)?["phase"] as? String == "trial")
        let stopped = await waitUntil(timeout: .seconds(30)) { !agent.isRunning }
        #expect(stopped, "\(agent.output)")
        #expect(agent.process.terminationReason == .uncaughtSignal && agent.process.terminationStatus == SIGTERM)
        #expect(record(state)?["phase"] as? String == "rolled-back")
        #expect(record(state)?["reason"] as? String == "not-healthy-in-time")
        let back = await waitUntil(timeout: .seconds(20)) { statusPorts(agent.stdout).count == 2 }
        #expect(back, "\(agent.output)")
    }

    /// The launcher: a committed build is exec'd by the installed binary (as after a reboot), and a
    /// trial found at start (it died, or the host restarted) is marked rolled back.
    @Test func launcherRunsTheCommittedBuildAndRollsBackADeadTrial() async throws {
        let dir = try makeScratchDir("upgrade-launcher")
        defer {
            killProcesses(mentioning: dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let state = dir + "/state"
        let committed = dir + "/committed-build"
        try "#!/bin/sh\necho \"committed build ran: $STATIONFLEET_AGENT_EXEC $*\"\n"
            .write(toFile: committed, atomically: true, encoding: .utf8)
        chmod(committed, 0o755)
        let agentBinary = realPath(try binary("fleet-agent"))
        let build = AgentBuild(version: "9.9.9", arch: AgentArch.current.rawValue, sha256: String(repeating: "ab", count: 32), size: 1)
        try writeRecord(state: state, phase: "committed", build: build, path: committed, previous: agentBinary)
        let ran = try await runCommand(agentBinary, agentArguments(state: state), timeout: .seconds(30))
        #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
        #expect(ran.stdout.contains("committed build ran: launcher run --coordinator"), "\(ran.stdout)\(ran.stderr)")

        // A trial record at start: rolled back, and this (the previous) binary goes on as the agent.
        try writeRecord(state: state, phase: "trial", build: build, path: committed, previous: agentBinary)
        let agent = try ManagedProcess(label: "agent", executable: agentBinary, arguments: agentArguments(state: state),
                                       logDir: dir)
        defer { kill(agent.pid, SIGKILL) }
        let marked = await waitUntil(timeout: .seconds(20)) { record(state)?["phase"] as? String == "rolled-back" }
        #expect(marked, "\(agent.output)")
        #expect(record(state)?["reason"] as? String == "exited-at-start")
        let running = await waitUntil(timeout: .seconds(20)) { statusPorts(agent.stdout).count == 1 }
        #expect(running, "\(agent.output)")
        #expect(executable(of: agent.pid) == agentBinary)
        await agent.stop()
    }

    /// Under systemd (INVOCATION_ID set) the guardian only marks the rollback and exits; the
    /// service manager's restart runs the installed binary, whose launcher keeps it.
    @Test func underSystemdTheGuardianLeavesTheRestartToTheServiceManager() async throws {
        let dir = try makeScratchDir("upgrade-systemd")
        let state = dir + "/state"
        let script = dir + "/bad-build"
        try "#!/bin/sh\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        _ = try await seed(state: state, binary: script, version: "9.9.9-bad", recorders: [])
        let agentBinary = realPath(try binary("fleet-agent"))
        let agent = try ManagedProcess(label: "agent", executable: agentBinary, arguments: agentArguments(state: state),
                                       logDir: dir, environment: ["INVOCATION_ID": "0123456789abcdef"])
        defer {
            kill(agent.pid, SIGKILL)
            killProcesses(mentioning: dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let exited = await waitUntil(timeout: .seconds(60)) { !agent.isRunning }
        #expect(exited && agent.process.terminationStatus == 3, "\(agent.output)")
        let rolledBack = await waitUntil(timeout: .seconds(20)) { record(state)?["phase"] as? String == "rolled-back" }
        #expect(rolledBack, "\(agent.output)")
        let guardian = try #require((record(state)?["guardianPid"] as? NSNumber)?.int32Value)
        let guardianExited = await waitUntil(timeout: .seconds(10)) { ProcessTableView.startTime(of: guardian) == nil }
        #expect(guardianExited)
        #expect(processes(mentioning: state).isEmpty)  // nothing came back by itself
        #expect(agent.stderr.contains("leaving the restart to the service manager"))

        // "Restart=always": the unit's ExecStart, the installed binary, runs and stays.
        let restarted = try ManagedProcess(label: "restarted", executable: agentBinary,
                                           arguments: agentArguments(state: state), logDir: dir,
                                           environment: ["INVOCATION_ID": "fedcba9876543210"])
        defer { kill(restarted.pid, SIGKILL) }
        let port = try await restarted.waitForLine(containing: "status on")
        let ok = await waitUntil(timeout: .seconds(20)) {
            await healthz(port: statusPorts(port).first ?? 0) == 200
        }
        #expect(ok, "\(restarted.output)")
        #expect(restarted.isRunning && executable(of: restarted.pid) == agentBinary)
        #expect(record(state)?["phase"] as? String == "rolled-back")
        await restarted.stop()
    }

    /// The whole way over HTTP: download from a coordinator (a stand-in until the real endpoint
    /// lands), verify, install, exec in the same pid, first acknowledged heartbeat from the new
    /// build, commit; the guardian ends and older builds and downloads are removed.
    @Test func upgradeOverHTTPCommitsAfterTheFirstAcknowledgedHeartbeat() async throws {
        let dir = try makeScratchDir("upgrade-commit")
        let state = dir + "/state"
        let agentBinary = realPath(try binary("fleet-agent"))
        let copy = dir + "/fleet-agent-copy"
        try FileManager.default.copyItem(atPath: agentBinary, toPath: copy)
        let digest = try await runCommand("/usr/bin/sha256sum", [copy])
        let sha = try #require(digest.stdout.split(separator: " ").first.map(String.init))
        let size = try #require((try FileManager.default.attributesOfItem(atPath: copy)[.size] as? NSNumber)?.int64Value)
        let build = AgentBuild(version: "9.9.9-http", arch: AgentArch.current.rawValue, sha256: sha, size: size)
        let coordinator = try await StandInCoordinator(
            assignment: Assignment(node: "upgradepi", site: "test", revision: 1, heartbeatSeconds: 1,
                                   agent: AgentTarget(version: build.version, builds: [build])),
            buildFile: copy)
        var arguments = agentArguments(state: state)
        arguments[2] = coordinator.url  // --coordinator
        arguments[arguments.count - 1] = "60"  // --upgrade-deadline
        let agent = try ManagedProcess(label: "agent", executable: agentBinary, arguments: arguments, logDir: dir)
        defer {
            kill(agent.pid, SIGKILL)
            killProcesses(mentioning: dir)
            coordinator.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let committed = await waitUntil(timeout: .seconds(120)) { record(state)?["phase"] as? String == "committed" }
        #expect(committed, "\(agent.output)")
        let installed = state + "/agent/builds/9.9.9-http-\(sha.prefix(12))/fleet-agent"
        #expect(agent.isRunning)
        #expect(executable(of: agent.pid) == installed)
        #expect(coordinator.downloads.withLock { $0 }.count == 1)

        // The new build reported itself on trial under its own version, and once committed reports
        // no pending upgrade.
        let reports = coordinator.reports.withLock { $0 }
        #expect(reports.contains { $0.agentVersion == build.version && $0.agentUpgrade?.state == .trial })
        #expect(reports.contains { $0.agentVersion != build.version && $0.arch == AgentArch.current.rawValue })
        let settled = await waitUntil(timeout: .seconds(10)) {
            guard let last = coordinator.reports.withLock({ $0.last }) else { return false }
            return last.agentVersion == build.version && last.agentUpgrade == nil
        }
        #expect(settled)
        if let guardian = (record(state)?["guardianPid"] as? NSNumber)?.int32Value {
            let ended = await waitUntil(timeout: .seconds(10)) { ProcessTableView.startTime(of: guardian) == nil }
            #expect(ended)
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: state + "/agent/downloads")) ?? []).isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: state + "/agent/builds")) == ["9.9.9-http-\(sha.prefix(12))"])

        // A restart of the installed binary (reboot, service restart) runs the committed build.
        await agent.stop()
        let again = try ManagedProcess(label: "again", executable: agentBinary, arguments: arguments, logDir: dir)
        defer { kill(again.pid, SIGKILL) }
        let execd = await waitUntil(timeout: .seconds(20)) { executable(of: again.pid) == installed }
        #expect(execd, "\(again.output)")
        await again.stop()
    }

    // MARK: Helpers

    func agentArguments(state: String) -> [String] {
        ["run", "--coordinator", "http://127.0.0.1:9", "--join-token", "sfj_unused", "--state-dir", state,
         "--name", "upgradepi", "--status-listen", "127.0.0.1:0", "--log-level", "debug", "--upgrade-deadline", "300"]
    }

    /// Writes the assignment (recorders + agent target) and the build's complete download.
    func seed(state: String, binary: String, version: String, recorders: [RecorderSpec]) async throws -> AgentBuild {
        let digest = try await runCommand("/usr/bin/sha256sum", [binary])
        let sha = try #require(digest.stdout.split(separator: " ").first.map(String.init))
        let size = try #require((try FileManager.default.attributesOfItem(atPath: binary)[.size] as? NSNumber)?.int64Value)
        let build = AgentBuild(version: version, arch: AgentArch.current.rawValue, sha256: sha, size: size)
        try FileManager.default.createDirectory(atPath: state + "/agent/downloads", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: binary, toPath: state + "/agent/downloads/\(sha).part")
        let assignment = Assignment(node: "upgradepi", site: "test", revision: 1, heartbeatSeconds: 1,
                                    recorders: recorders, agent: AgentTarget(version: version, builds: [build]))
        try WireCoding.encoder().encode(assignment).write(to: URL(fileURLWithPath: state + "/assignment.json"))
        return build
    }

    func writeRecord(state: String, phase: String, build: AgentBuild, path: String, previous: String) throws {
        try FileManager.default.createDirectory(atPath: state + "/agent", withIntermediateDirectories: true)
        let record: [String: Any] = [
            "phase": phase, "path": path, "previousPath": previous, "previousVersion": "0.1.0",
            "startedAt": ISO8601DateFormatter().string(from: Date()), "deadlineSeconds": 120,
            "build": ["version": build.version, "arch": build.arch, "sha256": build.sha256, "size": build.size],
        ]
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: state + "/agent/upgrade.json"))
    }

    func record(_ state: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: state + "/agent/upgrade.json") else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
