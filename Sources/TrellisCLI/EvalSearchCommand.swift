import ArgumentParser
import Foundation
import TrellisEngine
import TrellisEval
import TrellisSearch
import TrellisStore

struct EvalSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Passage retrieval (nDCG@10, Recall@100, MRR@10) on a BEIR dataset: seal, bm25, hybrid.",
        discussion: """
        Reads DATA/DATASET/corpus.jsonl (imported into --store on first use), queries_SPLIT.jsonl and \
        qrels_SPLIT.tsv; only queries with judgements are scored. SEAL n-grams are generated once per \
        query; --alphas/--betas and the fusion variants are re-ranked from them at no model cost. \
        The hybrid's query-likelihood scores of the first-stage head are computed once per query and \
        fused with a grid of weights; nDCG@10 is printed for the even-position queries (fit: the \
        defaults were chosen on them), the odd ones (held-out) and all.
        """)
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The shared data folder.") var data: String = "../shared/data"
    @Option(help: "BEIR dataset folder under --data.") var dataset: String = "scifact"
    @Option(help: "Query split (BEIR has no dev split: train is the dev set).") var split: String = "train"
    @Option(help: "Store holding the evaluation corpus.") var store: String = "Indexes/eval-scifact.sqlite"
    @Option(help: "Only the first N judged queries.") var limit: Int?
    @Option(help: "Which judged queries: all, fit (even positions) or held-out (odd).") var half: String = "all"
    @Option(help: "Comma-separated modes: seal, bm25, hybrid.") var modes: String = "seal,bm25,hybrid"
    @Option(help: "Comma-separated SEAL α values to report (first is the main one).") var alphas: String = "2"
    @Option(help: "Comma-separated SEAL β (coverage) values to report.") var betas: String = "0.5"
    @Option(help: "SEAL prompt template with {query}.") var prompt: String?
    @Option(help: "Hybrid: run SEAL in the first stage (true/false; default: the hybrid's). Without it the first stage is BM25.")
    var hybridSEAL: Bool?
    @Option(help: "Hybrid: first-stage passages rescored by query likelihood (0: none; default: the hybrid's).") var rerankDepth: Int?
    @Option(help: "Hybrid: passage tokens kept for rescoring (default: the hybrid's).") var passageTokens: Int?
    @Option(help: "Hybrid: passage tokens also kept from the end of long passages for rescoring (default: the hybrid's).") var passageTailTokens: Int?
    @Option(help: "Hybrid: how BM25 and likelihood scores are normalized over the rescored head, minmax or zscore (default: the hybrid's).")
    var headNormalization: String?
    @Option(help: "Hybrid: rescoring prompt, PREFIX{passage}SUFFIX; the query follows after a space.") var rescorePrompt: String?
    @Option(help: "Write each query's BM25, SEAL and likelihood scores here (JSONL) for offline study.") var dump: String?
    @Option(help: "Hybrid with a BM25 first stage: keep query-likelihood scores in this JSONL file (resumed if present; default: a temporary file).")
    var likelihoodCache: String?
    @Flag(help: "Print every rescoring weight combination, not the best 8.") var verboseGrid = false

    func run() throws {
        let selected = try modes.split(separator: ",").map { m -> SearchMode in
            guard let mode = SearchMode(rawValue: m.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("unknown mode \(m)") }
            return mode
        }
        let alphaList = alphas.split(separator: ",").compactMap { Double($0) }
        let betaList = betas.split(separator: ",").compactMap { Double($0) }
        guard !alphaList.isEmpty, !betaList.isEmpty else { throw ValidationError("--alphas and --betas need numbers") }
        let folder = data + "/" + dataset
        let workspace = Workspace(storePath: store)
        let corpusStore = try workspace.openStore()
        if try corpusStore.counts().passages == 0 {
            let bar = ProgressReporter("importing \(dataset) corpus")
            let s = try corpusStore.importCorpus(from: folder + "/corpus.jsonl") { bar.update($0, $1) }
            bar.finish("\(s.records) passages")
        }
        let qrels = try BEIRQrels.read(folder + "/qrels_\(split).tsv")
        var queries = try JSONLines.read(BEIRQuery.self, from: folder + "/queries_\(split).jsonl").filter { qrels[$0.id] != nil }
        if let limit { queries = Array(queries.prefix(limit)) }
        // Each query keeps its position among the judged queries: even = fit, odd = held-out.
        let positionOf = Dictionary(queries.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        switch half {
        case "all": break
        case "fit": queries = queries.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        case "held-out": queries = queries.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        default: throw ValidationError("--half takes all, fit or held-out")
        }
        let hybridConfig = try configuredHybrid()
        let needSEAL = selected.contains(.seal) || (selected.contains(.hybrid) && hybridConfig.usesSEAL)
        var options = SEALOptions()
        if let prompt { options.prompt = prompt }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let prep = ProgressReporter("tokenizing and indexing")
        let seal = try engine.makeSEALSearcher(store: corpusStore, workspace: workspace, options: options) { prep.update($0, $1) }
        prep.finish("FM-index ready")
        var keyOf: [PassageID: String] = [:]
        try corpusStore.forEachPassage { keyOf[$0.id] = $0.key }

        let hybrid = HybridSearcher(seal: seal, configuration: hybridConfig)
        let dumpHandle = try dump.map { path -> FileHandle in
            FileManager.default.createFile(atPath: path, contents: nil)
            guard let h = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
            return h
        }

        // Metric sums per variant over three query sets: fit (even positions), held-out (odd), all.
        var order: [String] = []
        var sums: [String: [(ndcg: Double, recall: Double, mrr: Double)]] = [:]
        var counts = [0, 0, 0]
        func record(_ name: String, _ hits: [SearchHit], _ relevant: [String: Int], position: Int) {
            if sums[name] == nil { order.append(name); sums[name] = Array(repeating: (0, 0, 0), count: 3) }
            let ranked = hits.compactMap { keyOf[$0.passageID] }
            let m = (RetrievalMetrics.ndcg(ranked: ranked, relevant: relevant, k: 10),
                     RetrievalMetrics.recall(ranked: ranked, relevant: relevant, k: 100),
                     RetrievalMetrics.mrr(ranked: ranked, relevant: relevant, k: 10))
            for set in [position % 2, 2] {
                sums[name]![set].ndcg += m.0
                sums[name]![set].recall += m.1
                sums[name]![set].mrr += m.2
            }
        }
        var grid: [(bm25: Double, seal: Double, ql: Double)] = []
        for b in 0...10 {
            for s in 0...(10 - b) { grid.append((Double(b) / 10, Double(s) / 10, Double(10 - b - s) / 10)) }
        }
        var sealSeconds = 0.0, bm25Seconds = 0.0, rescoreSeconds = 0.0
        // With a BM25 first stage the rescored pairs are known up front: score them grouped by
        // passage (each passage prompt prefilled once for all its queries), then read them back.
        var likelihoods: LikelihoodScoreFile?
        var precomputedPairs = 0
        if selected.contains(.hybrid), !hybridConfig.usesSEAL, hybridConfig.rerankDepth > 0 {
            let path = likelihoodCache ?? NSTemporaryDirectory() + "trellis-likelihood-\(ProcessInfo.processInfo.processIdentifier).jsonl"
            var file = try LikelihoodScoreFile(path: path, options: hybridConfig.likelihood)
            let heads = try queries.map { try corpusStore.bm25Search(query: $0.text, limit: hybridConfig.rerankDepth).map(SearchHit.init) }
            hybrid.reranker.options = hybridConfig.likelihood
            let spent = try Self.precomputeLikelihoods(queries: queries.map { ($0.id, $0.text) }, bm25: heads, depth: hybridConfig.rerankDepth,
                                                       store: corpusStore, keyOf: keyOf, reranker: hybrid.reranker, file: &file)
            rescoreSeconds += spent.seconds
            precomputedPairs = spent.pairs
            likelihoods = file
            if likelihoodCache == nil { try? FileManager.default.removeItem(atPath: path) }
        }
        var ngramCount = 0, weightedCount = 0
        let bar = ProgressReporter("\(dataset) \(split)")
        for (index, q) in queries.enumerated() {
            let qi = positionOf[q.id] ?? index
            let relevant = qrels[q.id] ?? [:]
            counts[qi % 2] += 1
            counts[2] += 1
            var bm25: [SearchHit] = []
            if selected.contains(.bm25) || selected.contains(.hybrid) {
                let t0 = Date()
                bm25 = try corpusStore.bm25Search(query: q.text, limit: 100).map(SearchHit.init)
                bm25Seconds += Date().timeIntervalSince(t0)
                if selected.contains(.bm25) { record("bm25", bm25, relevant, position: qi) }
            }
            guard needSEAL || selected.contains(.hybrid) else { bar.update(index + 1, queries.count); continue }
            let t0 = Date()
            var ngrams = needSEAL ? try seal.ngrams(for: q.text) : []
            let mainHits = needSEAL ? try seal.rank(ngrams: ngrams, limit: 100).hits : []
            sealSeconds += Date().timeIntervalSince(t0)
            ngramCount += ngrams.count
            weightedCount += ngrams.filter { $0.weight > 0 }.count
            for alpha in alphaList where needSEAL {
                for beta in betaList {
                    let isMain = alpha == alphaList[0] && beta == betaList[0]
                    var hits = mainHits
                    if !isMain {
                        for i in ngrams.indices {
                            ngrams[i].weight = SEALScoring.weight(logProb: ngrams[i].logProb, count: ngrams[i].count,
                                                                  tokenCount: seal.index.fmIndex.tokenCount, alpha: alpha)
                        }
                        let saved = seal.options
                        seal.options.alpha = alpha
                        seal.options.coverageWeight = beta
                        hits = try seal.rank(ngrams: ngrams, limit: 100).hits
                        seal.options = saved
                    }
                    let tag = alphaList.count * betaList.count > 1 ? String(format: " α=%g β=%g", alpha, beta) : ""
                    if selected.contains(.seal) { record("seal" + tag, hits, relevant, position: qi) }
                }
            }
            guard selected.contains(.hybrid) else { bar.update(index + 1, queries.count); continue }
            if needSEAL {
                record("fusion rrf k=60", RankFusion.fuse(seal: mainHits, bm25: bm25, method: .reciprocalRank(k: 60), limit: 100), relevant, position: qi)
                for lambda in [0.1, 0.2, 0.3, 0.5] {
                    record(String(format: "fusion linear λ=%.1f", lambda),
                           RankFusion.fuse(seal: mainHits, bm25: bm25, method: .linear(sealWeight: lambda), limit: 100), relevant, position: qi)
                }
            }
            // Second stage: query likelihood of the first-stage head, computed once, fused many ways.
            let first = hybridConfig.usesSEAL ? RankFusion.fuse(seal: mainHits, bm25: bm25, method: hybridConfig.firstStage, limit: 100) : bm25
            guard hybridConfig.rerankDepth > 0 else { bar.update(index + 1, queries.count); continue }
            let t1 = Date()
            let headIDs = first.prefix(hybridConfig.rerankDepth).map(\.passageID)
            let rescored = try likelihoods.map { file in
                headIDs.compactMap { id in keyOf[id].flatMap { file.score(query: q.id, key: $0) }.map { SearchHit(passageID: id, score: $0) } }
            } ?? hybrid.rescore(query: q.text, ids: headIDs)
            if likelihoods == nil { rescoreSeconds += Date().timeIntervalSince(t1) }
            func reranked(_ b: Double, _ s: Double, _ l: Double) -> [SearchHit] {
                RankFusion.rerankHead(firstStage: first, depth: hybridConfig.rerankDepth, lists: [(bm25, b), (hybridConfig.usesSEAL ? mainHits : [], s)],
                                      rescored: rescored, rescoreWeight: l, limit: 100, normalization: hybridConfig.headNormalization)
            }
            record("hybrid (default)", reranked(hybridConfig.bm25Weight, hybridConfig.sealWeight, hybridConfig.likelihoodWeight), relevant, position: qi)
            for w in grid where hybridConfig.usesSEAL || w.seal == 0 { record(String(format: "rerank b=%.1f s=%.1f q=%.1f", w.bm25, w.seal, w.ql), reranked(w.bm25, w.seal, w.ql), relevant, position: qi) }
            if let dumpHandle {
                func entries(_ hits: [SearchHit]) -> [DumpLine.Entry] { hits.map { .init(key: keyOf[$0.passageID] ?? "", score: $0.score) } }
                let line = DumpLine(id: q.id, bm25: entries(bm25), seal: entries(mainHits), likelihood: entries(rescored))
                dumpHandle.write(try JSONEncoder().encode(line) + Data("\n".utf8))
            }
            bar.update(index + 1, queries.count)
        }
        bar.finish("\(queries.count) queries")
        try dumpHandle?.close()
        print("\(dataset) \(split): \(queries.count) judged queries (fit = even positions: \(counts[0]), held-out = odd: \(counts[1])), \(keyOf.count) passages, \(seal.index.fmIndex.tokenCount) tokens")
        print("mode                              nDCG@10 fit  held-out  all     Recall@100  MRR@10   (all)")
        func line(_ name: String) {
            guard let s = sums[name] else { return }
            func avg(_ v: Double, _ set: Int) -> Double { v / Double(max(counts[set], 1)) }
            print(name.padding(toLength: 32, withPad: " ", startingAt: 0)
                  + String(format: "  %.4f      %.4f    %.4f  %.4f      %.4f", avg(s[0].ndcg, 0), avg(s[1].ndcg, 1), avg(s[2].ndcg, 2),
                           avg(s[2].recall, 2), avg(s[2].mrr, 2)))
        }
        let gridNames = order.filter { $0.hasPrefix("rerank ") }
        for name in order where !name.hasPrefix("rerank ") { line(name) }
        let byFit = gridNames.sorted { sums[$0]![0].ndcg > sums[$1]![0].ndcg }
        if !byFit.isEmpty {
            print("rescoring weights (b = BM25, s = SEAL, q = query likelihood), best \(min(verboseGrid ? byFit.count : 8, byFit.count)) of \(byFit.count) by fit nDCG@10:")
            for name in byFit.prefix(verboseGrid ? byFit.count : 8) { line(name) }
            for name in ["rerank b=0.0 s=0.0 q=1.0", "rerank b=1.0 s=0.0 q=0.0"] where !byFit.prefix(8).contains(name) { line(name) }
            print("chosen on fit: \(byFit[0]) (first stage \(hybridConfig.usesSEAL ? "\(hybridConfig.firstStage)" : "BM25"), head \(hybridConfig.rerankDepth), \(hybridConfig.likelihood.passageTokenBudget) + \(hybridConfig.likelihood.passageTailTokens) passage tokens, \(hybridConfig.headNormalization.rawValue))")
        }
        let n = Double(max(queries.count, 1))
        if selected.contains(.bm25) { print(String(format: "bm25: %.1f queries/s", n / max(bm25Seconds, 1e-9))) }
        if needSEAL {
            print(String(format: "seal: %.2f queries/s (beam %d, n-grams ≤ %d; %.1f n-grams/query, %.1f with w > 0)",
                         n / max(sealSeconds, 1e-9), options.beamSize, options.maxNgramLength, Double(ngramCount) / n, Double(weightedCount) / n))
        }
        if precomputedPairs > 0 {
            print(String(format: "query-likelihood rescoring grouped by passage: %d pairs scored in %.0f s (%.2f pairs/s)",
                         precomputedPairs, rescoreSeconds, Double(precomputedPairs) / max(rescoreSeconds, 1e-9)))
        }
        if rescoreSeconds > 0 {
            print(String(format: "query-likelihood rescoring: %.2f queries/s (%d passages × ≤ %d tokens); ", n / rescoreSeconds,
                         hybridConfig.rerankDepth, hybridConfig.likelihood.passageTokenBudget)
                  + "hybrid" + (hybridConfig.usesSEAL ? "" : " without SEAL") + String(format: ": %.2f queries/s in all",
                                                                                   n / ((hybridConfig.usesSEAL ? sealSeconds : 0) + bm25Seconds + rescoreSeconds)))
        }
    }

    /// The hybrid's defaults with this command's overrides; a rescoring prompt must hold exactly
    /// one `{passage}`.
    func configuredHybrid() throws -> HybridConfiguration {
        var c = HybridConfiguration()
        if let hybridSEAL { c.usesSEAL = hybridSEAL }
        if let rerankDepth { c.rerankDepth = rerankDepth }
        if let passageTokens { c.likelihood.passageTokenBudget = passageTokens }
        if let passageTailTokens { c.likelihood.passageTailTokens = passageTailTokens }
        if let headNormalization {
            guard let n = ScoreNormalization(rawValue: headNormalization) else {
                throw ValidationError("--head-normalization takes minmax or zscore, not \(headNormalization)")
            }
            c.headNormalization = n
        }
        if let rescorePrompt {
            let parts = rescorePrompt.components(separatedBy: "{passage}")
            guard parts.count == 2 else { throw ValidationError("--rescore-prompt needs exactly one {passage}, got \(parts.count - 1)") }
            c.likelihood.passagePrefix = parts[0]
            c.likelihood.querySuffix = parts[1]
        }
        return c
    }
}

/// One query's lists in the `--dump` file: passage keys and scores, best first.
private struct DumpLine: Encodable {
    struct Entry: Encodable {
        let key: String
        let score: Double
    }
    let id: String
    let bm25: [Entry]
    let seal: [Entry]
    let likelihood: [Entry]
}
