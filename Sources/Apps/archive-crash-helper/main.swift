import FleetAgent
import FleetProtocol
import Foundation
import Logging

// archive-crash-helper --ledger L --source S --target T [--station X] [--settle N] [--keep-local N] [--job NAME] [--brake-share F]
// Runs one archive job run and prints one line: OUTCOME copied=N deleted=N error=...
// Exit 0 when the run succeeded, 1 otherwise, 2 on bad usage.

var options: [String: String] = [:]
var args = CommandLine.arguments.dropFirst()
while let key = args.popFirst() {
    guard key.hasPrefix("--"), let value = args.popFirst() else {
        FileHandle.standardError.write(Data("usage: archive-crash-helper --ledger L --source S --target T [--station X] [--settle N] [--keep-local N]\n".utf8))
        exit(2)
    }
    options[String(key.dropFirst(2))] = value
}
guard let ledgerPath = options["ledger"], let source = options["source"], let target = options["target"] else {
    FileHandle.standardError.write(Data("archive-crash-helper: --ledger, --source and --target are required\n".utf8))
    exit(2)
}
var logger = Logger(label: "archive-crash-helper")
logger.logLevel = .error
do {
    let ledger = try Ledger(path: ledgerPath)
    let spec = ArchiveJobSpec(name: options["job"] ?? "crash", sources: [ArchiveSource(path: source, station: options["station"])],
                              target: target, schedule: .every(600),
                              keepLocalSeconds: options["keep-local"].flatMap(Int.init),
                              settleSeconds: options["settle"].flatMap(Int.init) ?? 0)
    var config = ArchiveConfiguration()
    if let share = options["brake-share"].flatMap(Double.init) { config.safetyBrakeShare = share }
    let report = ArchiveJob(spec: spec, ledger: ledger, configuration: config, logger: logger).run(openFiles: [])
    print("\(report.run.outcome.rawValue) copied=\(report.copiedFiles) deleted=\(report.deletedFiles) events=\(report.events.map(\.kind).joined(separator: ",")) error=\(report.run.error ?? "-")")
    exit(report.run.outcome == .succeeded ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("archive-crash-helper: \(error)\n".utf8))
    exit(1)
}
