import Foundation

/// Reads a secret (SMTP user name or password, webhook key) from a file at send time, so a
/// rotated secret is picked up without a restart. One trailing newline (`\n` or `\r\n`) is
/// removed, as editors and `echo` add one. Errors name the path, never the content.
///
/// ```swift
/// let password = try CredentialFile.read("/etc/stationfleet/smtp-password", purpose: "SMTP password")
/// ```
public enum CredentialFile {
    public static func read(_ path: String, purpose: String) throws(NotifyError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .permanent("cannot read the \(purpose) file \(path)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw .permanent("the \(purpose) file \(path) is not UTF-8 text")
        }
        if text.hasSuffix("\r\n") {
            text.removeLast(2)
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        return text
    }
}
