import FleetProtocol
import Foundation
import Hummingbird
import Logging

/// Wraps the router: every error, including unknown routes and oversized bodies,
/// becomes the JSON error envelope; every request is timed per route.
struct EnvelopeResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    typealias Context = BasicRequestContext
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
                : error.status == .contentTooLarge ? "request body too large" : error.status.reasonPhrase
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
        metrics.requestTimer(route: "\(request.method) \(RouteLabel.normalize(request.uri.path))", status: response.status.code)
            .recordNanoseconds(elapsed.nanoseconds)
        return response
    }
}

/// Turns a request path into a low-cardinality route label.
enum RouteLabel {
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.first == "v1" else { return ["/healthz", "/readyz", "/metrics"].contains(path) ? path : "other" }
        var out: [String] = []
        for (index, part) in parts.enumerated() {
            if index > 0, ["nodes", "stations", "assignments", "commands"].contains(parts[index - 1]) {
                out.append("{name}")
            } else if index > 1, parts[index - 2] == "jobs" {
                out.append("{name}")
            } else {
                out.append(part)
            }
        }
        return "/" + out.joined(separator: "/")
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
