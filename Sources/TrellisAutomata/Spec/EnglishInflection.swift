/// Common English inflections of a word, for keyword alternatives: the word, its -s form
/// (plural or third person), -ed and -ing forms, irregular forms from a small table, and the
/// capitalized variant of each. Rules: sibilant endings take -es; consonant + y becomes -ies /
/// -ied; a final silent e drops before -ing/-ed; a short consonant-vowel-consonant word
/// doubles its last consonant (run → running). Heuristic, not a lexicon: it can produce
/// non-words ("dogged" for "dog"), which only widens what counts as satisfying a concept.
public enum EnglishInflection {
    static let irregular: [String: [String]] = [
        "run": ["ran", "runs", "running"], "go": ["went", "gone", "goes", "going"],
        "eat": ["ate", "eaten"], "take": ["took", "taken"], "throw": ["threw", "thrown"],
        "catch": ["caught"], "sit": ["sat"], "stand": ["stood"], "swim": ["swam", "swum"],
        "ride": ["rode", "ridden"], "drive": ["drove", "driven"], "write": ["wrote", "written"],
        "see": ["saw", "seen"], "give": ["gave", "given"], "fly": ["flew", "flown"],
        "fall": ["fell", "fallen"], "hold": ["held"], "sing": ["sang", "sung"], "buy": ["bought"],
        "bring": ["brought"], "teach": ["taught"], "make": ["made"], "hit": ["hit"], "cut": ["cut"],
        "put": ["put"], "read": ["read"], "sleep": ["slept"], "wear": ["wore", "worn"],
        "man": ["men"], "woman": ["women"], "child": ["children"], "person": ["people"],
        "mouse": ["mice"], "foot": ["feet"], "tooth": ["teeth"], "goose": ["geese"],
        "leaf": ["leaves"], "knife": ["knives"], "wife": ["wives"], "life": ["lives"],
        "sheep": ["sheep"], "fish": ["fish"], "deer": ["deer"],
    ]

    static func isVowel(_ c: Character) -> Bool { "aeiou".contains(c) }

    /// Whether the last consonant doubles before -ed/-ing: one syllable ending in
    /// consonant-vowel-consonant, the final consonant not w, x or y.
    static func doublesFinalConsonant(_ w: [Character]) -> Bool {
        guard w.count >= 3, w.count <= 4 else { return false }
        let a = w[w.count - 3], b = w[w.count - 2], c = w[w.count - 1]
        let vowels = w.filter(isVowel).count
        return !isVowel(a) && isVowel(b) && !isVowel(c) && !"wxy".contains(c) && vowels == 1
    }

    /// The -s form.
    public static func sForm(_ word: String) -> String {
        let w = Array(word)
        if word.hasSuffix("s") || word.hasSuffix("x") || word.hasSuffix("z") || word.hasSuffix("ch") || word.hasSuffix("sh") {
            return word + "es"
        }
        if w.count >= 2, w.last == "y", !isVowel(w[w.count - 2]) { return String(w.dropLast()) + "ies" }
        return word + "s"
    }

    /// The -ed form.
    public static func edForm(_ word: String) -> String {
        let w = Array(word)
        if word.hasSuffix("e") { return word + "d" }
        if w.count >= 2, w.last == "y", !isVowel(w[w.count - 2]) { return String(w.dropLast()) + "ied" }
        if doublesFinalConsonant(w) { return word + String(w.last!) + "ed" }
        return word + "ed"
    }

    /// The -ing form.
    public static func ingForm(_ word: String) -> String {
        let w = Array(word)
        if word.hasSuffix("ie") { return String(w.dropLast(2)) + "ying" }
        if word.hasSuffix("e") && !word.hasSuffix("ee") && !word.hasSuffix("ye") && !word.hasSuffix("oe") && w.count > 2 {
            return String(w.dropLast()) + "ing"
        }
        if doublesFinalConsonant(w) { return word + String(w.last!) + "ing" }
        return word + "ing"
    }

    /// The word and its inflections, lowercase forms first, then capitalized variants;
    /// duplicates removed. Multi-word phrases inflect their last word.
    public static func forms(of word: String) -> [String] {
        guard !word.isEmpty else { return [] }
        var prefix = ""
        var last = word
        if let space = word.lastIndex(of: " ") {
            prefix = String(word[...space])
            last = String(word[word.index(after: space)...])
        }
        let lower = last.lowercased()
        var out = [last, sForm(lower), edForm(lower), ingForm(lower)]
        out += irregular[lower] ?? []
        var seen = Set<String>()
        var result: [String] = []
        for f in out.map({ prefix + $0 }) where seen.insert(f).inserted { result.append(f) }
        for f in result {
            let cap = f.prefix(1).uppercased() + f.dropFirst()
            if seen.insert(cap).inserted { result.append(cap) }
        }
        return result
    }
}
