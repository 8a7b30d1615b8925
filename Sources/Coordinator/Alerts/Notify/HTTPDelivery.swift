import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One JSON POST for the HTTP notifiers (webhook, Alertmanager), with the shared failure
/// classification: 5xx, 429, connection errors and timeouts are `.retryable`; every other
/// non-2xx status is `.permanent`. Errors carry the URL with any userinfo redacted.
/// Note: AsyncHTTPClient keeps retrying a refused connection until the request's deadline, so
/// "nothing listening" surfaces as a retryable failure after `timeout`, not at once.
///
/// ```swift
/// try await HTTPDelivery.post(body, to: "http://127.0.0.1:9093/api/v2/alerts", headers: [:],
///                             client: .shared, timeout: .seconds(10))
/// ```
public enum HTTPDelivery {
    public static func post(_ body: Data, to url: String, headers: [String: String], client: HTTPClient,
                            timeout: TimeAmount) async throws(NotifyError) {
        let shown = RedactedURL(url)
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", parsed.host != nil else {
            throw .permanent("invalid URL \(shown): expected http:// or https://")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "StationFleet-Coordinator")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))

        let status: HTTPResponseStatus
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = response.status
            // Drain (bounded) so the connection can be reused; the content is not needed.
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw .retryable("POST \(shown) failed: \(Self.describe(error))")
        }
        switch status.code {
        case 200..<300:
            return
        case 429, 500..<600:
            throw .retryable("POST \(shown): HTTP \(status.code) \(status.reasonPhrase)")
        default:
            throw .permanent("POST \(shown): HTTP \(status.code) \(status.reasonPhrase)")
        }
    }

    /// A short description of a transport error (never includes request headers).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
                return "timed out"
            }
            return String(describing: error)
        }
        return String(describing: error)
    }
}
