import ArgumentParser
import Foundation
import TrellisEngine
import TrellisEval
import TrellisSearch
import TrellisStore

extension SearchMode: ExpressibleByArgument {}

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the passage corpus: SEAL n-gram generation over the FM-index, BM25 (FTS5), or both fused.",
        discussion: """
        Import a corpus first with `trellis corpus import FILE`. SEAL and hybrid results mark the \
        n-grams that matched (bold on a terminal, «…» otherwise). With --queries FILE (JSONL \
        {_id, text}) every query is searched and one JSON line per query is written.
        """)
    @Argument(help: "The query (omit with --queries).") var query: String?
    @Option(help: "seal, bm25 or hybrid.") var mode: SearchMode = .hybrid
    @Flag(help: "Hybrid: also run SEAL in the first stage (off by default; see README).") var hybridSEAL = false
    @Option(help: "Passages to return.") var topK: Int = 10
    @Flag(help: "Print JSON instead of text.") var json = false
    @Option(help: "JSONL file of queries ({_id, text}); writes JSONL results.") var queries: String?
    @Option(help: "Write batch results here instead of stdout.") var output: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard (query == nil) != (queries == nil) else { throw ValidationError("give a query or --queries FILE, not both") }
        guard topK > 0 else { throw ValidationError("--top-k must be positive") }
    }

    func run() throws {
        let workspace = storeOptions.workspace
        let store = try workspace.openStore()
        guard try store.counts().passages > 0 else {
            throw ValidationError("the store \(workspace.storePath) has no passages; run `trellis corpus import FILE` first")
        }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let bar = ProgressReporter("preparing the FM-index", quiet: queries == nil)
        let seal = try engine.makeSEALSearcher(store: store, workspace: workspace) { bar.update($0, $1) }
        var configuration = HybridConfiguration()
        if hybridSEAL { configuration.usesSEAL = true }
        let hybrid = HybridSearcher(seal: seal, configuration: configuration)
        let renderer = HitRenderer(tokenizer: engine.tokenizer, ansi: !json && queries == nil && isatty(STDOUT_FILENO) == 1)

        func search(_ text: String) throws -> ([SearchHit], [SEALNgram]) {
            switch mode {
            case .seal: let r = try seal.search(text, limit: topK); return (r.hits, r.ngrams)
            case .bm25: return (try store.bm25Search(query: text, limit: topK).map(SearchHit.init), [])
            case .hybrid: let r = try hybrid.search(text, limit: topK); return (r.hits, r.ngrams)
            }
        }
        func result(_ text: String, id: String?) throws -> SearchResultJSON {
            let (hits, ngrams) = try search(text)
            let records = try store.passages(ids: hits.map(\.passageID))
            var byID: [PassageID: PassageRecord] = [:]
            for r in records { byID[r.id] = r }
            let items = hits.enumerated().compactMap { (i, h) -> SearchHitJSON? in
                guard let r = byID[h.passageID] else { return nil }
                let text = h.matches.isEmpty || r.tokens == nil ? r.text
                    : renderer.highlighted(tokens: r.tokens!, matches: h.matches, ngrams: ngrams)
                return SearchHitJSON(rank: i + 1, id: r.key, score: h.score, title: r.title, text: text,
                                     ngrams: renderer.ngramTexts(h.matches, ngrams))
            }
            return SearchResultJSON(query: text, queryID: id, mode: mode.rawValue, hits: items)
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let queries {
            let list = try JSONLines.read(BEIRQuery.self, from: queries)
            var out = Data()
            let progress = ProgressReporter("searching")
            for (i, q) in list.enumerated() {
                out += try encoder.encode(try result(q.text, id: q.id)) + Data("\n".utf8)
                progress.update(i + 1, list.count)
            }
            progress.finish("\(list.count) queries")
            if let output { try out.write(to: URL(fileURLWithPath: output), options: .atomic) } else { FileHandle.standardOutput.write(out) }
            return
        }
        let r = try result(query!, id: nil)
        if json {
            encoder.outputFormatting.insert(.prettyPrinted)
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
            return
        }
        for hit in r.hits {
            print(String(format: "%2d. [%@] %.3f  %@", hit.rank, hit.id, hit.score, hit.title))
            // SEAL text is the model text (title then passage); show the passage part briefly.
            print("    " + String(hit.text.prefix(400)).replacingOccurrences(of: "\n", with: " ") + (hit.text.count > 400 ? "…" : ""))
            if !hit.ngrams.isEmpty { print("    n-grams: " + hit.ngrams.prefix(8).map { "\"\($0)\"" }.joined(separator: ", ")) }
        }
        if r.hits.isEmpty { print("no passages found") }
    }
}
