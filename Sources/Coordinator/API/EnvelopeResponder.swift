import FleetProtocol
import Foundation
import Hummingbird
import Logging

/// Wraps the router: every error, including unknown routes and oversized bodies,
/// becomes the JSON error envelope; every request is timed per route.
///
/// The route label is the matched endpoint's template (Hummingbird's `context.endpointPath`,
/// e.g. `POST /v1/nodes/{name}/heartbeat`), or `other` when no route matched.
///
/// ```swift
/// let responder = EnvelopeResponder(inner: router.buildResponder(), metrics: metrics, logger: logger)
/// ```
struct EnvelopeResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context: RequestContext {
    typealias Context = Inner.Context
    let inner: Inner
    let metrics: CoordinatorMetrics
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await inner.respond(to: request, context: context)
            if response.status.code >= 400, response.headers[.contentType] == nil {
                // The router turned an error (unknown route, NIOTooManyBytesError from
                // collectBody, Hummingbird's HTTPError) into a bare response: add the envelope.
                response = Self.envelope(status: response.status, request: request)
            }
        } catch let error as APIError {
            response = try error.response(from: request, context: context)
        } catch let error as FleetError {
            response = try APIError.from(error).response(from: request, context: context)
        } catch let error as StoreError where error.isWriteCondition {
            logger.error("request not stored", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = try APIError.from(error).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            response = Self.envelope(status: error.status, request: request)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = APIError.envelopeResponse(
                status: .internalServerError,
                envelope: ErrorEnvelope(code: ErrorCode.internalError, message: "internal error; see the coordinator log"))
        }
        let elapsed = ContinuousClock.now - start
        metrics.requestTimer(route: Self.routeLabel(request, context), status: response.status.code)
            .recordNanoseconds(elapsed.nanoseconds)
        return response
    }

    /// The envelope for an error the HTTP stack raised without one.
    static func envelope(status: HTTPResponse.Status, request: Request) -> Response {
        let code: String
        let message: String
        switch status {
        case .notFound:
            code = ErrorCode.notFound
            message = "no such endpoint: \(request.method) \(request.uri.path)"
        case .contentTooLarge:
            code = ErrorCode.payloadTooLarge
            message = "request body is over the \(HTTPGuardHandler.describe(bytes: HTTPHelpers.maxBodyBytes)) limit"
        case .unauthorized:
            code = ErrorCode.unauthorized
            message = status.reasonPhrase
        default:
            code = status.code >= 500 ? ErrorCode.internalError : ErrorCode.badRequest
            message = status.reasonPhrase
        }
        return APIError.envelopeResponse(status: status, envelope: ErrorEnvelope(code: code, message: message))
    }

    /// `METHOD /template` of the matched route; `other` for unknown paths (low cardinality).
    static func routeLabel(_ request: Request, _ context: Context) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return "other" }
        return "\(request.method) \(path)"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
