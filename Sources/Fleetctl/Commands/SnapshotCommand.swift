import ArgumentParser
import FleetProtocol
import Foundation

/// `fleetctl snapshot STATION [-f FILE]`.
public struct SnapshotCommand: FleetctlRunnable {
    public static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Save a JPEG of a station's current picture, taken on its node.",
        discussion: """
        The agent takes the last keyframe of the station's newest complete segment with \
        ffmpeg (no second connection to the camera) and uploads it through the \
        coordinator. The capture time is the segment's start plus the frame's offset. \
        Without -f the JPEG is saved as STATION-YYYYMMDDTHHMMSSZ.jpg in the current \
        folder; -f - writes it to stdout. -o FILE is the same as -f FILE when FILE is \
        not an output format; -o json|yaml prints the snapshot's details (without the \
        picture).

        Examples:
          fleetctl snapshot ROST1
          fleetctl snapshot ROST1 -o rost1.jpg
          fleetctl snapshot ROST1 -f rost1.jpg
          fleetctl snapshot ROST1 -f - | display
        """)

    @OptionGroup public var global: GlobalOptions

    @Argument(help: ArgumentHelp("The station.", valueName: "station"))
    public var station: String

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("Where to save the JPEG ('-' for stdout).", valueName: "file"))
    public var file: String?

    @Option(name: .customLong("wait-timeout"), help: ArgumentHelp("How long to wait for the node, in seconds.", valueName: "seconds"))
    public var waitTimeout: Double = 60

    public init() {}

    public func validate() throws {
        guard waitTimeout > 0, waitTimeout.isFinite else { throw ValidationError("--wait-timeout must be a positive number of seconds") }
    }

    /// What `-o json|yaml` prints.
    struct Details: Encodable {
        var station: String
        var node: String
        var command: String
        var capturedAt: Date
        var segment: String
        var width: Int?
        var height: Int?
        var bytes: Int
        var file: String?
    }

    public func execute(_ console: Console) async throws -> Int32 {
        // A file that cannot be written is said before the node is asked for a picture.
        if let file, file != "-" {
            let folder = (file as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            let folderPath = folder.isEmpty ? "." : folder
            guard FileManager.default.fileExists(atPath: folderPath, isDirectory: &isFolder), isFolder.boolValue else {
                throw FleetctlError.invalidInput("cannot write \(file): folder \(folderPath) does not exist")
            }
            guard FileManager.default.isWritableFile(atPath: folderPath) else {
                throw FleetctlError.invalidInput("cannot write \(file): folder \(folderPath) is not writable")
            }
        }
        let snapshot = try await withClient(console) { client -> SnapshotView in
            let command = try await client.call(Endpoints.snapshotRequest, station)
            let waiter = CommandWaiter(client: client, waitSeconds: waitTimeout, requestTimeout: global.timeout,
                                       pollInterval: .milliseconds(100))
            let outcome = try await waiter.wait(for: [command]) { _ in }
            guard let finished = outcome.commands.first else { throw FleetctlError.commandFailed("no command") }
            switch finished.state {
            case .succeeded: break
            case .failed: throw FleetctlError.commandFailed("snapshot of \(station) failed: \(finished.message?.firstLine ?? "no reason given")")
            case .expired: throw FleetctlError.commandFailed("snapshot of \(station) expired: node \(finished.node) did not answer")
            case .pending, .delivered:
                throw FleetctlError.commandFailed("timed out after \(Formatting.duration(waitTimeout)) waiting for the snapshot of \(station) (command \(finished.id))")
            }
            let snapshot = try await client.call(Endpoints.snapshot, station)
            guard snapshot.commandId == finished.id else {
                throw FleetctlError.commandFailed("the snapshot of \(station) reached another coordinator instance; ask again")
            }
            return snapshot
        }
        let target = file ?? Self.defaultName(station: station, at: snapshot.capturedAt)
        if target == "-" {
            FileHandle.standardOutput.write(snapshot.jpeg)
        } else {
            do {
                try snapshot.jpeg.write(to: URL(fileURLWithPath: target), options: .atomic)
            } catch {
                let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
                    .flatMap { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : nil }
                throw FleetctlError.invalidInput("cannot write \(target): \(posix ?? CoordinatorClient.describe(error))")
            }
        }
        let details = Details(station: snapshot.station, node: snapshot.node, command: snapshot.commandId,
                              capturedAt: snapshot.capturedAt, segment: snapshot.segment, width: snapshot.width,
                              height: snapshot.height, bytes: snapshot.jpeg.count, file: target == "-" ? nil : target)
        if global.output != .table {
            try printMachine(details, console)
        } else {
            let size = snapshot.width.flatMap { w in snapshot.height.map { "\(w)x\($0), " } } ?? ""
            let line = "snapshot of \(station) captured \(Formatting.timeAndAge(snapshot.capturedAt, now: console.now())) "
                + "(\(size)\(Formatting.bytes(UInt64(snapshot.jpeg.count))), segment \(snapshot.segment))"
            let folderPath = target == "-" ? "" : " saved to \(target)"
            (target == "-" ? console.stderr : console.stdout).line(line + folderPath)
        }
        return FleetctlExitCode.ok
    }

    static func defaultName(station: String, at date: Date) -> String {
        let stamp = date.formatted(.iso8601.year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false)
            .timeSeparator(.omitted))
        let safe = station.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        return "\(String(safe))-\(stamp).jpg"
    }
}
