import Foundation
import Yams
import FleetProtocol

extension Inventory {
    /// Reads, merges and validates inventory files into one inventory.
    ///
    /// Every file's top-level maps (`sites`, `nodes`, `stations`, `archives`,
    /// `backups`, the fields of `defaults` and `alerts`, and `alerts.receivers`)
    /// merge into one; a name defined twice, in one file or across files, is an error.
    /// `${NAME}` in string values expands from `environment`; an unknown name is an error.
    ///
    /// `secretFiles` decides whether alert receivers' credential files must exist and be
    /// readable here (the coordinator applies with `.require`; fleetctl checks locally with `.skip`).
    ///
    /// - Throws: `InventoryError` with every problem found, each as `FILE:LINE:COLUMN: message`.
    public static func load(files: [ApplyRequest.File],
                            environment: [String: String] = [:],
                            secretFiles: SecretFileCheck = .skip) throws(InventoryError) -> Inventory {
        let loader = InventoryLoader(environment: environment, secretFiles: secretFiles)
        for file in files { loader.collect(file) }
        let inventory = loader.build()
        if !loader.sink.isEmpty { throw InventoryError(diagnostics: loader.sink.diagnostics) }
        return inventory
    }
}

/// The sections whose entries merge across files.
enum Section: String, CaseIterable {
    case site = "sites"
    case defaults = "defaults"
    case node = "nodes"
    case station = "stations"
    case archive = "archives"
    case backup = "backups"
    case alerts = "alerts"
    case receiver = "alerts.receivers"
}

/// A name used by one object that must be declared by another.
struct Reference {
    enum Kind: String {
        case site, node, receiver
        case timeInterval = "time interval"
    }
    let kind: Kind
    let name: String
    let node: Yams.Node
    let reader: FieldReader
    /// The object that refers, e.g. `station 'ROST1'`.
    let from: String
}

/// Gathers entries from every file, then parses and cross-checks them. Used on one thread only.
final class InventoryLoader {
    struct Pending {
        let entry: Entry
        let reader: FieldReader
    }

    static let topLevelFields = ["sites", "defaults", "nodes", "stations", "archives", "backups", "alerts"]

    let sink = DiagnosticSink()
    let environment: [String: String]
    let secretFiles: SecretFileCheck
    private(set) var pending: [Section: [Pending]] = [:]
    private var firstSeen: [String: SourcePosition] = [:]
    var references: [Reference] = []
    /// Names under `alerts.timeIntervals`, valid or not (filled while parsing `alerts`).
    var declaredTimeIntervals: Set<String> = []
    /// Where each `agentVersion` was written: `defaults`, `site/NAME`, `node/NAME`.
    var agentVersionPositions: [String: SourcePosition] = [:]

    init(environment: [String: String], secretFiles: SecretFileCheck = .skip) {
        self.environment = environment
        self.secretFiles = secretFiles
    }

    /// Reads one file's top level and queues its entries.
    func collect(_ file: ApplyRequest.File) {
        let source = YAMLSource(path: file.path, content: file.content, sink: sink)
        let reader = FieldReader(source: source, sink: sink, environment: environment)
        guard let root = source.root, !FieldReader.isNull(root) else { return }
        guard case .mapping = root else {
            reader.report(root, "an inventory file must be a mapping with \(Self.topLevelFields.joined(separator: ", ")); found \(FieldReader.kindName(root))")
            return
        }
        guard let top = reader.fields(root, what: "the inventory", allowed: Self.topLevelFields) else { return }
        for entry in top.entries {
            switch entry.key {
            case "defaults":
                let fields = reader.fields(entry.value, what: "defaults", anchor: entry.keyNode,
                                           allowed: ["heartbeatSeconds", "recorder", "rollout", "agentVersion"])
                add(fields?.entries, to: .defaults, reader: reader)
            case "alerts":
                guard let fields = reader.fields(entry.value, what: "alerts", anchor: entry.keyNode,
                                                 allowed: Self.alertsFields) else { continue }
                for field in fields.entries {
                    if field.key == "receivers" {
                        add(reader.entries(field.value, field: "alerts.receivers"), to: .receiver, reader: reader)
                    } else {
                        add([field], to: .alerts, reader: reader)
                    }
                }
            default:
                guard let section = Section(rawValue: entry.key) else { continue }
                add(reader.entries(entry.value, field: entry.key), to: section, reader: reader)
            }
        }
    }

    private func add(_ entries: [Entry]?, to section: Section, reader: FieldReader) {
        for entry in entries ?? [] {
            let key = "\(section.rawValue)/\(entry.key)"
            if let first = firstSeen[key] {
                reader.report(entry.keyNode, "duplicate key '\(entry.key)' in \(section.rawValue) (first defined at \(first))")
                continue
            }
            firstSeen[key] = reader.position(entry.keyNode)
            pending[section, default: []].append(Pending(entry: entry, reader: reader))
        }
    }

    /// Names declared in a section, valid or not (so a broken object does not
    /// also cause "unknown reference" errors everywhere it is used).
    func declared(_ section: Section) -> Set<String> {
        Set((pending[section] ?? []).map(\.entry.key))
    }

    /// Parses every queued entry and checks references. Problems go to `sink`.
    func build() -> Inventory {
        var inventory = Inventory()
        for item in pending[.site] ?? [] {
            if let site = parseSite(item) { inventory.sites[site.name] = site }
        }
        inventory.defaults = parseDefaults(pending[.defaults] ?? [])
        for item in pending[.node] ?? [] {
            if let node = parseNode(item) { inventory.nodes[node.name] = node }
        }
        for item in pending[.station] ?? [] {
            if let station = parseStation(item) { inventory.stations[station.name] = station }
        }
        for item in pending[.archive] ?? [] {
            if let archive = parseArchive(item) { inventory.archives[archive.name] = archive }
        }
        for item in pending[.backup] ?? [] {
            if let backup = parseBackup(item) { inventory.backups[backup.name] = backup }
        }
        inventory.alerts = parseAlerts(blocks: pending[.alerts] ?? [], receivers: pending[.receiver] ?? [])
        checkReferences()
        inventory.agentVersionPositions = agentVersionPositions
        return inventory
    }

    private func checkReferences() {
        let known: [Reference.Kind: Set<String>] = [
            .site: declared(.site), .node: declared(.node), .receiver: declared(.receiver),
            .timeInterval: declaredTimeIntervals,
        ]
        for reference in references {
            let names = known[reference.kind] ?? []
            guard !names.contains(reference.name) else { continue }
            let list = names.sorted()
            let hint: String
            if list.isEmpty {
                hint = "no \(reference.kind.rawValue)s are defined"
            } else {
                let shown = list.prefix(10).joined(separator: ", ")
                hint = "known: \(shown)\(list.count > 10 ? ", …" : "")"
            }
            reference.reader.report(reference.node,
                                    "unknown \(reference.kind.rawValue) '\(reference.name)' in \(reference.from) (\(hint))")
        }
    }

    func refer(_ kind: Reference.Kind, _ name: String, at node: Yams.Node, reader: FieldReader, from: String) {
        references.append(Reference(kind: kind, name: name, node: node, reader: reader, from: from))
    }

    /// A list of node names (`nodes:` of a job), each queued as a reference; nil when invalid.
    func nodeList(_ entry: Entry, reader: FieldReader, from: String) -> [String]? {
        guard let items = reader.stringList(entry.value, "nodes") else { return nil }
        if items.isEmpty {
            reader.report(entry.value, "'nodes' of \(from) must list at least one node")
            return nil
        }
        var names: [String] = []
        for (name, node) in items {
            if names.contains(name) {
                reader.report(node, "node '\(name)' is listed twice in \(from)")
                continue
            }
            names.append(name)
            refer(.node, name, at: node, reader: reader, from: from)
        }
        return names
    }
}
