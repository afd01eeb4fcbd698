import TrellisCore
import TrellisTestSupport
import TrellisTrie

/// A constraint answering with masks: the state is the running token sum mod 4; a token t is
/// allowed unless (sum + t) mod 4 == 3; the output is accepted when the sum is even.
struct ParityMaskConstraint: LogitConstraint {
    let vocabularySize: Int
    var initialState: Int { 0 }
    func allowed(in state: Int) -> AllowedTokens {
        .mask(TokenMask(count: vocabularySize, allowing: (0..<vocabularySize).map { TokenID($0) }.filter { (state + Int($0)) % 4 != 3 }))
    }
    func advance(_ state: Int, by token: TokenID) -> Int? {
        (state + Int(token)) % 4 == 3 ? nil : (state + Int(token)) % 4
    }
    func isAccepting(_ state: Int) -> Bool { state % 2 == 0 }
}

/// Allows everything and adds `bonus` to the log-probability of `favoured`.
struct BonusConstraint: LogitConstraint {
    let favoured: TokenID
    let bonus: Float
    var initialState: Void { () }
    func allowed(in state: Void) -> AllowedTokens { .all }
    func advance(_ state: Void, by token: TokenID) -> Void? { () }
    func isAccepting(_ state: Void) -> Bool { true }
    var biasesLogits: Bool { true }
    func addBias(in state: Void, to logProbs: UnsafeMutableBufferPointer<Float>) {
        if Int(favoured) < logProbs.count { logProbs[Int(favoured)] += bonus }
    }
}

/// Random entity-name tries: names over tokens 1..<vocabulary, each followed by `end`, built
/// from shared stems so that some tokens are forced and some branch.
func randomNameTrie(rng: inout SplitMix64, vocabulary: Int, end: TokenID, count: Int, maxLength: Int = 5) throws
    -> (trie: PrefixTrie, names: Set<[TokenID]>)
{
    var builder = PrefixTrieBuilder()
    var names = Set<[TokenID]>()
    var stems: [[TokenID]] = []
    for i in 0..<count {
        var name: [TokenID]
        if !stems.isEmpty && Bool.random(using: &rng) {
            let stem = stems[Int.random(in: 0..<stems.count, using: &rng)]
            name = Array(stem.prefix(Int.random(in: 0...stem.count, using: &rng)))
        } else {
            name = []
        }
        while name.isEmpty || (name.count < maxLength && Int.random(in: 0..<3, using: &rng) > 0) {
            name.append(TokenID.random(in: 1..<TokenID(vocabulary), using: &rng))
        }
        stems.append(name)
        names.insert(name + [end])
        builder.insert(name + [end], payload: UInt32(i))
    }
    return (try builder.freeze(), names)
}
