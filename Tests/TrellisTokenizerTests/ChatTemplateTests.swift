import TrellisTokenizer
import XCTest

final class ChatTemplateTests: XCTestCase {
    /// A ChatML template written in the SmolLM2 style (default system block when the first
    /// message is not a system message).
    let chatMLSource = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}\
        {{ '<|im_start|>system\\nYou are a test bot<|im_end|>\\n' }}{% endif %}\
        {{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}\
        {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    func testChatMLAddsTheDefaultSystemMessageOnlyWhenTheFirstIsNotSystem() throws {
        let template = try ChatTemplate(source: chatMLSource)
        XCTAssertEqual(template.style, .chatML(defaultSystemMessage: "You are a test bot"))
        XCTAssertEqual(template.render([.user("Hi")]),
                       "<|im_start|>system\nYou are a test bot<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(template.render([.system("Be brief."), .user("Hi")], addGenerationPrompt: false),
                       "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
        // No messages: the loop never runs, so no system block either.
        XCTAssertEqual(template.render([]), "<|im_start|>assistant\n")
        XCTAssertEqual(template.endOfTurnText, "<|im_end|>")
        XCTAssertFalse(template.writesBOS)
    }

    func testChatMLWithoutDefaultSystem() throws {
        let source = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n'}}{% endfor %}"
        let template = try ChatTemplate(source: source)
        XCTAssertEqual(template.style, .chatML(defaultSystemMessage: nil))
        XCTAssertEqual(template.render([.user("Hi")]), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    func testLlama3() throws {
        let source = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
        let template = try ChatTemplate(source: source, bosText: "<|begin_of_text|>")
        XCTAssertEqual(template.render([.user("  Hi \n")]),
                       "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        XCTAssertTrue(template.writesBOS)
        XCTAssertEqual(template.endOfTurnText, "<|eot_id|>")
    }

    func testUnknownTemplateIsATypedError() {
        XCTAssertThrowsError(try ChatTemplate(source: "[INST] {{ message }} [/INST]")) { error in
            guard case TokenizerError.unsupportedChatTemplate = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("ChatML"))
        }
    }

    func testTokenizerWithoutTemplate() throws {
        XCTAssertThrowsError(try TinyVocabulary().make().chatTemplate()) {
            XCTAssertEqual($0 as? TokenizerError, .missingChatTemplate)
        }
    }
}
