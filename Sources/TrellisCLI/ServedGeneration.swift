import Foundation
import TrellisAutomata
import TrellisControl
import TrellisCore
import TrellisDecoding
import TrellisFMIndex
import TrellisServer
import TrellisTokenizer
import TrellisTrie

/// Generation as the HTTP API serves it: turns a request's `ConstraintSpec` into a decoding
/// constraint and runs `TokenGenerator` over any `NextTokenModel` (in the server, a client of the
/// shared `BatchingModel`), streaming text deltas.
///
/// Constraint kinds:
/// - keywords / banned words / word counts: a token DFA (`TrellisAutomata`), compiled per request
///   against the vocabulary bytes cached here (O(V) once, not per request);
/// - `choices`: a prefix trie built per request over each choice's token ids (as written, and
///   after a space, whichever the model prefers), each followed by an end token — GENRE-style
///   trie-constrained decoding (De Cao et al. 2021); O(total choice tokens) to build;
/// - `kb_entity`: the knowledge base's name trie (the linker's, shared, built once per server);
/// - `corpus_ngram`: the passage FM-index, so every prefix of the output occurs in the corpus
///   (SEAL, Bevilacqua et al. 2022); each step is O(k log σ) for k continuations.
/// The end token of a trie is a stop token: it ends the output without being written, and it does
/// not count against `max_tokens`.
struct ServedGeneration: Sendable {
    let tokenizer: any TextTokenizer
    /// Tokens that end any generation (EOS, end of turn).
    let stopTokens: Set<TokenID>
    /// Bytes of every token, for compiling token DFAs.
    let vocabulary: [[UInt8]]
    /// The knowledge base's names (" name" + `nameEndToken`), or nil without a KB.
    let names: PrefixTrieOverlayConstraint?
    let nameEndToken: TokenID
    /// The corpus FM-index, or nil without passages.
    let corpus: FMIndex?

    init(tokenizer: any TextTokenizer, stopTokens: Set<TokenID>, names: PrefixTrieOverlayConstraint?,
         nameEndToken: TokenID, corpus: FMIndex?) {
        self.tokenizer = tokenizer
        self.stopTokens = stopTokens
        // Special tokens spell no text: the word DFAs must not read their names as words.
        self.vocabulary = (0..<tokenizer.vocabularySize).map { t in
            tokenizer.isSpecial(TokenID(t)) ? [] : tokenizer.tokenBytes(TokenID(t))
        }
        self.names = names
        self.nameEndToken = nameEndToken
        self.corpus = corpus
    }

    /// What decoding a request enforces, decided before any model work.
    enum Plan: Sendable {
        case free
        case words(TokenDFA)
        /// Per-request trie over the choices; `end` closes each choice.
        case choices(PrefixTrieConstraint, end: TokenID, choices: [String])
        case entity
        case ngram(maxLength: Int)
    }

    /// Checks `spec` against what is loaded and builds what it needs. Throws `BackendError`:
    /// `missingIndex` when the store lacks the KB or corpus, `impossibleConstraint` when no
    /// output can satisfy it, `notSupported` for combinations not built.
    func plan(_ spec: TrellisServer.ConstraintSpec?, maxTokens: Int) throws -> Plan {
        guard let spec, !spec.isEmpty else { return .free }
        let hasWordParts = !(spec.keywords ?? []).isEmpty || spec.minWords != nil || spec.maxWords != nil
            || spec.regex != nil || spec.jsonSchema != nil || !(spec.then ?? []).isEmpty
        let wholeOutputKinds = (spec.choices != nil) || spec.kbEntity == true || spec.wantsCorpusNgram
        if wholeOutputKinds && hasWordParts {
            throw BackendError.notSupported("keywords, word counts, regex and json_schema cannot be combined with choices, kb_entity or corpus_ngram yet")
        }
        if let choices = spec.choices { return try choicePlan(choices, banned: spec.bannedWords ?? [], maxTokens: maxTokens) }
        if spec.kbEntity == true {
            if spec.bannedWords?.isEmpty == false { throw BackendError.notSupported("banned_words cannot be combined with kb_entity yet") }
            guard let names, !names.overlay.base.isEmpty || !names.overlay.added.isEmpty else {
                throw BackendError.missingIndex("`kb_entity` needs a knowledge base, and this server's store has no entities; run `trellis kb import` and restart with --store")
            }
            return .entity
        }
        if let ngram = spec.corpusNgram, ngram.enabled {
            if spec.bannedWords?.isEmpty == false { throw BackendError.notSupported("banned_words cannot be combined with corpus_ngram yet") }
            guard corpus != nil else {
                throw BackendError.missingIndex("`corpus_ngram` needs a passage corpus, and this server's store has no passages; run `trellis corpus import` and restart with --store")
            }
            return .ngram(maxLength: min(ngram.maxTokens ?? maxTokens, maxTokens))
        }
        return .words(try compileWords(spec, maxTokens: maxTokens))
    }

    private func compileWords(_ spec: TrellisServer.ConstraintSpec, maxTokens: Int) throws -> TokenDFA {
        func wordSpec(_ spec: TrellisServer.ConstraintSpec) throws -> TrellisAutomata.ConstraintSpec {
            let parts = try (spec.then ?? []).map { part -> TrellisAutomata.ConstraintSpec in
                if part.hasWholeOutputKind { throw BackendError.notSupported("a `then` part takes only keywords, banned_words, min_words, max_words, ordered, regex, json_schema and then") }
                return try wordSpec(part)
            }
            return TrellisAutomata.ConstraintSpec(keywords: (spec.keywords ?? []).map(\.alternatives), banned: spec.bannedWords ?? [],
                                                  minWords: spec.minWords, maxWords: spec.maxWords, ordered: spec.ordered ?? false,
                                                  then: parts, regex: spec.regex, jsonSchema: spec.jsonSchema)
        }
        var parsed = try wordSpec(spec)
        // The budget, for the length mask (an open-ended min_words saturates, it needs no cap).
        parsed.maxTokens = maxTokens
        // The output may end (with EOS) only in an accepting state, e.g. after min_words words.
        parsed.endWithEOS = tokenizer.eosTokenID != nil
        let dfa: TokenDFA
        do {
            try parsed.validate()
            dfa = try parsed.compile(vocabulary: vocabulary, eos: tokenizer.eosTokenID)
        } catch let error as ConstraintSpecError {
            throw BackendError.invalidRequest("\(error)")
        } catch let error as AutomataError {
            throw BackendError.invalidRequest("the constraint is too large to compile: \(error)")
        }
        let constraint = DFAConstraint(dfa: dfa, maxTokens: maxTokens)
        guard !constraint.allowed(in: constraint.initialState).isEmpty else {
            throw BackendError.impossibleConstraint("no output of at most \(maxTokens) tokens can satisfy the constraint")
        }
        return dfa
    }

    /// The trie of the choices that contain no banned word and fit in `maxTokens`.
    private func choicePlan(_ choices: [String], banned: [String], maxTokens: Int) throws -> Plan {
        let bannedSet = Set(banned.map { $0.lowercased() })
        let end = tokenizer.eosTokenID ?? nameEndToken
        var builder = PrefixTrieBuilder()
        var kept: [String] = []
        for (i, choice) in choices.enumerated() {
            let words = choice.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            if words.contains(where: { bannedSet.contains(String($0)) }) { continue }
            var variants = [tokenizer.encode(choice)]
            if choice.first?.isWhitespace == false { variants.append(tokenizer.encode(" " + choice)) }
            var fits = false
            for tokens in variants where !tokens.isEmpty && tokens.count <= maxTokens {
                builder.insert(tokens + [end], payload: UInt32(i))
                fits = true
            }
            if fits { kept.append(choice) }
        }
        guard builder.count > 0 else {
            throw BackendError.impossibleConstraint("no choice is allowed within max_tokens = \(maxTokens) without a banned word")
        }
        return .choices(PrefixTrieConstraint(trie: try builder.freeze()), end: end, choices: kept)
    }

    /// Runs `plan` after `prompt` on `model`; `emit` gets text deltas and returns false to stop.
    func run(_ plan: Plan, prompt: [TokenID], maxTokens: Int, sampler: Sampler, model: any NextTokenModel,
             stopStrings: [String], emit yield: @escaping (String) -> Void) throws -> GenerationSummary {
        var output = DeltaWriter(tokenizer: tokenizer, stopStrings: stopStrings, yield: yield)
        var tokens: [TokenID] = []
        func generate<C: LogitConstraint>(_ constraint: C, budget: Int, extraStop: TokenID? = nil,
                                          buffered: Bool = false) throws -> GenerationResult {
            var stops = stopTokens
            if let extraStop { stops.insert(extraStop) }
            let generator = TokenGenerator(constraint: constraint, maxTokens: budget, stopTokens: stops)
            return try generator.generate(model: model, prompt: prompt, sampler: sampler) { t in
                tokens.append(t)
                return buffered ? true : output.append(token: t)
            }
        }
        let result: GenerationResult
        var satisfied: Bool?
        switch plan {
        case .free:
            result = try generate(Unconstrained(), budget: maxTokens)
            output.finish()
        case .words(let dfa):
            // Only the DFA's own end token may end the output (in an accepting state); the other
            // stop tokens (end of turn, ...) would otherwise end it anywhere.
            let others = stopTokens.subtracting(tokenizer.eosTokenID.map { [$0] } ?? [])
            result = try generate(StopTokenGate(DFAConstraint(dfa: dfa, maxTokens: maxTokens), forbidding: others,
                                                vocabularySize: vocabulary.count), budget: maxTokens)
            output.finish()
            // The end token that stopped generation is not among the output tokens; the DFA reads it.
            let ended = result.finishReason == .stop && tokenizer.eosTokenID != nil
            satisfied = dfa.accepts(ended ? tokens + [tokenizer.eosTokenID!] : tokens)
        case .choices(let trie, let end, let choices):
            // One extra step for the end token, which is not output.
            result = try generate(trie, budget: maxTokens + 1, extraStop: end, buffered: true)
            let text = tokenizer.decode(tokens)
            let chosen = choices.contains(text) ? text : String(text.dropFirst())
            satisfied = result.finishReason == .stop && choices.contains(chosen)
            output.write(satisfied == true ? chosen : text)
        case .entity:
            guard let names else { throw BackendError.missingIndex("no knowledge base loaded") }
            result = try generate(names, budget: maxTokens + 1, extraStop: nameEndToken, buffered: true)
            satisfied = result.finishReason == .stop
            // Names are stored as the linker writes them, after a space.
            let text = tokenizer.decode(tokens)
            output.write(text.first == " " ? String(text.dropFirst()) : text)
        case .ngram(let maxLength):
            guard let corpus else { throw BackendError.missingIndex("no passage corpus loaded") }
            result = try generate(FMIndexConstraint(index: corpus, maxLength: maxLength), budget: maxTokens)
            output.finish()
            satisfied = !tokens.isEmpty
        }
        let reason: TrellisServer.FinishReason = result.finishReason == .length ? .length : .stop
        return GenerationSummary(finishReason: output.stoppedByString ? .stop : reason, promptTokens: prompt.count,
                                 completionTokens: result.tokens.count, constraintSatisfied: satisfied)
    }
}

/// Turns tokens into complete-UTF-8 text deltas and cuts the output before the first stop string.
struct DeltaWriter {
    private var decoder: StreamingDecoder
    private let stopStrings: [String]
    private let yield: (String) -> Void
    private var text = ""
    private(set) var stoppedByString = false

    init(tokenizer: any TextTokenizer, stopStrings: [String], yield: @escaping (String) -> Void) {
        decoder = StreamingDecoder(tokenizer: tokenizer)
        self.stopStrings = stopStrings
        self.yield = yield
    }

    /// Adds a token; false once a stop string has appeared (generation should stop).
    mutating func append(token: TokenID) -> Bool { write(decoder.append(token)) }

    /// Flushes bytes held back for an incomplete character.
    mutating func finish() {
        if !stoppedByString { write(decoder.finish()) }
    }

    /// Adds text; false once a stop string has appeared.
    @discardableResult
    mutating func write(_ piece: String) -> Bool {
        guard !stoppedByString else { return false }
        guard !piece.isEmpty else { return true }
        let already = text.count
        text += piece
        if let range = stopStrings.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let keep = text[..<range.lowerBound]
            if keep.count > already { yield(String(keep.dropFirst(already))) }
            stoppedByString = true
            return false
        }
        yield(piece)
        return true
    }
}
