// TEMPORARY stub until the inventory helper delivers.
import FleetProtocol
import Foundation

public struct InventoryError: Error, CustomStringConvertible {
    public var diagnostics: [String]
    public var description: String { diagnostics.joined(separator: "\n") }
}

public struct DesiredState: Codable, Sendable, Equatable {
    public struct Site: Codable, Sendable, Equatable { public var name: String; public var labels: [String: String] }
    public struct Node: Codable, Sendable, Equatable { public var name: String; public var site: String }
    public struct Station: Codable, Sendable, Equatable { public var name: String; public var node: String; public var site: String; public var recorder: RecorderSpec }
    public var sites: [Site]
    public var nodes: [Node]
    public var stations: [Station]
    public var assignments: [String: Assignment]
    public static func diff(old: DesiredState?, new: DesiredState) -> (created: [String], changed: [String], deleted: [String], unchanged: [String]) {
        ([], [], [], [])
    }
}

public struct Inventory: Sendable {
    public static func load(files: [ApplyRequest.File], environment: [String: String] = [:]) throws(InventoryError) -> Inventory { Inventory() }
    public func compile() -> DesiredState { DesiredState(sites: [], nodes: [], stations: [], assignments: [:]) }
}
