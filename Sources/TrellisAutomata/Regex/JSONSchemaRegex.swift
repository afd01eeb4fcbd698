import TrellisCore

/// An unsupported or invalid JSON schema, naming the JSON pointer of the part at fault.
public struct JSONSchemaError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "json_schema at \(path.isEmpty ? "/" : path): \(reason)" }
}

/// Compiles a JSON schema to the regular language of the compact JSON texts it accepts, so a
/// token DFA can force the model's output to parse and validate (as Outlines does, Willard &
/// Louf 2023, "Efficient guided generation for LLMs"). Supported: `type` (string, integer,
/// number, boolean, null, array, object, or a list of these), `enum`, `const`, `properties` +
/// `required`, `items` + `minItems`/`maxItems`, `minLength`/`maxLength`/`pattern` on strings,
/// `minimum` ≥ 0 on integers (no sign), `anyOf`/`oneOf`, `allOf` of one schema, and local
/// `$ref`s into `$defs`/`definitions` (not recursive). An empty schema or one without `type`
/// is any JSON value nested at most `anyDepth` deep. Annotations (`title`, `description`,
/// `examples`, `default`, `$schema`, `$id`, `additionalProperties`, `strict`, and `format`, which
/// JSON Schema makes an annotation by default) are ignored; any
/// other keyword is an error rather than silently unenforced.
///
/// Output shape: no whitespace except one optional space after `:` and `,`. Objects list only
/// the declared properties, the required ones in the order of `required`, then the optional
/// ones by name (JSON objects carry no key order, so this keeps the automaton deterministic).
public struct JSONSchemaRegex {
    public static let annotationKeywords: Set<String> = ["title", "description", "examples", "default", "$schema", "$id",
                                                         "additionalProperties", "strict", "$comment", "format"]
    let root: JSONValue
    /// Nesting depth of unconstrained values (`{}` schemas, `json_object`).
    public var anyDepth: Int

    public init(schema: JSONValue, anyDepth: Int = 2) {
        root = schema
        self.anyDepth = anyDepth
    }

    /// The regex tree of `schema`.
    public static func compile(_ schema: JSONValue, anyDepth: Int = 2) throws -> RegexNode {
        let compiler = JSONSchemaRegex(schema: schema, anyDepth: anyDepth)
        return try compiler.node(schema, path: "", refDepth: 0)
    }

    /// A JSON object with any keys and values nested at most `depth` deep (`json_object` mode).
    public static func anyObject(depth: Int = 2) -> RegexNode {
        Pieces.object(value: Pieces.anyValue(depth: max(depth - 1, 0)))
    }

    private func node(_ schema: JSONValue, path: String, refDepth: Int) throws -> RegexNode {
        if case .bool(let b) = schema {
            guard b else { throw JSONSchemaError(path: path, reason: "`false` accepts nothing") }
            return Pieces.anyValue(depth: anyDepth)
        }
        guard case .object(let s) = schema else { throw JSONSchemaError(path: path, reason: "a schema must be an object") }
        let handled: Set<String> = ["type", "enum", "const", "properties", "required", "items", "minItems", "maxItems",
                                    "minLength", "maxLength", "pattern", "minimum", "anyOf", "oneOf", "allOf",
                                    "$ref", "$defs", "definitions"]
        for key in s.keys.sorted() where !handled.contains(key) && !Self.annotationKeywords.contains(key) {
            throw JSONSchemaError(path: path, reason: "keyword `\(key)` is not supported")
        }
        if case .string(let ref)? = s["$ref"] {
            guard refDepth < 16 else { throw JSONSchemaError(path: path, reason: "`$ref` chain too deep (recursive schemas are not regular)") }
            return try node(try resolve(ref, path: path), path: ref.dropFirst().description, refDepth: refDepth + 1)
        }
        if let e = s["enum"] {
            guard case .array(let values) = e, !values.isEmpty else { throw JSONSchemaError(path: path + "/enum", reason: "must be a non-empty array") }
            return .alternation(values.map { .literal(Self.encode($0)) })
        }
        if let c = s["const"] { return .literal(Self.encode(c)) }
        for key in ["anyOf", "oneOf"] {
            if let options = s[key] {
                guard case .array(let list) = options, !list.isEmpty else { throw JSONSchemaError(path: path + "/" + key, reason: "must be a non-empty array") }
                return .alternation(try list.enumerated().map { try node($1, path: "\(path)/\(key)/\($0)", refDepth: refDepth) })
            }
        }
        if let all = s["allOf"] {
            guard case .array(let list) = all, list.count == 1 else { throw JSONSchemaError(path: path + "/allOf", reason: "only `allOf` with one schema is supported") }
            return try node(list[0], path: path + "/allOf/0", refDepth: refDepth)
        }
        guard let type = s["type"] else { return Pieces.anyValue(depth: anyDepth) }
        switch type {
        case .string(let name):
            return try typed(name, s, path: path, refDepth: refDepth)
        case .array(let names):
            return .alternation(try names.map {
                guard case .string(let name) = $0 else { throw JSONSchemaError(path: path + "/type", reason: "must be a string or an array of strings") }
                return try typed(name, s, path: path, refDepth: refDepth)
            })
        default:
            throw JSONSchemaError(path: path + "/type", reason: "must be a string or an array of strings")
        }
    }

    private func typed(_ type: String, _ s: [String: JSONValue], path: String, refDepth: Int) throws -> RegexNode {
        func integer(_ key: String) throws -> Int? {
            guard let v = s[key] else { return nil }
            guard case .number(let d) = v, d >= 0, d == d.rounded(), d <= Double(RegexParser.maxRepetition) else {
                throw JSONSchemaError(path: path + "/" + key, reason: "must be an integer in 0...\(RegexParser.maxRepetition)")
            }
            return Int(d)
        }
        switch type {
        case "string":
            if case .string(let pattern)? = s["pattern"] {
                do {
                    return .sequence([.literal("\""), try RegexParser.parse(pattern), .literal("\"")])
                } catch let e as RegexSyntaxError {
                    throw JSONSchemaError(path: path + "/pattern", reason: e.description)
                }
            }
            let low = try integer("minLength") ?? 0
            let high = try integer("maxLength")
            if let high, high < low { throw JSONSchemaError(path: path + "/maxLength", reason: "below minLength") }
            return .sequence([.literal("\""), .repeated(Pieces.stringCharacter, min: low, max: high), .literal("\"")])
        case "integer":
            if case .number(let minimum)? = s["minimum"] {
                guard minimum >= 0, minimum <= 1 else { throw JSONSchemaError(path: path + "/minimum", reason: "only 0 or 1 is supported") }
                return minimum == 0 ? Pieces.naturalNumber : Pieces.positiveNumber
            }
            return Pieces.integer
        case "number": return Pieces.number
        case "boolean": return .alternation([.literal("true"), .literal("false")])
        case "null": return .literal("null")
        case "array":
            let item = try s["items"].map { try node($0, path: path + "/items", refDepth: refDepth) } ?? Pieces.anyValue(depth: anyDepth - 1)
            let low = try integer("minItems") ?? 0
            let high = try integer("maxItems")
            if let high, high < low { throw JSONSchemaError(path: path + "/maxItems", reason: "below minItems") }
            return Pieces.array(item: item, min: low, max: high)
        case "object":
            guard case .object(let properties)? = s["properties"] else {
                if s["properties"] != nil { throw JSONSchemaError(path: path + "/properties", reason: "must be an object") }
                return Pieces.object(value: Pieces.anyValue(depth: anyDepth - 1))
            }
            var required: [String] = []
            if let r = s["required"] {
                guard case .array(let list) = r else { throw JSONSchemaError(path: path + "/required", reason: "must be an array of strings") }
                for item in list {
                    guard case .string(let name) = item, properties[name] != nil else {
                        throw JSONSchemaError(path: path + "/required", reason: "lists \(Self.encode(item)), which is not a property")
                    }
                    if !required.contains(name) { required.append(name) }
                }
            }
            let optional = properties.keys.filter { !required.contains($0) }.sorted()
            let members = try (required + optional).map { name -> (RegexNode, Bool) in
                let value = try node(properties[name]!, path: "\(path)/properties/\(name)", refDepth: refDepth)
                return (.sequence([.literal(Self.encode(.string(name)) + ":"), Pieces.space, value]), required.contains(name))
            }
            return Pieces.members(members)
        default:
            throw JSONSchemaError(path: path + "/type", reason: "unknown type `\(type)`")
        }
    }

    private func resolve(_ ref: String, path: String) throws -> JSONValue {
        let parts = ref.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "#", parts[1] == "$defs" || parts[1] == "definitions",
              case .object(let top) = root, case .object(let defs)? = top[parts[1]], let target = defs[parts[2]] else {
            throw JSONSchemaError(path: path + "/$ref", reason: "`\(ref)` is not a local `#/$defs/NAME` or `#/definitions/NAME` of this schema")
        }
        return target
    }

    /// Compact JSON text of a value (for `enum` and `const`), keys sorted.
    static func encode(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return "\(d)"
        case .string(let text):
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        case .array(let items): return "[" + items.map(encode).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { encode(.string($0)) + ":" + encode(members[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// The regex pieces of JSON's grammar.
    enum Pieces {
        static let space = RegexNode.optional(.literal(" "))
        static let digit = RegexNode.characters(CodePointSet([0x30...0x39]))
        static let nonZeroDigit = RegexNode.characters(CodePointSet([0x31...0x39]))
        /// Up to 15 more digits: integers a double holds exactly, and no endless digit runs.
        static let naturalNumber = RegexNode.alternation([.literal("0"), positiveNumber])
        static let positiveNumber = RegexNode.sequence([nonZeroDigit, .repeated(digit, min: 0, max: 15)])
        static let integer = RegexNode.sequence([.optional(.literal("-")), naturalNumber])
        static let number = RegexNode.sequence([
            integer,
            .optional(.sequence([.literal("."), .repeated(digit, min: 1, max: 15)])),
            .optional(.sequence([.characters(CodePointSet([0x45...0x45, 0x65...0x65])),
                                 .optional(.characters(CodePointSet([0x2B...0x2B, 0x2D...0x2D]))),
                                 .repeated(digit, min: 1, max: 2)])),
        ])
        /// One character of a JSON string: anything but `"`, `\` and controls, or an escape.
        static let stringCharacter = RegexNode.alternation([
            .characters(CodePointSet([0...0x1F, 0x22...0x22, 0x5C...0x5C]).complement),
            .sequence([.literal("\\"), .characters(CodePointSet([0x22...0x22, 0x2F...0x2F, 0x5C...0x5C, 0x62...0x62,
                                                                 0x66...0x66, 0x6E...0x6E, 0x72...0x72, 0x74...0x74]))]),
            .sequence([.literal("\\u"), .repeated(.characters(CodePointSet([0x30...0x39, 0x41...0x46, 0x61...0x66])), min: 4, max: 4)]),
        ])
        static let string = RegexNode.sequence([.literal("\""), .repeated(stringCharacter, min: 0, max: nil), .literal("\"")])

        static func array(item: RegexNode, min low: Int, max high: Int?) -> RegexNode {
            let more = RegexNode.sequence([.literal(","), space, item])
            let nonEmpty = RegexNode.sequence([item, .repeated(more, min: max(low - 1, 0), max: high.map { max($0 - 1, 0) })])
            if high == 0 { return .literal("[]") }
            return .sequence([.literal("["), low == 0 ? .optional(nonEmpty) : nonEmpty, .literal("]")])
        }

        static func object(value: RegexNode) -> RegexNode {
            let member = RegexNode.sequence([string, .literal(":"), space, value])
            return .sequence([.literal("{"), .optional(.sequence([member, .repeated(.sequence([.literal(","), space, member]), min: 0, max: nil)])), .literal("}")])
        }

        /// Members in order; optional ones may be left out, and commas go only between members
        /// written. `rest(i)` (something written before) is linear; `first(i)` adds one branch per
        /// optional member, so the tree is O(members²).
        static func members(_ members: [(RegexNode, Bool)]) -> RegexNode {
            var rest: [RegexNode] = [.empty]
            for (member, required) in members.reversed() {
                let written = RegexNode.sequence([.literal(","), space, member, rest[0]])
                rest.insert(required ? written : .alternation([written, rest[0]]), at: 0)
            }
            var first = RegexNode.empty
            for (i, (member, required)) in members.enumerated().reversed() {
                let written = RegexNode.sequence([member, rest[i + 1]])
                first = required ? written : .alternation([written, first])
            }
            return .sequence([.literal("{"), first, .literal("}")])
        }

        /// Any JSON value with arrays and objects nested at most `depth` deep.
        static func anyValue(depth: Int) -> RegexNode {
            var options: [RegexNode] = [string, number, .literal("true"), .literal("false"), .literal("null")]
            if depth > 0 {
                let inner = anyValue(depth: depth - 1)
                options.append(array(item: inner, min: 0, max: nil))
                options.append(object(value: inner))
            }
            return .alternation(options)
        }
    }
}
