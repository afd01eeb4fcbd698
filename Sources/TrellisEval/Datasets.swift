import Foundation

/// One AIDA-CoNLL document: text and mentions with gold titles and PPRforNED candidates
/// (format of `shared/data/aida_conll/*.jsonl`).
public struct AIDADocument: Decodable, Sendable {
    public struct Candidate: Decodable, Sendable {
        public let title: String
        public let inCount: Int?
        enum CodingKeys: String, CodingKey { case title, inCount = "in_count" }
    }
    public struct Mention: Decodable, Sendable {
        public let start: Int
        public let end: Int
        public let surface: String
        public let goldTitle: String?
        /// Wikidata id of the gold entity (testa only; nil elsewhere).
        public let goldQID: String?
        public let candidates: [Candidate]
        enum CodingKeys: String, CodingKey { case start, end, surface, goldTitle = "gold_title", goldQID = "gold_qid", candidates }
    }
    public let docNum: Int
    public let text: String
    public let mentions: [Mention]
    enum CodingKeys: String, CodingKey { case docNum = "doc_num", text, mentions }
}

/// One document of the ELEVANT-derived sets (KORE50, Derczynski, Reuters-128, RSS-500):
/// gold entities are Wikidata ids with Wikidata labels.
public struct ELDocument: Decodable, Sendable {
    public struct Mention: Decodable, Sendable {
        public let start: Int
        public let end: Int
        public let surface: String
        public let goldQID: String?
        public let goldName: String?
        enum CodingKeys: String, CodingKey { case start, end, surface, goldQID = "gold_qid", goldName = "gold_name" }
    }
    public let docID: String
    public let text: String
    public let mentions: [Mention]
    enum CodingKeys: String, CodingKey { case docID = "doc_id", text, mentions }
}

/// A BEIR-format query (`_id`, `text`).
public struct BEIRQuery: Decodable, Sendable {
    public let id: String
    public let text: String
    enum CodingKeys: String, CodingKey { case id = "_id", text }
}

/// BEIR relevance judgements: query id → (document id → grade).
public enum BEIRQrels {
    public static func read(_ path: String) throws -> [String: [String: Int]] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw EvalDataError.unreadable(path: path, reason: error.localizedDescription)
        }
        var out: [String: [String: Int]] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() {
            let cols = line.split(separator: "\t")
            if i == 0 && cols.first == "query-id" { continue }
            guard cols.count >= 3, let grade = Int(cols[2].trimmingCharacters(in: .whitespaces)) else {
                throw EvalDataError.badLine(path: path, line: i + 1, reason: "expected query-id, corpus-id, score")
            }
            out[String(cols[0]), default: [:]][String(cols[1])] = grade
        }
        return out
    }
}

/// One CommonGen concept set with its references and the accepted inflections per concept.
public struct CommonGenExample: Decodable, Sendable {
    public let id: String
    public let concepts: [String]
    public let references: [String]
    public let inflections: [[String]]?
}
