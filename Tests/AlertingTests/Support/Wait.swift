import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
/// The only way these tests wait: on a condition with a deadline, never a bare sleep.
@discardableResult
func waitUntil(timeout: Duration, poll: Duration = .milliseconds(50),
               _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: poll)
    }
    return try await condition()
}

/// A fresh scratch folder under the system temp dir.
func makeScratchDir(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("stationfleet-\(label)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The package root, from this file's path (Tests/AlertingTests/Support/Wait.swift).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read it, close).
/// Also used for "nothing listens here" tests.
func freeLocalPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw PeerError.failed("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw PeerError.failed("bind/getsockname on 127.0.0.1 failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
