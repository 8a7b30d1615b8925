import Foundation

/// A URL as it may appear in an error or a log line: any `user:password@` part is replaced
/// by `***@`, so credentials written into a receiver URL never leak.
///
/// ```swift
/// RedactedURL("https://bot:s3cret@hooks.example/alert").description   // "https://***@hooks.example/alert"
/// ```
public struct RedactedURL: CustomStringConvertible, Sendable {
    public let description: String

    public init(_ url: String) {
        guard let schemeEnd = url.range(of: "://") else {
            description = url
            return
        }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else {
            description = url
            return
        }
        description = String(url[..<schemeEnd.upperBound]) + "***" + String(url[at...])
    }
}
