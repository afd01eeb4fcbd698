import Foundation
import TrellisCore
import TrellisStore
import TrellisTrie

/// The knowledge base's names as prefix tries: a frozen trie persisted beside the store, plus an
/// in-memory overlay of names added since it was built, so `trellis kb add` links at once.
/// Each stored sequence is a name's answer tokens followed by the end token; payload = entity id.
public struct NameTrieIndex: Sendable {
    /// The persisted trie and the in-memory trie of names added since (empty when none).
    public let tries: PrefixTrieOverlay
    public let endToken: TokenID

    static let maxNameKey = "names_trie.max_name_id"
    static let countKey = "names_trie.count"

    /// Both tries as one constraint.
    public var constraint: PrefixTrieOverlayConstraint { PrefixTrieOverlayConstraint(overlay: tries) }

    /// Names added since the persisted trie was built.
    public var addedNameCount: Int { tries.added.sequenceCount }

    public var isEmpty: Bool { tries.base.isEmpty && tries.added.isEmpty }

    /// Tokenizes names that lack tokens, exactly as the model will write them.
    public static func tokenizeNames(store: TrellisStore, tokenizer: any TextTokenizer, fingerprint: String,
                                     prompt: LinkingPrompt = LinkingPrompt(), progress: ImportProgress? = nil) throws {
        try store.fillNameTokens(fingerprint: fingerprint, progress: progress) { record in
            tokenizer.encode(prompt.answerText(record.name))
        }
    }

    /// Builds the frozen trie over every tokenized name and writes it to `path` atomically.
    @discardableResult
    public static func build(store: TrellisStore, path: String, endToken: TokenID,
                             progress: ((Int) -> Void)? = nil) throws -> PrefixTrie {
        var builder = PrefixTrieBuilder()
        var maxID: NameID = 0
        var untokenized = 0
        try store.forEachName { record in
            guard let tokens = record.tokens, !tokens.isEmpty else { untokenized += 1; return }
            guard let payload = UInt32(exactly: record.entityID) else { return }
            builder.insert(tokens + [endToken], payload: payload)
            maxID = max(maxID, record.id)
            if builder.count % 100_000 == 0 { progress?(builder.count) }
        }
        if untokenized > 0 { throw LinkingError.namesNotTokenized(count: untokenized) }
        guard builder.count > 0 else { throw LinkingError.emptyKnowledgeBase }
        let trie = try builder.freeze()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try trie.write(to: path)
        try store.setMetadataValue(String(maxID), forKey: maxNameKey)
        try store.setMetadataValue(String(builder.count), forKey: countKey)
        return trie
    }

    /// Opens the persisted trie and overlays names added after it was built; builds it first when
    /// it is missing.
    public static func open(store: TrellisStore, path: String, endToken: TokenID) throws -> NameTrieIndex {
        let base: PrefixTrie
        if FileManager.default.fileExists(atPath: path), let maxText = try store.metadataValue(forKey: maxNameKey),
           let maxID = NameID(maxText) {
            do {
                base = try PrefixTrie(path: path)
            } catch is TrieError {
                // An index from another format version or a damaged file: rebuild it from the store.
                let rebuilt = try build(store: store, path: path, endToken: endToken)
                return NameTrieIndex(tries: try PrefixTrieOverlay(base: rebuilt), endToken: endToken)
            }
            var builder = PrefixTrieBuilder()
            try store.forEachName { record in
                guard record.id > maxID, let tokens = record.tokens, !tokens.isEmpty,
                      let payload = UInt32(exactly: record.entityID) else { return }
                builder.insert(tokens + [endToken], payload: payload)
            }
            let tries = builder.count > 0 ? PrefixTrieOverlay(base: base, added: try builder.freeze()) : try PrefixTrieOverlay(base: base)
            return NameTrieIndex(tries: tries, endToken: endToken)
        }
        base = try build(store: store, path: path, endToken: endToken)
        return NameTrieIndex(tries: try PrefixTrieOverlay(base: base), endToken: endToken)
    }

    /// A trie over just the names of `entities` (a mention's candidates), built per request;
    /// with `includeNil`, also the reserved NIL name (payload `LinkedEntity.nilPayload`).
    public static func candidates(_ entities: [EntityID], store: TrellisStore, tokenizer: any TextTokenizer,
                                  endToken: TokenID, prompt: LinkingPrompt = LinkingPrompt(),
                                  includeNil: Bool = false) throws -> PrefixTrie? {
        var builder = PrefixTrieBuilder()
        if includeNil {
            builder.insert(tokenizer.encode(prompt.answerText(LinkedEntity.nilKey)) + [endToken], payload: LinkedEntity.nilPayload)
        }
        for id in entities {
            guard let payload = UInt32(exactly: id), payload != LinkedEntity.nilPayload else { continue }
            for name in try store.names(ofEntity: id) {
                let tokens = name.tokens ?? tokenizer.encode(prompt.answerText(name.name))
                guard !tokens.isEmpty else { continue }
                builder.insert(tokens + [endToken], payload: payload)
            }
        }
        return builder.count > 0 ? try builder.freeze() : nil
    }
}
