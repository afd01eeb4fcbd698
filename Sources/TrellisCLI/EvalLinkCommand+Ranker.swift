import ArgumentParser
import Foundation
import TrellisEngine
import TrellisEval
import TrellisLinking
import TrellisStore

extension EvalLinkCommand {
    /// Imports AIDA train's surface → title counts into the store's mention table once, through
    /// the ordinary mention import (a JSONL file under Indexes/, never committed).
    func importTrainMentionTable(_ trainDocs: [AIDADocument], into kbStore: TrellisStore, workspace: Workspace) throws {
        guard try kbStore.counts().mentions == 0 else { return }
        let counts = AIDAMentionCounts(documents: trainDocs)
        let path = (workspace.storePath as NSString).deletingLastPathComponent + "/aida-train-mentions.jsonl"
        var lines: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        struct Line: Encodable { struct C: Encodable { var key: String; var count: Int }; var mention: String; var candidates: [C] }
        for surface in counts.counts.keys.sorted() {
            let cands = counts.counts[surface]!.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { Line.C(key: $0.key, count: $0.value) }
            lines.append(String(decoding: try encoder.encode(Line(mention: surface, candidates: cands)), as: UTF8.self))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try kbStore.importMentions(from: path, format: .jsonLines)
        print("imported AIDA train p(e|m) into the mention table: \(summary.records) surfaces (\(path))")
    }

    /// Fits the ranker on the scored mentions: L2 strength by 5-fold cross-validation over
    /// documents, then a final fit on all of them.
    func fit(_ mentions: [ScoredMention], writeTo path: String) throws {
        let examples = mentions.compactMap { m -> CandidateRanker.Example? in
            guard let gold = m.keys.firstIndex(of: m.gold) else { return nil }
            return CandidateRanker.Example(features: CandidateFeatures.make(surface: m.surface, candidates: m.evidence),
                                           gold: gold, group: m.doc)
        }
        let grid: [Double] = [0.01, 0.1, 1, 10, 100, 1000]
        let center = try centerRanker.map { path -> CandidateRanker in
            if path == "standard", let standard = CandidateRanker.standard { return standard }
            return try CandidateRanker.read(from: path)
        }
        let fitted = fitOnly.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        if let fitted {
            let unknown = fitted.subtracting(CandidateFeatures.names)
            guard unknown.isEmpty else { throw ValidationError("--fit-only: unknown features \(unknown.sorted()); known: \(CandidateFeatures.names)") }
        }
        let results = CandidateRanker.crossValidate(examples, l2Values: grid, center: center, fitOnly: fitted)
        if let center {
            let correct = examples.filter { center.best($0.features) == $0.gold }.count
            print(String(format: "  center ranker alone on these %d mentions: accuracy %.1f", examples.count, 100 * Double(correct) / Double(max(examples.count, 1))))
        }
        for r in results { print(String(format: "  ranker 5-fold CV on %@: l2 %-6g accuracy %.1f", split, r.l2, 100 * r.accuracy)) }
        let best = results.max { ($0.accuracy, -$0.l2) < ($1.accuracy, -$1.l2) }!
        let docCount = Set(mentions.map(\.doc)).count
        let how = fitted.map { "fitting only \($0.sorted().joined(separator: ", ")), the rest fixed at" } ?? "regularized toward"
        let centered = centerRanker.map { ", \(how) \(($0 as NSString).lastPathComponent) (\(center?.note ?? ""))" } ?? ""
        let ranker = CandidateRanker.fit(examples, l2: best.l2, center: center, fitOnly: fitted,
                                         note: "AIDA \(split), \(docCount) documents, \(examples.count) mentions; l2 by 5-fold CV\(centered)")
        try ranker.write(to: path)
        print("  wrote ranker weights (l2 \(best.l2)) to \(path)")
        for (name, w) in zip(ranker.featureNames, ranker.weights) { print("    " + name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%+.3f", w)) }
    }
}

/// Scored mentions appended to a JSONL file document by document, so an interrupted run keeps
/// what it scored (evaluate that part with --load-scores and --limit-docs).
final class ScoreFile {
    private let handle: FileHandle
    private let encoder = JSONEncoder()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write scores to \(path)")
        }
        handle = h
        encoder.outputFormatting = .sortedKeys
    }

    deinit { try? handle.close() }

    func append(_ mentions: [EvalLinkCommand.ScoredMention]) throws {
        var out = Data()
        for m in mentions {
            out += try encoder.encode(m)
            out += Data("\n".utf8)
        }
        try handle.write(contentsOf: out)
    }
}
