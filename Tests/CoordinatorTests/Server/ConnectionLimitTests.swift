@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Testing

/// Item 4: idle, slow and too many connections cannot starve the server.
@Suite(.serialized) struct ConnectionLimitTests {
    @Test func idleConnectionIsClosedWithinTheIdleTimeout() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(1))) { server in
            let socket = try RawSocket(port: server.port)
            let start = ContinuousClock.now
            let (_, closed) = await socket.readAll(timeout: .seconds(6))
            #expect(closed)
            #expect(ContinuousClock.now - start < .seconds(4))
        }
    }

    @Test func slowlorisIsCut() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(1), requestTimeout: .seconds(2))) { server in
            let socket = try RawSocket(port: server.port)
            socket.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            let start = ContinuousClock.now
            var cut = false
            // The fault itself: one header byte per 300 ms, never finishing the head.
            for _ in 0..<40 {
                if !socket.send("a") { cut = true; break }
                let (_, closed) = await socket.readAll(timeout: .milliseconds(300))
                if closed { cut = true; break }
            }
            #expect(cut)
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(try await server.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
        }
    }

    @Test func slowBodyIsCutWithTheEnvelope() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(10), requestTimeout: .seconds(1))) { server in
            let token = try server.token("admin")
            let socket = try RawSocket(port: server.port)
            socket.send("POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            let response = await socket.readResponse(timeout: .seconds(6))
            #expect(response?.status == 408)
            #expect(envelope(response)?.error.code == ErrorCode.timeout)
            #expect(envelope(response)?.error.message == "request not received within the 1 s request timeout")
        }
    }

    @Test func connectionsOverTheCapAreClosedAndServiceResumes() async throws {
        try await withGuardServer(ConnectionLimits(maxConnections: 8, idleTimeout: .seconds(60))) { server in
            var held = try (0..<8).map { _ in try RawSocket(port: server.port) }
            // Each held connection is served (so it counts) before the ninth comes.
            for socket in held { socket.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
            for socket in held { #expect(await socket.readResponse(timeout: .seconds(5))?.status == 200) }
            let ninth = try RawSocket(port: server.port)
            let start = ContinuousClock.now
            ninth.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let (data, closed) = await ninth.readAll(timeout: .seconds(5))
            #expect(closed)
            #expect(data.isEmpty)
            #expect(ContinuousClock.now - start < .seconds(2))
            held.removeAll()
            var answered = false
            let deadline = ContinuousClock.now + .seconds(5)
            while !answered, ContinuousClock.now < deadline {
                answered = (try? await server.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout: .seconds(1)))??.status == 200
            }
            #expect(answered)
        }
    }

    @Test func parkedWatchOutlivesTheIdleTimeout() async throws {
        try await withGuardServer(ConnectionLimits(idleTimeout: .seconds(1))) { server in
            let join = try server.token("join")
            let body = String(decoding: try WireCoding.encode(RegistrationRequest(name: "watcher", agentVersion: "test")),
                              as: UTF8.self)
            let registered = try await server.exchange("POST /v1/register HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(join)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            #expect(registered?.status == 201)
            let credential = try WireCoding.decode(RegistrationResponse.self, from: registered?.body ?? Data())
            let start = ContinuousClock.now
            let response = try await server.exchange("GET \(APIPath.watch("watcher"))?revision=0&timeout=3 HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer \(credential.nodeToken)\r\n\r\n", timeout: .seconds(10))
            #expect(response?.status == 200)
            #expect(ContinuousClock.now - start >= .seconds(2))
        }
    }
}
