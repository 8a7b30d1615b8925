import FoundationEssentials

/// Any JSON value, decoded without Foundation's `Any`, so that booleans, integers and
/// decimals stay apart (on Linux `JSONSerialization` turns booleans into numbers).
///
/// ```swift
/// let value = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a": [1, true]}"#.utf8))
/// if case .object(let members) = value { print(members["a"] ?? .null) }
/// ```
public indirect enum JSONValue: Decodable, Sendable, Equatable {
    case object([String: JSONValue]), array([JSONValue]), string(String), bool(Bool), int(Int), double(Double), null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}
