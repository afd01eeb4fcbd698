import ArgumentParser
import Foundation
import TrellisEngine
import TrellisLinking
import TrellisServer
import TrellisStore

/// Linking flags shared by `link` and `eval link`.
struct LinkingFlags: ParsableArguments {
    @Option(help: "Beam width over names.") var beam: Int = 5
    @Option(help: "Weight of the candidates' log prior (0 ignores it).") var priorWeight: Float = 0.5
    @Option(help: "Length penalty exponent for name scores.") var lengthPenalty: Float = 0
    @Flag(help: "Append forced name tokens in one pass (they then score as certain).") var jumpForward = false
    @Flag(help: "Rank candidate lists by model score + prior weight instead of the shipped candidate ranker.") var noRanker = false
    @Flag(name: .customLong("nil"), help: "Let a mention link to NIL (no entity): candidate tries get a reserved NIL name.") var allowNil = false

    func validate() throws {
        guard beam >= 1 && beam <= 64 else { throw ValidationError("--beam must be 1...64") }
    }

    var options: LinkingOptions {
        var o = LinkingOptions()
        o.beamSize = beam
        o.priorWeight = priorWeight
        o.lengthPenalty = lengthPenalty
        o.jumpForward = jumpForward
        if noRanker { o.ranker = nil }
        o.allowNil = allowNil
        return o
    }
}

struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Link marked mentions to knowledge-base entities.",
        discussion: """
        Mark mentions with brackets: trellis link "[Jordan] scored 40 points for the [Bulls]." \
        With --jsonl FILE, each line is {"text": "...", "mentions": [{"start": 0, "end": 6}]} (offsets in code points) or \
        {"text": "... [marked] ..."}; output is one JSON object per line. With --end-to-end the text \
        is plain: the model finds the mentions (spans the mention table knows) and links them in one pass. \
        A mention whose answer is NIL (--nil) has "entity": null.
        """)
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var flags: LinkingFlags
    @Option(help: "How many entities to list per mention.") var topK: Int = 3
    @Flag(help: "Only use the mention table's candidates; leave mentions without candidates unlinked.") var candidatesOnly = false
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Find the mentions in plain text and link them in one pass (GENRE's copy machine).") var endToEnd = false
    @Option(help: "Read documents from a JSONL file.") var jsonl: String?
    @Argument(help: "Text with [marked] mentions.") var text: String?

    /// A JSONL input line; `mentions` offsets count code points, as in the HTTP API.
    struct Line: Decodable { var text: String; var mentions: [TrellisServer.MentionSpan]? }

    func run() throws {
        guard (text == nil) != (jsonl == nil) else { throw ValidationError("give either a text argument or --jsonl FILE") }
        let workspace = storeOptions.workspace
        guard FileManager.default.fileExists(atPath: workspace.storePath) else {
            throw ValidationError("no knowledge base at \(workspace.storePath); import one with `trellis kb import FILE`")
        }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let store = try workspace.openStore()
        if endToEnd { return try runEndToEnd(engine: engine, store: store) }
        let linker = try engine.makeLinker(store: store, workspace: workspace, options: flags.options)
        var inputs: [(String, [TrellisLinking.MentionSpan])] = []
        if let text {
            inputs.append(try TrellisLinking.MentionSpan.parseMarked(text))
        } else if let jsonl {
            let data = try String(contentsOfFile: jsonl, encoding: .utf8)
            for (n, raw) in data.split(separator: "\n").enumerated() where !raw.trimmingCharacters(in: .whitespaces).isEmpty {
                do {
                    let line = try JSONDecoder().decode(Line.self, from: Data(raw.utf8))
                    if let spans = line.mentions {
                        let offsets = TextOffsets(line.text)
                        inputs.append((line.text, try spans.map {
                            guard let span = offsets.characterSpan(start: $0.start, end: $0.end) else {
                                throw ValidationError("mention \($0.start)..<\($0.end) is outside the text")
                            }
                            return span
                        }))
                    } else {
                        inputs.append(try TrellisLinking.MentionSpan.parseMarked(line.text))
                    }
                } catch {
                    throw ValidationError("\(jsonl):\(n + 1): \(error)")
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for (plain, spans) in inputs {
            let ranked = try linker.link(text: plain, spans: spans, candidatesOnly: candidatesOnly, topK: topK)
            if json || jsonl != nil {
                let chars = Array(plain), offsets = TextOffsets(plain)
                let mentions = zip(spans, ranked).map { LinkedMention(span: $0, in: chars, offsets: offsets, ranked: $1) }
                print(String(decoding: try encoder.encode(LinkResponse(text: plain, mentions: mentions)), as: UTF8.self))
                continue
            }
            let chars = Array(plain)
            for (span, entities) in zip(spans, ranked) {
                print(String(chars[span.start..<span.end]))
                let listed = entities.filter { !$0.isNil }
                if listed.isEmpty { print("    (no candidate)") } else if entities.first?.isNil == true { print("    NIL (no entity) ranks first") }
                for (i, e) in listed.enumerated() {
                    print("  \(i + 1). \(e.key)  score \(String(format: "%.3f", e.score))  model \(String(format: "%.3f", e.modelScore))" + (e.prior.map { "  prior \(String(format: "%.3f", $0))" } ?? ""))
                }
            }
        }
    }

    /// `--end-to-end`: plain text in; found mentions with their entity (null for NIL) out.
    private func runEndToEnd(engine: Engine, store: TrellisStore) throws {
        var texts: [String] = []
        if let text { texts.append(text) }
        if let jsonl {
            let data = try String(contentsOfFile: jsonl, encoding: .utf8)
            for (n, raw) in data.split(separator: "\n").enumerated() where !raw.trimmingCharacters(in: .whitespaces).isEmpty {
                do { texts.append(try JSONDecoder().decode(Line.self, from: Data(raw.utf8)).text) } catch {
                    throw ValidationError("\(jsonl):\(n + 1): \(error)")
                }
            }
        }
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: engine.tokenizer, fingerprint: engine.tokenizer.fingerprint)
        var options = EndToEndOptions()
        options.beamSize = flags.beam
        options.allowNil = flags.allowNil
        let linker = try EndToEndLinker(store: store, tokenizer: engine.tokenizer, model: engine.model,
                                        mentionTable: try StoreOrNameMentionTable(store: store), endToken: EntityLinker.endToken(for: engine.tokenizer), options: options)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for text in texts {
            let result = try linker.link(text: text)
            if json || jsonl != nil {
                let offsets = TextOffsets(text)
                let mentions = result.mentions.map { LinkedMention(endToEnd: $0, offsets: offsets) }
                print(String(decoding: try encoder.encode(LinkResponse(text: text, mentions: mentions)), as: UTF8.self))
            } else {
                if result.mentions.isEmpty { print("(no mentions found; \(result.candidateSpans) candidate spans)") }
                for m in result.mentions {
                    print("\(m.start)..<\(m.end) \(m.surface) -> \(m.entity?.key ?? "NIL")  confidence \(String(format: "%.2f", m.confidence))")
                }
            }
        }
    }
}
