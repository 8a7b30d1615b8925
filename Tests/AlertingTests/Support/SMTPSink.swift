import Foundation

/// A real SMTP server (scripts/peers/smtp-sink.py on python3-aiosmtpd) on 127.0.0.1 and a
/// free port. Each accepted message lands in `maildir` as its own file; `messages()` reads them.
///
/// ```swift
/// let sink = try await SMTPSink.start(options: .init(starttls: ca, auth: ("alerts", "s3cret")))
/// defer { sink.stop() }
/// // … send to sink.url ("smtp://127.0.0.1:PORT") …
/// let mails = try await sink.waitForMessages(count: 1)
/// mails[0].header("Subject"); mails[0].textBody
/// ```
final class SMTPSink: Sendable {
    struct Options: Sendable {
        /// Offer STARTTLS with this CA's server certificate, and require it before MAIL.
        var starttls: TestCA?
        /// With `starttls`: TLS from the first byte (`smtps://`) instead of STARTTLS.
        var implicitTLS = false
        /// Require AUTH LOGIN/PLAIN with these credentials (over TLS when `starttls` is set).
        var auth: (user: String, password: String)?
        /// Reject the first N messages at DATA with `rejectCode`.
        var failFirst = 0
        var rejectCode = 451

        init(starttls: TestCA? = nil, implicitTLS: Bool = false, auth: (user: String, password: String)? = nil,
             failFirst: Int = 0, rejectCode: Int = 451) {
            self.starttls = starttls
            self.implicitTLS = implicitTLS
            self.auth = auth
            self.failFirst = failFirst
            self.rejectCode = rejectCode
        }
    }

    static let script = packageRoot + "/scripts/peers/smtp-sink.py"
    /// Debian's interpreter (the one with python3-aiosmtpd), not whatever is first on PATH.
    static let python = "/usr/bin/python3"

    let port: Int
    let maildir: String
    let directory: String
    private let process: PeerProcess

    /// `smtp://127.0.0.1:PORT`, or `smtps://…` when started with `implicitTLS`.
    let url: String

    private init(port: Int, implicitTLS: Bool, maildir: String, directory: String, process: PeerProcess) {
        self.port = port
        self.url = (implicitTLS ? "smtps" : "smtp") + "://127.0.0.1:\(port)"
        self.maildir = maildir
        self.directory = directory
        self.process = process
    }

    /// `port`: 0 picks a free one; a fixed port serves a client that was configured (and
    /// failing) before the sink existed.
    static func start(options: Options = Options(), directory: String? = nil, port fixedPort: Int = 0,
                      timeout: Duration = .seconds(20)) async throws -> SMTPSink {
        let dir = try directory ?? makeScratchDir("smtp-sink")
        let maildir = dir + "/maildir"
        let portFile = dir + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        var arguments = [script, "--port", String(fixedPort), "--port-file", portFile, "--maildir", maildir]
        if let ca = options.starttls { arguments += ["--starttls-cert", ca.serverCert, "--starttls-key", ca.serverKey] }
        let implicitTLS = options.implicitTLS && options.starttls != nil
        if implicitTLS { arguments.append("--implicit-tls") }
        if let auth = options.auth { arguments += ["--auth-user", auth.user, "--auth-pass", auth.password] }
        if options.failFirst > 0 {
            arguments += ["--fail-first", String(options.failFirst), "--reject-code", String(options.rejectCode)]
        }
        let process = try PeerProcess(executable: python, arguments: arguments, logFile: dir + "/smtp-sink.log")
        var port: Int?
        await waitUntil(timeout: timeout) {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return port != nil || !process.isRunning
        }
        guard let port else {
            await process.stop()
            throw PeerError.notReady("smtp-sink (is python3-aiosmtpd installed? run scripts/setup.sh)",
                                     output: process.output)
        }
        return SMTPSink(port: port, implicitTLS: implicitTLS, maildir: maildir, directory: dir, process: process)
    }

    /// Messages received so far, oldest first.
    func messages() -> [ReceivedMail] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? [])
            .filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: maildir + "/" + name).map { ReceivedMail(raw: $0, file: name) }
        }
    }

    /// Waits until at least `count` messages arrived; throws with the server log otherwise.
    func waitForMessages(count: Int, timeout: Duration = .seconds(15)) async throws -> [ReceivedMail] {
        let arrived = await waitUntil(timeout: timeout) { self.messages().count >= count }
        guard arrived else { throw PeerError.notReady("\(count) message(s) in smtp-sink", output: process.output) }
        return messages()
    }

    var log: String { process.output }

    func stop() async { await process.stop() }
}
