import XCTest
import TrellisAutomata
import TrellisCore

final class ConstraintSpecTests: XCTestCase {
    func testParsesAllFields() throws {
        let spec = try ConstraintSpec.parse(#"{"keywords": [["dog","dogs"], ["frisbee"]], "banned": ["cat"], "min_words": 5, "max_words": 20, "max_tokens": 32, "end_with_eos": true}"#)
        XCTAssertEqual(spec, ConstraintSpec(keywords: [["dog", "dogs"], ["frisbee"]], banned: ["cat"], minWords: 5,
                                            maxWords: 20, maxTokens: 32, endWithEOS: true))
    }

    func testTypedErrors() {
        func error(_ json: String) -> ConstraintSpecError? {
            do { _ = try ConstraintSpec.parse(json); return nil } catch { return error as? ConstraintSpecError }
        }
        XCTAssertEqual(error(#"{"keyword": []}"#), .unknownField("keyword"))
        XCTAssertEqual(error(#"{"keywords": ["dog"]}"#), .wrongType(field: "keywords", expected: "an array of arrays of strings"))
        XCTAssertEqual(error(#"{"max_tokens": "32"}"#), .wrongType(field: "max_tokens", expected: "an integer"))
        XCTAssertEqual(error(#"[1]"#), .wrongType(field: "(top level)", expected: "an object"))
        XCTAssertEqual(error(#"{"max_words": 2, "min_words": 3}"#), .invalidValue(field: "max_words", reason: "below min_words"))
        XCTAssertEqual(error(#"{"keywords": [[""]]}"#), .invalidValue(field: "keywords", reason: "concept 0 has an empty alternative"))
        if case .invalidJSON = error("{") {} else { XCTFail("invalid JSON expected") }
        XCTAssertEqual(error("{}"), nil)
    }

    func testCompileMatchesParts() throws {
        let spec = try ConstraintSpec.parse(#"{"keywords": [["dog"]], "banned": ["cat"], "max_words": 3, "end_with_eos": true}"#)
        let dfa = try spec.compile(vocabulary: toyVocabulary, eos: toyEOS)
        let id = { (s: String) in Int32(toyVocabulary.firstIndex(of: Array(s.utf8))!) }
        XCTAssertTrue(dfa.accepts([id(" the"), id(" dog"), toyEOS]))
        XCTAssertFalse(dfa.accepts([id(" the"), id(" dog")]))                       // no EOS
        XCTAssertFalse(dfa.accepts([id(" dog"), id(" cat"), toyEOS]))               // banned
        XCTAssertFalse(dfa.accepts([id(" the"), id(" the"), id(" the"), id(" dog"), toyEOS])) // 4 words
    }

    func testInflections() {
        XCTAssertEqual(EnglishInflection.forms(of: "dog"), ["dog", "dogs", "dogged", "dogging", "Dog", "Dogs", "Dogged", "Dogging"])
        XCTAssertEqual(EnglishInflection.sForm("box"), "boxes")
        XCTAssertEqual(EnglishInflection.sForm("city"), "cities")
        XCTAssertEqual(EnglishInflection.sForm("play"), "plays")
        XCTAssertEqual(EnglishInflection.edForm("carry"), "carried")
        XCTAssertEqual(EnglishInflection.edForm("bake"), "baked")
        XCTAssertEqual(EnglishInflection.ingForm("make"), "making")
        XCTAssertEqual(EnglishInflection.ingForm("see"), "seeing")
        XCTAssertEqual(EnglishInflection.ingForm("lie"), "lying")
        XCTAssertEqual(EnglishInflection.ingForm("run"), "running")
        XCTAssertEqual(EnglishInflection.ingForm("jump"), "jumping")
        XCTAssertTrue(EnglishInflection.forms(of: "throw").contains("threw"))
        XCTAssertTrue(EnglishInflection.forms(of: "child").contains("Children"))
        XCTAssertTrue(EnglishInflection.forms(of: "ice cream").contains("ice creams"))
        XCTAssertEqual(EnglishInflection.forms(of: ""), [])
    }
}
