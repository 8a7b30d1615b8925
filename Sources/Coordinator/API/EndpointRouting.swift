import FleetProtocol
import Foundation
import Hummingbird

extension HTTPRequest.Method {
    init(_ method: EndpointMethod) {
        switch method {
        case .get: self = .get
        case .post: self = .post
        case .delete: self = .delete
        }
    }
}

extension EndpointMethod {
    /// The catalogue's method for a request: HEAD reads like GET; anything unknown counts as acting.
    init(request method: HTTPRequest.Method) {
        switch method {
        case .get, .head: self = .get
        case .delete: self = .delete
        default: self = .post
        }
    }
}

extension RouterMethods where Context == CoordinatorRequestContext {
    /// Registers `endpoint` from its catalogue entry: method and template (`{name}` becomes `:name`).
    ///
    /// The handler runs only if the group's ``AccessMiddleware`` established an identity that
    /// satisfies the endpoint's declared access; otherwise the request fails with 500, never open.
    ///
    /// ```swift
    /// group.on(Endpoints.healthz) { _, _ in HTTPHelpers.text("ok\n") }
    /// ```
    @discardableResult
    func on<Body, Answer>(_ endpoint: Endpoint<Body, Answer>,
                          use handler: @escaping @Sendable (Request, Context) async throws -> Response) -> Self {
        let access = endpoint.access
        let method = endpoint.method
        return on(RouterPath(EndpointTemplate.routerPath(endpoint.template)), method: HTTPRequest.Method(endpoint.method)) {
            request, context -> Response in
            guard context.identity.satisfies(access, method: method) else { throw APIError.accessNotChecked }
            return try await handler(request, context)
        }
    }

    /// Registers a JSON endpoint: the body is decoded as `Body` (not read for ``EmptyBody``),
    /// the handler's answer encoded as JSON with `status` (an ``EmptyBody`` answer has no body).
    ///
    /// ```swift
    /// group.on(Endpoints.apply) { body, _, _ in
    ///     try await fleet.apply(files: body.files, dryRun: body.dryRun)
    /// }
    /// ```
    @discardableResult
    func on<Body: Decodable & Sendable, Answer: Encodable>(
        _ endpoint: Endpoint<Body, Answer>, status: HTTPResponse.Status = .ok,
        use handler: @escaping @Sendable (Body, Request, Context) async throws -> Answer
    ) -> Self {
        on(endpoint) { request, context -> Response in
            let body: Body
            if let empty = EmptyBody() as? Body {
                body = empty
            } else {
                body = try await HTTPHelpers.decode(Body.self, from: request)
            }
            let answer = try await handler(body, request, context)
            if answer is EmptyBody { return HTTPHelpers.text("", status: status) }
            return try HTTPHelpers.json(answer, status: status)
        }
    }
}
