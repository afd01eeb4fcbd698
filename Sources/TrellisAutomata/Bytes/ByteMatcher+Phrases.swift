extension ByteMatcher {
    /// A matcher that emits bit `bits[i]` whenever `phrases[i]` occurs as whole words: the
    /// occurrence starts at the text start or after a non-word byte, and is followed by a
    /// non-word byte or the end of the text.
    ///
    /// This is the Aho-Corasick automaton (Aho & Corasick 1975) built by subset construction
    /// over the positions (phrase, bytes matched) instead of failure links, which makes the word
    /// boundaries easy: fresh matches start only after a non-word byte, and a fully matched phrase
    /// stays "pending" until the next byte (non-word: emit; word byte: drop) or the end of text
    /// (`endEmit`). Bytes are grouped into classes (each byte used by a phrase, other word bytes,
    /// other non-word bytes) so construction costs O(nodes × classes × active positions).
    /// Phrases are matched case-sensitively; pass capitalized variants as alternatives.
    public static func phrases(_ phrases: [[UInt8]], bits: [UInt32],
                               nodeLimit: Int = 1 << 20) throws -> ByteMatcher {
        precondition(phrases.count == bits.count)
        for (i, p) in phrases.enumerated() where p.isEmpty {
            throw AutomataError.emptyPhrase(concept: i)
        }
        // Position code of (phrase i, j bytes matched) = offsets[i] + j, j in 0...len_i.
        var offsets: [Int32] = []
        var total: Int32 = 0
        for p in phrases {
            offsets.append(total)
            total += Int32(p.count + 1)
        }
        var phraseOf: [Int32] = []
        var matched: [Int32] = []
        for (i, p) in phrases.enumerated() {
            for j in 0...p.count {
                phraseOf.append(Int32(i))
                matched.append(Int32(j))
            }
        }
        let fresh: [Int32] = offsets  // every phrase at j = 0

        // Byte classes: bytes with identical behaviour against every phrase position.
        var usedByte = [Bool](repeating: false, count: 256)
        for p in phrases { for b in p { usedByte[Int(b)] = true } }
        var classOfByte = [Int](repeating: 0, count: 256)
        var representatives: [UInt8] = []
        var otherWord = -1, otherNonWord = -1
        for b in 0..<256 {
            if usedByte[b] {
                classOfByte[b] = representatives.count
                representatives.append(UInt8(b))
            } else if isWordByte(UInt8(b)) {
                if otherWord < 0 { otherWord = representatives.count; representatives.append(UInt8(b)) }
                classOfByte[b] = otherWord
            } else {
                if otherNonWord < 0 { otherNonWord = representatives.count; representatives.append(UInt8(b)) }
                classOfByte[b] = otherNonWord
            }
        }

        func step(_ node: [Int32], _ b: UInt8) -> ([Int32], UInt32) {
            var out: [Int32] = []
            var emitted: UInt32 = 0
            let word = isWordByte(b)
            for code in node {
                let i = Int(phraseOf[Int(code)]), j = Int(matched[Int(code)])
                let p = phrases[i]
                if j == p.count {
                    if !word { emitted |= bits[i] }
                } else if p[j] == b {
                    out.append(code + 1)
                }
            }
            if !word { out.append(contentsOf: fresh) }
            out.sort()
            // Positions are unique by construction except when fresh meets a j=0 code.
            var unique: [Int32] = []
            unique.reserveCapacity(out.count)
            for c in out where unique.last != c { unique.append(c) }
            return (unique, emitted)
        }

        var ids: [[Int32]: Int32] = [fresh: 0]
        var nodes: [[Int32]] = [fresh]
        var classNext: [Int32] = []
        var classEmit: [UInt32] = []
        var k = 0
        while k < nodes.count {
            let node = nodes[k]
            for rep in representatives {
                let (target, emitted) = step(node, rep)
                var id = ids[target]
                if id == nil {
                    guard nodes.count < nodeLimit else { throw AutomataError.tooManyStates(limit: nodeLimit) }
                    id = Int32(nodes.count)
                    ids[target] = id
                    nodes.append(target)
                }
                classNext.append(id!)
                classEmit.append(emitted)
            }
            k += 1
        }
        let classCount = representatives.count
        var next = [Int32](repeating: -1, count: nodes.count * 256)
        var emit = [UInt32](repeating: 0, count: nodes.count * 256)
        var endEmit = [UInt32](repeating: 0, count: nodes.count)
        for n in 0..<nodes.count {
            for b in 0..<256 {
                next[n * 256 + b] = classNext[n * classCount + classOfByte[b]]
                emit[n * 256 + b] = classEmit[n * classCount + classOfByte[b]]
            }
            for code in nodes[n] {
                let i = Int(phraseOf[Int(code)])
                if Int(matched[Int(code)]) == phrases[i].count { endEmit[n] |= bits[i] }
            }
        }
        return ByteMatcher(nodeCount: nodes.count, start: 0, next: next, emit: emit, endEmit: endEmit,
                           endAllowed: [Bool](repeating: true, count: nodes.count))
    }

    /// A matcher requiring at least `minWords` words and allowing any number beyond: like
    /// `wordCount` but the count saturates at `minWords`, so it has 2·(minWords+1) nodes whatever
    /// the text length (an open-ended `min_words` no longer needs a cap).
    public static func atLeastWords(_ minWords: Int) throws -> ByteMatcher {
        guard minWords >= 0 else { throw AutomataError.invalidWordRange(min: minWords, max: Int.max) }
        return wordCounter(top: minWords, minWords: minWords, saturating: true)
    }

    /// A matcher counting words (maximal runs of word bytes): node = (count, inside a word);
    /// a count above `maxWords` rejects; the text may end only with at least `minWords` words.
    public static func wordCount(min minWords: Int, max maxWords: Int) throws -> ByteMatcher {
        guard minWords >= 0, maxWords >= minWords else {
            throw AutomataError.invalidWordRange(min: minWords, max: maxWords)
        }
        return wordCounter(top: maxWords, minWords: minWords, saturating: false)
    }

    /// Node 2·count + inWord for count in 0...top. A word starting at count = top stays at top
    /// when `saturating`, else has no transition (rejects); ending needs count ≥ minWords.
    private static func wordCounter(top: Int, minWords: Int, saturating: Bool) -> ByteMatcher {
        let nodeCount = (top + 1) * 2
        var next = [Int32](repeating: -1, count: nodeCount * 256)
        var endAllowed = [Bool](repeating: false, count: nodeCount)
        for count in 0...top {
            for inWord in 0...1 {
                let n = count * 2 + inWord
                endAllowed[n] = count >= minWords
                for b in 0..<256 {
                    if !isWordByte(UInt8(b)) {
                        next[n * 256 + b] = Int32(count * 2)
                    } else if inWord == 1 {
                        next[n * 256 + b] = Int32(n)
                    } else if count < top || saturating {
                        next[n * 256 + b] = Int32(min(count + 1, top) * 2 + 1)
                    }
                }
            }
        }
        return ByteMatcher(nodeCount: nodeCount, start: 0, next: next,
                           emit: [UInt32](repeating: 0, count: nodeCount * 256),
                           endEmit: [UInt32](repeating: 0, count: nodeCount), endAllowed: endAllowed)
    }
}
