import FleetProtocol
import Foundation
import Hummingbird

/// An error answered with the JSON error envelope `{"error": {"code", "message", "details"}}`.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [String]?
    /// Seconds for a `Retry-After` header (429, 503).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [String]? = nil,
                retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.envelopeResponse(status: status, envelope: ErrorEnvelope(code: code, message: message, details: details),
                              retryAfter: retryAfter)
    }

    static func envelopeResponse(status: HTTPResponse.Status, envelope: ErrorEnvelope, retryAfter: Int? = nil) -> Response {
        let data = (try? WireCoding.encode(envelope)) ?? Data(#"{"error":{"code":"internal","message":"unencodable error"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let unauthorized = APIError(.unauthorized, code: ErrorCode.unauthorized, message: "missing or invalid bearer token")

    static let sessionEnded = APIError(.unauthorized, code: ErrorCode.unauthorized,
                                       message: "the session expired or was signed out; sign in again")

    static let viewerMayOnlyRead = APIError(.forbidden, code: ErrorCode.forbidden,
                                            message: "this endpoint needs the admin token; a viewer may only read")

    /// Maps a store's write condition to its HTTP answer: 507 for a full disk, 503 for a
    /// read-only store or an unreachable database (retry after 5 s: it is usually back
    /// soon); the client retries later and nothing it sent was half-stored.
    static func from(_ error: StoreError) -> APIError {
        switch error {
        case .full: return APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), code: ErrorCode.storageFull, message: error.description, retryAfter: 30)
        case .readOnly:
            return APIError(.serviceUnavailable, code: ErrorCode.unavailable, message: error.description, retryAfter: 30)
        case .unreachable:
            return APIError(.serviceUnavailable, code: ErrorCode.unavailable, message: error.description, retryAfter: 5)
        case .unavailable, .corrupt, .schemaTooNew:
            return APIError(.internalServerError, code: ErrorCode.internalError, message: "internal error; see the coordinator log")
        }
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: ErrorCode.forbidden, message: message)
    }

    /// A route was registered outside the group whose middleware checks its declared access.
    static let accessNotChecked = APIError(.internalServerError, code: ErrorCode.internalError,
                                           message: "route registered without its access check")

    /// Maps a domain error to its HTTP answer.
    static func from(_ error: FleetError) -> APIError {
        switch error {
        case .notFound: return APIError(.notFound, code: ErrorCode.notFound, message: error.description)
        case .conflict(let message): return APIError(.conflict, code: ErrorCode.conflict, message: message)
        case .statusBaseUnknown(let message): return APIError(.conflict, code: ErrorCode.statusBaseUnknown, message: message)
        case .badRequest(let message): return APIError(.badRequest, code: ErrorCode.badRequest, message: message)
        case .forbidden(let message): return APIError(.forbidden, code: ErrorCode.forbidden, message: message)
        case .tooManyRequests(let message, let seconds):
            return APIError(.tooManyRequests, code: ErrorCode.rateLimited, message: message, retryAfter: seconds)
        case .deletionsNotAllowed(let message, let deleted):
            return APIError(.conflict, code: ErrorCode.deletionsNotAllowed, message: message, details: deleted)
        case .invalidInventory(let diagnostics):
            return APIError(.unprocessableContent, code: ErrorCode.invalidInventory, message: error.description,
                            details: diagnostics)
        }
    }
}
