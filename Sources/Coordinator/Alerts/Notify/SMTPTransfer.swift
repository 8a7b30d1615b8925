import CCurl
import Foundation

/// One SMTP submission through libcurl, run on a dedicated thread (libcurl blocks; the Swift
/// cooperative pool must not). Maps libcurl's result and the last SMTP reply code to
/// `NotifyError`: connection failures, timeouts and 4xx replies are `.retryable`; refused
/// logins, 5xx replies, missing STARTTLS and certificate failures are `.permanent`.
///
/// ```swift
/// let transfer = SMTPTransfer(url: "smtp://127.0.0.1:2525", from: "sf@pi", recipients: ["ops@example.org"],
///                             message: data, tls: .opportunistic)
/// try await transfer.run()
/// ```
public struct SMTPTransfer: Sendable {
    /// How TLS is used on `smtp://` (an `smtps://` URL is always implicit TLS).
    public enum TLSPolicy: Sendable {
        /// STARTTLS when the server offers it (`CURLUSESSL_TRY`).
        case opportunistic
        /// Fail unless the server offers STARTTLS (`CURLUSESSL_ALL`).
        case required
    }

    public var url: String
    public var from: String
    public var recipients: [String]
    public var message: Data
    public var tls: TLSPolicy
    public var caFile: String?
    public var username: String?
    public var password: String?
    public var connectTimeoutSeconds = 10
    public var totalTimeoutSeconds = 30

    public init(url: String, from: String, recipients: [String], message: Data, tls: TLSPolicy,
                caFile: String? = nil, username: String? = nil, password: String? = nil) {
        self.url = url
        self.from = from
        self.recipients = recipients
        self.message = message
        self.tls = tls
        self.caFile = caFile
        self.username = username
        self.password = password
    }

    private static let globalInit: CURLcode = ccurl_global_init_default()

    /// Runs the transfer on a new thread of its own (alert mail is rare; a thread per send keeps
    /// libcurl's blocking calls away from the cooperative pool) and resumes when it ends.
    public func run() async throws(NotifyError) {
        let transfer = self
        let outcome: Result<Void, NotifyError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: transfer.perform())
            }
            thread.name = "stationfleet-smtp"
            thread.start()
        }
        try outcome.get()
    }

    /// The blocking transfer. Call only off the cooperative pool.
    func perform() -> Result<Void, NotifyError> {
        let shown = RedactedURL(url)
        guard Self.globalInit == CURLE_OK else { return .failure(.retryable("libcurl initialisation failed")) }
        guard let handle = curl_easy_init() else { return .failure(.retryable("libcurl: cannot create a handle")) }
        var recipientList: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients { recipientList = curl_slist_append(recipientList, "<\(recipient)>") }
        let sourcePointer = Unmanaged.passRetained(UploadSource(message)).toOpaque()
        defer {
            // The handle first: it may still refer to the list and the source while closing.
            curl_easy_cleanup(handle)
            curl_slist_free_all(recipientList)
            Unmanaged<UploadSource>.fromOpaque(sourcePointer).release()
        }

        let useSSL = tls == .required ? CURLUSESSL_ALL : CURLUSESSL_TRY
        var setupFailures = [
            ccurl_setopt_string(handle, CURLOPT_URL, url),
            ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>"),
            ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipientList),
            ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1),
            ccurl_setopt_read_function(handle, uploadRead),
            ccurl_setopt_pointer(handle, CURLOPT_READDATA, sourcePointer),
            ccurl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count)),
            ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(useSSL.rawValue)),
            ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeoutSeconds),
            ccurl_setopt_long(handle, CURLOPT_TIMEOUT, totalTimeoutSeconds),
        ]
        if let caFile { setupFailures.append(ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
        if let username { setupFailures.append(ccurl_setopt_string(handle, CURLOPT_USERNAME, username)) }
        if let password { setupFailures.append(ccurl_setopt_string(handle, CURLOPT_PASSWORD, password)) }
        if let failed = setupFailures.first(where: { $0 != CURLE_OK }) {
            return .failure(.permanent("SMTP \(shown): libcurl rejected an option: \(Self.text(failed))"))
        }

        let result = curl_easy_perform(handle)
        guard result != CURLE_OK else { return .success(()) }
        var reply = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        return .failure(Self.classify(result, reply: reply, url: shown))
    }

    static func classify(_ code: CURLcode, reply: Int, url: RedactedURL) -> NotifyError {
        let detail = "SMTP \(url): \(text(code))" + (reply > 0 ? " (server reply \(reply))" : "")
        switch code {
        case CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
             CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_AUTH_ERROR:
            return .permanent(detail)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING,
             CURLE_SSL_CONNECT_ERROR:
            return .retryable(detail)
        default:
            switch reply {
            case 400..<500: return .retryable(detail)
            case 500..<600: return .permanent(detail)
            default: return .retryable(detail)
            }
        }
    }

    static func text(_ code: CURLcode) -> String {
        curl_easy_strerror(code).map { String(cString: $0) } ?? "libcurl error \(code.rawValue)"
    }
}

/// The message bytes libcurl reads through `CURLOPT_READFUNCTION`.
private final class UploadSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ data: Data) { bytes = Array(data) }
}

private let uploadRead: curl_read_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let source = Unmanaged<UploadSource>.fromOpaque(userdata).takeUnretainedValue()
    let length = min(size * count, source.bytes.count - source.offset)
    guard length > 0 else { return 0 }
    source.bytes.withUnsafeBufferPointer { all in
        guard let base = all.baseAddress else { return }
        UnsafeMutableRawPointer(buffer).copyMemory(from: base + source.offset, byteCount: length)
    }
    source.offset += length
    return length
}
