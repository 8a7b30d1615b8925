import FleetInventory
import FleetProtocol
import Foundation

/// Plans a rollout: which nodes take part, in which batch, with which deadlines.
///
/// Only nodes whose assignment changes (served before ≠ the revision's) and that had an
/// assignment before take part; a node of a site with no `rollout:` (and no
/// `defaults.rollout`) gets the change at once. Canaries first (the first `canary` nodes of
/// each site), then per site batches of `maxParallel`; sites in name order, nodes in name
/// order inside a site.
///
/// ```swift
/// let rollout = RolloutPlanner.start(revision: 8, input: .init(desired: compiled, served: served,
///                                    target: targets, lastGood: lastGood), now: Date())
/// rollout?.nodes.map(\.batch)   // [0, 1, 1, 2]
/// ```
enum RolloutPlanner {
    struct Input {
        /// The revision's compiled state (sites, their and the defaults' strategies).
        var desired: DesiredState
        /// What each node is served now.
        var served: [String: Assignment]
        /// What each node gets in the new revision.
        var target: [String: Assignment]
        /// Each node's last good assignment (defaults to `served`).
        var lastGood: [String: Assignment] = [:]
    }

    /// The strategy for each site: the site's own, else `defaults.rollout`; nil = all at once.
    static func strategies(_ desired: DesiredState) -> [String: RolloutStrategy] {
        var result: [String: RolloutStrategy] = [:]
        for site in desired.sites {
            if let strategy = site.rollout ?? desired.defaults.rollout { result[site.name] = strategy }
        }
        return result
    }

    /// True when the revision asks for staged rollouts anywhere.
    static func isStaged(_ desired: DesiredState) -> Bool { !strategies(desired).isEmpty }

    /// The rollout of `revision`, or nil when the inventory has no `rollout:` block.
    static func start(revision: Int, input: Input, now: Date) -> Rollout? {
        let strategies = strategies(input.desired)
        guard !strategies.isEmpty else { return nil }
        let wide = input.desired.defaults.rollout ?? strategies.sorted { $0.key < $1.key }[0].value
        var bySite: [String: [(String, Assignment, Assignment)]] = [:]
        for (name, target) in input.target {
            guard let before = input.served[name], before.revision > 0,
                  !DesiredStateBook.sameContent(before, target), strategies[target.site] != nil else { continue }
            bySite[target.site, default: []].append((name, before, target))
        }
        var canaries: [Rollout.Node] = []
        var batches: [[Rollout.Node]] = []
        for site in bySite.keys.sorted() {
            guard let strategy = strategies[site], let members = bySite[site] else { continue }
            let sorted = members.sorted { $0.0 < $1.0 }
            var siteBatches: [[Rollout.Node]] = []
            for (offset, (name, before, target)) in sorted.enumerated() {
                let node = Rollout.Node(name: name, site: site, batch: 0, before: before,
                                        lastGood: input.lastGood[name] ?? before, target: target,
                                        minHealthySeconds: strategy.minHealthyTimeSeconds,
                                        healthyDeadlineSeconds: strategy.healthyDeadlineSeconds)
                if offset < strategy.canary {
                    canaries.append(node)
                } else {
                    let index = (offset - strategy.canary) / strategy.maxParallel
                    if siteBatches.count <= index { siteBatches.append([]) }
                    siteBatches[index].append(node)
                }
            }
            batches += siteBatches
        }
        let hasCanary = !canaries.isEmpty
        let ordered = (hasCanary ? [canaries] : []) + batches.filter { !$0.isEmpty }
        var nodes: [Rollout.Node] = []
        for (batch, members) in ordered.enumerated() {
            for var node in members {
                node.batch = batch
                nodes.append(node)
            }
        }
        return Rollout(revision: revision, state: .running, nodes: nodes, batchCount: ordered.count,
                       hasCanary: hasCanary, autoPromote: wide.autoPromote, autoRevert: wide.autoRevert,
                       progressDeadlineSeconds: wide.progressDeadlineSeconds, startedAt: now, lastProgressAt: now)
    }

    /// The last good assignment of every node of `previous` for a rollout that supersedes it.
    static func lastGood(after previous: Rollout) -> [String: Assignment] {
        var result: [String: Assignment] = [:]
        for node in previous.nodes {
            result[node.name] = node.state == .healthy ? node.target : node.lastGood
        }
        return result
    }
}
