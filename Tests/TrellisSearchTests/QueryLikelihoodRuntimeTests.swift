import Foundation
import TrellisCore
import TrellisModel
import TrellisSearch
import TrellisTestSupport
import XCTest

/// Bytes folded into the tiny model's vocabulary of 80.
private struct FoldedByteTokenizer: TextTokenizer {
    var vocabularySize: Int { 80 }
    var bosTokenID: TokenID? { 79 }
    var eosTokenID: TokenID? { 78 }
    var addsBOS: Bool { true }
    func encode(_ text: String, parseSpecial: Bool) -> [TokenID] { text.utf8.map { TokenID(Int($0) % 78) } }
    func tokenBytes(_ token: TokenID) -> [UInt8] { [UInt8(token)] }
    func isSpecial(_ token: TokenID) -> Bool { token >= 78 }
}

/// The grouped scorer on the real runtime: queries on forks of a shared, partly filled cache page
/// (page size 4) score exactly what a fresh sequence per pair scores. Float32 activations, so the
/// two paths differ by float rounding only (int16 activations may round a value either way).
final class QueryLikelihoodRuntimeTests: XCTestCase {
    func testForkedQueriesMatchFreshSequencesOnTheTransformer() throws {
        let path = try TinyTransformerGGUF.write(TinyTransformerSpec())
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let model = try TransformerModel(path: path, options: RuntimeOptions(pageSize: 4, int16Activations: false))
        let tokenizer = FoldedByteTokenizer()
        var options = QueryLikelihoodOptions()
        options.passageTokenBudget = 9
        options.batchSize = 2
        options.passagePrefix = "P:"
        options.querySuffix = "|"
        let passages = ["first passage text", "second", "a third, longer passage"].map { tokenizer.encode(" " + $0) }
        let queries = ["claim one", "another claim here"]
        let pairs = queries.flatMap { q in passages.map { QueryPassagePair(query: q, passage: $0) } }
        let grouped = try QueryLikelihoodReranker(model: model, tokenizer: tokenizer, options: options).scores(pairs: pairs)

        let logits = LogitMatrix(rows: 0, width: model.vocabularySize)
        for (i, pair) in pairs.enumerated() {
            let prompt = [TokenID(79)] + tokenizer.encode("P:") + pair.passage.prefix(9) + tokenizer.encode("|")
            let query = tokenizer.encode(" " + pair.query)
            let s = try model.makeSequence()
            defer { model.release(s) }
            try model.extendReturningAllLogits([SequenceExtension(sequence: s, tokens: prompt + query.dropLast())], logits: logits)
            var expected = 0.0
            for (j, token) in query.enumerated() {
                let row = logits.row(prompt.count - 1 + j)
                let peak = row.max()!
                let sum = row.reduce(0.0) { $0 + exp(Double($1 - peak)) }
                expected += Double(row[Int(token)] - peak) - log(sum)
            }
            XCTAssertEqual(grouped[i], expected, accuracy: 1e-3, "pair \(i)")
        }
    }
}
