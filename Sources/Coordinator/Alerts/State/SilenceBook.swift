import FleetInventory
import FleetProtocol
import Foundation

/// Silences: label matchers that mute alerts until they end. The single owner of silences
/// in memory; each change is persisted by the caller.
///
/// ```swift
/// var silences = SilenceBook()
/// let silence = try silences.add(SilenceRequest(matchers: ["site=auklab"], durationSeconds: 7200,
///                                               comment: "NAS move", by: "anna@laptop"), now: now).get()
/// silences.silencing(["site": "auklab", "alertname": "SegmentStale"], now: now)   // [silence.id]
/// ```
struct SilenceBook {
    /// At most this many silences exist (active and recently ended); bounds an admin's mistakes.
    static let maxSilences = 1_000
    static let maxDurationSeconds = 90 * 86_400

    private(set) var silences: [String: SilenceView] = [:]
    private var matchers: [String: [LabelMatcher]] = [:]

    mutating func restore(_ stored: [SilenceView]) {
        for silence in stored { insert(silence) }
    }

    mutating func add(_ request: SilenceRequest, now: Date, id: String = UUID().uuidString.lowercased())
        -> Result<SilenceView, AlertingError> {
        guard !request.matchers.isEmpty else { return .failure(.badSilence("a silence needs at least one matcher")) }
        guard request.matchers.count <= 32 else { return .failure(.badSilence("a silence takes at most 32 matchers")) }
        guard request.durationSeconds > 0, request.durationSeconds <= Self.maxDurationSeconds else {
            return .failure(.badSilence("a silence lasts between 1s and 90d, not \(request.durationSeconds)s"))
        }
        guard request.comment.count <= 1_000, request.by.count <= 200 else {
            return .failure(.badSilence("comment or author too long"))
        }
        guard silences.count < Self.maxSilences else { return .failure(.badSilence("too many silences: expire some first")) }
        var parsed: [LabelMatcher] = []
        for text in request.matchers {
            do { parsed.append(try LabelMatcher(parsing: text)) } catch { return .failure(.badMatcher("\(error)")) }
        }
        let silence = SilenceView(id: id, matchers: parsed.map(\.description), startsAt: now,
                                  endsAt: now.addingTimeInterval(TimeInterval(request.durationSeconds)),
                                  createdBy: request.by, comment: request.comment, state: .active)
        insert(silence)
        return .success(silence)
    }

    mutating func expire(_ id: String, by: String, now: Date) -> Result<SilenceView, AlertingError> {
        guard var silence = silences[id] ?? silences.values.first(where: { id.count >= 4 && $0.id.hasPrefix(id) }) else {
            return .failure(.silenceNotFound(id))
        }
        if silence.state == .active && silence.endsAt > now {
            silence.endsAt = now
            silence.expiredBy = by
        }
        silence.state = .expired
        silences[silence.id] = silence
        return .success(silence)
    }

    /// IDs of the active silences that match `labels`.
    func silencing(_ labels: [String: String], now: Date) -> [String] {
        silences.values.compactMap { silence in
            guard silence.state == .active, silence.startsAt <= now, silence.endsAt > now,
                  let matchers = matchers[silence.id], matchers.allMatch(labels) else { return nil }
            return silence.id
        }.sorted()
    }

    /// Marks silences whose time is up as expired; returns them (to persist).
    mutating func expireDue(now: Date) -> [SilenceView] {
        var ended: [SilenceView] = []
        for (id, var silence) in silences where silence.state == .active && silence.endsAt <= now {
            silence.state = .expired
            silences[id] = silence
            ended.append(silence)
        }
        return ended
    }

    mutating func prune(before cutoff: Date) {
        for (id, silence) in silences where silence.state == .expired && silence.endsAt < cutoff {
            silences[id] = nil
            matchers[id] = nil
        }
    }

    private mutating func insert(_ silence: SilenceView) {
        silences[silence.id] = silence
        matchers[silence.id] = silence.matchers.compactMap { try? LabelMatcher(parsing: $0) }
    }
}
