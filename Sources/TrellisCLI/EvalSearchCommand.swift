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
        query; --alphas/--betas and the fusion variants are re-ranked from them at no model cost.
        """)
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The shared data folder.") var data: String = "../shared/data"
    @Option(help: "BEIR dataset folder under --data.") var dataset: String = "scifact"
    @Option(help: "Query split (BEIR has no dev split: train is the dev set).") var split: String = "train"
    @Option(help: "Store holding the evaluation corpus.") var store: String = "Indexes/eval-scifact.sqlite"
    @Option(help: "Only the first N judged queries.") var limit: Int?
    @Option(help: "Comma-separated modes: seal, bm25, hybrid.") var modes: String = "seal,bm25,hybrid"
    @Option(help: "Comma-separated SEAL α values to report (first is the main one).") var alphas: String = "2"
    @Option(help: "Comma-separated SEAL β (coverage) values to report.") var betas: String = "0.5"
    @Option(help: "Prompt template with {query}.") var prompt: String?

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
        let needSEAL = selected.contains(.seal) || selected.contains(.hybrid)
        var options = SEALOptions()
        if let prompt { options.prompt = prompt }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let prep = ProgressReporter("tokenizing and indexing")
        let seal = try engine.makeSEALSearcher(store: corpusStore, workspace: workspace, options: options) { prep.update($0, $1) }
        prep.finish("FM-index ready")
        var keyOf: [PassageID: String] = [:]
        try corpusStore.forEachPassage { keyOf[$0.id] = $0.key }

        // Ranked lists per variant name, accumulated metrics.
        var order: [String] = []
        var sums: [String: (ndcg: Double, recall: Double, mrr: Double)] = [:]
        func record(_ name: String, _ hits: [SearchHit], _ relevant: [String: Int]) {
            if sums[name] == nil { order.append(name); sums[name] = (0, 0, 0) }
            let ranked = hits.compactMap { keyOf[$0.passageID] }
            sums[name]!.ndcg += RetrievalMetrics.ndcg(ranked: ranked, relevant: relevant, k: 10)
            sums[name]!.recall += RetrievalMetrics.recall(ranked: ranked, relevant: relevant, k: 100)
            sums[name]!.mrr += RetrievalMetrics.mrr(ranked: ranked, relevant: relevant, k: 10)
        }
        var sealSeconds = 0.0, bm25Seconds = 0.0
        var ngramCount = 0, weightedCount = 0
        let bar = ProgressReporter("\(dataset) \(split)")
        for (qi, q) in queries.enumerated() {
            let relevant = qrels[q.id] ?? [:]
            var bm25: [SearchHit] = []
            if selected.contains(.bm25) || selected.contains(.hybrid) {
                let t0 = Date()
                bm25 = try corpusStore.bm25Search(query: q.text, limit: 100).map(SearchHit.init)
                bm25Seconds += Date().timeIntervalSince(t0)
                if selected.contains(.bm25) { record("bm25", bm25, relevant) }
            }
            guard needSEAL else { bar.update(qi + 1, queries.count); continue }
            let t0 = Date()
            var ngrams = try seal.ngrams(for: q.text)
            _ = try seal.rank(ngrams: ngrams, limit: 100)
            sealSeconds += Date().timeIntervalSince(t0)
            ngramCount += ngrams.count
            weightedCount += ngrams.filter { $0.weight > 0 }.count
            for alpha in alphaList {
                for beta in betaList {
                    for i in ngrams.indices {
                        ngrams[i].weight = SEALScoring.weight(logProb: ngrams[i].logProb, count: ngrams[i].count,
                                                              tokenCount: seal.index.fmIndex.tokenCount, alpha: alpha)
                    }
                    let saved = seal.options
                    seal.options.alpha = alpha
                    seal.options.coverageWeight = beta
                    let hits = try seal.rank(ngrams: ngrams, limit: 100).hits
                    seal.options = saved
                    let isMain = alpha == alphaList[0] && beta == betaList[0]
                    let tag = alphaList.count * betaList.count > 1 ? String(format: " α=%g β=%g", alpha, beta) : ""
                    if selected.contains(.seal) { record("seal" + tag, hits, relevant) }
                    if selected.contains(.hybrid) && isMain {
                        record("hybrid rrf k=60", RankFusion.fuse(seal: hits, bm25: bm25, method: .reciprocalRank(k: 60), limit: 100), relevant)
                        for lambda in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] {
                            record(String(format: "hybrid linear λ=%.1f", lambda),
                                   RankFusion.fuse(seal: hits, bm25: bm25, method: .linear(sealWeight: lambda), limit: 100), relevant)
                        }
                    }
                }
            }
            bar.update(qi + 1, queries.count)
        }
        bar.finish("\(queries.count) queries")
        let n = Double(max(queries.count, 1))
        print("\(dataset) \(split): \(queries.count) judged queries, \(keyOf.count) passages, \(seal.index.fmIndex.tokenCount) tokens")
        print("mode                          nDCG@10  Recall@100  MRR@10")
        for name in order {
            let s = sums[name]!
            print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "  %.4f   %.4f      %.4f", s.ndcg / n, s.recall / n, s.mrr / n))
        }
        if selected.contains(.bm25) { print(String(format: "bm25: %.1f queries/s", n / max(bm25Seconds, 1e-9))) }
        if needSEAL {
            print(String(format: "seal: %.2f queries/s (beam %d, n-grams ≤ %d; %.1f n-grams/query, %.1f with w > 0); hybrid costs seal + bm25",
                         n / max(sealSeconds, 1e-9), options.beamSize, options.maxNgramLength, Double(ngramCount) / n, Double(weightedCount) / n))
        }
    }
}
