import Foundation
import TrellisCore

/// Measures the trie at scale on synthetic names: build time, bytes per stored token id, open
/// time of the written file, and the cost of one cursor step (children + child lookup).
public enum TrieBenchmark {
    public static func run(names count: Int = 1_000_000, vocabulary: Int = 49_152, seed: UInt64 = 1) throws -> String {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        // Names of 3-12 tokens; first tokens drawn from a smaller set so prefixes are shared as in real titles.
        var names: [[TokenID]] = []
        names.reserveCapacity(count)
        var storedTokens = 0
        for _ in 0..<count {
            let length = 3 + Int(next() % 10)
            var name: [TokenID] = [TokenID(next() % 2_000)]
            for _ in 1..<length { name.append(TokenID(next() % UInt64(vocabulary))) }
            storedTokens += name.count
            names.append(name)
        }
        let t0 = Date()
        var builder = PrefixTrieBuilder()
        for (i, n) in names.enumerated() { builder.insert(n, payload: UInt32(i)) }
        let trie = try builder.build()
        let buildSeconds = Date().timeIntervalSince(t0)
        let path = NSTemporaryDirectory() + "trellis-trie-bench-\(getpid()).trie"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trie.write(to: path)
        let t1 = Date()
        let opened = try PrefixTrie(path: path)
        let openSeconds = Date().timeIntervalSince(t1)
        // Walk 100k names step by step from cursors: one children() + one child() per token.
        let t2 = Date()
        var steps = 0
        var checksum = 0
        for n in names.prefix(100_000) {
            var node = PrefixTrie.root
            for t in n {
                checksum &+= opened.children(of: node).count
                guard let c = opened.child(of: node, token: t) else { break }
                node = c
                steps += 1
            }
        }
        let stepNanos = Date().timeIntervalSince(t2) * 1e9 / Double(max(steps, 1))
        return String(format: """
            prefix trie, %d synthetic names (%d token ids, vocabulary %d)
              build                 %.2f s
              size                  %.1f MiB = %.2f bytes per stored token id (%d nodes)
              open (mmap+validate)  %.1f ms
              cursor step           %.0f ns (children + child lookup; checksum %d)
            """, count, storedTokens, vocabulary, buildSeconds, Double(opened.sizeInBytes) / 1_048_576,
            Double(opened.sizeInBytes) / Double(storedTokens), opened.nodeCount, openSeconds * 1000, stepNanos, checksum % 10)
    }
}
