import FleetProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard's static files, compiled into the coordinator (no CDN, no build step).
/// They hold no data and no token: the script reads the JSON API like fleetctl does.
enum DashboardAssets {
    struct File: Sendable {
        var contentType: String
        var body: String
    }

    static let files: [String: File] = [
        "index.html": File(contentType: "text/html; charset=utf-8", body: DashboardHTML.index),
        "favicon.svg": File(contentType: "image/svg+xml", body: DashboardHTML.favicon),
        "app.css": File(contentType: "text/css; charset=utf-8", body: DashboardCSS.text),
        "core.js": File(contentType: "text/javascript; charset=utf-8", body: DashboardCoreJS.text),
        "pages.js": File(contentType: "text/javascript; charset=utf-8", body: DashboardPagesJS.text),
        "station.js": File(contentType: "text/javascript; charset=utf-8", body: DashboardStationJS.text),
    ]

    /// No inline script or style, nothing from elsewhere, no framing.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// Total bytes of the page and its assets (the budget is 200 kB).
    static var totalBytes: Int { files.values.reduce(0) { $0 + $1.body.utf8.count } }

    static func response(for name: String) throws -> Response {
        guard let file = files[name] else {
            throw APIError(.notFound, code: ErrorCode.notFound, message: "no such dashboard file")
        }
        var response = HTTPHelpers.text(file.body, contentType: file.contentType)
        response.headers[.cacheControl] = "no-cache"
        for (name, value) in [("Content-Security-Policy", contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"),
                              ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY")] {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }
}
