import Foundation

/// Why one input line was rejected; becomes `StoreError.malformedLine` with path and line.
struct LineRejection: Error {
    var message: String
}

/// A coding key built from any string, so records can accept several field spellings.
struct FieldKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == FieldKey {
    /// The first of `names` present with a non-null value, decoded as `T`.
    func first<T: Decodable>(_ type: T.Type, _ names: [String]) throws -> T? {
        for name in names {
            let key = FieldKey(name)
            if contains(key), try !decodeNil(forKey: key) {
                return try decode(T.self, forKey: key)
            }
        }
        return nil
    }
}

/// Decodes one JSON object per line and turns decoding failures into short, readable reasons.
struct JSONLineDecoder {
    private let decoder = JSONDecoder()

    func decode<T: Decodable>(_ type: T.Type, from line: UnsafeRawBufferPointer) throws -> T {
        let data = Data(line)
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw LineRejection(message: Self.reason(error))
        } catch let error as LineRejection {
            throw error
        } catch {
            throw LineRejection(message: "invalid JSON: \(error)")
        }
    }

    static func reason(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            var name = ""
            for key in context.codingPath {
                if let index = key.intValue { name += "[\(index)]" } else { name += (name.isEmpty ? "" : ".") + key.stringValue }
            }
            return name.isEmpty ? "line" : "field \"\(name)\""
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "invalid JSON (\(context.debugDescription))" }
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, _):
            return "missing field \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "expected a JSON object per line" }
            return "\(path(context)): expected \(Self.typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(Self.typeName(type)), found null"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Double.Type, is Float.Type, is Int.Type: return "a number"
        case is [String].Type: return "an array of strings"
        default:
            let name = "\(type)"
            if name.hasPrefix("Dictionary") { return "a JSON object" }
            if name.hasPrefix("Array") { return "an array" }
            return name
        }
    }
}
