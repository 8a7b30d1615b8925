import FleetProtocol
import Foundation
import Hummingbird

/// An error answered with the JSON error envelope `{"error": {"code", "message", "details"}}`.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [String]?

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.envelopeResponse(status: status, envelope: ErrorEnvelope(code: code, message: message, details: details))
    }

    static func envelopeResponse(status: HTTPResponse.Status, envelope: ErrorEnvelope) -> Response {
        let data = (try? WireCoding.encode(envelope)) ?? Data(#"{"error":{"code":"internal","message":"unencodable error"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let unauthorized = APIError(.unauthorized, code: ErrorCode.unauthorized, message: "missing or invalid bearer token")

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
        case .badRequest(let message): return APIError(.badRequest, code: ErrorCode.badRequest, message: message)
        case .forbidden(let message): return APIError(.forbidden, code: ErrorCode.forbidden, message: message)
        case .invalidInventory(let diagnostics):
            return APIError(.unprocessableContent, code: ErrorCode.invalidInventory, message: error.description,
                            details: diagnostics)
        }
    }
}
