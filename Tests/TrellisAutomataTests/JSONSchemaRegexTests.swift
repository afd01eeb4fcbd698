import Foundation
import TrellisAutomata
import TrellisCore
import TrellisTestSupport
import XCTest

/// JSON schemas compile to automata that accept exactly the compact JSON texts they describe.
final class JSONSchemaRegexTests: XCTestCase {
    private func schema(_ json: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
    }

    private func accepts(_ schemaJSON: String, _ text: String) throws -> Bool {
        let matcher = try ByteMatcher.regex(try JSONSchemaRegex.compile(try schema(schemaJSON)))
        let node = Array(text.utf8).withUnsafeBufferPointer { matcher.run($0, from: matcher.start).node }
        return node >= 0 && matcher.endAllowed[Int(node)]
    }

    func testObjectWithRequiredAndOptionalProperties() throws {
        let s = #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}, "age": {"type": "integer", "minimum": 0}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2}, "ok": {"type": "boolean"}}, "required": ["name", "age"]}"#
        for good in [#"{"name":"Ann","age":31}"#, #"{"name": "Ann", "age": 0, "ok": true}"#,
                     #"{"name":"Ann","age":7,"ok":false,"tags":["a","b"]}"#, #"{"name":"a\"b","age":12,"tags":[]}"#] {
            XCTAssertTrue(try accepts(s, good), good)
        }
        for bad in [#"{"age":31,"name":"Ann"}"#, #"{"name":"Ann"}"#, #"{"name":"Ann","age":-1}"#,
                    #"{"name":"Ann","age":1,"tags":["a","b","a"]}"#, #"{"name":"Ann","age":1,}"#,
                    #"{"name":"TooLongName","age":1}"#, #"{"name":"Ann","age":01}"#, #"{"name":"Ann","age":1,"extra":1}"#] {
            XCTAssertFalse(try accepts(s, bad), bad)
        }
    }

    func testOnlyOptionalPropertiesNeedNoLeadingComma() throws {
        let s = #"{"type": "object", "properties": {"a": {"type": "null"}, "b": {"type": "null"}, "c": {"type": "null"}}}"#
        for good in ["{}", #"{"a":null}"#, #"{"b":null}"#, #"{"a":null,"c":null}"#, #"{"a":null,"b":null,"c":null}"#] {
            XCTAssertTrue(try accepts(s, good), good)
        }
        for bad in [#"{,"b":null}"#, #"{"b":null,}"#, #"{"b":null,"a":null}"#, #"{"a":null"b":null}"#] {
            XCTAssertFalse(try accepts(s, bad), bad)
        }
    }

    func testNumbersRefsAndAlternatives() throws {
        let s = ##"{"$defs": {"p": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}}, "anyOf": [{"$ref": "#/$defs/p"}, {"type": "null"}]}"##
        for good in [#"{"x":1}"#, #"{"x":-0.5}"#, #"{"x":2.5e-3}"#, "null"] { XCTAssertTrue(try accepts(s, good), good) }
        for bad in [#"{"x":.5}"#, #"{"x":1.}"#, #"{"x":"1"}"#, "nul"] { XCTAssertFalse(try accepts(s, bad), bad) }
    }

    /// Texts drawn by random walks over the automaton parse as JSON and satisfy the schema.
    func testRandomAcceptedTextsParseAndValidate() throws {
        let s = #"{"type": "object", "properties": {"id": {"type": "integer"}, "label": {"type": "string", "maxLength": 5}, "score": {"type": "number"}, "kind": {"enum": ["x", "y"]}}, "required": ["id", "kind"]}"#
        let matcher = try ByteMatcher.regex(try JSONSchemaRegex.compile(try schema(s)))
        // Distances to acceptance steer the walk so it ends.
        var distance = [Int](repeating: Int.max, count: matcher.nodeCount)
        for n in 0..<matcher.nodeCount where matcher.endAllowed[n] { distance[n] = 0 }
        var changed = true
        while changed {
            changed = false
            for n in 0..<matcher.nodeCount {
                for b in 0..<256 {
                    let t = matcher.next[n * 256 + b]
                    if t >= 0, distance[Int(t)] != Int.max, distance[Int(t)] + 1 < distance[n] { distance[n] = distance[Int(t)] + 1; changed = true }
                }
            }
        }
        var rng = SplitMix64(seed: 5)
        for _ in 0..<300 {
            var node = Int(matcher.start), bytes: [UInt8] = []
            while true {
                let options = (0..<256).filter { b in
                    let t = matcher.next[node * 256 + b]
                    return t >= 0 && (bytes.count < 60 || distance[Int(t)] < distance[node])
                }
                if matcher.endAllowed[node] && (options.isEmpty || bytes.count >= 60 || Int.random(in: 0..<4, using: &rng) == 0) { break }
                let b = options[Int.random(in: 0..<options.count, using: &rng)]
                bytes.append(UInt8(b))
                node = Int(matcher.next[node * 256 + b])
            }
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], String(decoding: bytes, as: UTF8.self))
            XCTAssertTrue(object["id"] is NSNumber)
            XCTAssertTrue(["x", "y"].contains(object["kind"] as? String))
            if let label = object["label"] { XCTAssertLessThanOrEqual(try XCTUnwrap(label as? String).unicodeScalars.count, 5) }
            XCTAssertTrue(Set(object.keys).isSubset(of: ["id", "label", "score", "kind"]))
        }
    }

    func testUnsupportedKeywordsAreErrorsWithTheirPath() throws {
        XCTAssertThrowsError(try JSONSchemaRegex.compile(try schema(#"{"type": "object", "properties": {"a": {"type": "string", "uniqueItems": true}}}"#))) { error in
            XCTAssertEqual((error as? JSONSchemaError)?.path, "/properties/a", "\(error)")
        }
        XCTAssertThrowsError(try JSONSchemaRegex.compile(try schema(##"{"$ref": "#/$defs/missing"}"##)))
        XCTAssertThrowsError(try JSONSchemaRegex.compile(try schema(##"{"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}"##))) { error in
            XCTAssertTrue("\(error)".contains("recursive"), "\(error)")
        }
        XCTAssertThrowsError(try JSONSchemaRegex.compile(try schema(#"{"type": "object", "properties": {"a": {}}, "required": ["b"]}"#)))
    }

    func testTokenLevelJSONSchema() throws {
        let vocabulary: [[UInt8]] = ["{", "}", "\"", "a", "\":", " ", "1", "2", "true", ",", "{\"a\":"].map { Array($0.utf8) }
        let dfa = try TokenDFA.jsonSchema(try schema(#"{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}"#), vocabulary: vocabulary)
        XCTAssertTrue(dfa.accepts([10, 6, 7, 1]))           // {"a":12}
        XCTAssertTrue(dfa.accepts([0, 2, 3, 4, 5, 6, 1]))   // {"a": 1}
        XCTAssertFalse(dfa.accepts([10, 8, 1]))             // {"a":true}
        XCTAssertFalse(dfa.accepts([10, 6]))                // unfinished
    }
}
