@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// The coordinator on a real, small tmpfs that fills up: typed errors, not ready while
/// full, nothing acknowledged lost, recovery by itself. Needs root to mount tmpfs.
@Suite struct FullDiskTests {
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)").path
        guard (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard run("mount -t tmpfs -o size=1m tmpfs '\(dir)' 2>/dev/null") == 0 else { return false }
        _ = run("umount '\(dir)'")
        return true
    }()

    /// Runs a shell command with posix_spawn and waitpid (not Foundation's Process, whose
    /// wait needs a run loop that a test trait's evaluation may not have).
    @discardableResult
    static func run(_ command: String) -> Int32 {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { $0.withCString { strdup($0) } } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    @Test(.enabled(if: FullDiskTests.canMount, "needs root to mount tmpfs"))
    func aFullDiskIsReportedAndRecoversByItself() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(Self.run("mount -t tmpfs -o size=2m tmpfs '\(dir)'") == 0)
        defer {
            Self.run("umount '\(dir)' || umount -l '\(dir)'")
            try? FileManager.default.removeItem(atPath: dir)
        }
        let fleet = Fleet(store: try SQLiteFleetStore(path: dir + "/c.sqlite"), logger: Logger(label: "test"),
                          metrics: CoordinatorMetrics())
        try await fleet.load()
        _ = try await fleet.register(RegistrationRequest(name: "pi1", agentVersion: "t"))
        #expect(await fleet.readiness() == nil)

        // Fill the file system to the last byte.
        Self.run("dd if=/dev/zero of='\(dir)/filler' bs=64k 2>/dev/null; sync")
        let events = (0..<200).map { AgentEvent(id: "e\($0)", kind: "k", message: String(repeating: "x", count: 2000)) }
        let report = StatusReport(agentVersion: "t", uptimeSeconds: 1, appliedRevision: 0, events: events)
        var failure: (any Error)?
        do { _ = try await fleet.heartbeat(node: "pi1", report: report) } catch { failure = error }
        guard let storeError = failure as? StoreError, case .full = storeError else {
            Issue.record("expected StoreError.full, got \(String(describing: failure))")
            return
        }
        #expect(APIError.from(storeError).status.code == 507)
        let reason = await fleet.readiness()
        #expect(reason?.contains("disk is full") == true, "\(reason ?? "ready")")

        // Space returns: ready again without a restart, and the resent report is stored whole.
        try FileManager.default.removeItem(atPath: dir + "/filler")
        #expect(await fleet.readiness() == nil)
        _ = try await fleet.heartbeat(node: "pi1", report: report)
        let stored = try await fleet.store.recentEvents(node: "pi1", station: nil, limit: 1000)
        #expect(Set(stored.map(\.id)).isSuperset(of: events.map(\.id)))
    }
}
