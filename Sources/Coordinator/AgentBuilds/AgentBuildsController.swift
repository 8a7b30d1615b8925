import FleetProtocol
import Foundation
import Hummingbird

/// `POST /v1/agent/builds/{version}/{arch}` and `GET /v1/agent/builds` (admin), and
/// `GET /v1/nodes/{name}/agent-build/{version}/{arch}` (the node's own token).
struct AgentBuildsController {
    let fleet: Fleet
    let store: AgentBuildStore

    func addAdminRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.agentBuildPublish) { request, context in
            try await publish(request, context)
        }
        group.on(Endpoints.agentBuilds) { _, _, _ in
            await fleet.agentBuildViews()
        }
    }

    func addNodeRoutes(to group: RouterGroup<CoordinatorRequestContext>) {
        group.on(Endpoints.agentBuildDownload) { request, context in
            try await download(request, context)
        }
    }

    /// Streams the body to disk (bounded by the store's limit, hashed on the way), checks the
    /// announced digest, then stores it: 201 for a new build, 200 when these bytes were
    /// published before, 409 for other bytes under a published version and arch.
    private func publish(_ request: Request, _ context: CoordinatorRequestContext) async throws -> Response {
        let (version, arch) = try Self.versionAndArch(context)
        let query = request.uri.queryParameters
        guard let announced = query.get("sha256").flatMap(AgentBuildUpload.normalizedDigest) else {
            throw Self.badRequest("query sha256= must be the binary's SHA-256 as 64 hex digits")
        }
        // `+` of base64 may arrive as a space when a client did not percent-encode it.
        let signature = query.get("signature").map { $0.replacingOccurrences(of: " ", with: "+") }
            .flatMap { $0.isEmpty ? nil : $0 }
        if let signature, !AgentBuildUpload.isSignature(signature) {
            throw Self.badRequest("query signature= must be a base64 Ed25519 signature (64 bytes)")
        }
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > store.maxBytes {
            throw Self.mapped(.tooLarge(limit: store.maxBytes))
        }
        do {
            let upload = try await AgentBuildUpload.receive(request.body, into: store.incomingDirectory, limit: store.maxBytes)
            guard upload.sha256 == announced else {
                unlink(upload.path)
                throw AgentBuildStoreError.digestMismatch(announced: announced, received: upload.sha256)
            }
            let build = AgentBuild(version: version, arch: arch.rawValue, sha256: upload.sha256, size: upload.size,
                                   signature: signature)
            let (stored, created) = try await store.commit(build, file: upload.path, publishedBy: "admin")
            if created {
                fleet.logger.info("agent build published", metadata: [
                    "version": "\(version)", "arch": "\(arch.rawValue)", "bytes": "\(upload.size)",
                    "sha256": "\(upload.sha256)", "signed": "\(signature != nil)",
                ])
            }
            let view = AgentBuildView(build: stored.build, publishedAt: stored.publishedAt, publishedBy: stored.publishedBy,
                                      wantedBy: await fleet.agentVersionDemand()[version] ?? 0)
            return try HTTPHelpers.json(view, status: created ? .created : .ok)
        } catch let error as AgentBuildStoreError {
            throw Self.mapped(error)
        }
    }

    /// The build the node's served assignment wants, streamed from its file; `Range: bytes=N-`
    /// (or `N-M`) answers 206 with `Content-Range`, a start at or past the end 416.
    private func download(_ request: Request, _ context: CoordinatorRequestContext) async throws -> Response {
        let node = try context.authenticatedNode()
        let (version, arch) = try Self.versionAndArch(context)
        let target = await fleet.servedAgentTarget(node: node)
        guard let target, target.version == version, target.build(for: arch) != nil else {
            let wants = target.map { "it wants \($0.version) (\($0.builds.map(\.arch).joined(separator: ", ")))" }
                ?? "it wants no agent version"
            throw APIError.forbidden("node \(node)'s assignment does not want agent build \(version)/\(arch.rawValue): \(wants)")
        }
        guard let stored = await store.build(version: version, arch: arch.rawValue) else {
            throw APIError(.notFound, code: ErrorCode.notFound, message: "agent build \(version)/\(arch.rawValue) is not stored")
        }
        let size = stored.build.size
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = "\"\(stored.build.sha256)\""
        var range = 0...(size - 1)
        var status = HTTPResponse.Status.ok
        if let requested = request.headers[.range].flatMap(ByteRange.init) {
            guard requested.start < size else {
                var response = APIError.envelopeResponse(
                    status: .rangeNotSatisfiable,
                    envelope: ErrorEnvelope(code: ErrorCode.badRequest,
                                            message: "range starts at byte \(requested.start); the build has \(size) bytes"))
                response.headers[.contentRange] = "bytes */\(size)"
                return response
            }
            range = requested.start...min(requested.end ?? (size - 1), size - 1)
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        let body = try await FileIO().loadFile(path: store.binaryPath(version: version, arch: arch.rawValue),
                                               range: Int(range.lowerBound)...Int(range.upperBound), context: context)
        return Response(status: status, headers: headers, body: body)
    }

    /// `{version}` and `{arch}`, validated (400 otherwise); `aarch64`/`amd64` are accepted.
    static func versionAndArch(_ context: CoordinatorRequestContext) throws -> (String, AgentArch) {
        let version = try context.parameters.require("version")
        let archText = try context.parameters.require("arch")
        guard AgentBuild.isValidVersion(version) else {
            throw badRequest("bad version '\(version)': use 1–64 letters, digits, '.', '-', '_' or '+', like 0.2.0")
        }
        guard let arch = AgentArch(name: archText) else {
            throw badRequest("unknown arch '\(archText)': use arm64 or x86_64")
        }
        return (version, arch)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(.badRequest, code: ErrorCode.badRequest, message: message)
    }

    static func mapped(_ error: AgentBuildStoreError) -> APIError {
        switch error {
        case .immutable: return APIError(.conflict, code: ErrorCode.conflict, message: error.description)
        case .tooLarge: return APIError(.contentTooLarge, code: ErrorCode.payloadTooLarge, message: error.description)
        case .digestMismatch, .empty: return badRequest(error.description)
        case .io: return APIError(.internalServerError, code: ErrorCode.internalError, message: error.description)
        }
    }
}

/// `Range: bytes=N-` or `bytes=N-M` (one range). Other forms are ignored: the whole build is sent.
struct ByteRange: Equatable {
    var start: Int64
    var end: Int64?

    init?(_ header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("bytes="), !text.contains(",") else { return nil }
        let parts = text.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int64(parts[0].trimmingCharacters(in: .whitespaces)), start >= 0 else { return nil }
        let endText = parts[1].trimmingCharacters(in: .whitespaces)
        if endText.isEmpty {
            self.start = start
            self.end = nil
        } else {
            guard let end = Int64(endText), end >= start else { return nil }
            self.start = start
            self.end = end
        }
    }
}
