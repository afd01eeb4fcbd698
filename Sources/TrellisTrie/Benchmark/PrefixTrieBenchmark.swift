#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TrellisCore

/// Measures a prefix trie over synthetic entity names: build time, size, open time of the
/// memory-mapped file, and the cost of one beam step (children + binary-search step) from a
/// cursor. Names are seeded and reproducible: 3-12 tokens over a 49,152-token vocabulary, token
/// ids log-uniform (frequent ids shared as in real names' first words, the rest spread out),
/// each followed by an end token. Used by tests (small sizes) and by `trellis bench`.
public enum PrefixTrieBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var names = 0
        public var inputTokens = 0
        public var nodes = 0
        public var bytes = 0
        public var buildSeconds = 0.0
        public var writeSeconds = 0.0
        /// First open after writing (header, checksum and full structural validation).
        public var openSeconds = 0.0
        /// Open with structural validation only (no checksum).
        public var openStructureOnlySeconds = 0.0
        public var steps = 0
        /// `childCount(of:)` + `step(_:token:)` per token of random names.
        public var nanosecondsPerStep = 0.0
        /// `PrefixTrieConstraint.allowed(in:)` (an array copy of the children) + `advance`.
        public var nanosecondsPerConstraintStep = 0.0

        public var bytesPerInputToken: Double { Double(bytes) / Double(max(inputTokens, 1)) }

        public var description: String {
            func f(_ x: Double, _ digits: Int = 3) -> String {
                var s = String(Int((x * pow(10, Double(digits))).rounded()))
                while s.count <= digits { s = "0" + s }
                s.insert(".", at: s.index(s.endIndex, offsetBy: -digits))
                return s
            }
            return """
            names \(names), tokens \(inputTokens) (end tokens included), nodes \(nodes)
            build \(f(buildSeconds)) s, size \(bytes) bytes = \(f(bytesPerInputToken, 2)) bytes per token
            write \(f(writeSeconds)) s, open \(f(openSeconds * 1000, 1)) ms (checksum + structure), \
            \(f(openStructureOnlySeconds * 1000, 1)) ms (structure only)
            step \(f(nanosecondsPerStep, 1)) ns (children + step), \(f(nanosecondsPerConstraintStep, 1)) ns via PrefixTrieConstraint, over \(steps) steps
            """
        }
    }

    /// Seeded synthetic names (tokens ≥ 1; `end` = 0 appended by `run`).
    public static func syntheticNames(count: Int, vocabulary: Int = 49_152, seed: UInt64 = 1) -> [[TokenID]] {
        var random = SplitMix64(seed: seed)
        func next() -> UInt64 { random.next() }
        func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
        let logVocabulary = log(Double(vocabulary - 1))
        var names: [[TokenID]] = []
        names.reserveCapacity(count)
        for _ in 0..<count {
            let length = 3 + Int(next() % 10)
            names.append((0..<length).map { _ in TokenID(min(Double(vocabulary - 1), exp(unit() * logVocabulary))) })
        }
        return names
    }

    /// Builds, writes (to `path`), opens and walks a trie of `count` synthetic names.
    public static func run(count: Int, path: String, steps: Int = 1_000_000, seed: UInt64 = 1) throws -> Report {
        var report = Report()
        let names = syntheticNames(count: count, seed: seed)
        report.names = count
        var clock = now()
        var builder = PrefixTrieBuilder()
        builder.reserveCapacity(sequences: count, tokens: names.reduce(0) { $0 + $1.count + 1 })
        for (i, name) in names.enumerated() {
            builder.insert(name + [0], payload: UInt32(i))
        }
        let built = try builder.freeze()
        report.buildSeconds = now() - clock
        report.inputTokens = builder.tokenCount
        report.nodes = built.nodeCount
        report.bytes = built.sizeInBytes

        clock = now()
        try built.write(to: path)
        report.writeSeconds = now() - clock
        clock = now()
        let trie = try PrefixTrie(path: path)
        report.openSeconds = now() - clock
        clock = now()
        _ = try PrefixTrie(path: path, validation: .structure)
        report.openStructureOnlySeconds = now() - clock

        // Random names walked from the root, one cursor step per token, as a beam would.
        var order: [Int] = []
        var total = 0
        var pick = seed &* 0x2545_F491_4F6C_DD1D
        while total < steps {
            pick = pick &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let i = Int((pick >> 33) % UInt64(count))
            order.append(i)
            total += names[i].count + 1
        }
        var checksum = 0
        clock = now()
        for i in order {
            var node = trie.root
            for t in names[i] {
                checksum &+= trie.childCount(of: node)
                node = trie.step(node, token: t)!
            }
            checksum &+= trie.childCount(of: node)
            node = trie.step(node, token: 0)!
            checksum &+= Int(trie.payloads(at: node).count)
        }
        report.nanosecondsPerStep = (now() - clock) * 1e9 / Double(total)
        report.steps = total
        let constraint = PrefixTrieConstraint(trie: trie)
        clock = now()
        for i in order {
            var state = constraint.initialState
            for t in names[i] + [0] {
                if case .only(let allowed) = constraint.allowed(in: state) { checksum &+= allowed.count }
                state = constraint.advance(state, by: t)!
            }
        }
        report.nanosecondsPerConstraintStep = (now() - clock) * 1e9 / Double(total)
        if checksum == 42 { print("") }  // keeps the loops from being optimized away
        return report
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
