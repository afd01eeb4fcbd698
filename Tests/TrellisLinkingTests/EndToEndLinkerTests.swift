import Foundation
import XCTest
import TrellisCore
import TrellisDecoding
import TrellisStore
import TrellisTrie
import TrellisTestSupport
@testable import TrellisLinking

final class EndToEndLinkerTests: XCTestCase {
    private let tokenizer = ByteTokenizer()

    /// Checks an output of the copy machine without using the machine: the tokens outside the
    /// markup must be exactly the input's tokens; each mention `[ copy ] { name }` must sit on
    /// chunk boundaries, cover a surface of the mention table, and name one of its candidates
    /// (or NIL when allowed); the output ends with the end token after the whole input.
    private func assertWellFormed(_ tokens: [TokenID], input: EndToEndInput, markers: MentionMarkers, end: TokenID,
                                  allowed: [String: Set<String>], allowNil: Bool, file: StaticString = #filePath,
                                  line: UInt = #line) {
        var p = 0, i = 0
        let chunkStarts = Set(input.chunks.map(\.firstToken) + [input.tokens.count])
        while i < tokens.count {
            let t = tokens[i]
            if p < input.tokens.count && t == input.tokens[p] {
                p += 1
                i += 1
                continue
            }
            if t == end {
                XCTAssertEqual(p, input.tokens.count, "ended before the input was copied", file: file, line: line)
                XCTAssertEqual(i, tokens.count - 1, "tokens after the end token", file: file, line: line)
                return
            }
            XCTAssertEqual(t, markers.mentionOpen, "neither a copy nor a mention opening at output \(i)", file: file, line: line)
            XCTAssertTrue(chunkStarts.contains(p), "mention opens inside a chunk", file: file, line: line)
            let mentionStart = p
            i += 1
            while i < tokens.count && p < input.tokens.count && tokens[i] == input.tokens[p] {
                p += 1
                i += 1
            }
            guard i < tokens.count, tokens[i] == markers.mentionClose else {
                return XCTFail("mention not closed", file: file, line: line)
            }
            XCTAssertGreaterThan(p, mentionStart, "empty mention", file: file, line: line)
            XCTAssertTrue(chunkStarts.contains(p), "mention closes inside a chunk", file: file, line: line)
            let surface = tokenizer.decode(input.tokens[mentionStart..<p]).trimmingCharacters(in: .whitespaces)
            i += 1
            guard i < tokens.count, tokens[i] == markers.entityOpen else { return XCTFail("no entity after mention", file: file, line: line) }
            i += 1
            var name: [TokenID] = []
            while i < tokens.count && tokens[i] != markers.entityClose {
                name.append(tokens[i])
                i += 1
            }
            guard i < tokens.count else { return XCTFail("entity name not closed", file: file, line: line) }
            i += 1
            let written = tokenizer.decode(name)
            let names = (allowed[surface] ?? []).map { " " + $0 }
            let isNil = allowNil && written == " NIL"
            XCTAssertTrue(isNil || names.contains(written), "'\(written)' is not a candidate of '\(surface)'", file: file, line: line)
        }
        XCTFail("output has no end token", file: file, line: line)
    }

    func testInputChunksDecodeBackToTheText() {
        for text in ["Jordan scored 40 points.", "  two  spaces\nand a newline", "U.S.-based Ünïcode café", ""] {
            let input = EndToEndInput(text: text, tokenizer: tokenizer)
            XCTAssertEqual(tokenizer.decode(input.tokens), " " + text.replacingNewlinesWithSpaces())
            for c in input.chunks.indices where input.hasCore(c) {
                XCTAssertFalse(input.surface(c, c + 1).first!.isWhitespace)
            }
        }
    }

    /// Property test: over random texts, KBs and mention tables, every output the beam search
    /// returns copies the input exactly, with well-formed markers and candidate names only; and
    /// the linker's spans are the surfaces at their character offsets.
    func testOutputsCopyTheInputWithWellFormedMarkupOnRandomData() throws {
        var rng = SplitMix64(seed: 42)
        let syllables = ["ka", "lo", "mi", "ta", "ru", "Be", "No", "Sa", "Vi"]
        for trial in 0..<30 {
            let store = try TrellisStore.inMemory()
            func word() -> String { (0..<Int.random(in: 1...2, using: &rng)).map { _ in syllables.randomElement(using: &rng)! }.joined() }
            var words = (0..<Int.random(in: 3...12, using: &rng)).map { _ in word() }
            if Bool.random(using: &rng) { words.insert(",", at: Int.random(in: 0...words.count, using: &rng)) }
            let text = words.joined(separator: " ").replacingOccurrences(of: " ,", with: ",") + "."
            var entityNames: [EntityID: [String]] = [:]
            var ids: [EntityID] = []
            for e in 0..<Int.random(in: 1...6, using: &rng) {
                let names = (0..<Int.random(in: 1...2, using: &rng)).map { _ in word().capitalized + " " + word() }
                let rec = try store.addEntity(key: "E\(e)", name: names[0], otherNames: names.dropFirst().map { EntityName(language: "en", name: $0) })
                entityNames[rec.entity.id] = names
                ids.append(rec.entity.id)
            }
            // Surfaces: some spans of the text (1-3 words) and a few that do not occur.
            var table = InMemoryMentionTable()
            var allowed: [String: Set<String>] = [:]
            let plain = text.split(separator: " ").map(String.init)
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                let a = Int.random(in: 0..<plain.count, using: &rng), b = min(plain.count, a + Int.random(in: 1...3, using: &rng))
                var surface = plain[a..<b].joined(separator: " ")
                while let last = surface.last, !last.isLetter { surface.removeLast() }
                let random = Bool.random(using: &rng) ? surface : word()
                guard !random.isEmpty else { continue }
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let e = ids.randomElement(using: &rng)!
                    table.add(surface: random, entity: e, count: Double(Int.random(in: 1...9, using: &rng)))
                    allowed[random, default: []].formUnion(entityNames[e]!)
                }
            }
            let allowNil = trial % 3 == 0
            var options = EndToEndOptions()
            options.beamSize = 1 + trial % 4
            options.allowNil = allowNil
            let model = ToyModel(vocabularySize: 258, salt: UInt64(trial))
            let end = EntityLinker.endToken(for: tokenizer)
            let linker = try EndToEndLinker(store: store, tokenizer: tokenizer, model: model, mentionTable: table, endToken: end,
                                            options: options)
            let constraint = try linker.constraint(for: text)
            let prompt = options.prompt.tokens(for: constraint.input, tokenizer: tokenizer, markers: linker.markers)
            let search = BeamSearch(constraint: constraint,
                                    options: BeamSearchOptions(beamSize: options.beamSize, maxNewTokens: 4096, lengthPenalty: 0,
                                                               endTokens: [end], jumpForward: true, forcedTokenScoring: .certain))
            let hypotheses = try search.run(model: model, prompt: prompt)
            XCTAssertFalse(hypotheses.isEmpty, "trial \(trial): copying alone is always possible")
            // NIL-only spans (capitalized, no candidates) may also appear when NIL is allowed.
            for h in hypotheses {
                assertWellFormed(h.tokens, input: constraint.input, markers: linker.markers, end: end, allowed: allowed,
                                 allowNil: allowNil)
            }
            let result = try linker.link(text: text)
            let chars = Array(text)
            for m in result.mentions {
                XCTAssertEqual(m.surface, String(chars[m.start..<m.end]))
                if let e = m.entity {
                    XCTAssertFalse((allowed[m.surface] ?? []).isDisjoint(with: entityNames[e.entityID]!))
                } else {
                    XCTAssertTrue(allowNil, "NIL without --nil")
                }
                XCTAssertTrue((0...1.0001).contains(m.confidence))
            }
            XCTAssertEqual(model.liveSequences, 0)
        }
    }

    /// NIL wins when no candidate name can be written (the model gives their first letters
    /// probability 0), and loses when NIL's own first letter is impossible.
    func testNilWinsWhenNoCandidateFits() throws {
        let store = try TrellisStore.inMemory()
        let alpha = try store.addEntity(key: "Alpha", name: "Alpha").entity.id
        let beta = try store.addEntity(key: "Beta", name: "Beta").entity.id
        try NameTrieIndex.tokenizeNames(store: store, tokenizer: tokenizer, fingerprint: "bytes")
        let end = EntityLinker.endToken(for: tokenizer)
        let candidates = [CandidateEntity(entityID: alpha, prior: 5), CandidateEntity(entityID: beta, prior: 1)]
        func top(impossible: String, allowNil: Bool) throws -> [LinkedEntity] {
            var options = LinkingOptions()
            options.allowNil = allowNil
            options.ranker = nil  // rank by the model's scores (the shipped ranker ignores them)
            let model = ToyModel(vocabularySize: 258, impossibleTokens: Set(impossible.utf8.map { TokenID($0) }))
            let linker = EntityLinker(store: store, tokenizer: tokenizer, model: model, names: nil, endToken: end, options: options)
            return try linker.link(text: "Gamma spoke.", spans: [MentionSpan(start: 0, end: 5)], candidates: [candidates])[0]
        }
        let nilWins = try top(impossible: "AB", allowNil: true)
        XCTAssertEqual(nilWins.first?.isNil, true)
        // The candidates stay listed (with their prior) but no name of theirs could be written.
        XCTAssertTrue(nilWins.dropFirst().allSatisfy { $0.modelScore == -.infinity })
        XCTAssertTrue(nilWins[0].score.isFinite)
        XCTAssertTrue(try top(impossible: "AB", allowNil: false).allSatisfy { !$0.isNil && $0.modelScore == -.infinity })
        let entityWins = try top(impossible: "N", allowNil: true)
        XCTAssertFalse(entityWins.isEmpty)
        XCTAssertFalse(entityWins.contains(where: \.isNil))
        XCTAssertEqual(Set(entityWins.map(\.key)), ["Alpha", "Beta"])
    }

    /// End to end: with NIL allowed and the candidates' names impossible, a found mention is NIL.
    func testEndToEndNilWhenNoCandidateFits() throws {
        let store = try TrellisStore.inMemory()
        let alpha = try store.addEntity(key: "Alpha", name: "Alpha").entity.id
        var table = InMemoryMentionTable()
        table.add(surface: "Gamma", entity: alpha)
        var options = EndToEndOptions()
        options.allowNil = true
        let end = EntityLinker.endToken(for: tokenizer)
        let model = ToyModel(vocabularySize: 258, impossibleTokens: [TokenID(UInt8(ascii: "A"))])
        let linker = try EndToEndLinker(store: store, tokenizer: tokenizer, model: model, mentionTable: table, endToken: end,
                                        options: options)
        let constraint = try linker.constraint(for: "Gamma spoke.")
        // "Gamma" (its candidate + NIL), and "Gamma spoke", "Gamma spoke." (capitalized, NIL only).
        XCTAssertEqual(constraint.spanCount, 3)
        let result = try linker.link(text: "Gamma spoke.")
        for m in result.mentions { XCTAssertNil(m.entity) }
    }

    func testEmptyTextIsAnError() throws {
        let store = try TrellisStore.inMemory()
        let linker = try EndToEndLinker(store: store, tokenizer: tokenizer, model: ToyModel(vocabularySize: 258),
                                        endToken: EntityLinker.endToken(for: tokenizer))
        XCTAssertThrowsError(try linker.link(text: "  \n")) { XCTAssertEqual($0 as? LinkingError, .emptyText) }
    }

    /// The prior mass under each trie node is the sum over the distinct payloads below it.
    func testLogPriorMassSumsDistinctPayloadsBelowEachNode() throws {
        var builder = PrefixTrieBuilder()
        builder.insert([7, 1, 2, 9], payload: 10)
        builder.insert([7, 1, 3, 9], payload: 11)
        builder.insert([7, 1, 5, 9], payload: 10)  // a second name of entity 10
        builder.insert([7, 4, 9], payload: 12)
        let trie = try builder.freeze()
        let mass = MentionMarkupConstraint.logPriorMass(of: trie, priors: [10: 0.5, 11: 0.3], missing: 0.2)
        func node(_ path: [TokenID]) -> PrefixTrie.Node {
            path.reduce(PrefixTrie.Node.root) { trie.step($0, token: $1)! }
        }
        XCTAssertEqual(mass.count, trie.nodeCount)
        XCTAssertEqual(mass[Int(node([]).index)], log(1.0), accuracy: 1e-6)
        XCTAssertEqual(mass[Int(node([7, 1]).index)], log(0.8), accuracy: 1e-6, "entity 10 counts once")
        XCTAssertEqual(mass[Int(node([7, 1, 5]).index)], log(0.5), accuracy: 1e-6)
        XCTAssertEqual(mass[Int(node([7, 4, 9]).index)], log(0.2), accuracy: 1e-6, "a payload without a prior gets the missing value")
    }

    /// With a model that is uniform over the allowed tokens, writing an entity's name under
    /// prior weight 1 has probability p(e|m) (the branch masses telescope), and weight 0 leaves
    /// the model's own choice; every decision stays a distribution over the allowed tokens.
    func testPriorWeightTelescopesToTheEntityPrior() throws {
        let markers = try MentionMarkers.choose(for: tokenizer)
        var builder = PrefixTrieBuilder()
        builder.insert([markers.entityOpen, 1, 2, markers.entityClose], payload: 10)
        builder.insert([markers.entityOpen, 1, 3, markers.entityClose], payload: 11)
        builder.insert([markers.entityOpen, 4, markers.entityClose], payload: 12)
        let trie = try builder.freeze()
        let end = EntityLinker.endToken(for: tokenizer)
        var constraint = MentionMarkupConstraint(input: EndToEndInput(text: "x", tokenizer: tokenizer), markers: markers,
                                                 endToken: end, tries: [trie], spans: [:], priors: [[10: 0.5, 11: 0.3, 12: 0.2]])
        func pathLogProb(_ path: [TokenID]) -> Double {
            var state = MentionMarkupConstraint.State(phase: .entity, position: 0, mentionStart: 0, trie: 0, node: .root)
            var total = 0.0
            for t in path {
                var row = [Float](repeating: -log(258), count: 258)
                row.withUnsafeMutableBufferPointer { constraint.addBias(in: state, to: $0) }
                if case .only(let allowed) = constraint.allowed(in: state), allowed.count > 1 {
                    XCTAssertEqual(allowed.reduce(0.0) { $0 + exp(Double(row[Int($1)])) }, 1, accuracy: 1e-5)
                    total += Double(row[Int(t)])
                }
                state = constraint.advance(state, by: t)!
            }
            return total
        }
        constraint.priorWeight = 1
        XCTAssertEqual(pathLogProb([markers.entityOpen, 1, 3, markers.entityClose]), log(0.3), accuracy: 1e-5)
        XCTAssertEqual(pathLogProb([markers.entityOpen, 4, markers.entityClose]), log(0.2), accuracy: 1e-5)
        constraint.priorWeight = 0
        XCTAssertEqual(pathLogProb([markers.entityOpen, 1, 3, markers.entityClose]), log(0.25), accuracy: 1e-5)
    }

    /// Candidate shares are over all of a surface's candidates, NIL's share added when asked.
    func testCandidateSharesForTheTrie() {
        let shares = EndToEndLinker.shares([CandidateEntity(entityID: 1, prior: 3), CandidateEntity(entityID: 2, prior: 1)], nilShare: 0.5)
        XCTAssertEqual(shares[1], 0.75)
        XCTAssertEqual(shares[2], 0.25)
        XCTAssertEqual(shares[LinkedEntity.nilPayload], 0.5)
    }
}
