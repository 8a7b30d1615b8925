import FleetProtocol
import Foundation
import Testing

/// Two real coordinators on ONE PostgreSQL database (FLEET_TEST_POSTGRES_URL; scripts/test.sh
/// starts a throwaway cluster): the leader queues a notification it cannot send (no SMTP server
/// yet), is SIGKILLed, and the other instance, which was running all along, takes over alerting
/// within 15 s and sends that notification exactly once, with the same idempotency key.
@Suite("Alerting scenario: leader SIGKILL on PostgreSQL, the other coordinator sends the pending notification once",
       .serialized, .timeLimit(.minutes(2)),
       .enabled(if: ScenarioPostgres.enabled, "FLEET_TEST_POSTGRES_URL is not set: PostgreSQL scenario skipped"))
struct PostgresLeaderFailoverScenarioTests {
    @Test("10. pending notification on the leader, SIGKILL, SMTP up: the follower sends it exactly once")
    func followerTakesOverThePendingNotification() async throws {
        let server = try ScenarioPostgres()
        try await withTeardown { teardown in
            let dataDir = try makeScratchDir("pg-failover")
            teardown.add { try? FileManager.default.removeItem(atPath: dataDir) }
            let database = try await server.createDatabase()
            teardown.add { try? await server.dropDatabase(database) }
            let passwordFile = dataDir + "/pg-password"
            try (server.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
            let smtpPort = try freeLocalPort()   // no server yet: every attempt fails
            let arguments = ["--database", server.url(database: database), "--database-password-file", passwordFile,
                             "--notify-initial-backoff", "300ms", "--notify-max-backoff", "1s",
                             "--lease-ttl", "5s", "--lease-renew", "1s"]
            // a starts first and leads; b shares the database (and the data dir's token files).
            let a = try await CoordinatorProcess.start(dataDir: dataDir, arguments: arguments)
            teardown.add { await a.stop() }
            let b = try await CoordinatorProcess.start(dataDir: dataDir, arguments: arguments)
            teardown.add { await b.stop() }
            let admin = try a.adminToken()
            let leaders: [CoordinatorView] = try await b.call(.GET, Endpoints.coordinators.template, token: admin)
            #expect(leaders.filter(\.leader).map(\.url) == [a.baseURL], "a leads")

            // groupInterval 1h: no further notification of this group is due during the test, so
            // a second mail would be a duplicate of the pending one.
            let inventory = ScenarioInventory.fleet(stations: ["pi1": ["ROST1"]], alerts: """
            alerts:
              thresholds: {segmentStaleAfter: 1s}
              receivers:
            \(ScenarioInventory.email("ops-email", port: smtpPort))
              route:
                receiver: ops-email
                groupBy: [site, alertname]
                groupWait: 0s
                groupInterval: 1h
                repeatInterval: 4h

            """)
            let applied: ApplyResult = try await a.call(
                .POST, APIPath.apply, token: admin, body: ApplyRequest(files: [.init(path: "fleet.yaml", content: inventory)]))
            let registration: RegistrationResponse = try await a.call(
                .POST, APIPath.register, token: try a.joinToken(), body: RegistrationRequest(name: "pi1", agentVersion: "test"))
            let report = StatusReport(agentVersion: "test", uptimeSeconds: 60, appliedRevision: applied.revision,
                                      stations: [AlertingHarness.stale("ROST1")])
            let _: StatusAck = try await a.call(.POST, APIPath.heartbeat("pi1"), token: registration.nodeToken, body: report)

            var pending: NotificationView?
            let failing = await waitUntil(timeout: .seconds(20), poll: .milliseconds(100)) {
                let views: [NotificationView]? = try? await a.call(.GET, "/v1/notifications?limit=50", token: admin)
                pending = views?.first { $0.receiver == "ops-email" && $0.state == .pending && $0.attempts >= 1 }
                return pending != nil
            }
            #expect(failing, "a pending notification with failed attempts; leader log:\n\(a.log)")
            let id = try #require(pending?.id)

            await a.kill()
            let killed = ContinuousClock.now
            let smtp = try await SMTPSink.start(port: smtpPort)
            teardown.add { await smtp.stop() }

            let mails = try await smtp.waitForMessages(count: 1, timeout: .seconds(30))
            #expect(ContinuousClock.now - killed < .seconds(15), "the follower took over alerting within 15 s")
            #expect(mails.first?.header("X-StationFleet-Idempotency-Key") == id)
            let sent = await waitUntil(timeout: .seconds(5), poll: .milliseconds(100)) {
                let views: [NotificationView]? = try? await b.call(.GET, "/v1/notifications?limit=50", token: admin)
                return views?.first { $0.id == id }?.state == .sent
            }
            #expect(sent, "follower log:\n\(b.log)")
            let now: [CoordinatorView] = try await b.call(.GET, Endpoints.coordinators.template, token: admin)
            #expect(now.filter(\.leader).map(\.url) == [b.baseURL], "b leads")
            // Bounded look (3 s: several evaluations and outbox passes) that it was sent once.
            await waitUntil(timeout: .seconds(3)) { smtp.messages().count > 1 }
            #expect(smtp.messages().count == 1, "\(smtp.messages().map { $0.header("Subject") ?? "" })")
        }
    }
}

/// The PostgreSQL server of the test run for real-process scenarios: a database per test,
/// created and dropped with psql on the maintenance database.
struct ScenarioPostgres {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["FLEET_TEST_POSTGRES_URL"] != nil || environment["FLEET_REQUIRE_POSTGRES"] == "1"

    let components: URLComponents
    let password: String

    init() throws {
        guard let text = Self.environment["FLEET_TEST_POSTGRES_URL"], let components = URLComponents(string: text) else {
            throw PeerError.missing("FLEET_REQUIRE_POSTGRES=1 but FLEET_TEST_POSTGRES_URL is not set")
        }
        self.components = components
        password = components.password?.removingPercentEncoding ?? ""
    }

    /// The URL for `--database`: no password in it.
    func url(database: String) -> String {
        var stripped = components
        stripped.password = nil
        stripped.path = "/" + database
        return stripped.string ?? ""
    }

    func createDatabase() async throws -> String {
        let name = "sc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await psql("CREATE DATABASE \(name)")
        return name
    }

    func dropDatabase(_ name: String) async throws { try await psql("DROP DATABASE \(name) WITH (FORCE)") }

    private func psql(_ sql: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = ["-q", "-v", "ON_ERROR_STOP=1", "-d", url(database: "postgres"), "-c", sql]
        process.environment = Self.environment.merging(["PGPASSWORD": password]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        guard status == 0 else { throw PeerError.failed("psql \(sql): exit \(status)") }
    }
}
