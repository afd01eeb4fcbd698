import ArgumentParser
import Foundation
import TrellisEngine
import TrellisLinking

/// Linking flags shared by `link` and `eval link`.
struct LinkingFlags: ParsableArguments {
    @Option(help: "Beam width over names.") var beam: Int = 5
    @Option(help: "Weight of the candidates' log prior (0 ignores it).") var priorWeight: Float = 0.5
    @Option(help: "Length penalty exponent for name scores.") var lengthPenalty: Float = 0
    @Flag(help: "Append forced name tokens in one pass (they then score as certain).") var jumpForward = false
    @Flag(help: "Rank candidate lists by model score + prior weight instead of the shipped candidate ranker.") var noRanker = false

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
        return o
    }
}

struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Link marked mentions to knowledge-base entities.",
        discussion: """
        Mark mentions with brackets: trellis link "[Jordan] scored 40 points for the [Bulls]." \
        With --jsonl FILE, each line is {"text": "...", "mentions": [{"start": 0, "end": 6}]} or \
        {"text": "... [marked] ..."}; output is one JSON object per line.
        """)
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var flags: LinkingFlags
    @Option(help: "How many entities to list per mention.") var topK: Int = 3
    @Flag(help: "Only use the mention table's candidates; leave mentions without candidates unlinked.") var candidatesOnly = false
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Read documents from a JSONL file.") var jsonl: String?
    @Argument(help: "Text with [marked] mentions.") var text: String?

    struct Line: Decodable { var text: String; var mentions: [MentionSpan]? }
    struct Output: Encodable { var text: String; var mentions: [Mention] }
    struct Mention: Encodable { var start: Int; var end: Int; var surface: String; var entities: [LinkedEntity] }

    func run() throws {
        guard (text == nil) != (jsonl == nil) else { throw ValidationError("give either a text argument or --jsonl FILE") }
        let workspace = storeOptions.workspace
        guard FileManager.default.fileExists(atPath: workspace.storePath) else {
            throw ValidationError("no knowledge base at \(workspace.storePath); import one with `trellis kb import FILE`")
        }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let store = try workspace.openStore()
        let linker = try engine.makeLinker(store: store, workspace: workspace, options: flags.options)
        var inputs: [(String, [MentionSpan])] = []
        if let text {
            inputs.append(try MentionSpan.parseMarked(text))
        } else if let jsonl {
            let data = try String(contentsOfFile: jsonl, encoding: .utf8)
            for (n, raw) in data.split(separator: "\n").enumerated() where !raw.trimmingCharacters(in: .whitespaces).isEmpty {
                do {
                    let line = try JSONDecoder().decode(Line.self, from: Data(raw.utf8))
                    if let spans = line.mentions { inputs.append((line.text, spans)) } else { inputs.append(try MentionSpan.parseMarked(line.text)) }
                } catch {
                    throw ValidationError("\(jsonl):\(n + 1): \(error)")
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for (plain, spans) in inputs {
            let ranked = try linker.link(text: plain, spans: spans, candidatesOnly: candidatesOnly, topK: topK)
            let chars = Array(plain)
            let mentions = zip(spans, ranked).map { Mention(start: $0.start, end: $0.end, surface: String(chars[$0.start..<$0.end]), entities: $1) }
            if json || jsonl != nil {
                print(String(decoding: try encoder.encode(Output(text: plain, mentions: mentions)), as: UTF8.self))
            } else {
                for m in mentions {
                    print("\(m.surface)")
                    if m.entities.isEmpty { print("    (no candidate)") }
                    for (i, e) in m.entities.enumerated() {
                        print("  \(i + 1). \(e.key)  score \(String(format: "%.3f", e.score))  model \(String(format: "%.3f", e.modelScore))" + (e.prior.map { "  prior \(String(format: "%.3f", $0))" } ?? ""))
                    }
                }
            }
        }
    }
}
