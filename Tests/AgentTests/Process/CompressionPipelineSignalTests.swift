@testable import FleetAgent
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A compressor that dies before reading its input must fail the backup with EPIPE, and must
/// neither kill the agent with SIGPIPE nor change the process's SIGPIPE disposition.
@Suite struct CompressionPipelineSignalTests {
    /// The raw value of the process's SIGPIPE handler (0 = SIG_DFL, 1 = SIG_IGN).
    static func sigpipeDisposition() -> Int {
        var current = sigaction()
        sigaction(SIGPIPE, nil, &current)
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
    }

    @Test func deadCompressorIsAnErrorNotASignal() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/input.img"
        try Data(repeating: 0x5a, count: 8 << 20).write(to: URL(fileURLWithPath: input))  // far beyond a pipe's buffer
        let before = Self.sigpipeDisposition()
        let outcome: String = try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    _ = try CompressionPipeline.run(input: input, compressor: ["false"], tempPath: dir + "/out.tmp", job: "t",
                                                    cancel: CancellationFlag(), progress: nil)
                    continuation.resume(returning: "succeeded")
                } catch {
                    continuation.resume(returning: "\(error)")
                }
            }.start()
        }
        #expect(outcome != "succeeded")
        #expect(outcome.contains("compressor"))
        #expect(Self.sigpipeDisposition() == before, "SIGPIPE disposition of the process must not change")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.tmp"))
    }
}
