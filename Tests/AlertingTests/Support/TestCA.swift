import Foundation

/// A private CA and a server certificate for 127.0.0.1 and localhost, made with the real
/// openssl (as in IntegrationTests' TestCA). Pass `caCert` as a client's CA file and
/// `serverCert`/`serverKey` to a peer.
///
/// ```swift
/// let ca = try await TestCA.make(in: dir)
/// let sink = try await SMTPSink.start(options: .init(starttls: ca))
/// ```
struct TestCA: Sendable {
    let caCert: String
    let serverCert: String
    let serverKey: String

    static func make(in dir: String) async throws -> TestCA {
        let ca = TestCA(caCert: dir + "/ca.pem", serverCert: dir + "/server.pem", serverKey: dir + "/server.key")
        let ext = dir + "/san.ext"
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/ca.key", "-out", ca.caCert,
             "-days", "2", "-subj", "/CN=StationFleet Alerting Test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", ca.serverKey, "-out", dir + "/server.csr",
             "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", dir + "/server.csr", "-CA", ca.caCert, "-CAkey", dir + "/ca.key", "-CAcreateserial",
             "-out", ca.serverCert, "-days", "2", "-extfile", ext],
        ]
        for step in steps {
            let outcome = try await PeerProcess.run("/usr/bin/openssl", step, in: dir)
            guard outcome.status == 0 else { throw PeerError.failed("openssl \(step[0]) failed: \(outcome.output)") }
        }
        return ca
    }
}
