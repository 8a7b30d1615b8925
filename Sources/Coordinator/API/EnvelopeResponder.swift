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
            if response.status == .notFound, response.headers[.contentType] == nil {
                response = APIError.envelopeResponse(status: .notFound, envelope: ErrorEnvelope(
                    code: ErrorCode.notFound, message: "no such endpoint: \(request.method) \(request.uri.path)"))
            }
        } catch let error as APIError {
            response = try error.response(from: request, context: context)
        } catch let error as FleetError {
            response = try APIError.from(error).response(from: request, context: context)
        } catch let error as StoreError where APIError.from(error) != nil {
            logger.error("request not stored", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = try (APIError.from(error) ?? APIError(.internalServerError, code: ErrorCode.internalError, message: "\(error)"))
                .response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let code: String
            switch error.status {
            case .notFound: code = ErrorCode.notFound
            case .contentTooLarge: code = ErrorCode.payloadTooLarge
            case .unauthorized: code = ErrorCode.unauthorized
            default: code = error.status.code >= 500 ? ErrorCode.internalError : ErrorCode.badRequest
            }
            let message = error.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)"
                : error.status == .contentTooLarge
                    ? "request body is over the \(HTTPGuardHandler.describe(bytes: HTTPHelpers.maxBodyBytes)) limit" : error.status.reasonPhrase
            response = APIError.envelopeResponse(status: error.status, envelope: ErrorEnvelope(code: code, message: message))
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
