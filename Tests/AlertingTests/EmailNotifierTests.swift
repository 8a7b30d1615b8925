import FleetCoordinator
import FleetInventory
import Foundation
import Testing

@Suite("EmailNotifier against a real SMTP server", .timeLimit(.minutes(2)))
struct EmailNotifierTests {
    @Test("plain SMTP: headers, Alertmanager-style subject, every alert in the text part")
    func plainDelivery() async throws {
        let sink = try await SMTPSink.start()
        let note = Fixtures.mixedGroup()
        let notifier = EmailNotifier(config: EmailReceiverConfig(to: ["ops@example.org", "oncall@example.org"], smtp: sink.url,
                                                                 from: "StationFleet <alerts@fleet.test>"), logger: Fixtures.logger)
        do {
            try await notifier.send(note)
        } catch {
            Issue.record("send failed: \(error)\n\(sink.log)")
        }
        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        await sink.stop()

        #expect(mail.header("Subject") == "[FIRING:1] SegmentStale auklab (recordingpi critical)")
        #expect(mail.header("From") == "StationFleet <alerts@fleet.test>")
        #expect(mail.header("To") == "ops@example.org, oncall@example.org")
        #expect(mail.header("Message-ID") == "<\(note.id)@stationfleet>")
        #expect(mail.header("X-StationFleet-Idempotency-Key") == note.id)
        #expect(mail.header("Date")?.hasSuffix("+0000") == true)
        #expect(mail.envelopeFrom == "<alerts@fleet.test>")
        #expect(mail.envelopeTo == ["ops@example.org", "oncall@example.org"])
        #expect(mail.header("Content-Type")?.hasPrefix("multipart/alternative") == true)
        let text = try #require(mail.textBody)
        let firing = try #require(text.range(of: "cam1: still stale"))
        let resolved = try #require(text.range(of: "cam2: back"))
        #expect(firing.lowerBound < resolved.lowerBound, "firing alerts come first")
        #expect(text.contains("station = cam1"))
        #expect(text.contains("Ended: "))
        #expect(mail.htmlBody?.contains("cam1: still stale") == true)
    }

    @Test("the subject follows Alertmanager's __subject and strips CR/LF from label values")
    func subjectAndInjection() {
        let resolved = AlertNotification(receiver: "ops", groupKey: "{}", sequence: 1,
                                    alerts: [Alert(labels: ["alertname": "NodeOffline", "node": "pi1\r\nBcc: evil@x"],
                                                   annotations: [:], startsAt: Fixtures.start, endsAt: Fixtures.start)],
                                    groupLabels: ["node": "pi1\r\nBcc: evil@x"], externalURL: "")
        let message = EmailMessage(resolved, from: "a@b", to: ["c@d"])
        #expect(message.subject == "[RESOLVED] pi1Bcc: evil@x (NodeOffline)")
        let rendered = String(decoding: message.rendered(date: Fixtures.start), as: UTF8.self)
        #expect(!rendered.contains("\r\nBcc:"))
        #expect(EmailMessage(Fixtures.firingGroup(), from: "a@b", to: ["c@d"]).subject
            == "[FIRING:2] SegmentStale auklab (recordingpi critical)")
        #expect(EmailMessage.envelopeAddress("Ops Team <ops@example.org>") == "ops@example.org")
        #expect(EmailMessage.envelopeAddress(" ops@example.org ") == "ops@example.org")
    }

    @Test("STARTTLS + AUTH with the test CA: the message arrives; the credentials come from files")
    func starttlsAndAuth() async throws {
        let dir = try makeScratchDir("email-tls")
        let ca = try await TestCA.make(in: dir)
        let sink = try await SMTPSink.start(options: .init(starttls: ca, auth: ("alerts", "pa55-w0rd")))
        let config = EmailReceiverConfig(to: ["ops@example.org"], smtp: sink.url,
                                         usernameFile: try Fixtures.file("user", "alerts\n", in: dir),
                                         passwordFile: try Fixtures.file("pass", "pa55-w0rd\n", in: dir),
                                         requireTLS: true, caFile: ca.caCert)
        let note = Fixtures.firingGroup()
        do {
            try await EmailNotifier(config: config, logger: Fixtures.logger).send(note)
        } catch {
            Issue.record("send failed: \(error)\n\(sink.log)")
        }
        let mail = try #require(try await sink.waitForMessages(count: 1).first)
        await sink.stop()
        #expect(mail.header("Subject") == "[FIRING:2] SegmentStale auklab (recordingpi critical)")
        #expect(mail.header("X-StationFleet-Idempotency-Key") == note.id)
        #expect(mail.header("From")?.hasPrefix("stationfleet@") == true, "no `from`: stationfleet@<hostname>")
        #expect(mail.envelopeFrom?.hasPrefix("<stationfleet@") == true)
        let text = try #require(mail.textBody)
        #expect(text.contains("cam1: no segment for 95s") && text.contains("cam2: no segment for 120s"))
        #expect(text.contains(note.id))
    }

    @Test("smtps:// is TLS from the first byte, trusted through caFile; an unknown CA is permanent")
    func implicitTLS() async throws {
        let dir = try makeScratchDir("email-smtps")
        let ca = try await TestCA.make(in: dir)
        let sink = try await SMTPSink.start(options: .init(starttls: ca, implicitTLS: true))
        #expect(sink.url.hasPrefix("smtps://"))
        let note = Fixtures.firingGroup()
        let untrusted = await #expect(throws: NotifyError.self) {
            try await EmailNotifier(config: EmailReceiverConfig(to: ["ops@example.org"], smtp: sink.url),
                                    logger: Fixtures.logger).send(note)
        }
        #expect(untrusted?.isRetryable == false, "\(String(describing: untrusted))")
        do {
            try await EmailNotifier(config: EmailReceiverConfig(to: ["ops@example.org"], smtp: sink.url, caFile: ca.caCert),
                                    logger: Fixtures.logger).send(note)
        } catch {
            Issue.record("send failed: \(error)\n\(sink.log)")
        }
        let mails = try await sink.waitForMessages(count: 1)
        await sink.stop()
        #expect(mails.count == 1)
        #expect(mails.first?.header("Message-ID") == "<\(note.id)@stationfleet>")
    }

    @Test("a wrong password is permanent and the password never appears in the error")
    func wrongPassword() async throws {
        let dir = try makeScratchDir("email-auth")
        let ca = try await TestCA.make(in: dir)
        let sink = try await SMTPSink.start(options: .init(starttls: ca, auth: ("alerts", "right-one")))
        let secret = "Wr0ng-Secret-9731"
        let config = EmailReceiverConfig(to: ["ops@example.org"], smtp: sink.url,
                                         usernameFile: try Fixtures.file("user", "alerts", in: dir),
                                         passwordFile: try Fixtures.file("pass", secret, in: dir), caFile: ca.caCert)
        let error = await #expect(throws: NotifyError.self) {
            try await EmailNotifier(config: config, logger: Fixtures.logger).send(Fixtures.firingGroup())
        }
        await sink.stop()
        let thrown = try #require(error)
        #expect(!thrown.isRetryable, "\(thrown)")
        #expect(!thrown.description.contains(secret))
        #expect(sink.messages().isEmpty)
    }

    @Test("requireTLS against a server without STARTTLS fails and sends nothing")
    func requireTLSWithoutStarttls() async throws {
        let sink = try await SMTPSink.start()
        let config = EmailReceiverConfig(to: ["ops@example.org"], smtp: sink.url, requireTLS: true)
        let error = await #expect(throws: NotifyError.self) {
            try await EmailNotifier(config: config, logger: Fixtures.logger).send(Fixtures.firingGroup())
        }
        await sink.stop()
        #expect(error?.isRetryable == false)
        #expect(sink.messages().isEmpty)
    }

    @Test("nothing listening is retryable")
    func serverDown() async throws {
        let port = try freeLocalPort()
        let config = EmailReceiverConfig(to: ["ops@example.org"], smtp: "smtp://127.0.0.1:\(port)")
        let error = await #expect(throws: NotifyError.self) {
            try await EmailNotifier(config: config, logger: Fixtures.logger).send(Fixtures.firingGroup())
        }
        #expect(error?.isRetryable == true, "\(String(describing: error))")
    }

    @Test("SMTP 4xx at DATA is retryable, 5xx is permanent; a retry then delivers")
    func replyCodes() async throws {
        let temporary = try await SMTPSink.start(options: .init(failFirst: 1, rejectCode: 451))
        let notifier = EmailNotifier(config: EmailReceiverConfig(to: ["ops@example.org"], smtp: temporary.url),
                                     logger: Fixtures.logger)
        let first = await #expect(throws: NotifyError.self) { try await notifier.send(Fixtures.firingGroup()) }
        #expect(first?.isRetryable == true, "\(String(describing: first))")
        try await notifier.send(Fixtures.firingGroup())
        #expect(try await temporary.waitForMessages(count: 1).count == 1)
        await temporary.stop()

        let rejecting = try await SMTPSink.start(options: .init(failFirst: 1, rejectCode: 554))
        let error = await #expect(throws: NotifyError.self) {
            try await EmailNotifier(config: EmailReceiverConfig(to: ["ops@example.org"], smtp: rejecting.url),
                                    logger: Fixtures.logger).send(Fixtures.firingGroup())
        }
        await rejecting.stop()
        #expect(error?.isRetryable == false, "\(String(describing: error))")
    }

    @Test("an unreadable password file is permanent and named; userinfo in the URL is redacted")
    func unreadableCredentials() async throws {
        let path = "/nonexistent/stationfleet/smtp-password"
        let config = EmailReceiverConfig(to: ["ops@example.org"], smtp: "smtp://127.0.0.1:1", passwordFile: path)
        let error = await #expect(throws: NotifyError.self) {
            try await EmailNotifier(config: config, logger: Fixtures.logger).send(Fixtures.firingGroup())
        }
        #expect(error?.isRetryable == false)
        #expect(error?.description.contains(path) == true)
        #expect(RedactedURL("smtp://u:hunter2@127.0.0.1:25").description == "smtp://***@127.0.0.1:25")
    }
}
