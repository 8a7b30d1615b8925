import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension NodeAgent {
    // MARK: Agent upgrades (docs/agent-upgrades.md, "Agent side")

    /// Recorders handed over by the process this one replaced by `execve` (same pid only).
    func takeHandoff() async {
        guard let upgrader else { return }
        let path = upgrader.paths.handoffPath
        guard let file = HandoffFile.load(from: path) else { return }
        unlink(path)
        guard file.pid == getpid() else {
            logger.notice("ignoring a handoff of another process", metadata: ["pid": "\(file.pid)"])
            return
        }
        logger.info("recorders handed over by the previous agent build", metadata: ["recorders": "\(file.recorders.count)"])
        await recorders?.offerHandoff(file.recorders)
    }

    /// One reconcile step of the upgrade: download/verify in the background, exec when ready.
    func upgradeStep() async {
        guard let upgrader else { return }
        let client = self.client
        let node = identity?.name ?? configuration.name, token = identity?.token
        let step = await upgrader.evaluate(target: assignment?.agent) { build, part, progress in
            // A download completed before a restart needs no coordinator.
            if BuildDownloader.size(of: part) == build.size, (try? BuildDownloader.verify(part: part, build: build)) != nil {
                return
            }
            guard let token else {
                throw BuildDownloader.Failure(reason: .downloadFailed, detail: "not registered yet")
            }
            try await client.downloadAgentBuild(node: node, token: token, build: build, part: part, progress: progress)
        }
        guard case .ready(let build, let binary) = step else { return }
        let busy = await jobs?.runningJobs() ?? []
        guard busy.isEmpty else {
            await upgrader.waiting(for: busy, build: build)
            return
        }
        await execUpgrade(build: build, binary: binary, upgrader: upgrader)
    }

    /// Hands the recorders off, writes the trial record, starts the guardian and exec's the new
    /// build. Returns only when the exec did not happen (everything is taken back).
    func execUpgrade(build: AgentBuild, binary: String, upgrader: AgentUpgrader) async {
        let paths = upgrader.paths
        let entries = await recorders?.handOff() ?? []
        await collectReports()  // events and segments into the persisted outbox before the swap
        let arguments = ProcessImage.arguments()
        var record = UpgradeRecord(phase: .trial, build: build, path: binary, previousPath: upgrader.executable,
                                   previousVersion: upgrader.runningVersion, startedAt: Date(),
                                   deadlineSeconds: upgrader.deadlineSeconds)
        var guardian: ChildProcess?
        do {
            try HandoffFile(pid: getpid(), recorders: entries).save(to: paths.handoffPath)
            try record.save(to: paths.recordPath)
            let started = try ChildProcess.spawn(
                upgrader.executable,
                ["upgrade-guard", "--state-dir", configuration.stateDir, "--pid", "\(getpid())",
                 "--deadline", "\(upgrader.deadlineSeconds)", "--"] + arguments,
                stdin: .null, stdout: .inherit, stderr: .inherit, newProcessGroup: true)
            guardian = started
            record.guardianPid = started.pid
            try record.save(to: paths.recordPath)
        } catch {
            unlink(paths.handoffPath)
            await recorders?.takeBack()
            await upgrader.refuse(build, reason: .installFailed, detail: "cannot start the upgrade: \(error)")
            if let guardian { AgentUpgrader.reapLater(guardian.pid) }
            return
        }
        logger.notice("exec'ing the new agent build", metadata: [
            "version": "\(build.version)", "path": "\(binary)", "recorders": "\(entries.count)",
            "guardian": "\(guardian?.pid ?? 0)"])
        let code = ProcessImage.exec(path: binary, arguments: arguments,
                                     environment: [ProcessImage.execVariable: "trial"],
                                     keeping: Set(entries.map(\.stderrFD)))
        // Still here: execve failed. Take everything back; the guardian sees the record settle.
        let reason = String(cString: strerror(code))
        unlink(paths.handoffPath)
        await recorders?.takeBack()
        await upgrader.execFailed(build, binary: binary, detail: "execve \(binary) failed: \(reason) (errno \(code))")
        if let guardian { AgentUpgrader.reapLater(guardian.pid) }
        logger.error("agent upgrade rolled back: exec failed", metadata: ["error": "\(reason)"])
    }
}
