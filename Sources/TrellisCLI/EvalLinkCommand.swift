import ArgumentParser
import Foundation
import TrellisEngine
import TrellisEval
import TrellisLinking
import TrellisStore

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate on the benchmark files in shared/data (read as they are).",
        subcommands: [EvalLinkCommand.self, EvalSearchCommand.self, EvalCommonGenCommand.self])
}

/// Character offsets as Python counts them (code points) → Swift `Character` offsets.
func characterOffsets(_ text: String) -> [Int] {
    var map: [Int] = []
    for (c, ch) in text.enumerated() { for _ in ch.unicodeScalars { map.append(c) } }
    map.append(text.count)
    return map
}

struct EvalLinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Entity disambiguation accuracy (InKB micro-F1) on AIDA-CoNLL and the out-of-domain sets.",
        discussion: """
        Reads DATA/aida_conll/aida_SPLIT.jsonl, the KB DATA/wiki_entities/entities.jsonl (imported into \
        --store on first use) and, with --extra, DATA/el_extra_dev/*.jsonl. Prints accuracy for the \
        popularity baseline and for Trellis at every --prior-weights value, from one pass of the model.
        """)
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var flags: LinkingFlags
    @Option(help: "The shared data folder.") var data: String = "../shared/data"
    @Option(help: "Store holding the evaluation KB.") var store: String = "Indexes/eval-wiki.sqlite"
    @Option(help: "AIDA split: testa (dev) or train.") var split: String = "testa"
    @Option(help: "Only the first N documents.") var limitDocs: Int?
    @Option(help: "Comma-separated prior weights to report.") var priorWeights: String = "0,0.25,0.5,1,2"
    @Flag(help: "Also link without candidate lists, over the whole KB trie (slower).") var kb = false
    @Flag(help: "Also evaluate the out-of-domain sets (KB trie, gold compared by name).") var extra = false

    func run() throws {
        let weights = priorWeights.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !weights.isEmpty else { throw ValidationError("--prior-weights needs numbers") }
        let workspace = Workspace(storePath: store)
        let kbStore = try workspace.openStore()
        if try kbStore.counts().entities == 0 {
            let bar = ProgressReporter("importing wiki_entities")
            let s = try kbStore.importKnowledgeBase(from: data + "/wiki_entities/entities.jsonl") { bar.update($0, $1) }
            bar.finish("\(s.records) entities")
        }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let linker = try engine.makeLinker(store: kbStore, workspace: workspace, options: flags.options)
        var docs = try JSONLines.read(AIDADocument.self, from: data + "/aida_conll/aida_\(split).jsonl")
        if let limitDocs { docs = Array(docs.prefix(limitDocs)) }
        let total = docs.reduce(0) { $0 + $1.mentions.filter { $0.goldTitle != nil }.count }
        var popularityCorrect = 0, scored = 0, missingCandidates = 0
        var correctByWeight = [Int](repeating: 0, count: weights.count)
        var kbCorrect = 0
        let bar = ProgressReporter("AIDA \(split)")
        let start = Date()
        for doc in docs {
            let offsets = characterOffsets(doc.text)
            let mentions = doc.mentions.filter { $0.goldTitle != nil }
            guard !mentions.isEmpty else { continue }
            var spans: [MentionSpan] = []
            var candidateLists: [[CandidateEntity]?] = []
            var keysByID: [EntityID: String] = [:]
            for m in mentions {
                spans.append(MentionSpan(start: offsets[min(m.start, offsets.count - 1)], end: offsets[min(m.end, offsets.count - 1)]))
                var list: [CandidateEntity] = []
                for c in m.candidates {
                    guard let e = try kbStore.entity(key: c.title) else { missingCandidates += 1; continue }
                    keysByID[e.id] = e.key
                    list.append(CandidateEntity(entityID: e.id, prior: Double(c.inCount ?? 0)))
                }
                candidateLists.append(list)
                if let best = m.candidates.max(by: { ($0.inCount ?? 0, $1.title) < ($1.inCount ?? 0, $0.title) }), best.title == m.goldTitle {
                    popularityCorrect += 1
                }
            }
            let ranked = try linker.link(text: doc.text, spans: spans, candidates: candidateLists, topK: 1000)
            for (m, entities) in zip(mentions, ranked) {
                for (w, weight) in weights.enumerated() {
                    let best = entities.max { a, b in
                        let sa = a.modelScore + weight * logf(a.prior ?? 1), sb = b.modelScore + weight * logf(b.prior ?? 1)
                        return (sa, b.key) < (sb, a.key)
                    }
                    if best?.key == m.goldTitle { correctByWeight[w] += 1 }
                }
            }
            if kb {
                let free = try linker.link(text: doc.text, spans: spans, candidates: spans.map { _ in nil }, topK: 1)
                for (m, entities) in zip(mentions, free) where entities.first?.key == m.goldTitle { kbCorrect += 1 }
            }
            scored += mentions.count
            bar.update(scored, total)
        }
        let seconds = Date().timeIntervalSince(start)
        bar.finish("\(scored) in-KB mentions")
        func pct(_ n: Int) -> String { String(format: "%.1f", 100 * Double(n) / Double(max(scored, 1))) }
        print("AIDA-CoNLL \(split): \(scored) in-KB mentions in \(docs.count) documents; \(missingCandidates) candidate titles missing from the KB")
        print("  popularity baseline (most in-links)        micro-F1 \(pct(popularityCorrect))")
        for (w, weight) in weights.enumerated() {
            print("  Trellis, candidates, prior weight \(String(format: "%-5g", weight))   micro-F1 \(pct(correctByWeight[w]))")
        }
        if kb { print("  Trellis, whole KB trie (no candidates)      micro-F1 \(pct(kbCorrect))") }
        print(String(format: "  %.1f mentions/s (beam %d, %@)", Double(scored) / seconds, flags.beam, flags.jumpForward ? "jump-forward" : "stepwise"))
        if extra { try evaluateExtra(linker: linker) }
    }

    private func normalized(_ s: String) -> String {
        s.lowercased().replacingOccurrences(of: "_", with: " ").trimmingCharacters(in: .whitespaces)
    }

    private func evaluateExtra(linker: EntityLinker) throws {
        for name in ["kore50", "derczynski", "reuters128", "rss500"] {
            let path = data + "/el_extra_dev/\(name).jsonl"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            var docs = try JSONLines.read(ELDocument.self, from: path)
            if let limitDocs { docs = Array(docs.prefix(limitDocs)) }
            var correct = 0, count = 0
            for doc in docs {
                let offsets = characterOffsets(doc.text)
                let mentions = doc.mentions.filter { $0.goldQID != nil }
                guard !mentions.isEmpty else { continue }
                let spans = mentions.map { MentionSpan(start: offsets[min($0.start, offsets.count - 1)], end: offsets[min($0.end, offsets.count - 1)]) }
                let ranked = try linker.link(text: doc.text, spans: spans, candidates: spans.map { _ in nil }, topK: 1)
                for (m, e) in zip(mentions, ranked) {
                    count += 1
                    if let top = e.first, let gold = m.goldName, normalized(top.key) == normalized(gold) || normalized(top.name) == normalized(gold) { correct += 1 }
                }
            }
            print(String(format: "  %@: %d in-KB mentions, accuracy %.1f (whole KB trie; gold compared by name, Wikidata labels vs Wikipedia titles)", name, count, 100 * Double(correct) / Double(max(count, 1))))
        }
    }
}
