import Foundation
import TrellisCore
import TrellisSearch
import TrellisStore

/// Search modes shared by `trellis search` and `trellis eval search`.
enum SearchMode: String, CaseIterable {
    case seal, bm25, hybrid
}

/// One hit as printed in JSON.
struct SearchHitJSON: Encodable {
    let rank: Int
    let id: String
    let score: Double
    let title: String
    let text: String
    let ngrams: [String]
}

struct SearchResultJSON: Encodable {
    let query: String
    let queryID: String?
    let mode: String
    let hits: [SearchHitJSON]
}

/// Rendering of hits: the passage's model text with the counted n-grams marked.
struct HitRenderer {
    let tokenizer: any TextTokenizer
    let open: String
    let close: String

    init(tokenizer: any TextTokenizer, ansi: Bool) {
        self.tokenizer = tokenizer
        open = ansi ? "\u{1B}[1m" : "«"
        close = ansi ? "\u{1B}[0m" : "»"
    }

    /// The passage's tokens decoded with marks around the tokens covered by counted n-grams
    /// (marks are inserted as bytes, so multi-byte characters split across tokens stay whole).
    func highlighted(tokens: [TokenID], matches: [SEALMatch], ngrams: [SEALNgram]) -> String {
        var marked = [Bool](repeating: false, count: tokens.count)
        for m in matches {
            let end = min(m.offset + ngrams[m.ngram].tokens.count, tokens.count)
            if m.offset < end { for i in m.offset..<end { marked[i] = true } }
        }
        var bytes: [UInt8] = []
        for (i, t) in tokens.enumerated() {
            if marked[i] && (i == 0 || !marked[i - 1]) { bytes += Array(open.utf8) }
            bytes += tokenizer.tokenBytes(t)
            if marked[i] && (i == tokens.count - 1 || !marked[i + 1]) { bytes += Array(close.utf8) }
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    func ngramTexts(_ matches: [SEALMatch], _ ngrams: [SEALNgram]) -> [String] {
        matches.map { tokenizer.decode(ngrams[$0.ngram].tokens).trimmingCharacters(in: .whitespaces) }
    }
}
