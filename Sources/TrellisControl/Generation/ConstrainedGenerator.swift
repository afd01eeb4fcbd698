import Foundation
import TrellisAutomata
import TrellisCore
import TrellisDecoding
import TrellisHMM

/// How `ConstrainedGenerator` decodes.
public struct ControlOptions: Sendable {
    /// Token budget (the end token included) when the spec gives no `max_tokens`.
    public var maxTokens: Int
    /// Weight of the HMM lookahead bias (1 = Ctrl-G's p(x | prefix, α)).
    public var guidanceWeight: Float
    /// 0 or 1: sample with `sampler`; 2 or more: constrained beam search of this width.
    public var beamSize: Int
    public var sampler: Sampler
    /// Beam search ranks finished outputs by log-prob / length^lengthPenalty.
    public var lengthPenalty: Float
    /// Tokens per step whose HMM bias is computed exactly besides keyword-progress tokens (the
    /// model's top ones); the rest get their DFA class's ratio (`HMMGuidedConstraint.addBias`).
    public var guidanceExactTokens: Int

    public init(maxTokens: Int = 32, guidanceWeight: Float = 1, beamSize: Int = 0, sampler: Sampler = Sampler(),
                lengthPenalty: Float = 1, guidanceExactTokens: Int = 64) {
        self.guidanceExactTokens = guidanceExactTokens
        self.maxTokens = maxTokens
        self.guidanceWeight = guidanceWeight
        self.beamSize = beamSize
        self.sampler = sampler
        self.lengthPenalty = lengthPenalty
    }
}

/// One constrained generation.
public struct ControlledText: Sendable {
    public var text: String
    /// Generated tokens, the final end token excluded.
    public var tokens: [TokenID]
    /// Whether the output ended with the end token in an accepting DFA state (always true for
    /// DFA/HMM modes unless the budget could not be met; plain mode: whether it stopped by itself).
    public var satisfied: Bool
    public var finishReason: FinishReason
    /// Seconds spent building the guidance table (0 without an HMM).
    public var tableSeconds: Double
    /// Seconds spent decoding (prefill included).
    public var decodeSeconds: Double
}

/// Guided generation for the CLI and the server: compiles a `ConstraintSpec` to a token DFA
/// that also requires the output to end with `endToken` (so outputs end naturally, and only
/// once the constraint holds), then decodes with (a) no constraint, (b) the DFA's hard mask,
/// or (c) the mask plus HMM lookahead (`HMMGuidedConstraint`, Ctrl-G; Zhang et al. 2024), by
/// sampling or beam search. Other stop tokens are forbidden until the end (`StopTokenGate`).
/// Cost per request: DFA compilation O(V · bytes per token · DFA states), the guidance table
/// O(horizon · (states · H² + edges · H)); per token the model step plus, with an HMM, one
/// H×H product per DFA target and H-dot products for keyword tokens and the top
/// `guidanceExactTokens` tokens.
public final class ConstrainedGenerator {
    public let model: any NextTokenModel
    public let tokenizer: any TextTokenizer
    public let endToken: TokenID
    public let stopTokens: Set<TokenID>
    /// Bytes of every token (control tokens empty), the alphabet the DFAs are built on.
    public let vocabulary: [[UInt8]]
    /// The last HMM's token-major emission matrix (`GuidanceTable.transposedEmission`), reused
    /// while requests keep using the same parameters (same storage).
    private var transposedCache: (hmm: HiddenMarkovModel, emissionByToken: [Float])?
    private let cacheLock = NSLock()

    public init(model: any NextTokenModel, tokenizer: any TextTokenizer, endToken: TokenID, stopTokens: Set<TokenID>) {
        self.model = model
        self.tokenizer = tokenizer
        self.endToken = endToken
        self.stopTokens = stopTokens.union([endToken])
        self.vocabulary = (0..<model.vocabularySize).map { t in
            t < tokenizer.vocabularySize && !tokenizer.isSpecial(TokenID(t)) ? tokenizer.tokenBytes(TokenID(t)) : []
        }
    }

    /// The spec's DFA, ANDed with "ends with `endToken`", minimized.
    public func compile(_ spec: ConstraintSpec) throws -> TokenDFA {
        var spec = spec
        spec.endWithEOS = true
        return try spec.compile(vocabulary: vocabulary, eos: endToken)
    }

    /// Generates after `prompt`: plain when `spec` is nil, else under the spec's DFA, guided by
    /// `hmm` when given. `onToken` streams tokens (sampling) or receives the best beam at the end.
    public func generate(prompt: [TokenID], spec: ConstraintSpec?, hmm: HiddenMarkovModel?,
                         options: ControlOptions = ControlOptions(),
                         onToken: (TokenID) throws -> Bool = { _ in true }) throws -> ControlledText {
        // The budget is part of the spec so that the length mask and table agree with it.
        var spec = spec
        if spec != nil && spec?.maxTokens == nil { spec?.maxTokens = options.maxTokens }
        let dfa = try spec.map { try compile($0) }
        return try generate(prompt: prompt, dfa: dfa, budget: spec?.maxTokens ?? options.maxTokens, hmm: hmm,
                            options: options, onToken: onToken)
    }

    /// As above with a compiled DFA (which must require the end token, see `compile`).
    public func generate(prompt: [TokenID], dfa: TokenDFA?, budget: Int, hmm: HiddenMarkovModel?,
                         options: ControlOptions = ControlOptions(),
                         onToken: (TokenID) throws -> Bool = { _ in true }) throws -> ControlledText {
        guard budget > 0 else { throw ControlError.invalidArgument("the token budget must be positive") }
        guard let dfa else {
            if hmm != nil { throw ControlError.invalidArgument("HMM guidance needs a constraint") }
            return try run(Unconstrained(), dfa: nil, prompt: prompt, budget: budget, options: options, tableSeconds: 0, onToken: onToken)
        }
        guard dfa.vocabularySize == model.vocabularySize else {
            throw ControlError.invalidArgument("DFA over \(dfa.vocabularySize) tokens, model has \(model.vocabularySize)")
        }
        let others = stopTokens.subtracting([endToken])
        guard let hmm else {
            let constraint = StopTokenGate(DFAConstraint(dfa: dfa, maxTokens: budget), forbidding: others,
                                           vocabularySize: model.vocabularySize)
            return try run(constraint, dfa: dfa, prompt: prompt, budget: budget, options: options, tableSeconds: 0, onToken: onToken)
        }
        guard hmm.vocabularySize == model.vocabularySize else {
            throw ControlError.invalidArgument("HMM over \(hmm.vocabularySize) tokens, model has \(model.vocabularySize)")
        }
        let start = Date()
        let table = try GuidanceTable(hmm: hmm, dfa: dfa, horizon: budget, emissionByToken: transposedEmission(of: hmm))
        let tableSeconds = Date().timeIntervalSince(start)
        let constraint = StopTokenGate(HMMGuidedConstraint(table: table, weight: options.guidanceWeight,
                                                           exactTokens: options.guidanceExactTokens),
                                       forbidding: others, vocabularySize: model.vocabularySize)
        return try run(constraint, dfa: dfa, prompt: prompt, budget: budget, options: options,
                       tableSeconds: tableSeconds, onToken: onToken)
    }

    private func transposedEmission(of hmm: HiddenMarkovModel) -> [Float] {
        func storage(_ m: HiddenMarkovModel) -> UnsafePointer<Float>? { m.emission.withUnsafeBufferPointer { $0.baseAddress } }
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = transposedCache, storage(cached.hmm) == storage(hmm), cached.hmm.vocabularySize == hmm.vocabularySize,
           cached.hmm.hiddenStates == hmm.hiddenStates {
            return cached.emissionByToken
        }
        let bt = GuidanceTable.transposedEmission(of: hmm)
        transposedCache = (hmm, bt)
        return bt
    }

    private func run<C: LogitConstraint>(_ constraint: C, dfa: TokenDFA?, prompt: [TokenID], budget: Int,
                                         options: ControlOptions, tableSeconds: Double,
                                         onToken: (TokenID) throws -> Bool) throws -> ControlledText {
        let start = Date()
        var tokens: [TokenID]
        var finish: FinishReason
        var ended: Bool
        if options.beamSize >= 2 {
            let search = BeamSearch(constraint: constraint, options: BeamSearchOptions(
                beamSize: options.beamSize, maxNewTokens: budget, lengthPenalty: options.lengthPenalty,
                endTokens: stopTokens))
            let best = try search.run(model: model, prompt: prompt).first
            tokens = best?.tokens ?? []
            ended = tokens.last.map { stopTokens.contains($0) } ?? false
            if ended { tokens.removeLast() }
            finish = ended ? .stop : .length
            for t in tokens { guard try onToken(t) else { break } }
        } else {
            let generator = TokenGenerator(constraint: constraint, maxTokens: budget, stopTokens: stopTokens)
            let result = try generator.generate(model: model, prompt: prompt, sampler: options.sampler, onToken: onToken)
            tokens = result.tokens
            finish = result.finishReason
            ended = finish == .stop
        }
        let satisfied: Bool
        if let dfa { satisfied = ended && dfa.accepts(tokens + [endToken]) } else { satisfied = ended }
        return ControlledText(text: tokenizer.decode(tokens), tokens: tokens, satisfied: satisfied, finishReason: finish,
                              tableSeconds: tableSeconds, decodeSeconds: Date().timeIntervalSince(start))
    }
}
