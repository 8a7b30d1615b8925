import AsyncHTTPClient
import Crypto
import FleetCoordinator
import FleetInventory
import Foundation
import Testing

@Suite("WebhookNotifier against a real HTTP server", .timeLimit(.minutes(2)))
struct WebhookNotifierTests {
    func notifier(_ sink: WebhookSink, secretFile: String? = nil, maxAlerts: Int = 0) -> WebhookNotifier {
        WebhookNotifier(config: WebhookReceiverConfig(url: sink.url("/hook"), secretFile: secretFile, maxAlerts: maxAlerts),
                        httpClient: .shared, logger: Fixtures.logger)
    }

    func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("the payload is Alertmanager's webhook message version 4, field by field")
    func payloadFields() async throws {
        let sink = try await WebhookSink.start()
        let note = Fixtures.mixedGroup()
        try await notifier(sink).send(note)
        let request = try #require(try await sink.waitForRequests(count: 1).first)
        try await sink.stop()

        #expect(request.method == "POST" && request.path == "/hook")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("Idempotency-Key") == note.id)
        #expect(request.header("X-StationFleet-Signature") == nil)
        let body = try json(request.body)
        #expect(Set(body.keys) == ["version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
                                   "commonLabels", "commonAnnotations", "externalURL", "alerts"])
        #expect(body["version"] as? String == "4")
        #expect(body["groupKey"] as? String == note.groupKey)
        #expect(body["truncatedAlerts"] as? Int == 0)
        #expect(body["status"] as? String == "firing")
        #expect(body["receiver"] as? String == "ops")
        #expect(body["groupLabels"] as? [String: String] == ["alertname": "SegmentStale", "site": "auklab"])
        #expect(body["commonLabels"] as? [String: String]
            == ["alertname": "SegmentStale", "site": "auklab", "node": "recordingpi", "severity": "critical"])
        #expect(body["commonAnnotations"] as? [String: String] == ["description": "no new segment"])
        #expect(body["externalURL"] as? String == "https://coordinator.test:8443")
        let alerts = try #require(body["alerts"] as? [[String: Any]])
        #expect(alerts.count == 2)
        for alert in alerts {
            #expect(Set(alert.keys) == ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"])
            #expect(alert["generatorURL"] as? String == "https://coordinator.test:8443/alerts")
            let labels = try #require(alert["labels"] as? [String: String])
            #expect(alert["fingerprint"] as? String == Alert.fingerprint(of: labels))
            let startsAt = try #require(alert["startsAt"] as? String)
            #expect(try Date(startsAt, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) == Fixtures.start)
        }
        let firing = alerts[0], resolved = alerts[1]
        #expect(firing["status"] as? String == "firing")
        #expect(firing["endsAt"] as? String == "0001-01-01T00:00:00Z")
        #expect((firing["annotations"] as? [String: String])?["summary"] == "cam1: still stale")
        #expect(resolved["status"] as? String == "resolved")
        #expect((resolved["endsAt"] as? String)?.hasPrefix("2026-") == true)
        #expect(resolved["endsAt"] as? String != "0001-01-01T00:00:00Z")
    }

    @Test("the signature header is HMAC-SHA256 of the exact body with the secret file's content")
    func signature() async throws {
        let dir = try makeScratchDir("webhook-secret")
        let secretFile = try Fixtures.file("hook.key", "k3y-material-42\n", in: dir)
        let sink = try await WebhookSink.start()
        try await notifier(sink, secretFile: secretFile).send(Fixtures.firingGroup())
        let request = try #require(try await sink.waitForRequests(count: 1).first)
        try await sink.stop()
        let header = try #require(request.header("X-StationFleet-Signature"))
        let expected = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data("k3y-material-42".utf8)))
        #expect(header == "sha256=" + expected.map { String(format: "%02x", $0) }.joined())
        let wrongKey = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data("other".utf8)))
        #expect(header != "sha256=" + wrongKey.map { String(format: "%02x", $0) }.joined())
    }

    @Test("5xx and 429 are retryable, other 4xx permanent; the same idempotency key on every retry")
    func statusClassification() async throws {
        let sink = try await WebhookSink.start(statuses: [500, 429, 200, 400])
        let send = notifier(sink)
        let note = Fixtures.firingGroup()
        let first = await #expect(throws: NotifyError.self) { try await send.send(note) }
        #expect(first?.isRetryable == true)
        let second = await #expect(throws: NotifyError.self) { try await send.send(note) }
        #expect(second?.isRetryable == true)
        try await send.send(note)
        let fourth = await #expect(throws: NotifyError.self) { try await send.send(note) }
        #expect(fourth?.isRetryable == false, "\(String(describing: fourth))")
        #expect(fourth?.description.contains("400") == true)
        let requests = try await sink.waitForRequests(count: 4)
        try await sink.stop()
        #expect(requests.map(\.answeredStatus) == [500, 429, 200, 400])
        #expect(Set(requests.compactMap { $0.header("Idempotency-Key") }) == [note.id])
        #expect(Set(requests.map(\.body)).count == 1, "a retry sends the same body")
    }

    @Test("maxAlerts truncates and counts the rest in truncatedAlerts")
    func truncation() async throws {
        let sink = try await WebhookSink.start()
        try await notifier(sink, maxAlerts: 1).send(Fixtures.mixedGroup())
        let request = try #require(try await sink.waitForRequests(count: 1).first)
        try await sink.stop()
        let body = try json(request.body)
        #expect(body["truncatedAlerts"] as? Int == 1)
        let alerts = try #require(body["alerts"] as? [[String: Any]])
        #expect(alerts.count == 1)
        #expect(alerts.first?["status"] as? String == "firing")
    }

    @Test("connection refused is retryable; an unreadable secret file is permanent; userinfo is redacted")
    func transportAndSecrets() async throws {
        let port = try freeLocalPort()
        let down = WebhookNotifier(config: WebhookReceiverConfig(url: "http://bot:t0ps3cret@127.0.0.1:\(port)/hook"),
                                   httpClient: .shared, logger: Fixtures.logger)
        let refused = await #expect(throws: NotifyError.self) { try await down.send(Fixtures.firingGroup()) }
        #expect(refused?.isRetryable == true)
        #expect(refused?.description.contains("t0ps3cret") == false)
        #expect(refused?.description.contains("***@127.0.0.1") == true, "\(String(describing: refused))")

        let path = "/nonexistent/stationfleet/hook.key"
        let unreadable = WebhookNotifier(config: WebhookReceiverConfig(url: "http://127.0.0.1:\(port)/", secretFile: path),
                                         httpClient: .shared, logger: Fixtures.logger)
        let missing = await #expect(throws: NotifyError.self) { try await unreadable.send(Fixtures.firingGroup()) }
        #expect(missing?.isRetryable == false)
        #expect(missing?.description.contains(path) == true)
    }

    @Test("the factory builds the notifier matching the receiver's channel")
    func factory() {
        let logger = Fixtures.logger
        let email = NotifierFactory.make(for: AlertReceiver(name: "m", channel: .email(.init(to: ["a@b"], smtp: "smtp://x:25"))),
                                         httpClient: .shared, logger: logger)
        let hook = NotifierFactory.make(for: AlertReceiver(name: "h", channel: .webhook(.init(url: "http://x/"))),
                                        httpClient: .shared, logger: logger)
        let manager = NotifierFactory.make(for: AlertReceiver(name: "a", channel: .alertmanager(.init(url: "http://x/"))),
                                           httpClient: .shared, logger: logger)
        #expect(email is EmailNotifier && hook is WebhookNotifier && manager is AlertmanagerNotifier)
        #expect((manager as? AlertmanagerNotifier)?.endpoint == "http://x/api/v2/alerts")
    }
}
