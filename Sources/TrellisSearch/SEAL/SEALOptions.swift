/// Settings of `SEALSearcher`. Defaults: SEAL's beam 15 and n-grams up to 10 tokens; α, β and
/// the prompt chosen on the SciFact train queries (see README, "Passage search").
public struct SEALOptions: Sendable {
    /// Beams kept per step of n-gram generation.
    public var beamSize: Int = 15
    /// Longest generated n-gram, in tokens.
    public var maxNgramLength: Int = 10
    /// Exponent α of the n-gram weight.
    public var alpha: Double = 2
    /// Coverage weight β in cover(n) = 1 − β + β·|set(n) \ C| / |set(n)|.
    public var coverageWeight: Double = 0.5
    /// First stage: n-grams occurring more often than this are not located (they would cost
    /// O(count·sampleRate·log σ) and carry little weight); the second stage still counts them.
    public var maxOccurrencesToLocate: Int = 2_000
    /// Second stage: the best this-many first-stage passages are rescored exactly on their tokens.
    public var rescoreDepth: Int = 100
    /// Prompt template; `{query}` is replaced by the query.
    public var prompt: String = "Question: {query}\nRelevant passage text:"

    public init() {}

    public func promptText(for query: String) -> String {
        prompt.replacingOccurrences(of: "{query}", with: query)
    }
}
