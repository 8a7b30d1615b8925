@testable import FleetAgent
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// sd_notify over a real unix datagram socket, as systemd provides it.
@Suite struct SystemdNotifierTests {
    @Test func sendsReadyAndWatchdogToNotifySocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        notifier.notify("READY=1")
        notifier.notify("WATCHDOG=1")
        var buffer = [UInt8](repeating: 0, count: 64)
        let first = recv(fd, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer.prefix(max(0, first)), as: UTF8.self) == "READY=1")
        let second = recv(fd, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer.prefix(max(0, second)), as: UTF8.self) == "WATCHDOG=1")

        // Without NOTIFY_SOCKET it does nothing (and does not crash).
        SystemdNotifier(environment: [:]).notify("READY=1")
    }
}
