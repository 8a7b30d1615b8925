import FleetProtocol
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension ArchiveJob {
    /// Deletes verified local files of one source: those older than `keepLocalSeconds` (unless the
    /// safety brake trips), plus the oldest verified ones while the disk is below `minFreePercent`.
    /// Jobs without `keepLocalSeconds` never delete. Every deletion re-hashes the target first.
    func cleanup(source: ArchiveSource, files: [FoundFile], now: Date, state: RunState) throws {
        guard let keep = spec.keepLocalSeconds else { return }
        let prefix = source.path.hasSuffix("/") ? source.path : source.path + "/"
        let entries = try ledgerCall { try ledger.localEntries(job: spec.name) }
        var byPath: [String: FoundFile] = [:]
        for f in files { byPath[f.path] = f }
        let verified: [(LedgerEntry, FoundFile)] = entries.compactMap { e in
            guard e.verifiedAt != nil, e.sourcePath.hasPrefix(prefix), let f = byPath[e.sourcePath],
                  f.size == e.size, f.mtime == e.mtime else { return nil }
            return (e, f)
        }.sorted { $0.1.mtime < $1.1.mtime }
        let nowT = now.timeIntervalSince1970
        var plan = verified.filter { nowT - $0.1.mtime >= Double(keep) }
        if plan.count > configuration.safetyBrakeMinFiles,
           Double(plan.count) > configuration.safetyBrakeShare * Double(files.count) {
            state.event("archive.cleanup-brake", station: source.station,
                        "cleanup of \(source.path) stopped: it would delete \(plan.count) of \(files.count) files at once (limit \(Int(configuration.safetyBrakeShare * 100)) %); check keepLocal and the clock, then run again or delete by hand")
            plan = []
        }
        if let space = DiskSpace.of(source.path), space.freePercent < configuration.minFreePercent {
            var needed = Double(space.totalBytes) * configuration.minFreePercent / 100 - Double(space.freeBytes)
            needed -= plan.reduce(0.0) { $0 + Double($1.1.size) }
            let planned = Set(plan.map { $0.0.sourcePath })
            var extra: [(LedgerEntry, FoundFile)] = []
            for item in verified where needed > 0 && !planned.contains(item.0.sourcePath) {
                extra.append(item)
                needed -= Double(item.1.size)
            }
            if !extra.isEmpty {
                state.event("archive.emergency-cleanup", station: source.station,
                            "\(source.path) has \(NumberText.fixed(space.freePercent, decimals: 1)) % free (< "
                                + "\(NumberText.fixed(configuration.minFreePercent, decimals: 1)) %): deleting \(extra.count) "
                                + "oldest verified file(s) before keepLocal")
                plan += extra
            }
        }
        for (entry, file) in plan.sorted(by: { $0.1.mtime < $1.1.mtime }) {
            if cancel.isCancelled { throw ArchiveError.cancelled(job: spec.name) }
            try deleteVerified(entry, file: file, source: source, state: state)
        }
    }

    /// Deletes one local file after re-hashing its target; a mismatching target is copied again first.
    func deleteVerified(_ entry: LedgerEntry, file: FoundFile, source: ArchiveSource, state: RunState) throws {
        guard let current = FileIO.stat(file.path), current.size == entry.size, current.mtime == entry.mtime else { return }
        guard try targetMatches(entry, file: file, source: source, state: state) else { return }
        guard unlink(file.path) == 0 else {
            state.event("archive.delete-failed", station: entry.station, "cannot delete \(file.path): \(String(cString: strerror(errno)))")
            return
        }
        try ledgerCall { try ledger.markDeleted(job: spec.name, sourcePath: file.path, at: Date()) }
        state.recordDeleted()
    }

    /// Re-hashes the target of a verified entry. On mismatch the file is copied again (and verified);
    /// returns true when the target now holds the local file's bytes.
    func targetMatches(_ entry: LedgerEntry, file: FoundFile, source: ArchiveSource, state: RunState) throws -> Bool {
        let targetHash: String
        do {
            targetHash = try FileIO.sha256(of: entry.targetPath, cancel: cancel)
        } catch let e as FileIO.SystemError {
            state.event(e.code == ENOENT ? "archive.target-missing" : "archive.verify-failed", station: entry.station,
                        "cannot re-read target \(entry.targetPath) of \(file.path): \(e); copying again, local file kept")
            try ledgerCall { try ledger.markUnverified(job: spec.name, sourcePath: file.path) }
            try archiveFile(file, source: source, state: state)
            return false
        } catch is CancellationError {
            throw ArchiveError.cancelled(job: spec.name)
        }
        if targetHash == entry.sha256 { return true }
        state.event("archive.target-corrupt", station: entry.station,
                    "target \(entry.targetPath) does not match the recorded SHA-256 of \(file.path): copying it again before any deletion")
        try ledgerCall { try ledger.markUnverified(job: spec.name, sourcePath: file.path) }
        try archiveFile(file, source: source, state: state)
        guard let again = try ledgerCall({ try ledger.entry(job: spec.name, sourcePath: file.path) }),
              again.verifiedAt != nil, again.size == file.size, again.mtime == file.mtime else { return false }
        return true
    }

    /// Re-hashes the target of every verified file that is still present locally and copies again
    /// on mismatch. Returns the number of targets that did not match. Blocking.
    public func verifyTargets() throws -> (checked: Int, mismatched: Int, events: [AgentEvent]) {
        try checkTargets()
        let state = RunState(job: spec.name, logger: logger)
        var checked = 0
        var mismatched = 0
        for entry in try ledgerCall({ try ledger.localEntries(job: spec.name) }) where entry.verifiedAt != nil {
            guard let st = FileIO.stat(entry.sourcePath), st.isRegular, st.size == entry.size, st.mtime == entry.mtime,
                  let source = spec.sources.first(where: { entry.sourcePath.hasPrefix($0.path.hasSuffix("/") ? $0.path : $0.path + "/") })
            else { continue }
            let rootPrefix = source.path.hasSuffix("/") ? source.path : source.path + "/"
            let file = FoundFile(path: entry.sourcePath, relativePath: String(entry.sourcePath.dropFirst(rootPrefix.count)),
                                 size: st.size, mtime: st.mtime)
            checked += 1
            let eventsBefore = state.events.count
            _ = try targetMatches(entry, file: file, source: source, state: state)
            if state.events.count > eventsBefore { mismatched += 1 }
        }
        return (checked, mismatched, state.events)
    }
}
