import ArgumentParser
import Foundation
import TrellisEngine
import TrellisLinking
import TrellisStore

/// The store location flag shared by commands that read or write the SQLite store.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite store (default: $TRELLIS_STORE, then Indexes/trellis.sqlite).") var store: String?
    var workspace: Workspace { Workspace(storePath: store) }
}

struct KBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "Manage the entity knowledge base (entities, names, mention candidates).",
        subcommands: [Import.self, Add.self, Info.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import entities from JSONL, then tokenize their names and rebuild the names trie.",
            discussion: """
            One entity per line: {"key": "Q90", "name": "Paris", "aliases": ["City of Light"], \
            "names": {"fr": ["Paris"]}, "description": "...", "popularity": 123}. `title` and `in_count` \
            are accepted for `name`/`key` and `popularity`. Re-importing updates entities by key. \
            With --mentions, lines are {"mention": "Jordan", "candidates": [{"key": "...", "prior": 0.7}]} \
            (or TSV: mention, key, prior).
            """)
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var modelOptions: ModelOptions
        @Flag(help: "The file is a mention/candidate table, not entities.") var mentions = false
        @Flag(help: "Skip malformed lines (counted) instead of failing the whole import.") var skipMalformed = false
        @Argument(help: "JSONL file to import.") var file: String

        func run() throws {
            let workspace = storeOptions.workspace
            let store = try workspace.openStore()
            let options = ImportOptions(malformedLines: skipMalformed ? .skip : .fail)
            let bar = ProgressReporter(mentions ? "mentions" : "entities")
            let summary = mentions
                ? try store.importMentions(from: file, options: options) { bar.update($0, $1) }
                : try store.importKnowledgeBase(from: file, options: options) { bar.update($0, $1) }
            bar.finish("\(summary.records) records (\(summary.inserted) new) from \(summary.lines) lines"
                       + (summary.skippedLines.isEmpty ? "" : ", \(summary.skippedLines.count) malformed lines skipped (first: \(summary.firstSkipReason ?? "?"))")
                       + (summary.unknownEntityKeys > 0 ? ", \(summary.unknownEntityKeys) candidates with unknown keys skipped" : ""))
            guard !mentions else { return }
            let engine = try Engine(modelPath: try modelOptions.resolvedPath())
            let tokenizing = ProgressReporter("tokenizing names")
            try NameTrieIndex.tokenizeNames(store: store, tokenizer: engine.tokenizer, fingerprint: engine.tokenizer.fingerprint) { tokenizing.update($0, $1) }
            tokenizing.finish("done")
            let trie = try NameTrieIndex.build(store: store, path: workspace.namesTriePath, endToken: EntityLinker.endToken(for: engine.tokenizer))
            print("names trie: \(workspace.namesTriePath) (\(trie.nodeCount) nodes, \(trie.sizeInBytes / 1024) KiB)")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add one entity; it is linkable at once, nothing is rebuilt.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var modelOptions: ModelOptions
        @Option(help: "Stable key (e.g. a Wikidata id or title).") var key: String
        @Option(help: "Canonical name.") var name: String
        @Option(help: "Another name (repeatable).") var alias: [String] = []
        @Option(help: "Description.") var description: String?
        @Option(help: "Language of the names.") var language = "en"

        func run() throws {
            let store = try storeOptions.workspace.openStore()
            let added = try store.addEntity(key: key, name: name, language: language, description: description,
                                            otherNames: alias.map { EntityName(language: language, name: $0) })
            let engine = try Engine(modelPath: try modelOptions.resolvedPath())
            try NameTrieIndex.tokenizeNames(store: store, tokenizer: engine.tokenizer, fingerprint: engine.tokenizer.fingerprint)
            print("added \(added.entity.key) (id \(added.entity.id)) with \(added.names.count) names")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts of entities, names, mentions and passages in the store.")
        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            let workspace = storeOptions.workspace
            guard FileManager.default.fileExists(atPath: workspace.storePath) else {
                throw ValidationError("no store at \(workspace.storePath); create one with `trellis kb import FILE`")
            }
            let c = try workspace.openStore(readOnly: true).counts()
            print("store: \(workspace.storePath)")
            print("entities: \(c.entities)\nnames: \(c.names) (\(c.tokenizedNames) tokenized)\nmention pairs: \(c.mentions)\npassages: \(c.passages) (\(c.tokenizedPassages) tokenized)\nHMMs: \(c.hmmModels)")
        }
    }
}
