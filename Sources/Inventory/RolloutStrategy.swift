import Foundation
import Yams

/// How a change reaches the nodes it touches: the `rollout:` block under `defaults` or a site.
/// Durations are seconds. Without any `rollout:` block every changed node gets a new
/// revision at once.
///
/// ```yaml
/// defaults:
///   rollout: {canary: 1, maxParallel: 2, minHealthyTime: 2m, healthyDeadline: 10m,
///             progressDeadline: 1h, autoRevert: true, autoPromote: false}
/// ```
public struct RolloutStrategy: Codable, Sendable, Equatable, Hashable {
    /// Nodes that get the change first (per site).
    public var canary: Int
    /// Nodes released together after the canaries (per site).
    public var maxParallel: Int
    /// How long a node must stay healthy to count as healthy.
    public var minHealthyTimeSeconds: Int
    /// A released node not healthy by then fails.
    public var healthyDeadlineSeconds: Int
    /// The rollout fails when no node turns healthy for this long.
    public var progressDeadlineSeconds: Int
    /// Failed nodes return to their last good assignment.
    public var autoRevert: Bool
    /// Go on after healthy canaries without `fleetctl rollout promote`.
    public var autoPromote: Bool

    public init(canary: Int = 0, maxParallel: Int = 1, minHealthyTimeSeconds: Int = 10,
                healthyDeadlineSeconds: Int = 300, progressDeadlineSeconds: Int = 600,
                autoRevert: Bool = false, autoPromote: Bool = false) {
        self.canary = canary
        self.maxParallel = maxParallel
        self.minHealthyTimeSeconds = minHealthyTimeSeconds
        self.healthyDeadlineSeconds = healthyDeadlineSeconds
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.autoRevert = autoRevert
        self.autoPromote = autoPromote
    }
}

extension InventoryLoader {
    static let rolloutFields = ["canary", "maxParallel", "minHealthyTime", "healthyDeadline", "progressDeadline",
                                "autoRevert", "autoPromote"]

    /// Parses a `rollout:` block (`what` names it in messages: `defaults.rollout`, `rollout of site 'x'`).
    func parseRollout(_ entry: Entry, reader: FieldReader, what: String) -> RolloutStrategy? {
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: Self.rolloutFields) else { return nil }
        var strategy = RolloutStrategy()
        var valid = true
        func read<T>(_ key: String, _ parse: (Yams.Node) -> T?, _ set: (T) -> Void) {
            guard let field = fields[key] else { return }
            if let value = parse(field.value) { set(value) } else { valid = false }
        }
        read("canary", { reader.int($0, "canary", range: 0...1_000) }) { strategy.canary = $0 }
        read("maxParallel", { reader.int($0, "maxParallel", range: 1...10_000) }) { strategy.maxParallel = $0 }
        read("minHealthyTime", { reader.duration($0, "minHealthyTime") }) { strategy.minHealthyTimeSeconds = $0 }
        read("healthyDeadline", { reader.duration($0, "healthyDeadline") }) { strategy.healthyDeadlineSeconds = $0 }
        read("progressDeadline", { reader.duration($0, "progressDeadline") }) { strategy.progressDeadlineSeconds = $0 }
        read("autoRevert", { reader.bool($0, "autoRevert") }) { strategy.autoRevert = $0 }
        read("autoPromote", { reader.bool($0, "autoPromote") }) { strategy.autoPromote = $0 }
        guard valid else { return nil }
        let anchor = fields["healthyDeadline"]?.value ?? fields["minHealthyTime"]?.value ?? entry.value
        if strategy.minHealthyTimeSeconds >= strategy.healthyDeadlineSeconds {
            reader.report(anchor, "\(what): minHealthyTime (\(strategy.minHealthyTimeSeconds)s) must be shorter than healthyDeadline (\(strategy.healthyDeadlineSeconds)s)")
            valid = false
        }
        if strategy.healthyDeadlineSeconds >= strategy.progressDeadlineSeconds {
            let at = fields["progressDeadline"]?.value ?? fields["healthyDeadline"]?.value ?? entry.value
            reader.report(at, "\(what): healthyDeadline (\(strategy.healthyDeadlineSeconds)s) must be shorter than progressDeadline (\(strategy.progressDeadlineSeconds)s)")
            valid = false
        }
        if strategy.autoPromote && strategy.canary == 0 {
            reader.report(fields["autoPromote"]?.value ?? entry.value,
                          "\(what): autoPromote needs canary of at least 1 (there is nothing to promote without canaries)")
            valid = false
        }
        return valid ? strategy : nil
    }
}
