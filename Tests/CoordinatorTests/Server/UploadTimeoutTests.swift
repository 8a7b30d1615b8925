@testable import FleetCoordinator
import Crypto
import FleetProtocol
import Foundation
import Testing

/// An agent build upload's request timeout counts from the last body part: a slow upload that
/// keeps moving is not cut, one that stops is.
@Suite(.serialized) struct UploadTimeoutTests {
    static let bytes = Data("0123456789".utf8)
    static var head: String {
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return "POST /v1/agent/builds/0.9.0/arm64?sha256=\(digest) HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Length: \(bytes.count)\r\n"
    }

    @Test func aSlowUploadThatKeepsMovingOutlivesTheRequestTimeout() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(10), requestTimeout: .seconds(1))) { server in
            let socket = try RawSocket(port: server.port)
            socket.send(Self.head + "Authorization: Bearer \(try server.token("admin"))\r\n\r\n")
            let start = ContinuousClock.now
            // The fault itself: one byte per 300 ms, 3 s in all, three times the request timeout.
            for byte in Self.bytes.dropLast() {
                #expect(socket.send(Data([byte])))
                let (data, closed) = socket.readAll(timeout: .milliseconds(300))
                #expect(data.isEmpty && !closed, "cut after \(ContinuousClock.now - start)")
            }
            #expect(ContinuousClock.now - start > .seconds(2))
            #expect(socket.send(Self.bytes.suffix(1)))
            let response = socket.readResponse(timeout: .seconds(5))
            #expect(response?.status == 201)
            let view = try WireCoding.decode(AgentBuildView.self, from: response?.body ?? Data())
            #expect(view.build.size == 10)
        }
    }

    @Test func anUploadThatStopsIsCut() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(10), requestTimeout: .seconds(1))) { server in
            let socket = try RawSocket(port: server.port)
            socket.send(Self.head + "Authorization: Bearer \(try server.token("admin"))\r\n\r\n012")
            let response = socket.readResponse(timeout: .seconds(6))
            #expect(response?.status == 408)
            #expect(envelope(response)?.error.code == ErrorCode.timeout)
        }
    }
}
