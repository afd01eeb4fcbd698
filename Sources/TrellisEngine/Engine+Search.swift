import TrellisCore
import TrellisSearch
import TrellisStore

extension Workspace {
    /// The passages' FM-index beside the store (`Indexes/trellis.passages.fmi`).
    public var passagesIndexPath: String { PassageIndex.path(forStore: storePath) }
}

extension Engine {
    /// Tokenizes untokenized passages with this engine's tokenizer, opens (or rebuilds when
    /// stale) the FM-index beside the store, and returns a SEAL searcher over it.
    public func makeSEALSearcher(store: TrellisStore, workspace: Workspace, options: SEALOptions = SEALOptions(),
                                 progress: ImportProgress? = nil) throws -> SEALSearcher {
        try PassageIndex.tokenizePassages(store: store, tokenizer: tokenizer, fingerprint: tokenizer.fingerprint, progress: progress)
        let index = try PassageIndex.open(store: store, path: workspace.passagesIndexPath, progress: progress)
        return SEALSearcher(index: index, store: store, model: model, tokenizer: tokenizer, options: options)
    }
}
