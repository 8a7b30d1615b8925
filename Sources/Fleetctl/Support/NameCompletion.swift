import ArgumentParser
import Foundation

/// Station and node names for shell completion. Completion must answer at once, even with
/// the coordinator far away, so it never touches the network: it reads a small cache that
/// fleetctl refreshes whenever it lists stations or nodes (`fleetctl get stations`).
///
/// The cache is `$XDG_CACHE_HOME/stationfleet/names.json` (default `~/.cache/…`); losing it
/// only loses completion.
///
/// ```swift
/// @Argument(help: "The station.", completion: NameCompletion.stations)
/// var station: String
/// ```
public enum NameCompletion {
    public enum Kind: Sendable { case stations, nodes }

    /// At most this many names of each kind are kept.
    static let maxNames = 10_000

    struct Cache: Codable, Equatable {
        var stations: [String] = []
        var nodes: [String] = []
    }

    public static let stations: CompletionKind = .custom { _, _, prefix in
        candidates(.stations, prefix: prefix, environment: ProcessInfo.processInfo.environment)
    }

    public static let nodes: CompletionKind = .custom { _, _, prefix in
        candidates(.nodes, prefix: prefix, environment: ProcessInfo.processInfo.environment)
    }

    /// The cache file, nil without `XDG_CACHE_HOME` and `HOME`.
    static func cacheFile(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/stationfleet/names.json" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/stationfleet/names.json" }
        return nil
    }

    /// The cached names of `kind` that start with `prefix`, sorted.
    static func candidates(_ kind: Kind, prefix: String, environment: [String: String]) -> [String] {
        let cache = load(environment: environment)
        let names = kind == .stations ? cache.stations : cache.nodes
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Replaces the cached names of `kind`; failures are ignored (completion is a convenience).
    static func remember(_ kind: Kind, _ names: [String], environment: [String: String]) {
        guard let file = cacheFile(environment: environment) else { return }
        var cache = load(environment: environment)
        let kept = Array(Set(names).sorted().prefix(maxNames))
        switch kind {
        case .stations: cache.stations = kept
        case .nodes: cache.nodes = kept
        }
        guard let data = try? JSONEncoder().encode(cache) else { return }
        let directory = (file as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        // Written whole under a temporary name, then renamed: a reader never sees half a file.
        let temporary = file + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary, file) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
    }

    static func load(environment: [String: String]) -> Cache {
        guard let file = cacheFile(environment: environment),
              let data = FileManager.default.contents(atPath: file),
              data.count < 4 << 20,
              let cache = try? JSONDecoder().decode(Cache.self, from: data)
        else { return Cache() }
        return cache
    }
}
