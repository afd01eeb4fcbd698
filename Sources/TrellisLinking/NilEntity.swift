import TrellisStore

/// NIL, the "no entity in the KB" answer: a reserved name in per-request candidate tries whose
/// payload is `nilPayload`; a mention whose best answer is NIL reports its entity as null.
extension LinkedEntity {
    /// Trie payload of the reserved NIL name (never an entity id: ids are far below it).
    public static let nilPayload: UInt32 = .max
    /// The key NIL answers carry inside rankings.
    public static let nilKey = "NIL"

    /// Whether this is the NIL answer.
    public var isNil: Bool { key == Self.nilKey && entityID == -1 }

    static func nilAnswer(score: Float, modelScore: Float) -> LinkedEntity {
        LinkedEntity(entityID: -1, key: nilKey, name: nilKey, score: score, modelScore: modelScore, prior: nil)
    }
}
