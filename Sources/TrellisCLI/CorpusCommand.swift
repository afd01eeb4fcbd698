import ArgumentParser
import Foundation
import TrellisEngine
import TrellisSearch
import TrellisStore

struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Manage the passage corpus (BM25 full-text index and FM-index).",
        subcommands: [Import.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import passages from JSONL ({_id|id, title, text}; BEIR corpus.jsonl reads as is), tokenize them and build the FM-index.")
        @Argument(help: "JSONL file of passages.") var file: String
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var modelOptions: ModelOptions
        @Flag(help: "No progress output.") var quiet = false

        func run() throws {
            let workspace = storeOptions.workspace
            let store = try workspace.openStore()
            let importBar = ProgressReporter("importing passages", quiet: quiet)
            let summary = try store.importCorpus(from: file) { importBar.update($0, $1) }
            importBar.finish("\(summary.records) passages (\(summary.inserted) new)")
            let tokenizer = try Engine(modelPath: try modelOptions.resolvedPath()).tokenizer
            let tokenBar = ProgressReporter("tokenizing passages", quiet: quiet)
            let n = try PassageIndex.tokenizePassages(store: store, tokenizer: tokenizer, fingerprint: tokenizer.fingerprint) { tokenBar.update($0, $1) }
            tokenBar.finish("\(n) passages tokenized")
            let indexBar = ProgressReporter("building FM-index", quiet: quiet)
            let index = try PassageIndex.open(store: store, path: workspace.passagesIndexPath) { indexBar.update($0, $1) }
            let fm = index.fmIndex
            indexBar.finish(index.wasBuilt ? "built" : "up to date")
            print("\(fm.passageCount) passages, \(fm.tokenCount) tokens, FM-index \(fm.sizeInBytes) bytes "
                  + String(format: "(%.2f bytes/token) at %@", Double(fm.sizeInBytes) / Double(max(fm.tokenCount, 1)), workspace.passagesIndexPath))
        }
    }
}
