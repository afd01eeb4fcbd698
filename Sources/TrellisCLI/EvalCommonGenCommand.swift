import ArgumentParser
import Foundation
import TrellisAutomata
import TrellisControl
import TrellisCore
import TrellisDecoding
import TrellisEngine
import TrellisEval

struct EvalCommonGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commongen",
        abstract: "CommonGen dev: constraint satisfaction, BLEU-4 and ROUGE-L for plain, DFA-masked and HMM-guided generation.",
        discussion: """
        Every mode gets the same chat prompt, "Write one short sentence using the words: a, b, c.", and the \
        same decoder (greedy, or --beam). mask/hmm: keywords = the dev file's inflections per concept (each \
        also capitalized), output ending with end-of-turn, within --max-tokens. Satisfaction: every concept \
        present as a whole word in one of its inflections (case-insensitive).
        """)
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "The shared data folder.") var data: String = "../shared/data"
    @Option(help: "Split: dev, or train (for tuning; no inflection lists, so concepts are expanded by the built-in inflector).") var split: String = "dev"
    @Option(help: "Skip the first N concept sets.") var offset: Int = 0
    @Option(help: "Only the first N concept sets (after --offset).") var limit: Int?
    @Option(help: "Comma-separated modes: plain, mask, hmm.") var modes: String = "plain,mask,hmm"
    @Option(help: "HMM for the hmm mode.") var hmm: String?
    @Option(help: "Weight of the HMM guidance bias (0.5: best of 0.5/1/1.5 on train sets 20000-20149 with HMM cg256c).") var guidanceWeight: Float = 0.5
    @Option(help: "Token budget per output (end token included).") var maxTokens: Int = 32
    @Option(help: "Beam width (0: greedy).") var beam: Int = 0
    @Option(help: "Beam search ranks finished outputs by log-prob / length^this.") var lengthPenalty: Float = 1
    @Option(help: "mask/hmm modes: the output must also have at least this many words (0: no minimum).") var minWords: Int = 0
    @Option(help: "Tokens per step scored exactly by the HMM besides keyword tokens (the model's top ones).") var exactTokens: Int = 64
    @Option(help: "Write every output as JSON lines here.") var outputs: String?
    @Option(help: "Generate nothing: score the modes of these comma-separated --outputs files on the concept sets present in all of them.") var score: String?

    func run() throws {
        if let score { return try rescore(files: score.split(separator: ",").map(String.init)) }
        let modeList = modes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !modeList.isEmpty, modeList.allSatisfy({ ["plain", "mask", "hmm"].contains($0) }) else {
            throw ValidationError("--modes takes plain, mask, hmm")
        }
        if modeList.contains("hmm") && hmm == nil { throw ValidationError("the hmm mode needs --hmm NAME") }
        guard ["dev", "train"].contains(split) else { throw ValidationError("--split takes dev or train") }
        guard offset >= 0 else { throw ValidationError("--offset must be non-negative") }
        guard minWords >= 0 else { throw ValidationError("--min-words must be non-negative") }
        var examples = try JSONLines.read(CommonGenExample.self, from: data + "/commongen/\(split).jsonl",
                                          limit: limit.map { $0 + offset })
        examples = Array(examples.dropFirst(offset))
        if let limit { examples = Array(examples.prefix(limit)) }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let generator = try engine.makeConstrainedGenerator()
        let stored = try hmm.map {
            try StoredHMM.load(from: try storeOptions.workspace.openStore(readOnly: true), name: $0,
                               tokenizerFingerprint: engine.tokenizer.fingerprint)
        }
        let options = ControlOptions(maxTokens: maxTokens, guidanceWeight: guidanceWeight, beamSize: beam, sampler: Sampler(),
                                     lengthPenalty: lengthPenalty,
                                     guidanceExactTokens: exactTokens)
        struct Tally { var hypotheses: [String] = []; var satisfied = 0; var rouge = 0.0; var tokens = 0; var seconds = 0.0; var table = 0.0 }
        var tallies = [String: Tally]()
        var log: FileHandle?
        if let outputs {
            _ = FileManager.default.createFile(atPath: outputs, contents: nil)
            log = FileHandle(forWritingAtPath: outputs)
        }
        let bar = ProgressReporter("CommonGen dev")
        for (n, example) in examples.enumerated() {
            let concepts = example.inflections ?? example.concepts.map { EnglishInflection.forms(of: $0) }
            let keywords = concepts.map { forms -> [String] in
                var seen = Set<String>()
                return (forms + forms.map { $0.prefix(1).uppercased() + $0.dropFirst() }).filter { seen.insert($0).inserted }
            }
            let prompt = try engine.promptTokens(ConceptPrompt.instruction(concepts: example.concepts), chat: true)
            let spec = ConstraintSpec(keywords: keywords, minWords: minWords > 0 ? minWords : nil, maxTokens: maxTokens,
                                      endWithEOS: true)
            let dfa = modeList.contains(where: { $0 != "plain" }) ? try generator.compile(spec) : nil
            var record: [String: Any] = ["id": example.id, "concepts": example.concepts]
            for mode in modeList {
                let out = try generator.generate(prompt: prompt, dfa: mode == "plain" ? nil : dfa, budget: maxTokens,
                                                 hmm: mode == "hmm" ? stored?.hmm : nil, options: options)
                let text = out.text.trimmingCharacters(in: .whitespacesAndNewlines)
                var t = tallies[mode] ?? Tally()
                t.hypotheses.append(text)
                if ConceptCoverage.covers(text, concepts: concepts) { t.satisfied += 1 }
                t.rouge += TextMetrics.rougeL(hypothesis: text, references: example.references)
                t.tokens += out.tokens.count
                t.seconds += out.decodeSeconds
                t.table += out.tableSeconds
                tallies[mode] = t
                record[mode] = text
            }
            if let log, let line = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) {
                log.write(line + Data("\n".utf8))
            }
            bar.update(n + 1, examples.count)
        }
        bar.finish("\(examples.count) concept sets")
        let references = examples.map(\.references)
        print("CommonGen \(split) [\(offset)..<\(offset + examples.count)], \(examples.count) concept sets, \(beam >= 2 ? "beam \(beam), length penalty \(lengthPenalty)" : "greedy"), budget \(maxTokens) tokens"
              + (minWords > 0 ? ", mask/hmm at least \(minWords) words" : "")
              + (stored.map { ", HMM \($0.record.name) H=\($0.record.hiddenStates) weight \(guidanceWeight)" } ?? ""))
        print("  mode    satisfied   BLEU-4  ROUGE-L  tokens/s  table s/set")
        for mode in modeList {
            guard let t = tallies[mode] else { continue }
            let bleu = TextMetrics.corpusBLEU(hypotheses: t.hypotheses, references: references)
            print(String(format: "  %-6@ %6.1f%%   %6.2f   %6.2f   %7.1f   %6.3f", mode as NSString,
                         100 * Double(t.satisfied) / Double(max(examples.count, 1)), 100 * bleu,
                         100 * t.rouge / Double(max(examples.count, 1)), Double(t.tokens) / max(t.seconds, 1e-9),
                         t.table / Double(max(examples.count, 1))))
        }
    }

    /// Scores saved outputs (records merged by id) on the concept sets every file covers, so runs
    /// of different modes, or a run stopped early, compare on the same sets.
    func rescore(files: [String]) throws {
        var byID = [String: [String: String]]()
        var counts = [String: Int]()
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
            var ids = Set<String>()
            for line in text.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let id = object["id"] as? String else { continue }
                ids.insert(id)
                for mode in ["plain", "mask", "hmm"] { if let out = object[mode] as? String { byID[id, default: [:]][mode] = out } }
            }
            for id in ids { counts[id, default: 0] += 1 }
        }
        let examples = try JSONLines.read(CommonGenExample.self, from: data + "/commongen/\(split).jsonl", limit: nil)
            .filter { counts[$0.id] == files.count }
        let modeList = ["plain", "mask", "hmm"].filter { m in !examples.isEmpty && examples.allSatisfy { byID[$0.id]?[m] != nil } }
        print("CommonGen \(split): \(examples.count) concept sets present in all of \(files.joined(separator: ", "))")
        print("  mode    satisfied   BLEU-4  ROUGE-L")
        for mode in modeList {
            let hypotheses = examples.map { byID[$0.id]![mode]! }
            var satisfied = 0, rouge = 0.0
            for (example, text) in zip(examples, hypotheses) {
                let concepts = example.inflections ?? example.concepts.map { EnglishInflection.forms(of: $0) }
                if ConceptCoverage.covers(text, concepts: concepts) { satisfied += 1 }
                rouge += TextMetrics.rougeL(hypothesis: text, references: example.references)
            }
            let bleu = TextMetrics.corpusBLEU(hypotheses: hypotheses, references: examples.map(\.references))
            print(String(format: "  %-6@ %6.1f%%   %6.2f   %6.2f", mode as NSString, 100 * Double(satisfied) / Double(examples.count),
                         100 * bleu, 100 * rouge / Double(examples.count)))
        }
    }
}
