import FleetProtocol
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension AgentUpgradeTests {
    /// execve refuses the build (not an executable format): the agent takes everything back in
    /// its own process and records the build as rolled back with the errno. A real agent process:
    /// an exec attempt resets signal dispositions and descriptor flags process-wide, which must
    /// never happen inside the test runner.
    @Test func buildTheKernelCannotRunIsRolledBackInProcess() async throws {
        let dir = try makeScratchDir("upgrade-noexec")
        let state = dir + "/state"
        let payload = dir + "/not-a-program"
        try "neither ELF nor a script\n".write(toFile: payload, atomically: true, encoding: .utf8)
        _ = try await seed(state: state, binary: payload, version: "9.9.9-noexec", recorders: [])
        let agentBinary = realPath(try binary("fleet-agent"))
        let agent = try ManagedProcess(label: "agent", executable: agentBinary, arguments: agentArguments(state: state),
                                       logDir: dir)
        defer {
            kill(agent.pid, SIGKILL)
            killProcesses(mentioning: dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let rolledBack = await waitUntil(timeout: .seconds(60)) { record(state)?["phase"] as? String == "rolled-back" }
        #expect(rolledBack, "\(agent.output)")
        #expect(record(state)?["reason"] as? String == "exited-at-start")
        #expect((record(state)?["detail"] as? String)?.contains("errno \(ENOEXEC)") == true, "\(record(state) ?? [:])")
        // The same process goes on with the same binary; nothing is left handed off.
        let settled = await waitUntil(timeout: .seconds(10)) {
            !FileManager.default.fileExists(atPath: state + "/agent/handoff.json")
        }
        #expect(settled)
        #expect(agent.isRunning, "\(agent.output)")
        #expect(executable(of: agent.pid) == agentBinary)
    }
}
