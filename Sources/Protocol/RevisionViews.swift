import FoundationEssentials

/// `GET /v1/revisions` (newest first) and `GET /v1/revisions/{rev}`: one applied revision.
///
/// Every apply that changes something stores one: what it created, changed and deleted, who
/// applied it, a content hash and its whole inventory (the files as sent and the *names* of
/// the `${NAME}` variables; their values are never stored, since they may hold secrets).
/// A revision stored before revisions kept their inventory carries only the first five fields.
///
/// ```swift
/// let history = try await client.call(Endpoints.revisions)
/// for revision in history {
///     print(revision.revision, revision.authorText, revision.shortHash, revision.changeSummary)
/// }
/// // 5 anna@laptop (admin) 3f2a9c0d1e4b +0 ~1 -0
/// ```
public struct RevisionView: Codable, Sendable, Equatable {
    public var revision: Int
    public var appliedAt: Date
    public var created: [String]
    public var changed: [String]
    public var deleted: [String]
    /// The credential that applied it: `admin` (the only admin credential today).
    public var author: String?
    /// The operator as the client named it (`USER@host` from fleetctl), when sent.
    public var by: String?
    /// SHA-256 (hex) over the canonical compiled inventory: equal content, equal hash.
    public var hash: String?
    /// The revision whose inventory this one re-applied (`fleetctl rollout undo`).
    public var undoOf: Int?
    /// Names of the `${NAME}` variables the files reference (values are not stored).
    public var variables: [String]?
    /// The inventory files as sent; only in `GET /v1/revisions/{rev}`, and `nil` there for a
    /// revision stored before revisions kept their inventory.
    public var files: [ApplyRequest.File]?

    public init(revision: Int, appliedAt: Date, created: [String], changed: [String], deleted: [String],
                author: String? = nil, by: String? = nil, hash: String? = nil, undoOf: Int? = nil,
                variables: [String]? = nil, files: [ApplyRequest.File]? = nil) {
        self.revision = revision
        self.appliedAt = appliedAt
        self.created = created
        self.changed = changed
        self.deleted = deleted
        self.author = author
        self.by = by
        self.hash = hash
        self.undoOf = undoOf
        self.variables = variables
        self.files = files
    }

    /// `anna@laptop (admin)`, `admin`, or `-` for a revision stored without an author.
    public var authorText: String {
        switch (by, author) {
        case let (by?, author?): return "\(by) (\(author))"
        case let (by?, nil): return by
        case let (nil, author?): return author
        case (nil, nil): return "-"
        }
    }

    /// The first 12 hex digits of ``hash``, or `-`.
    public var shortHash: String { hash.map { String($0.prefix(12)) } ?? "-" }

    /// `+created ~changed -deleted`, e.g. `+2 ~1 -0`.
    public var changeSummary: String { "+\(created.count) ~\(changed.count) -\(deleted.count)" }
}

/// `POST /v1/revisions/{rev}/reapply`: apply revision `rev`'s stored inventory again as a new
/// revision. `variables` gives the values of the `${NAME}` names the revision references
/// (fleetctl takes them from its environment, as for apply).
///
/// ```swift
/// let result = try await client.call(Endpoints.revisionReapply, "3",
///                                    body: ReapplyRequest(by: "anna@laptop", allowDeletions: false))
/// ```
public struct ReapplyRequest: Codable, Sendable, Equatable {
    public var by: String?
    /// As ``ApplyRequest/allowDeletions`` (`--prune`): the same deletion guard applies.
    public var allowDeletions: Bool?
    public var variables: [String: String]?

    public init(by: String? = nil, allowDeletions: Bool? = nil, variables: [String: String]? = nil) {
        self.by = by
        self.allowDeletions = allowDeletions
        self.variables = variables
    }
}

/// `POST /v1/revisions/{rev}/diff`: compare revision `rev` with `to` (default: the current one).
///
/// ```swift
/// let diff = try await client.call(Endpoints.revisionDiff, "3", body: RevisionDiffRequest(to: 5))
/// ```
public struct RevisionDiffRequest: Codable, Sendable, Equatable {
    public var to: Int?
    /// Values of the `${NAME}` names either revision references.
    public var variables: [String: String]?

    public init(to: Int? = nil, variables: [String: String]? = nil) {
        self.to = to
        self.variables = variables
    }
}

/// What changed from revision `from` to revision `to`, in the form of an ``ApplyResult``'s
/// diff: objects by `kind/name`, and per changed object its changed fields.
///
/// ```swift
/// let diff = RevisionDiffView(from: 3, to: 5, created: ["station/ROST3"], changed: [], deleted: [],
///                             unchanged: ["site/auklab"], fieldChanges: [:])
/// diff.hasChanges  // true
/// ```
public struct RevisionDiffView: Codable, Sendable, Equatable {
    public var from: Int
    public var to: Int
    public var created: [String]
    public var changed: [String]
    public var deleted: [String]
    public var unchanged: [String]
    public var fieldChanges: [String: [FieldChange]]

    public init(from: Int, to: Int, created: [String], changed: [String], deleted: [String], unchanged: [String],
                fieldChanges: [String: [FieldChange]]) {
        self.from = from
        self.to = to
        self.created = created
        self.changed = changed
        self.deleted = deleted
        self.unchanged = unchanged
        self.fieldChanges = fieldChanges
    }

    public var hasChanges: Bool { !created.isEmpty || !changed.isEmpty || !deleted.isEmpty }
}
