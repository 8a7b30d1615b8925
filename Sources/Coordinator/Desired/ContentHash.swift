import FleetProtocol
import Crypto
import FleetInventory
import Foundation

/// The content hash of a compiled inventory: SHA-256 (lowercase hex) over its objects'
/// canonical fingerprints (``DesiredState/objects``), one `kind/name=fingerprint` line each in
/// name order. Equal content gives an equal hash, whatever the files' layout, comments or
/// order; the revision number and time are not part of it.
///
/// ```swift
/// let hash = ContentHash.of(compiled)   // "3f2a9c0d1e4b…" (64 hex digits)
/// ```
enum ContentHash {
    static func of(_ state: DesiredState) -> String {
        let objects = state.objects
        let canonical = objects.keys.sorted().map { "\($0)=\(objects[$0] ?? "")\n" }.joined()
        return SHA256.hash(data: Data(canonical.utf8)).lowercaseHex
    }
}
