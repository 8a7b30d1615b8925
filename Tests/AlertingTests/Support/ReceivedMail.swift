import Foundation

/// One message as the SMTP sink stored it, with just enough MIME parsing for assertions:
/// headers (unfolded, case-insensitive) and the decoded text/plain and text/html parts.
///
/// ```swift
/// let mail = try await sink.waitForMessages(count: 1)[0]
/// mail.header("Message-ID"); mail.envelopeTo; mail.textBody
/// ```
struct ReceivedMail: Sendable {
    let raw: String
    let file: String
    let headers: [(name: String, value: String)]
    let body: String

    init(raw data: Data, file: String) {
        raw = String(decoding: data, as: UTF8.self)
        self.file = file
        (headers, body) = Self.split(raw)
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    var envelopeFrom: String? { header("Return-Path") }
    var envelopeTo: [String] {
        (header("X-Original-To") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The decoded text/plain part (or the whole body of a single-part message).
    var textBody: String? { part(type: "text/plain") }
    var htmlBody: String? { part(type: "text/html") }

    private func part(type: String) -> String? {
        guard let contentType = header("Content-Type") else { return nil }
        guard let boundary = Self.parameter("boundary", in: contentType) else {
            return contentType.lowercased().hasPrefix(type) ? Self.decode(body, headers: headers) : nil
        }
        for chunk in body.components(separatedBy: "--" + boundary).dropFirst() {
            let (partHeaders, partBody) = Self.split(String(chunk.drop { $0 == "\r" || $0 == "\n" }))
            let partType = partHeaders.first { $0.name.lowercased() == "content-type" }?.value.lowercased() ?? ""
            if partType.hasPrefix(type) { return Self.decode(partBody, headers: partHeaders) }
        }
        return nil
    }

    private static func split(_ text: String) -> ([(name: String, value: String)], String) {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let pieces = normalized.components(separatedBy: "\n\n")
        let headerLines = pieces.first?.components(separatedBy: "\n") ?? []
        var headers: [(name: String, value: String)] = []
        for line in headerLines {
            if line.first == " " || line.first == "\t", let last = headers.popLast() {
                headers.append((last.name, last.value + " " + line.trimmingCharacters(in: .whitespaces)))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        return (headers, pieces.dropFirst().joined(separator: "\n\n"))
    }

    private static func decode(_ body: String, headers: [(name: String, value: String)]) -> String {
        let encoding = headers.first { $0.name.lowercased() == "content-transfer-encoding" }?.value.lowercased()
        guard encoding == "base64" else { return body }
        let compact = body.filter { !$0.isWhitespace }
        return Data(base64Encoded: compact).map { String(decoding: $0, as: UTF8.self) } ?? body
    }

    private static func parameter(_ name: String, in value: String) -> String? {
        for piece in value.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }
}
