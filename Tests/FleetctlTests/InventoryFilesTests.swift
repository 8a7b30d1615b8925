import Foundation
import Testing
@testable import FleetctlCore

@Suite struct InventoryFilesTests {
    @Test func folderTakesYamlAndYmlSortedNotRecursive() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "b: 2\n".write(to: dir.appendingPathComponent("b.yml"), atomically: true, encoding: .utf8)
        try "a: 1\n".write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "not yaml".write(to: dir.appendingPathComponent("ignore.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub.yaml"), withIntermediateDirectories: true)
        try "c: 3\n".write(to: dir.appendingPathComponent("sub.yaml/c.yaml"), atomically: true, encoding: .utf8)

        let files = try InventoryFiles.collect(dir.path)
        #expect(files.map(\.path) == [dir.path + "/a.yaml", dir.path + "/b.yml"])
        #expect(files.map(\.content) == ["a: 1\n", "b: 2\n"])
        // A trailing slash does not double up.
        #expect(try InventoryFiles.collect(dir.path + "/").map(\.path) == [dir.path + "/a.yaml", dir.path + "/b.yml"])
    }

    @Test func singleFileKeepsItsPathAsGiven() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let previous = FileManager.default.currentDirectoryPath
        #expect(FileManager.default.changeCurrentDirectoryPath(dir.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try FileManager.default.createDirectory(atPath: "inventory", withIntermediateDirectories: true)
        try "sites: {}\n".write(toFile: "inventory/demo.yaml", atomically: true, encoding: .utf8)
        let files = try InventoryFiles.collect("inventory/demo.yaml")
        #expect(files == [.init(path: "inventory/demo.yaml", content: "sites: {}\n")])
        #expect(try InventoryFiles.collect("inventory").map(\.path) == ["inventory/demo.yaml"])
    }

    @Test func missingPathAndEmptyFolderAreUserErrors() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "x".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        #expect(throws: FleetctlError.invalidInput("no .yaml or .yml files in \(dir.path)")) {
            try InventoryFiles.collect(dir.path)
        }
        let missing = dir.appendingPathComponent("nope.yaml").path
        let result = await fleetctl(["apply", "-f", missing, "--coordinator", "http://127.0.0.1:9"])
        #expect(result.code == 1)
        #expect(result.stderr == "fleetctl: cannot read \(missing): no such file or directory\n")
        let empty = await fleetctl(["diff", "-f", dir.path])
        #expect(empty.code == 1)
        #expect(empty.stderr.contains("no .yaml or .yml files"))
    }
}
