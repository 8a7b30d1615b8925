import FleetAgent
import FleetProtocol
import Foundation
import Logging

// archive-bench archive --ledger L --source S --target T [--workers N]
// archive-bench image --source FILE --target DIR [--compress zstd|gzip]
// Prints `seconds=S bytes=N` for the run; exit 1 when the run failed.

var args = Array(CommandLine.arguments.dropFirst())
guard let mode = args.first else {
    FileHandle.standardError.write(Data("usage: archive-bench archive|image --source S --target T [--ledger L]\n".utf8))
    exit(2)
}
var options: [String: String] = [:]
var i = 1
while i + 1 < args.count {
    options[String(args[i].drop(while: { $0 == "-" }))] = args[i + 1]
    i += 2
}
var logger = Logger(label: "archive-bench")
logger.logLevel = .error
guard let source = options["source"], let target = options["target"] else {
    FileHandle.standardError.write(Data("archive-bench: --source and --target are required\n".utf8))
    exit(2)
}
let start = Date()
switch mode {
case "archive":
    guard let ledgerPath = options["ledger"] else { exit(2) }
    do {
        let ledger = try Ledger(path: ledgerPath)
        let spec = ArchiveJobSpec(name: "bench", sources: [ArchiveSource(path: source)], target: target,
                                  schedule: .every(600), settleSeconds: 0)
        var configuration = ArchiveConfiguration()
        if let workers = options["workers"].flatMap({ Int($0) }) { configuration.copyWorkers = workers }
        let report = ArchiveJob(spec: spec, ledger: ledger, configuration: configuration, logger: logger).run(openFiles: [])
        print(String(format: "seconds=%.3f bytes=%llu files=%d outcome=%@", Date().timeIntervalSince(start),
                     report.run.bytes, report.run.files, report.run.outcome.rawValue))
        exit(report.run.outcome == .succeeded ? 0 : 1)
    } catch {
        FileHandle.standardError.write(Data("archive-bench: \(error)\n".utf8))
        exit(1)
    }
case "image":
    let spec = BackupJobSpec(name: "bench", kind: .image, sourcePath: source, compress: options["compress"] ?? "zstd",
                             target: target, schedule: .every(3600))
    let report = BackupJob(spec: spec, node: "bench", tempDir: NSTemporaryDirectory(), logger: logger).run()
    print(String(format: "seconds=%.3f bytes=%llu raw=%llu outcome=%@ path=%@", Date().timeIntervalSince(start),
                 report.run.bytes, report.rawBytes, report.run.outcome.rawValue, report.artifactPath ?? "-"))
    if let error = report.run.error { FileHandle.standardError.write(Data("\(error)\n".utf8)) }
    exit(report.run.outcome == .succeeded ? 0 : 1)
default:
    FileHandle.standardError.write(Data("archive-bench: unknown mode \(mode)\n".utf8))
    exit(2)
}
