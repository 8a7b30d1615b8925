import Foundation
import Yams
import FleetProtocol

/// Parsing of archive and backup jobs.
extension InventoryLoader {
    static let archiveFields = ["nodes", "source", "target", "every", "schedule", "keepLocal", "settle", "thumbnails"]
    static let backupFields = ["nodes", "sqlite", "image", "compress", "target", "every", "schedule", "keep"]
    static let datePlaceholders = ["yyyy", "mm", "dd"]

    func parseArchive(_ item: Pending) -> ArchiveConfig? {
        let (entry, reader) = (item.entry, item.reader)
        guard reader.name(entry.key, at: entry.keyNode, kind: "archive") else { return nil }
        let what = "archive '\(entry.key)'"
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: Self.archiveFields) else { return nil }
        let nodes = fields.required("nodes").flatMap { nodeList($0, reader: reader, from: what) }

        var source: ArchiveSourceConfig?
        if let sourceEntry = fields.required("source"), let text = reader.nonEmptyString(sourceEntry.value, "source") {
            if text == "recordings" {
                source = .recordings
            } else if let path = reader.absolutePath(sourceEntry.value, "source") {
                source = .path(path)
            }
        }
        // {station} is known only for recorder folders.
        let stationKnown = source == .recordings || source == nil
        let allowed = ["node"] + (stationKnown ? ["station"] : []) + Self.datePlaceholders
        let hint = stationKnown ? "" : "; {station} only with source: recordings"
        let target = fields.required("target").flatMap { reader.template($0.value, "target", allowed: allowed, hint: hint) }
        let schedule = reader.schedule(fields)
        let keepLocal = fields["keepLocal"].flatMap { reader.duration($0.value, "keepLocal", allowZero: true) }
        let settle = fields["settle"].flatMap { reader.duration($0.value, "settle", allowZero: true) }
        var thumbnails: ThumbnailSpec?
        if let thumbEntry = fields["thumbnails"] {
            thumbnails = parseThumbnails(thumbEntry, reader: reader, what: what, allowed: allowed, hint: hint)
        }
        guard let nodes, let source, let target, case let .valid(jobSchedule) = schedule else { return nil }
        return ArchiveConfig(name: entry.key, nodes: nodes, source: source, target: target, schedule: jobSchedule,
                             keepLocalSeconds: keepLocal, settleSeconds: settle ?? 60, thumbnails: thumbnails)
    }

    private func parseThumbnails(_ entry: Entry, reader: FieldReader, what: String,
                                 allowed: [String], hint: String) -> ThumbnailSpec? {
        guard let fields = reader.fields(entry.value, what: "thumbnails of \(what)", anchor: entry.keyNode,
                                         allowed: ["width", "height", "quality", "target"]) else { return nil }
        let width = fields.required("width").flatMap { reader.int($0.value, "width", range: 1...10_000) }
        let height = fields.required("height").flatMap { reader.int($0.value, "height", range: 1...10_000) }
        let quality = fields["quality"].map { reader.int($0.value, "quality", range: 1...100) } ?? 75
        let target = fields.required("target").flatMap { reader.template($0.value, "target", allowed: allowed, hint: hint) }
        guard let width, let height, let quality, let target else { return nil }
        return ThumbnailSpec(width: width, height: height, quality: quality, target: target)
    }

    func parseBackup(_ item: Pending) -> BackupConfig? {
        let (entry, reader) = (item.entry, item.reader)
        guard reader.name(entry.key, at: entry.keyNode, kind: "backup") else { return nil }
        let what = "backup '\(entry.key)'"
        guard let fields = reader.fields(entry.value, what: what, anchor: entry.keyNode,
                                         allowed: Self.backupFields) else { return nil }
        let nodes = fields.required("nodes").flatMap { nodeList($0, reader: reader, from: what) }

        var kind: BackupJobSpec.Kind?
        var sourcePath: String?
        switch (fields["sqlite"], fields["image"]) {
        case (nil, nil):
            reader.report(fields.anchor, "\(what) needs one of 'sqlite' (a database file) or 'image' (a device or image file)")
        case let (sqlite?, image?):
            let later = reader.position(sqlite.keyNode).line > reader.position(image.keyNode).line ? sqlite : image
            reader.report(later.keyNode, "\(what) has both 'sqlite' and 'image': give exactly one")
        case let (sqlite?, nil):
            kind = .sqlite
            sourcePath = reader.absolutePath(sqlite.value, "sqlite")
        case let (nil, image?):
            kind = .image
            sourcePath = reader.absolutePath(image.value, "image")
        }

        var compress: String? = "zstd"
        if let compressEntry = fields["compress"], let text = reader.string(compressEntry.value, "compress") {
            switch text {
            case "zstd", "gzip": compress = text
            case "none": compress = nil
            default: reader.report(compressEntry.value, "bad compress '\(text)': use zstd, gzip or none")
            }
        }
        let target = fields.required("target").flatMap {
            reader.template($0.value, "target", allowed: ["node"], hint: "; a backup target may only use {node}")
        }
        let schedule = reader.schedule(fields)
        let keep = fields["keep"].flatMap { reader.int($0.value, "keep", range: 1...100_000) }
        guard let nodes, let kind, let sourcePath, let target, case let .valid(jobSchedule) = schedule else { return nil }
        return BackupConfig(name: entry.key, nodes: nodes, kind: kind, sourcePath: sourcePath, compress: compress,
                            target: target, schedule: jobSchedule, keep: keep)
    }
}
