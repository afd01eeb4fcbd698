import Foundation
import TrellisCore
import TrellisLinking
import TrellisStore

/// Where built artifacts live: the SQLite store and the indexes derived from it, all under
/// `Indexes/` by default (never committed).
public struct Workspace: Sendable {
    public var storePath: String

    public init(storePath: String? = nil) {
        self.storePath = storePath ?? (ProcessInfo.processInfo.environment["TRELLIS_STORE"] ?? "Indexes/trellis.sqlite")
    }

    /// The names trie beside the store (`trellis.sqlite` → `trellis.names.trie`).
    public var namesTriePath: String { (storePath as NSString).deletingPathExtension + ".names.trie" }

    public func openStore(readOnly: Bool = false) throws -> TrellisStore {
        let folder = (storePath as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        return try TrellisStore(path: storePath, options: .init(readOnly: readOnly))
    }
}

extension Engine {
    /// A linker over the store's names (tokenizing any new names and opening or building the trie).
    public func makeLinker(store: TrellisStore, workspace: Workspace, options: LinkingOptions = LinkingOptions()) throws -> EntityLinker {
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: tokenizer.fingerprint, prompt: options.prompt)
        let end = EntityLinker.endToken(for: tokenizer)
        let counts = try store.counts()
        let names = counts.names > 0 ? try NameTrieIndex.open(store: store, path: workspace.namesTriePath, endToken: end) : nil
        return EntityLinker(store: store, tokenizer: tokenizer, model: model, names: names, endToken: end, options: options)
    }
}
