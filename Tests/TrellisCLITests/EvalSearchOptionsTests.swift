import ArgumentParser
import XCTest
@testable import TrellisCLI
import TrellisSearch

/// `trellis eval search` turns its hybrid flags into a `HybridConfiguration`: the passage head and
/// tail budgets, and a rescoring prompt split at its one `{passage}` (chat markers kept as text
/// here; the reranker encodes them as control tokens).
final class EvalSearchOptionsTests: XCTestCase {
    func testPassageBudgetsAndPromptOverrideTheDefaults() throws {
        let command = try EvalSearchCommand.parse([
            "--passage-tokens", "48", "--passage-tail-tokens", "80", "--rerank-depth", "30",
            "--rescore-prompt", "<|im_start|>user\nAbstract:{passage}<|im_end|>\nClaim:",
        ])
        let c = try command.configuredHybrid()
        XCTAssertEqual(c.likelihood.passageTokenBudget, 48)
        XCTAssertEqual(c.likelihood.passageTailTokens, 80)
        XCTAssertEqual(c.rerankDepth, 30)
        XCTAssertEqual(c.likelihood.passagePrefix, "<|im_start|>user\nAbstract:")
        XCTAssertEqual(c.likelihood.querySuffix, "<|im_end|>\nClaim:")
    }

    func testWithoutFlagsTheHybridDefaultsStand() throws {
        XCTAssertEqual(try EvalSearchCommand.parse([]).configuredHybrid(), HybridConfiguration())
    }

    func testPromptWithoutOrWithTwoPassageSlotsIsRejected() throws {
        for prompt in ["Passage: no slot", "{passage} and {passage}"] {
            let command = try EvalSearchCommand.parse(["--rescore-prompt", prompt])
            XCTAssertThrowsError(try command.configuredHybrid(), prompt) { error in
                XCTAssertTrue("\(error)".contains("{passage}"), "\(error)")
            }
        }
    }

    func testHeadNormalizationParsesAndRejectsUnknownNames() throws {
        XCTAssertEqual(try EvalSearchCommand.parse(["--head-normalization", "zscore"]).configuredHybrid().headNormalization, .zScore)
        XCTAssertEqual(try EvalSearchCommand.parse(["--head-normalization", "minmax"]).configuredHybrid().headNormalization, .minMax)
        XCTAssertThrowsError(try EvalSearchCommand.parse(["--head-normalization", "rank"]).configuredHybrid())
    }
}
