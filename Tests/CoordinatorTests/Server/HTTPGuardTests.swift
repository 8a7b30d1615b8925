@testable import FleetCoordinator
import FleetProtocol
import Foundation
import Logging
import Testing

/// The real coordinator in-process on 127.0.0.1:0, for raw-socket tests of the HTTP stack.
final class GuardTestServer: Sendable {
    let port: Int
    let dir: String
    private let task: Task<Void, Never>

    private init(port: Int, dir: String, task: Task<Void, Never>) {
        self.port = port
        self.dir = dir
        self.task = task
    }

    static func start(_ limits: ConnectionLimits = ConnectionLimits()) async throws -> GuardTestServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString.prefix(8))").path
        var logger = Logger(label: "guard-test")
        logger.logLevel = .error
        let server = CoordinatorServer(configuration: .init(listen: ListenAddress(host: "127.0.0.1", port: 0), dataDir: dir,
                                                            limits: limits), logger: logger)
        let (addresses, continuation) = AsyncStream<String>.makeStream()
        let task = Task {
            do { try await server.run { continuation.yield($0) } } catch {}
            continuation.finish()
        }
        guard let url = await addresses.first(where: { _ in true }), let port = URL(string: url)?.port else {
            task.cancel()
            throw RawSocket.Failure.socket
        }
        return GuardTestServer(port: port, dir: dir, task: task)
    }

    func token(_ name: String) throws -> String {
        try String(contentsOfFile: dir + "/\(name).token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() async {
        task.cancel()
        await task.value
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// One complete request on a fresh connection.
    func exchange(_ request: String, timeout: Duration = .seconds(10)) async throws -> RawResponse? {
        let socket = try RawSocket(port: port)
        socket.send(request)
        return await socket.readResponse(timeout: timeout)
    }
}

/// Runs `body` against a fresh server and always stops it.
func withGuardServer(_ limits: ConnectionLimits = ConnectionLimits(),
                     _ body: (GuardTestServer) async throws -> Void) async throws {
    let server = try await GuardTestServer.start(limits)
    do { try await body(server) } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

func envelope(_ response: RawResponse?) -> ErrorEnvelope? {
    response.flatMap { try? WireCoding.decode(ErrorEnvelope.self, from: $0.body) }
}

/// Item 5: every error the HTTP stack raises carries the JSON envelope with the limit.
@Suite(.serialized) struct ErrorEnvelopeOnTheWireTests {
    @Test func bodyOverTheLimitByContentLength() async throws {
        try await withGuardServer { server in
            let token = try server.token("admin")
            let response = try await server.exchange("POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(5 * 1024 * 1024)\r\n\r\n{")
            #expect(response?.status == 413)
            #expect(envelope(response)?.error.code == ErrorCode.payloadTooLarge)
            #expect(envelope(response)?.error.message == "request body is over the 4 MiB limit")
            // The server still answers afterwards.
            #expect(try await server.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
        }
    }

    @Test func chunkedBodyOverTheLimit() async throws {
        try await withGuardServer { server in
            let token = try server.token("admin")
            let socket = try RawSocket(port: server.port)
            socket.send("POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = String(repeating: " ", count: 64 * 1024)
            for _ in 0..<(5 * 16) where socket.send(String(64 * 1024, radix: 16) + "\r\n" + chunk + "\r\n") {}
            socket.send("0\r\n\r\n")
            let response = await socket.readResponse(timeout: .seconds(10))
            #expect(response?.status == 413)
            #expect(envelope(response)?.error.message == "request body is over the 4 MiB limit")
        }
    }

    @Test func headersOverTheLimit() async throws {
        try await withGuardServer { server in
            let response = try await server.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                + String(repeating: "a", count: 64 * 1024) + "\r\n\r\n")
            #expect(response?.status == 400)
            #expect(envelope(response)?.error.code == ErrorCode.badRequest)
            #expect(envelope(response)?.error.message == "request headers are over the 32 KiB limit")
        }
    }

    @Test func garbageRequestLine() async throws {
        try await withGuardServer { server in
            let response = try await server.exchange("HELLO\u{1} WORLD\r\n\r\n")
            #expect(response?.status == 400)
            #expect(envelope(response)?.error.message.hasPrefix("malformed HTTP request") == true)
            #expect(try await server.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
        }
    }
}
