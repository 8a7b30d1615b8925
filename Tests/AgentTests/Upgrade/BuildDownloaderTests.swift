import AsyncHTTPClient
import Crypto
@testable import FleetAgent
import FleetProtocol
import Foundation
import Hummingbird
import Logging
import Synchronization
import Testing

/// Serves one agent build at the coordinator's download path, honouring `Range: bytes=N-`.
/// It stands in for the coordinator only until the coordinator's download endpoint lands
/// (developed in parallel); the agent's side of the contract is what is tested here.
final class RangeServer: Sendable {
    enum Mode: Sendable { case normal, ignoreRange, truncateAt(Int) }
    let bytes: Data
    let mode = Mutex<Mode>(.normal)
    let ranges = Mutex<[String?]>([])
    let port = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    init(bytes: Data) async throws {
        self.bytes = bytes
        let router = Router()
        router.get("/v1/nodes/:name/agent-build/:version/:arch") { [self] request, _ -> Response in
            let range = request.headers[.range]
            ranges.withLock { $0.append(range) }
            let mode = self.mode.withLock { $0 }
            var start = 0
            if case .normal = mode, let range, range.hasPrefix("bytes="), range.hasSuffix("-"),
               let from = Int(range.dropFirst(6).dropLast()) {
                start = from
            }
            if case .truncateAt(let end) = mode {
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes.prefix(end))))
            }
            guard start > 0 else { return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes))) }
            var headers = HTTPFields()
            headers[.contentRange] = "bytes \(start)-\(bytes.count - 1)/\(bytes.count)"
            return Response(status: .partialContent, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes.suffix(from: start))))
        }
        var logger = Logger(label: "range-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { [self] channel in self.port.withLock { $0 = channel.localAddress?.port } },
                              logger: logger)
        task.withLock { $0 = Task { try await app.runService() } }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while port.withLock({ $0 }) == nil, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        guard port.withLock({ $0 }) != nil else { throw TestTimeout(what: "range server to listen") }
    }

    func url(for build: AgentBuild) -> String {
        "http://127.0.0.1:\(port.withLock { $0 } ?? 0)" + Endpoints.agentBuildDownload.path("pi1", build.version, build.arch)
    }

    func stop() { task.withLock { $0?.cancel() } }
}

@Suite struct BuildDownloaderTests {
    let payload = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) })
    var build: AgentBuild {
        AgentBuild(version: "0.2.0", arch: AgentArch.current.rawValue,
                   sha256: SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined(),
                   size: Int64(payload.count))
    }

    func withServer(_ body: (RangeServer, BuildDownloader, String) async throws -> Void) async throws {
        let server = try await RangeServer(bytes: payload)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let dir = try RecorderScratch("download")
        do {
            try await body(server, BuildDownloader(http: http, attemptTimeout: .seconds(20)),
                           dir.sub("downloads/\(build.sha256).part"))
        } catch {
            server.stop(); try? await http.shutdown(); dir.remove()
            throw error
        }
        server.stop(); try? await http.shutdown(); dir.remove()
    }

    @Test func freshDownloadIsVerified() async throws {
        try await withServer { server, downloader, part in
            let last = Counter()
            try await downloader.download(url: server.url(for: build), token: "t", build: build, part: part) { done, _ in
                last.value.withLock { $0 = Int(done) }
            }
            #expect(FileManager.default.contents(atPath: part) == payload)
            #expect(server.ranges.withLock { $0 } == [nil])
            #expect(last.value.withLock { $0 } == payload.count)
        }
    }

    @Test func interruptedDownloadResumesWithRange() async throws {
        try await withServer { server, downloader, part in
            server.mode.withLock { $0 = .truncateAt(120_000) }
            await #expect(throws: BuildDownloader.Failure.self) {
                try await downloader.download(url: server.url(for: build), token: "t", build: build, part: part) { _, _ in }
            }
            #expect(BuildDownloader.size(of: part) == 120_000)  // what arrived is kept
            server.mode.withLock { $0 = .normal }
            try await downloader.download(url: server.url(for: build), token: "t", build: build, part: part) { _, _ in }
            #expect(server.ranges.withLock { $0 } == [nil, "bytes=120000-"])
            #expect(FileManager.default.contents(atPath: part) == payload)
        }
    }

    @Test func serverIgnoringRangeRestartsFromZero() async throws {
        try await withServer { server, downloader, part in
            try FileManager.default.createDirectory(atPath: (part as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(repeating: 0xEE, count: 50_000).write(to: URL(fileURLWithPath: part))  // not even the right bytes
            server.mode.withLock { $0 = .ignoreRange }
            try await downloader.download(url: server.url(for: build), token: "t", build: build, part: part) { _, _ in }
            #expect(server.ranges.withLock { $0 } == ["bytes=50000-"])
            #expect(FileManager.default.contents(atPath: part) == payload)
        }
    }

    @Test func wrongDigestIsRefusedAndRemoved() async throws {
        try await withServer { server, downloader, part in
            var wrong = build
            wrong.sha256 = String(repeating: "00", count: 32)
            do {
                try await downloader.download(url: server.url(for: wrong), token: "t", build: wrong, part: part) { _, _ in }
                Issue.record("a build with the wrong digest was accepted")
            } catch let failure as BuildDownloader.Failure {
                #expect(failure.reason == .digestMismatch)
            }
            #expect(!FileManager.default.fileExists(atPath: part))
        }
    }

    @Test func completePartNeedsNoRequest() async throws {
        try await withServer { server, downloader, part in
            try FileManager.default.createDirectory(atPath: (part as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try payload.write(to: URL(fileURLWithPath: part))
            try await downloader.download(url: server.url(for: build), token: "t", build: build, part: part) { _, _ in }
            #expect(server.ranges.withLock { $0 }.isEmpty)
        }
    }
}
