import TrellisAutomata
import TrellisCore
import TrellisHMM

/// Pr(tokens) by summing over every hidden path (exponential, for tiny models only).
func bruteForceProbability(_ hmm: HiddenMarkovModel, _ tokens: [TokenID], firstHidden: Int? = nil) -> Double {
    let h = hmm.hiddenStates, v = hmm.vocabularySize
    if tokens.isEmpty { return 1 }
    var total: Double = 0
    var path = [Int](repeating: 0, count: tokens.count)
    func visit(_ t: Int, _ p: Double) {
        if t == tokens.count { total += p; return }
        for z in 0..<h {
            if t == 0, let f = firstHidden, z != f { continue }
            var q = p
            if t == 0 { q *= firstHidden == nil ? Double(hmm.initial[z]) : 1 } else { q *= Double(hmm.transition[path[t - 1] * h + z]) }
            q *= Double(hmm.emission[z * v + Int(tokens[t])])
            path[t] = z
            visit(t + 1, q)
        }
    }
    visit(0, 1)
    return total
}

/// Whether some prefix of `tokens` (including the empty one) takes the DFA from `state` to acceptance.
func reachesAcceptance(_ dfa: TokenDFA, from state: Int32, _ tokens: [TokenID]) -> Bool {
    var s = state
    if s >= 0 && dfa.accepting[Int(s)] { return true }
    for t in tokens {
        s = dfa.next(s, t)
        if s < 0 { return false }
        if dfa.accepting[Int(s)] { return true }
    }
    return false
}

func allSequences(vocabularySize: Int, length: Int) -> [[TokenID]] {
    var out: [[TokenID]] = [[]]
    for _ in 0..<length { out = out.flatMap { s in (0..<vocabularySize).map { s + [TokenID($0)] } } }
    return out
}

/// A toy DFA over 3 tokens: accept once token 1 has been followed (later) by token 2;
/// token 0 is neutral. States: 0 start, 1 seen 1, 2 accepted (absorbing, all tokens stay).
let toyDFA = TokenDFA(vocabularySize: 3, classCount: 3, tokenClass: [0, 1, 2], stateCount: 3, start: 0,
                      transitions: [0, 1, 0,  1, 1, 2,  2, 2, 2], accepting: [false, false, true])
