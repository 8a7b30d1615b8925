@testable import FleetCoordinator
import Crypto
import FleetProtocol
import Foundation
import Testing

/// An agent build upload's request timeout counts from the last body part: a slow upload that
/// keeps moving is not cut, one that stops is.
@Suite(.serialized) struct UploadTimeoutTests {
    static let bytes = Data("0123456789ab".utf8)
    static var head: String {
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return "POST /v1/agent/builds/0.9.0/arm64?sha256=\(digest) HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Length: \(bytes.count)\r\n"
    }

    /// Runs the blocking socket dialogue on a thread of its own: the in-process server's handlers
    /// need the cooperative pool, which blocking reads in other suites' tests may be holding.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    @Test func aSlowUploadThatKeepsMovingOutlivesTheRequestTimeout() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(20), requestTimeout: .seconds(2))) { server in
            let socket = try RawSocket(port: server.port)
            let token = try server.token("admin")
            let (sent, quiet, took, response) = await Self.offThePool { () -> (Bool, Bool, Duration, RawResponse?) in
                var sent = socket.send(Self.head + "Authorization: Bearer \(token)\r\n\r\n")
                var quiet = true
                let start = ContinuousClock.now
                // The fault itself: one byte per 400 ms, 4.4 s in all, over twice the request timeout.
                for byte in Self.bytes.dropLast() {
                    sent = socket.send(Data([byte])) && sent
                    let (data, closed) = socket.readAllBlocking(timeout: .milliseconds(400))
                    quiet = quiet && data.isEmpty && !closed
                }
                let took = ContinuousClock.now - start
                sent = socket.send(Self.bytes.suffix(1)) && sent
                return (sent, quiet, took, socket.readResponseBlocking(timeout: .seconds(10)))
            }
            #expect(sent && quiet, "the upload was cut while it moved")
            #expect(took > .seconds(4))
            #expect(response?.status == 201)
            let view = try WireCoding.decode(AgentBuildView.self, from: response?.body ?? Data())
            #expect(view.build.size == 12)
        }
    }

    @Test func anUploadThatStopsIsCut() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(10), requestTimeout: .seconds(1))) { server in
            let socket = try RawSocket(port: server.port)
            let token = try server.token("admin")
            let response = await Self.offThePool { () -> RawResponse? in
                socket.send(Self.head + "Authorization: Bearer \(token)\r\n\r\n012")
                return socket.readResponseBlocking(timeout: .seconds(6))
            }
            #expect(response?.status == 408)
            #expect(envelope(response)?.error.code == ErrorCode.timeout)
        }
    }
}
