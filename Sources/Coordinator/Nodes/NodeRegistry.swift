import FleetProtocol
import Foundation

/// The outcome of checking a node token against the node a request names.
public enum NodeAuthorization: Sendable, Equatable {
    case allowed
    /// A valid token of another node.
    case otherNode
    case invalid
}

/// Registered nodes and their credentials (token hashes only), indexed both ways.
///
/// ```swift
/// var registry = NodeRegistry()
/// registry.add(name: "pi1", tokenHash: Tokens.hash(token))
/// registry.authorize(token: token, for: "pi1")   // .allowed
/// registry.authorize(token: token, for: "pi2")   // .otherNode
/// ```
struct NodeRegistry {
    private var nodeByTokenHash: [String: String] = [:]
    private var tokenHashByNode: [String: String] = [:]
    /// Registered names by `ResourceName.key`, for case-insensitive uniqueness.
    private var nameByKey: [String: String] = [:]

    init(_ credentials: [NodeCredential] = []) {
        for credential in credentials { add(name: credential.name, tokenHash: credential.tokenHash) }
    }

    var count: Int { tokenHashByNode.count }
    var names: Dictionary<String, String>.Keys { tokenHashByNode.keys }

    func isRegistered(_ name: String) -> Bool { tokenHashByNode[name] != nil }

    /// The registered name equal to `name` ignoring case.
    func registeredName(matching name: String) -> String? { nameByKey[ResourceName.key(name)] }

    /// Whether `name` holds exactly this credential.
    func holds(name: String, tokenHash: String) -> Bool { tokenHashByNode[name] == tokenHash }

    mutating func add(name: String, tokenHash: String) {
        if let old = tokenHashByNode[name] { nodeByTokenHash[old] = nil }
        tokenHashByNode[name] = tokenHash
        nodeByTokenHash[tokenHash] = name
        nameByKey[ResourceName.key(name)] = name
    }

    /// How many times ``remove(name:)`` was called (a revocation, even of an unknown name):
    /// a store lookup that overlapped one re-reads before trusting what it found.
    private(set) var removals = 0

    /// Revokes a node's credential. Returns false when it had none.
    @discardableResult
    mutating func remove(name: String) -> Bool {
        removals += 1
        guard let hash = tokenHashByNode.removeValue(forKey: name) else { return false }
        nodeByTokenHash[hash] = nil
        nameByKey[ResourceName.key(name)] = nil
        return true
    }

    /// Checks a bearer token against the node named in the request path.
    func authorize(token: String, for node: String) -> NodeAuthorization {
        let hash = Tokens.hash(token)
        guard let owner = nodeByTokenHash[hash], let expected = tokenHashByNode[owner],
              Tokens.constantTimeEquals(expected, hash) else { return .invalid }
        return owner == node ? .allowed : .otherNode
    }
}
