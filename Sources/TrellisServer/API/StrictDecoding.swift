import Foundation

/// A coding key for any field name, used to list the keys a JSON object actually has.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    init?(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
}

/// A request body that is not what the API accepts, with the field's path (`messages[1].role`).
public struct RequestDecodingError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable { case unknownField, missingField, wrongType, invalidValue, invalidJSON }
    public let kind: Kind
    /// Dotted path of the offending field; empty for the whole body.
    public let path: String
    public let message: String

    public var description: String { message }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }

    /// Turns Foundation's `DecodingError` into a message that names the field.
    static func from(_ error: DecodingError) -> RequestDecodingError {
        switch error {
        case .keyNotFound(let key, let context):
            let path = Self.path(context.codingPath + [key])
            return .init(kind: .missingField, path: path, message: "missing required field `\(path)`")
        case .typeMismatch(let type, let context):
            let path = Self.path(context.codingPath)
            return .init(kind: .wrongType, path: path,
                         message: "field `\(path.isEmpty ? "(body)" : path)` has the wrong type: expected \(jsonTypeName(type))")
        case .valueNotFound(let type, let context):
            let path = Self.path(context.codingPath)
            return .init(kind: .wrongType, path: path,
                         message: "field `\(path)` is null, expected \(jsonTypeName(type))")
        case .dataCorrupted(let context):
            let path = Self.path(context.codingPath)
            if path.isEmpty {
                return .init(kind: .invalidJSON, path: "", message: "body is not valid JSON: \(context.debugDescription)")
            }
            return .init(kind: .invalidValue, path: path, message: "field `\(path)`: \(context.debugDescription)")
        @unknown default:
            return .init(kind: .invalidJSON, path: "", message: "body could not be decoded: \(error)")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int32.Type, is UInt64.Type, is Int64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }
}

/// A keyed container that first rejects any field not in `Keys` (strict decoding), then reads
/// fields with short calls. Every API request type decodes through one of these, so an unknown
/// or misspelt field is a 400 naming it rather than being silently ignored.
struct StrictContainer<Keys: CodingKey & CaseIterable> {
    let container: KeyedDecodingContainer<Keys>

    init(_ decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        for key in all.allKeys where !known.contains(key.stringValue) {
            let path = RequestDecodingError.path(decoder.codingPath + [key])
            let allowed = Keys.allCases.map(\.stringValue).sorted().joined(separator: ", ")
            throw RequestDecodingError(kind: .unknownField, path: path,
                                       message: "unknown field `\(path)` (allowed here: \(allowed))")
        }
        container = try decoder.container(keyedBy: Keys.self)
    }

    func required<T: Decodable>(_ key: Keys, as type: T.Type = T.self) throws -> T {
        try container.decode(T.self, forKey: key)
    }

    /// The value, or nil when the field is absent or null.
    func optional<T: Decodable>(_ key: Keys, as type: T.Type = T.self) throws -> T? {
        try container.decodeIfPresent(T.self, forKey: key)
    }

    func invalid(_ key: Keys, _ message: String) -> RequestDecodingError {
        let path = RequestDecodingError.path(container.codingPath + [key])
        return RequestDecodingError(kind: .invalidValue, path: path, message: "field `\(path)`: \(message)")
    }
}

/// Where in a byte string UTF-8 first goes wrong, or nil when it is all valid.
/// Checks overlong forms, surrogates and the U+10FFFF bound (RFC 3629). O(n), no allocation.
func firstInvalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 { i += 1; continue }
        let length: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: return i
        }
        if i + length > n { return i }
        let b1 = bytes[i + 1]
        if b1 < lower || b1 > upper { return i }
        for k in 2..<max(2, length) where bytes[i + k] & 0xC0 != 0x80 { return i }
        i += length
    }
    return nil
}
