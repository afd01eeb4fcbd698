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
    @Option(help: "Only the first N documents (after --skip-docs).") var limitDocs: Int?
    @Option(help: "Skip the first N documents (to score a split in several runs).") var skipDocs: Int = 0
    @Option(help: "Comma-separated prior weights to report.") var priorWeights: String = "0,0.25,0.5,1,2"
    @Flag(help: "Also link without candidate lists (mention table where it knows the surface, else the whole KB trie; slower).") var kb = false
    @Flag(help: "With --kb: ignore the mention table too, every mention searches the whole KB trie.") var kbOnly = false
    @Flag(help: "Also evaluate the out-of-domain sets (KB trie, gold compared by name).") var extra = false
    @Option(help: "Fit the candidate ranker on this split (use --split train) and write its weights here.") var fitRanker: String?
    @Option(help: "Candidate ranker weights (JSON from --fit-ranker); default: the shipped weights.") var ranker: String?
    @Option(help: "With --fit-ranker: regularize toward these weights (a file, or `standard` for the shipped ones) instead of toward 0.") var centerRanker: String?
    @Option(help: "With --fit-ranker: fit only these comma-separated features; the others keep the --center-ranker weights (residual fit).") var fitOnly: String?
    @Option(help: "Write every mention's candidate evidence (model scores etc.) to this JSONL file.") var saveScores: String?
    @Option(help: "Read candidate evidence saved by --save-scores instead of running the model.") var loadScores: String?
    @Flag(help: "Rank without the model (its features are then constant): p(e|m), in-links and string features only.") var noModel = false
    @Option(help: "Score only this many best candidates by AIDA-train p(e|m) and as many by in-links (0: all).") var shortlist: Int = 6
    @Flag(help: "Skip the with-candidates pass (with --kb: whole-KB disambiguation only).") var noCandidates = false
    @Flag(help: "Skip AIDA entirely (with --extra: only the out-of-domain sets).") var noAida = false
    @Flag(help: "End-to-end micro-F1 on the AIDA split (first --limit-docs documents) with a mention table built from AIDA train gold; implies --no-aida.") var endToEnd = false
    @Option(help: "Beam width of end-to-end linking.") var endToEndBeam: Int = 4
    @Option(help: "Weight of the mention table's p(e|m) in end-to-end entity choices (0: model only).") var endToEndPriorWeight: Float = EndToEndOptions().priorWeight

    /// The with-candidates pass runs no model: asked for, or skipped (--no-candidates, whole-KB only).
    private var skipsModel: Bool { noModel || noCandidates }

    /// One scored mention as saved by --save-scores.
    struct ScoredMention: Codable {
        var doc: Int
        var surface: String
        var gold: String
        var keys: [String]
        var evidence: [CandidateEvidence]
    }

    func run() throws {
        let weights = priorWeights.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !weights.isEmpty else { throw ValidationError("--prior-weights needs numbers") }
        if fitRanker != nil && split == "testa" { throw ValidationError("fit the ranker on train (--split train), never on testa") }
        let workspace = Workspace(storePath: store)
        let kbStore = try workspace.openStore()
        if try kbStore.counts().entities == 0 {
            let bar = ProgressReporter("importing wiki_entities")
            let s = try kbStore.importKnowledgeBase(from: data + "/wiki_entities/entities.jsonl") { bar.update($0, $1) }
            bar.finish("\(s.records) entities")
        }
        if endToEnd || noAida {
            let engine = try Engine(modelPath: try modelOptions.resolvedPath())
            let linker = try engine.makeLinker(store: kbStore, workspace: workspace, options: flags.options)
            if endToEnd { try evaluateEndToEnd(engine: engine, store: kbStore) }
            if extra { try evaluateExtra(linker: linker) }
            return
        }
        let trainDocs = try JSONLines.read(AIDADocument.self, from: data + "/aida_conll/aida_train.jsonl")
        try importTrainMentionTable(trainDocs, into: kbStore, workspace: workspace)
        let trainCounts = AIDAMentionCounts(documents: trainDocs)

        var options = flags.options
        options.candidateShortlist = shortlist
        if let ranker { options.ranker = try CandidateRanker.read(from: ranker) }
        if kbOnly { options.usesMentionTable = false }
        var docs = try JSONLines.read(AIDADocument.self, from: data + "/aida_conll/aida_\(split).jsonl")
        docs = Array(docs.dropFirst(max(skipDocs, 0)))
        if let limitDocs { docs = Array(docs.prefix(limitDocs)) }
        let total = docs.reduce(0) { $0 + $1.mentions.filter { $0.goldTitle != nil }.count }
        var popularityCorrect = 0, scored = 0, missingCandidates = 0
        var kbCorrect = 0, kbDocuments = 0
        var scoredMentions: [ScoredMention] = []
        var loaded: [Int: [ScoredMention]]? = nil
        if let loadScores {
            loaded = Dictionary(grouping: try JSONLines.read(ScoredMention.self, from: loadScores), by: \.doc)
        }
        let needModel = (loaded == nil && !skipsModel) || kb || extra
        let saveFile = try saveScores.map { try ScoreFile(path: $0) }
        let engine = needModel ? try Engine(modelPath: try modelOptions.resolvedPath()) : nil
        let linker = try engine?.makeLinker(store: kbStore, workspace: workspace, options: options)
        let bar = ProgressReporter("AIDA \(split)")
        let start = Date()
        for doc in docs {
            let offsets = characterOffsets(doc.text)
            let mentions = doc.mentions.filter { $0.goldTitle != nil }
            guard !mentions.isEmpty else { continue }
            var spans: [MentionSpan] = []
            var candidateLists: [[CandidateEntity]] = []
            var keyLists: [[String]] = []
            for m in mentions {
                spans.append(MentionSpan(start: offsets[min(m.start, offsets.count - 1)], end: offsets[min(m.end, offsets.count - 1)]))
                var list: [CandidateEntity] = [], keys: [String] = []
                for c in m.candidates {
                    guard let e = try kbStore.entity(key: c.title) else { missingCandidates += 1; continue }
                    list.append(CandidateEntity(entityID: e.id, prior: Double(c.inCount ?? 0)))
                    keys.append(e.key)
                }
                if let linker {
                    // On train the shortlist sees p(e|m) without the document's own annotations,
                    // as testa's shortlist never sees testa.
                    let shortlisted: [CandidateEntity]
                    if split == "train" {
                        let p = trainCounts.probabilities(surface: m.surface, excludingDocument: doc.docNum) ?? [:]
                        var byID: [EntityID: Double] = [:]
                        for (c, key) in zip(list, keys) { byID[c.entityID] = p[key] ?? 0 }
                        shortlisted = linker.shortlist(list, tablePriors: byID)
                    } else {
                        shortlisted = try linker.shortlist(list, surface: m.surface)
                    }
                    let short = Set(shortlisted.map(\.entityID))
                    keys = zip(list, keys).filter { short.contains($0.0.entityID) }.map(\.1)
                    list = list.filter { short.contains($0.entityID) }
                }
                candidateLists.append(list)
                keyLists.append(keys)
                if let best = m.candidates.max(by: { ($0.inCount ?? 0, $1.title) < ($1.inCount ?? 0, $0.title) }), best.title == m.goldTitle {
                    popularityCorrect += 1
                }
            }
            if let loaded {
                let saved = loaded[doc.docNum] ?? []
                guard saved.count == mentions.count else {
                    throw ValidationError("\(loadScores!) has \(saved.count) mentions for document \(doc.docNum), expected \(mentions.count)")
                }
                scoredMentions += saved
            } else {
                let evidence: [[CandidateEvidence]]
                if skipsModel {
                    evidence = zip(mentions, zip(candidateLists, keyLists)).map { m, lists in
                        let table = trainCounts.probabilities(surface: m.surface)
                        return zip(lists.0, lists.1).map { c, key in
                            CandidateEvidence(title: key, prior: c.prior, modelLogProb: 0, nameTokens: 1, tablePrior: table.map { $0[key] ?? 0 })
                        }
                    }
                } else {
                    evidence = try linker!.scoreCandidates(text: doc.text, spans: spans, candidates: candidateLists)
                }
                let docMentions = mentions.enumerated().map { i, m in
                    ScoredMention(doc: doc.docNum, surface: m.surface, gold: m.goldTitle!, keys: keyLists[i], evidence: evidence[i])
                }
                try saveFile?.append(docMentions)
                scoredMentions += docMentions
            }
            scored += mentions.count
            if kb, let linker {
                let free = try linker.link(text: doc.text, spans: spans, candidates: spans.map { _ in nil }, topK: 1)
                for (m, entities) in zip(mentions, free) where entities.first?.key == m.goldTitle { kbCorrect += 1 }
                kbDocuments += 1
                // A running tally, so a long whole-KB run that is stopped still reports something.
                if kbDocuments % 10 == 0 {
                    print(String(format: "  whole KB so far: %d documents, %d mentions, micro-F1 %.1f (%.2f mentions/s)", kbDocuments, scored,
                                 100 * Double(kbCorrect) / Double(scored), Double(scored) / Date().timeIntervalSince(start)))
                    fflush(nil)  // stdout is block-buffered when redirected to a log
                }
            }
            bar.update(scored, total)
        }
        let seconds = Date().timeIntervalSince(start)
        bar.finish("\(scored) in-KB mentions")
        // On train, p(e|m) leaves each document's own annotations out; elsewhere it is the store's table.
        if split == "train" {
            for i in scoredMentions.indices {
                let p = trainCounts.probabilities(surface: scoredMentions[i].surface, excludingDocument: scoredMentions[i].doc)
                for c in scoredMentions[i].evidence.indices {
                    scoredMentions[i].evidence[c].tablePrior = p.map { $0[scoredMentions[i].keys[c]] ?? 0 }
                }
            }
        }

        func pct(_ n: Int) -> String { String(format: "%.1f", 100 * Double(n) / Double(max(scored, 1))) }
        print("AIDA-CoNLL \(split): \(scored) in-KB mentions in \(docs.count) documents; \(missingCandidates) candidate titles missing from the KB")
        print("  popularity baseline (most in-links)          micro-F1 \(pct(popularityCorrect))")
        let tableCorrect = scoredMentions.filter { m in
            let best = m.evidence.indices.max { a, b in
                (m.evidence[a].tablePrior ?? 0, m.evidence[a].prior) < (m.evidence[b].tablePrior ?? 0, m.evidence[b].prior)
            }
            return best.map { m.keys[$0] } == m.gold
        }.count
        print("  AIDA-train p(e|m), then popularity           micro-F1 \(pct(tableCorrect))")
        for weight in weights where !skipsModel {
            let correct = scoredMentions.filter { m in
                let total = m.evidence.reduce(0) { $0 + max($1.prior, 0) + 1 }
                let best = m.evidence.indices.max { a, b in
                    let sa = m.evidence[a].modelLogProb + weight * Float(log((max(m.evidence[a].prior, 0) + 1) / total))
                    let sb = m.evidence[b].modelLogProb + weight * Float(log((max(m.evidence[b].prior, 0) + 1) / total))
                    return (sa, m.keys[b]) < (sb, m.keys[a])
                }
                return best.map { m.keys[$0] } == m.gold
            }.count
            print("  Trellis model + prior weight \(String(format: "%-5g", weight))           micro-F1 \(pct(correct))")
        }
        if let ranker = options.ranker {
            let correct = scoredMentions.filter { m in
                ranker.best(CandidateFeatures.make(surface: m.surface, candidates: m.evidence)).map { m.keys[$0] } == m.gold
            }.count
            print("  Trellis ranker (\(self.ranker ?? "shipped weights")\(ranker.usesModel ? ", with model features" : ", no model features"))  micro-F1 \(pct(correct))")
        }
        if kb { print("  Trellis, no candidate lists (\(kbOnly ? "whole KB trie only" : "mention table, else whole KB trie"))  micro-F1 \(pct(kbCorrect))" + String(format: "  (%.2f mentions/s)", Double(scored) / seconds)) }
        if loaded == nil && !skipsModel {
            print(String(format: "  %.2f mentions/s (%.0f s; exact candidate scoring, shortlist %d)", Double(scored) / seconds, seconds, shortlist))
        }
        if let fitRanker { try fit(scoredMentions, writeTo: fitRanker) }
        if extra, let linker { try evaluateExtra(linker: linker) }
    }

    private func normalized(_ s: String) -> String {
        s.lowercased().replacingOccurrences(of: "_", with: " ").trimmingCharacters(in: .whitespaces)
    }

    /// Wikidata id → Wikipedia title, from the AIDA testa gold pairs (evaluation side only: it
    /// lets an out-of-domain gold QID be compared with a predicted title).
    private func titlesByQID() throws -> [String: String] {
        let path = data + "/aida_conll/aida_testa.jsonl"
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        var map: [String: String] = [:]
        for doc in try JSONLines.read(AIDADocument.self, from: path) {
            for m in doc.mentions { if let q = m.goldQID, let t = m.goldTitle { map[q] = t } }
        }
        return map
    }

    /// Whole-KB disambiguation on the ELEVANT sets. A prediction counts as correct when its title
    /// equals the gold's Wikidata label (normalized) or the title AIDA testa pairs with the gold
    /// QID. Also prints how many gold entities can be found in the KB at all by those two routes
    /// (the rest can never be right) and the accuracy on those.
    private func evaluateExtra(linker: EntityLinker) throws {
        let qidTitles = try titlesByQID()
        for name in ["kore50", "derczynski", "reuters128", "rss500"] {
            let path = data + "/el_extra_dev/\(name).jsonl"
            guard FileManager.default.fileExists(atPath: path) else {
                print("  \(name): missing (\(path))")
                continue
            }
            var docs = try JSONLines.read(ELDocument.self, from: path)
            if let limitDocs { docs = Array(docs.prefix(limitDocs)) }
            var correct = 0, count = 0, reachable = 0, reachableCorrect = 0
            let start = Date()
            for doc in docs {
                let offsets = characterOffsets(doc.text)
                let mentions = doc.mentions.filter { $0.goldQID != nil && $0.end > $0.start }
                guard !mentions.isEmpty else { continue }
                let spans = mentions.map { MentionSpan(start: offsets[min($0.start, offsets.count - 1)], end: offsets[min($0.end, offsets.count - 1)]) }
                let ranked = try linker.link(text: doc.text, spans: spans, candidates: spans.map { _ in nil }, topK: 1)
                for (m, e) in zip(mentions, ranked) {
                    count += 1
                    var golds = Set<String>()
                    if let g = m.goldName { golds.insert(normalized(g)) }
                    if let q = m.goldQID, let t = qidTitles[q] { golds.insert(normalized(t)) }
                    var inKB = false
                    if !inKB, let q = m.goldQID, let t = qidTitles[q], try linker.store.entity(key: t) != nil { inKB = true }
                    if !inKB, let g = m.goldName, try linker.store.entity(key: g) != nil { inKB = true }
                    let hit = e.first.map { golds.contains(normalized($0.key)) || golds.contains(normalized($0.name)) } ?? false
                    if hit { correct += 1 }
                    if inKB || hit {
                        reachable += 1
                        if hit { reachableCorrect += 1 }
                    }
                }
            }
            let seconds = Date().timeIntervalSince(start)
            print(String(format: "  %@: %d docs, %d mentions with a gold QID: accuracy %.1f; gold found in the KB for %d, accuracy on those %.1f (%.1f mentions/s)",
                         name, docs.count, count, 100 * Double(correct) / Double(max(count, 1)), reachable,
                         100 * Double(reachableCorrect) / Double(max(reachable, 1)), Double(count) / max(seconds, 1e-9)))
        }
    }

    /// End-to-end linking on AIDA `split`: mentions must be found and linked; a prediction is
    /// correct when its character span and entity both match an in-KB gold mention (strong
    /// matching, micro-averaged). The mention table is surface → gold-entity counts over AIDA
    /// train (never the evaluated split). Also prints a table-only baseline: greedy longest
    /// match, left to right, each span linked to its most frequent train entity.
    private func evaluateEndToEnd(engine: Engine, store: TrellisStore) throws {
        var table = InMemoryMentionTable()
        var unknownTitles = 0
        var idCache: [String: EntityID?] = [:]
        for doc in try JSONLines.read(AIDADocument.self, from: data + "/aida_conll/aida_train.jsonl") {
            for m in doc.mentions {
                guard let title = m.goldTitle else { continue }
                let id: EntityID?
                if let cached = idCache[title] { id = cached } else {
                    id = try store.entity(key: title)?.id
                    idCache[title] = id
                }
                guard let id else { unknownTitles += 1; continue }
                table.add(surface: m.surface, entity: id)
            }
        }
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: engine.tokenizer, fingerprint: engine.tokenizer.fingerprint)
        var options = EndToEndOptions()
        options.beamSize = endToEndBeam
        options.priorWeight = endToEndPriorWeight
        let linker = try EndToEndLinker(store: store, tokenizer: engine.tokenizer, model: engine.model, mentionTable: table,
                                        endToken: EntityLinker.endToken(for: engine.tokenizer), options: options)
        var docs = try JSONLines.read(AIDADocument.self, from: data + "/aida_conll/aida_\(split).jsonl")
        if let limitDocs { docs = Array(docs.prefix(limitDocs)) }
        struct Tally { var predicted = 0, gold = 0, correct = 0 }
        var model = Tally(), greedy = Tally(), spansOnly = Tally()
        var goldCoverable = 0
        let bar = ProgressReporter("AIDA \(split) end-to-end")
        let start = Date()
        var modelSeconds = 0.0
        for (n, doc) in docs.enumerated() {
            let offsets = characterOffsets(doc.text)
            struct Key: Hashable { var start: Int; var end: Int; var entity: String }
            let gold = Set(doc.mentions.compactMap { m -> Key? in
                guard let t = m.goldTitle else { return nil }
                return Key(start: offsets[min(m.start, offsets.count - 1)], end: offsets[min(m.end, offsets.count - 1)], entity: t)
            })
            for g in gold where !(try table.candidates(forSurface: String(Array(doc.text)[g.start..<g.end]))).isEmpty { goldCoverable += 1 }
            let result = try linker.link(text: doc.text)
            modelSeconds += result.statistics.modelSeconds
            let predicted = Set(result.mentions.compactMap { m in m.entity.map { Key(start: m.start, end: m.end, entity: $0.key) } })
            model.predicted += predicted.count
            model.gold += gold.count
            model.correct += predicted.intersection(gold).count
            let goldSpans = Set(gold.map { [$0.start, $0.end] })
            spansOnly.predicted += predicted.count
            spansOnly.gold += gold.count
            spansOnly.correct += Set(predicted.map { [$0.start, $0.end] }).intersection(goldSpans).count
            // Greedy longest-match baseline over the same chunks.
            let input = EndToEndInput(text: doc.text, tokenizer: engine.tokenizer)
            var c = 0
            var baseline = Set<Key>()
            while c < input.chunks.count {
                var matched = false
                if input.hasCore(c) {
                    for end in stride(from: min(input.chunks.count, c + options.maxMentionChunks), to: c, by: -1) where input.hasCore(end - 1) {
                        if let best = try table.candidates(forSurface: input.surface(c, end)).first,
                           let key = try store.entities(ids: [best.entityID]).first?.key {
                            baseline.insert(Key(start: input.chunks[c].coreStart, end: input.chunks[end - 1].end, entity: key))
                            c = end
                            matched = true
                            break
                        }
                    }
                }
                if !matched { c += 1 }
            }
            greedy.predicted += baseline.count
            greedy.gold += gold.count
            greedy.correct += baseline.intersection(gold).count
            bar.update(n + 1, docs.count)
        }
        bar.finish("\(docs.count) documents")
        func f1(_ t: Tally) -> String {
            let p = Double(t.correct) / Double(max(t.predicted, 1)), r = Double(t.correct) / Double(max(t.gold, 1))
            return String(format: "P %.1f  R %.1f  micro-F1 %.1f", 100 * p, 100 * r, p + r > 0 ? 200 * p * r / (p + r) : 0)
        }
        let seconds = Date().timeIntervalSince(start)
        print("AIDA-CoNLL \(split) end-to-end, first \(docs.count) documents, \(model.gold) in-KB gold mentions; mention table: \(table.entries.count) surfaces from AIDA train gold (\(unknownTitles) train links to titles not in the KB dropped)")
        print("  gold mentions whose surface is in the table (recall ceiling): \(goldCoverable) (\(String(format: "%.1f", 100 * Double(goldCoverable) / Double(max(model.gold, 1))))%)")
        print("  greedy longest match + most frequent entity    \(f1(greedy))")
        print("  Trellis end-to-end (beam \(endToEndBeam), prior weight \(endToEndPriorWeight)) \(f1(model))")
        print("  Trellis, spans only (entity ignored)           \(f1(spansOnly))")
        print(String(format: "  %.1f s per document (%.1f s in the model)", seconds / Double(max(docs.count, 1)), modelSeconds / Double(max(docs.count, 1))))
    }
}
