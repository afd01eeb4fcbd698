import TrellisCore

/// The four marker tokens of the end-to-end output format, each a single token of the
/// vocabulary: `[ mention ] { entity name }`. A marker that is also a copied input token at
/// some position reads as the copy there (the constraint prefers copying), so outputs stay
/// unambiguous.
public struct MentionMarkers: Sendable, Equatable {
    public var mentionOpen: TokenID
    public var mentionClose: TokenID
    public var entityOpen: TokenID
    public var entityClose: TokenID

    public init(mentionOpen: TokenID, mentionClose: TokenID, entityOpen: TokenID, entityClose: TokenID) {
        self.mentionOpen = mentionOpen
        self.mentionClose = mentionClose
        self.entityOpen = entityOpen
        self.entityClose = entityClose
    }

    /// Picks single-token spellings from the tokenizer: " [" or "[", "]", " {" or "{", " }" or "}".
    public static func choose(for tokenizer: any TextTokenizer) throws -> MentionMarkers {
        func single(_ spellings: [String]) throws -> TokenID {
            for s in spellings {
                let t = tokenizer.encode(s)
                if t.count == 1 { return t[0] }
            }
            throw LinkingError.noMarkerToken(spellings.joined(separator: " / "))
        }
        let markers = MentionMarkers(mentionOpen: try single([" [", "["]), mentionClose: try single(["]"]),
                                     entityOpen: try single([" {", "{"]), entityClose: try single([" }", "}"]))
        guard Set([markers.mentionOpen, markers.mentionClose, markers.entityOpen, markers.entityClose]).count == 4 else {
            throw LinkingError.noMarkerToken("four distinct marker tokens")
        }
        return markers
    }
}
