import TrellisCore
import Foundation
import XCTest
import TrellisStore
import TrellisTestSupport
@testable import TrellisLinking

final class CandidateRankerTests: XCTestCase {
    /// Synthetic mentions where feature 0 marks the gold candidate (plus noise) and feature 1 is
    /// pure noise: the fit puts a large positive weight on feature 0, a small one on feature 1,
    /// and ranks held-out mentions almost perfectly.
    func testFitRecoversTheSeparatingFeature() {
        var rng = SplitMix64(seed: 42)
        func example(group: Int) -> CandidateRanker.Example {
            let n = Int.random(in: 2...6, using: &rng)
            let gold = Int.random(in: 0..<n, using: &rng)
            let rows = (0..<n).map { i in
                [(i == gold ? 2.0 : 0.0) + Double.random(in: -0.5...0.5, using: &rng), Double.random(in: -1...1, using: &rng)]
            }
            return CandidateRanker.Example(features: rows, gold: gold, group: group)
        }
        let train = (0..<300).map { example(group: $0) }
        let test = (0..<200).map { example(group: $0) }
        let ranker = CandidateRanker.fit(train, featureNames: ["signal", "noise"], l2: 0.1)
        XCTAssertGreaterThan(ranker.weights[0], 3)
        XCTAssertLessThan(abs(ranker.weights[1]), 0.2 * ranker.weights[0])
        let accuracy = Double(test.filter { ranker.best($0.features) == $0.gold }.count) / Double(test.count)
        XCTAssertGreaterThan(accuracy, 0.97)
        // Stronger regularization shrinks the weights.
        let shrunk = CandidateRanker.fit(train, featureNames: ["signal", "noise"], l2: 100)
        XCTAssertLessThan(shrunk.weights[0], ranker.weights[0])
        let cv = CandidateRanker.crossValidate(train, featureNames: ["signal", "noise"], l2Values: [0.1], folds: 3)
        XCTAssertGreaterThan(cv[0].accuracy, 0.95)
        // Rows of the wrong width are ignored, not a crash.
        let ignored = CandidateRanker.fit(train, l2: 1)
        XCTAssertEqual(ignored.weights, Array(repeating: 0, count: CandidateFeatures.count))
    }

    /// The Newton fit reaches the optimum: the regularized gradient vanishes.
    func testFitIsAStationaryPoint() {
        var rng = SplitMix64(seed: 7)
        let examples = (0..<80).map { g -> CandidateRanker.Example in
            let n = Int.random(in: 2...4, using: &rng)
            return CandidateRanker.Example(features: (0..<n).map { _ in [Double.random(in: -1...1, using: &rng), Double.random(in: 0...3, using: &rng)] },
                                           gold: Int.random(in: 0..<n, using: &rng), group: g)
        }
        let l2 = 0.5
        let r = CandidateRanker.fit(examples, featureNames: ["a", "b"], l2: l2)
        var gradient = r.weights.map { l2 * $0 }
        for e in examples {
            let x = e.features.map { row in (0..<2).map { (row[$0] - r.mean[$0]) / r.scale[$0] } }
            let s = r.scores(e.features)
            let m = s.max()!
            let z = s.reduce(0) { $0 + exp($1 - m) }
            for (i, row) in x.enumerated() { for j in 0..<2 { gradient[j] += exp(s[i] - m) / z * row[j] } }
            for j in 0..<2 { gradient[j] -= x[e.gold][j] }
        }
        for g in gradient { XCTAssertEqual(g, 0, accuracy: 1e-6) }
    }

    /// A residual fit keeps the center's weights (in this fit's scale) for the features it does
    /// not fit and learns the others.
    func testFrozenCenterKeepsItsWeightsAndFitsTheRest() {
        var rng = SplitMix64(seed: 3)
        let examples = (0..<200).map { g -> CandidateRanker.Example in
            let n = Int.random(in: 2...5, using: &rng)
            let gold = Int.random(in: 0..<n, using: &rng)
            let rows = (0..<n).map { i in
                [Double.random(in: -1...1, using: &rng), (i == gold ? 1.5 : 0) + Double.random(in: -0.5...0.5, using: &rng)]
            }
            return CandidateRanker.Example(features: rows, gold: gold, group: g)
        }
        let center = CandidateRanker(featureNames: ["old", "new"], mean: [0, 0], scale: [2, 1], weights: [0.8, 0], l2: 1, note: "center")
        let fitted = CandidateRanker.fit(examples, featureNames: ["old", "new"], l2: 0.1, center: center, fitOnly: ["new"])
        XCTAssertEqual(fitted.weights[0], 0.8 / 2 * fitted.scale[0], accuracy: 1e-12, "frozen: same weight per raw unit")
        XCTAssertGreaterThan(fitted.weights[1], 1)
        let free = CandidateRanker.fit(examples, featureNames: ["old", "new"], l2: 0.1, center: center)
        XCTAssertLessThan(abs(free.weights[0]), abs(fitted.weights[0]), "unfrozen, the noise feature shrinks")
    }

    /// Weights saved before features were appended still read, the new features at weight 0.
    func testOlderWeightsExtendToNewFeatures() throws {
        let names = Array(CandidateFeatures.names.dropLast(2))
        let old = CandidateRanker(featureNames: names, mean: names.map { _ in 0.5 }, scale: names.map { _ in 2 },
                                  weights: names.map { _ in 1 }, l2: 1, note: "old")
        let path = temporaryPath(".json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try old.write(to: path)
        let read = try CandidateRanker.read(from: path)
        XCTAssertEqual(read.featureNames, CandidateFeatures.names)
        XCTAssertEqual(Array(read.weights.suffix(2)), [0, 0])
        XCTAssertEqual(Array(read.weights.prefix(names.count)), old.weights)
        XCTAssertNil(old.extended(to: ["other"]))
        XCTAssertEqual(CandidateRanker.standard?.featureNames, CandidateFeatures.names)
    }

    func testFeaturesOnAToyKB() {
        let evidence = [
            CandidateEvidence(title: "Paris", prior: 99, modelLogProb: -2, nameTokens: 2, tablePrior: 0.25),
            CandidateEvidence(title: "Paris Hilton", prior: 0, modelLogProb: -1, nameTokens: 4, tablePrior: 0.75),
            CandidateEvidence(title: "Paris (mythology)", prior: 0, modelLogProb: -30, nameTokens: 6, tablePrior: nil),
        ]
        let rows = CandidateFeatures.make(surface: "paris", candidates: evidence)
        XCTAssertEqual(rows.count, 3)
        XCTAssertTrue(rows.allSatisfy { $0.count == CandidateFeatures.count })
        func f(_ name: String, _ c: Int) -> Double { rows[c][CandidateFeatures.names.firstIndex(of: name)!] }
        XCTAssertEqual(f("model_logp", 1), -1)
        XCTAssertEqual(f("model_logp_mean", 1), -0.25)
        XCTAssertEqual(f("model_top", 1), 1)
        XCTAssertEqual(f("model_top", 0), 0)
        XCTAssertEqual(f("prior_log_share", 0), log(100.0 / 102), accuracy: 1e-12)
        XCTAssertEqual(f("prior_top", 0), 1)
        XCTAssertEqual(f("table_log_pem", 1), log(0.75), accuracy: 1e-12)
        XCTAssertEqual(f("table_log_pem", 2), log(1e-3), accuracy: 1e-12)
        XCTAssertEqual(f("table_top", 1), 1)
        XCTAssertEqual(f("title_equals_surface", 0), 0)
        XCTAssertEqual(f("title_equals_surface_folded", 0), 1)
        XCTAssertEqual(f("title_starts_with_surface", 1), 1)
        XCTAssertEqual(f("surface_word_overlap", 2), 1)
        XCTAssertEqual(f("title_has_parenthesis", 2), 1)
        XCTAssertEqual((0..<3).map { f("table_then_prior_top", $0) }, [0, 1, 0])
        XCTAssertEqual((0..<3).map { f("model_logp_unseen_surface", $0) }, [0, 0, 0], "the surface is in the table")
        // An unseen surface gives no table evidence to anyone; the model's unseen-surface copies fire.
        let unseen = CandidateFeatures.make(surface: "x", candidates: evidence.map { var e = $0; e.tablePrior = nil; return e })
        XCTAssertTrue(unseen.allSatisfy { $0[CandidateFeatures.names.firstIndex(of: "table_log_pem")!] == 0 })
        let unseenIndex = CandidateFeatures.names.firstIndex(of: "model_logp_unseen_surface")!
        XCTAssertEqual(unseen.map { $0[unseenIndex] }, [-2, -1, -30])
        XCTAssertEqual(unseen[1][unseenIndex + 1], -0.25)
    }

    func testWeightsRoundTripAndMismatchIsAnError() throws {
        let ranker = CandidateRanker(featureNames: CandidateFeatures.names, mean: Array(repeating: 0, count: CandidateFeatures.count),
                                     scale: Array(repeating: 1, count: CandidateFeatures.count),
                                     weights: (0..<CandidateFeatures.count).map(Double.init), l2: 1, note: "test")
        let path = temporaryPath(".json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ranker.write(to: path)
        XCTAssertEqual(try CandidateRanker.read(from: path), ranker)
        var other = ranker
        other.featureNames = ["a"]
        try other.write(to: path)
        XCTAssertThrowsError(try CandidateRanker.read(from: path))
        XCTAssertThrowsError(try CandidateRanker.read(from: path + ".missing"))
    }
}

final class CandidateLinkingTests: XCTestCase {
    /// With candidate lists, the shipped ranker links a surface the mention table knows without
    /// a model pass (its model features fire only for unknown surfaces); without a ranker,
    /// every candidate gets its exact model score.
    func testCandidateRankingWithAndWithoutTheModel() throws {
        let store = try TrellisStore.inMemory()
        let jordan = try store.addEntity(key: "Jordan", name: "Jordan").entity.id
        let michael = try store.addEntity(key: "Michael Jordan", name: "Michael Jordan").entity.id
        let tokenizer = ByteTokenizer()
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let end = EntityLinker.endToken(for: tokenizer)
        let model = ToyModel(vocabularySize: 258)
        let linker = EntityLinker(store: store, tokenizer: tokenizer, model: model, names: nil, endToken: end)
        XCTAssertEqual(CandidateRanker.standard?.usesModelOnlyOnUnseenSurfaces, true)
        try store.setMentionPrior(surface: "Jordan", entityID: michael, prior: 2)
        let (text, spans) = try MentionSpan.parseMarked("[Jordan] scored 40 points.")
        let candidates: [[CandidateEntity]?] = [[CandidateEntity(entityID: jordan, prior: 1), CandidateEntity(entityID: michael, prior: 50)]]
        let ranked = try linker.link(text: text, spans: spans, candidates: candidates)
        XCTAssertEqual(ranked[0].first?.key, "Michael Jordan", "the popular candidate, the table's pick, wins")
        XCTAssertEqual(model.extendCalls, 0)

        linker.options.ranker = nil
        linker.options.priorWeight = 0
        let byModel = try linker.link(text: text, spans: spans, candidates: candidates)
        XCTAssertGreaterThan(model.extendCalls, 0)
        let prompt = tokenizer.encode(linker.options.prompt.documentPrefix(text)) + tokenizer.encode(linker.options.prompt.question(text: text, span: spans[0]))
        for e in byModel[0] {
            let name = tokenizer.encode(linker.options.prompt.answerText(e.name)) + [end]
            XCTAssertEqual(Double(e.modelScore), model.logProb(of: name, after: prompt), accuracy: 1e-3)
        }
        XCTAssertEqual(model.liveSequences, 0)
    }

    /// The shortlist keeps the best by the given p(e|m) and the best by prior, in list order;
    /// with caller-given p(e|m) (training documents left out of the table) the table is ignored.
    func testShortlistByGivenTablePriors() throws {
        let store = try TrellisStore.inMemory()
        let tokenizer = ByteTokenizer()
        let linker = EntityLinker(store: store, tokenizer: tokenizer, model: ToyModel(vocabularySize: 258), names: nil,
                                  endToken: EntityLinker.endToken(for: tokenizer))
        linker.options.candidateShortlist = 1
        let list = (1...4).map { CandidateEntity(entityID: EntityID($0), prior: Double(10 * $0)) }
        XCTAssertEqual(linker.shortlist(list, tablePriors: [2: 0.9, 3: 0.1]).map(\.entityID), [2, 4])
        XCTAssertEqual(linker.shortlist(list, tablePriors: [4: 1]).map(\.entityID), [4], "one candidate is best by both")
        XCTAssertEqual(linker.shortlist(list, tablePriors: [:]).map(\.entityID), [4], "no table: prior decides both halves")
        linker.options.candidateShortlist = 0
        XCTAssertEqual(linker.shortlist(list, tablePriors: [2: 1]).count, 4, "0 keeps all")
    }

    /// A ranker whose model features fire only for unseen surfaces runs the model only for
    /// mentions the mention table does not know.
    func testModelRunsOnlyForSurfacesTheTableLacks() throws {
        let store = try TrellisStore.inMemory()
        let jordan = try store.addEntity(key: "Jordan", name: "Jordan").entity.id
        let michael = try store.addEntity(key: "Michael Jordan", name: "Michael Jordan").entity.id
        try store.setMentionPrior(surface: "Jordan", entityID: michael, prior: 3)
        let tokenizer = ByteTokenizer()
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let model = ToyModel(vocabularySize: 258)
        let linker = EntityLinker(store: store, tokenizer: tokenizer, model: model, names: nil, endToken: EntityLinker.endToken(for: tokenizer))
        let d = CandidateFeatures.count
        var weights = [Double](repeating: 0, count: d)
        weights[CandidateFeatures.names.firstIndex(of: "model_logp_unseen_surface")!] = 1
        weights[CandidateFeatures.names.firstIndex(of: "prior_log_share")!] = 1
        let ranker = CandidateRanker(featureNames: CandidateFeatures.names, mean: Array(repeating: 0, count: d),
                                     scale: Array(repeating: 1, count: d), weights: weights, l2: 1, note: "test")
        XCTAssertTrue(ranker.usesModelOnlyOnUnseenSurfaces)
        linker.options.ranker = ranker
        let candidates: [[CandidateEntity]?] = [[CandidateEntity(entityID: jordan, prior: 1), CandidateEntity(entityID: michael, prior: 5)]]
        let (seenText, seenSpans) = try MentionSpan.parseMarked("[Jordan] scored.")
        _ = try linker.link(text: seenText, spans: seenSpans, candidates: candidates)
        XCTAssertEqual(model.extendCalls, 0, "the table knows 'Jordan'")
        let (text, spans) = try MentionSpan.parseMarked("[MJ] scored.")
        let ranked = try linker.link(text: text, spans: spans, candidates: candidates)
        XCTAssertGreaterThan(model.extendCalls, 0)
        XCTAssertTrue(ranked[0].allSatisfy { $0.modelScore.isFinite && $0.modelScore < 0 })
        XCTAssertEqual(model.liveSequences, 0)
    }
}
