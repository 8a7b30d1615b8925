import CompressNIO
import FleetProtocol
import Foundation
import Hummingbird

/// Small helpers shared by the route handlers.
enum HTTPHelpers {
    /// Largest accepted request body; an inventory of a few hundred stations is well under it.
    static let maxBodyBytes = 4 * 1024 * 1024

    static func bearerToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let prefix = "Bearer "
        guard value.hasPrefix(prefix) else { return nil }
        let token = value.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// Reads and decodes a JSON body: 413 when too large, 400 when malformed.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = maxBodyBytes) async throws -> T {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            // Refuse at once instead of reading a body that will be refused anyway.
            throw APIError(.contentTooLarge, code: ErrorCode.payloadTooLarge,
                           message: "request body is over the \(HTTPGuardHandler.describe(bytes: limit)) limit")
        }
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let data = Data(try inflated(buffer, encoding: request.headers[.contentEncoding], limit: limit).readableBytesView)
        do {
            return try WireCoding.decode(type, from: data)
        } catch let error as DecodingError {
            throw APIError(.badRequest, code: ErrorCode.badRequest, message: "malformed JSON body: \(describe(error))")
        } catch {
            throw APIError(.badRequest, code: ErrorCode.badRequest, message: "malformed JSON body")
        }
    }

    /// The body as sent (no `Content-Encoding`, or `identity`) or gunzipped (`gzip`), at most
    /// `limit` bytes either way: a body that inflates beyond it (a zip bomb) is 413, a corrupt
    /// one 400, another encoding 415.
    static func inflated(_ body: ByteBuffer, encoding: String?, limit: Int) throws -> ByteBuffer {
        switch encoding?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "identity":
            return body
        case "gzip":
            var compressed = body
            do {
                return try compressed.decompress(with: .gzip(), maxSize: limit)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw APIError(.contentTooLarge, code: ErrorCode.payloadTooLarge,
                               message: "gzip request body inflates beyond the \(HTTPGuardHandler.describe(bytes: limit)) limit")
            } catch {
                throw APIError(.badRequest, code: ErrorCode.badRequest, message: "corrupt gzip request body: \(error)")
            }
        case let other?:
            throw APIError(.unsupportedMediaType, code: ErrorCode.badRequest,
                           message: "Content-Encoding \(other) is not accepted (gzip or none)")
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try WireCoding.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ body: String, contentType: String = "text/plain; charset=utf-8",
                     status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func date(_ request: Request, _ name: String) throws -> Date? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let date = WireCoding.parseDate(text) else {
            throw APIError(.badRequest, code: ErrorCode.badRequest, message: "query \(name)=\(text) is not an ISO 8601 time")
        }
        return date
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \(key.stringValue)\(path(context))"
        case .typeMismatch(_, let context): return "wrong type\(path(context))"
        case .valueNotFound(_, let context): return "missing value\(path(context))"
        case .dataCorrupted(let context): return "invalid JSON\(path(context))"
        @unknown default: return "invalid JSON"
        }
    }
}
