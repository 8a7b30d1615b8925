import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// tools/camera-sim.py as a real RTSP server on 127.0.0.1, pausable with SIGSTOP.
final class CameraSimulator: @unchecked Sendable {
    let process: ManagedProcess
    let port: Int

    init(dir: String, mounts: [String], passwordFile: String) async throws {
        var arguments = [packageRoot + "/tools/camera-sim.py", "--port", "0", "--user", "viewer", "--password-file", passwordFile]
        for mount in mounts { arguments += ["--mount", mount] }
        process = try ManagedProcess(label: "camera", executable: "/usr/bin/python3", arguments: arguments, logDir: dir)
        let line = try await process.waitForLine(containing: "ready")
        guard let port = line.split(separator: " ").last.flatMap({ Int($0) }) else {
            throw HarnessError.notReady("camera simulator", output: process.output)
        }
        self.port = port
    }

    func pause() { kill(process.pid, SIGSTOP) }
    func resume() { kill(process.pid, SIGCONT) }

    func stop() async {
        resume()
        await process.stop()
    }
}
