import Foundation
import TrellisLinking
import TrellisServer

/// Maps offsets between the JSON interfaces' unit (Unicode code points, as JavaScript and Python
/// count them) and the linker's (Swift `Character`s), so `trellis link --json` and `POST /v1/link`
/// read and write the same offsets. O(text length) to build, O(1) per lookup.
struct TextOffsets {
    /// Character index of each code point, plus one entry for the end.
    let scalarToCharacter: [Int]
    /// Code point index of each character, plus one entry for the end.
    let characterToScalar: [Int]

    init(_ text: String) {
        var scalarToCharacter: [Int] = []
        var characterToScalar: [Int] = []
        var characters = 0
        for character in text {
            characterToScalar.append(scalarToCharacter.count)
            for _ in character.unicodeScalars { scalarToCharacter.append(characters) }
            characters += 1
        }
        characterToScalar.append(scalarToCharacter.count)
        scalarToCharacter.append(characters)
        self.scalarToCharacter = scalarToCharacter
        self.characterToScalar = characterToScalar
    }

    /// The linker's span for a code-point span; nil when it is empty or outside the text.
    func characterSpan(start: Int, end: Int) -> TrellisLinking.MentionSpan? {
        guard start >= 0, start < end, end < scalarToCharacter.count else { return nil }
        return TrellisLinking.MentionSpan(start: scalarToCharacter[start], end: scalarToCharacter[end])
    }
}

extension LinkedMention {
    /// A disambiguated mention from the linker's ranking: NIL never appears among `entities`, and
    /// `entity` is null when NIL (or nothing) ranks first. Offsets are code points.
    init(span: TrellisLinking.MentionSpan, in characters: [Character], offsets: TextOffsets, ranked: [TrellisLinking.LinkedEntity]) {
        func served(_ e: TrellisLinking.LinkedEntity) -> TrellisServer.LinkedEntity {
            TrellisServer.LinkedEntity(key: e.key, name: e.name, score: Double(e.score))
        }
        self.init(start: offsets.characterToScalar[span.start], end: offsets.characterToScalar[span.end],
                  surface: String(characters[span.start..<span.end]),
                  entities: ranked.filter { !$0.isNil }.map(served),
                  entity: .some(ranked.first.flatMap { $0.isNil ? nil : served($0) }))
    }

    /// A mention found end to end; its one entity scores log(confidence). Offsets are code points.
    init(endToEnd m: EndToEndMention, offsets: TextOffsets) {
        let entity = m.entity.map {
            TrellisServer.LinkedEntity(key: $0.key, name: $0.name, score: log(Double(max(m.confidence, 1e-9))))
        }
        self.init(start: offsets.characterToScalar[m.start], end: offsets.characterToScalar[m.end], surface: m.surface,
                  entities: entity.map { [$0] } ?? [], entity: .some(entity), confidence: Double(m.confidence))
    }
}
