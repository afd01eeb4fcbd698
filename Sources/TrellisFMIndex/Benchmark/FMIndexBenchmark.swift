#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TrellisCore

/// Build and query measurements on a synthetic corpus: Zipfian token ids (s = 1.0) over a
/// 49,152-token vocabulary (SmolLM2's), passages of 100–300 tokens, fixed seed. Run in release
/// mode; `trellis bench index` prints the returned report.
public enum FMIndexBenchmark {
    public static func run(tokenCount: Int = 10_000_000, sampleRate: Int = 32, seed: UInt64 = 1) throws -> String {
        var rng = SplitMix64(seed: seed)
        let (tokens, ends) = zipfianCorpus(tokenCount: tokenCount, vocabulary: 49_152, rng: &rng)
        var lines: [String] = []
        func say(_ s: String) { lines.append(s) }
        say("FM-index benchmark: \(tokens.count) Zipfian tokens (s=1, vocab 49152), \(ends.count) passages, sample rate \(sampleRate)")

        let rssBefore = peakResidentKiB()
        var start = now()
        let index = try FMIndex(tokens: tokens, passageEnds: ends, sampleRate: sampleRate)
        let buildSeconds = now() - start
        let rssAfter = peakResidentKiB()
        let buildRate = Double(tokens.count) / buildSeconds / 1e6
        say("build: \(fixed(buildSeconds, 2)) s (\(fixed(buildRate, 2)) M tokens/s); peak RSS \(rssAfter / 1024) MiB "
            + "(\(rssBefore / 1024) MiB before the build, corpus array \(tokens.count * 4 / 1_048_576) MiB)")
        let perToken = Double(index.sizeInBytes) / Double(max(tokens.count, 1))
        say("size: \(index.sizeInBytes) bytes = \(fixed(perToken, 3)) bytes/token (\(index.distinctTokenCount) distinct tokens, "
            + "\(index.layout.levelCount) wavelet levels)")
        // Where the bytes go, against the order-0 entropy that bounds a Huffman-shaped matrix.
        let o = index.layout.offsets
        let waveletBytes = o.markStarts - o.wmWords, locateBytes = o.separators - o.markStarts
        var entropy = 0.0
        for t in index.vocabulary {
            let p = Double(index.frequency(of: t)) / Double(max(tokens.count, 1))
            entropy -= p * log2(p)
        }
        say("  wavelet matrix \(fixed(Double(waveletBytes) / Double(max(tokens.count, 1)), 3)) B/token "
            + "(\(fixed(Double(waveletBytes) * 8 / Double(index.layout.textLength), 2)) bits/position incl. rank tables; "
            + "token H0 \(fixed(entropy, 2)) bits), locate samples \(fixed(Double(locateBytes) / Double(max(tokens.count, 1)), 3)) B/token, "
            + "derived tables \(index.sizeInBytes - index.bytes.count) bytes")

        // The root (empty n-gram): SEAL's first step lists every token.
        var rootTokens = 0
        start = now()
        for _ in 0..<20 { index.forEachContinuation(index.rootCursor) { _, _ in rootTokens += 1 } }
        say("root continuations: \(fixed((now() - start) * 1e6 / 20, 1)) µs for \(rootTokens / 20) tokens")

        // Query n-grams drawn from the corpus: typical ranges at depths 1–4.
        let queries = 20_000
        for depth in 1...4 {
            var cursors: [FMIndexCursor] = []
            cursors.reserveCapacity(queries)
            start = now()
            var steps = 0
            while cursors.count < queries {
                let p = Int(rng.next() % UInt64(max(tokens.count - depth, 1)))
                var cur: FMIndexCursor? = index.rootCursor
                for t in tokens[p..<(p + depth)] { cur = cur.flatMap { index.extend($0, with: t) }; steps += 1 }
                if let cur { cursors.append(cur) }
            }
            let extendMicros = (now() - start) * 1e6 / Double(steps)
            var distinct = 0, checksum = 0
            var perQuery: [Double] = []
            perQuery.reserveCapacity(queries)
            for c in cursors {
                let t0 = now()
                index.forEachContinuation(c) { tok, n in distinct += 1; checksum &+= Int(tok) &* n }
                perQuery.append((now() - t0) * 1e6)
            }
            perQuery.sort()
            let mean = perQuery.reduce(0, +) / Double(perQuery.count)
            let meanDistinct = Double(distinct) / Double(queries)
            let meanRows = Double(cursors.reduce(0) { $0 + $1.rowCount }) / Double(queries)
            let median = perQuery[perQuery.count / 2], p99 = perQuery[perQuery.count * 99 / 100]
            say("depth \(depth): extend \(fixed(extendMicros, 2)) µs/step; continuations mean \(fixed(mean, 2)) µs, "
                + "median \(fixed(median, 2)) µs, p99 \(fixed(p99, 1)) µs; mean \(fixed(meanDistinct, 1)) distinct next tokens, "
                + "mean range \(fixed(meanRows, 0)) rows" + (checksum == 42 ? " " : ""))
        }

        // Locate: per occurrence cost over depth-3 n-grams.
        var located = 0
        start = now()
        for _ in 0..<2_000 {
            let p = Int(rng.next() % UInt64(max(tokens.count - 3, 1)))
            if let c = index.cursor(for: tokens[p..<(p + 3)]) { located += index.locate(c, limit: 100).count }
        }
        let locateMicros = (now() - start) * 1e6 / Double(max(located, 1))
        say("locate: \(fixed(locateMicros, 2)) µs per occurrence (\(located) occurrences)")

        let path = "/tmp/trellis-fmindex-bench-\(getpid()).fmi"
        start = now()
        try index.write(to: path)
        let writeSeconds = now() - start
        start = now()
        let loaded = try FMIndex(contentsOf: path)
        let loadSeconds = now() - start
        say("write \(fixed(writeSeconds, 2)) s; open + validate (mmap, checksum, invariants) \(fixed(loadSeconds, 2)) s; "
            + "\(loaded.passageCount) passages")
        unlink(path)
        return lines.joined(separator: "\n")
    }

    static func zipfianCorpus(tokenCount: Int, vocabulary: Int, rng: inout SplitMix64) -> ([TokenID], [Int]) {
        var cdf = [Double](repeating: 0, count: vocabulary)
        var total = 0.0
        for r in 0..<vocabulary { total += 1.0 / Double(r + 1); cdf[r] = total }
        // A fixed random permutation so frequent tokens are not all small ids.
        var ids = (0..<vocabulary).map { TokenID($0) }
        for i in stride(from: vocabulary - 1, to: 0, by: -1) { ids.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        var tokens = [TokenID](repeating: 0, count: tokenCount)
        for i in 0..<tokenCount {
            let u = Double(rng.next() >> 11) / Double(1 << 53) * total
            var lo = 0, hi = vocabulary - 1
            while lo < hi { let mid = (lo + hi) >> 1; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
            tokens[i] = ids[lo]
        }
        var ends: [Int] = []
        var at = 0
        while at < tokenCount { at = min(tokenCount, at + 100 + Int(rng.next() % 201)); ends.append(at) }
        return (tokens, ends)
    }

    /// `x` with `digits` decimals (no Foundation in this module).
    static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (x * scale).rounded()
        let whole = Int(scaled / scale)
        guard digits > 0 else { return "\(whole)" }
        let frac = Int(abs(scaled) - abs(Double(whole)) * scale)
        let fracText = String(frac)
        return "\(x < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: max(0, digits - fracText.count)) + fracText
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Process peak resident set size (KiB), from getrusage.
    static func peakResidentKiB() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss)
    }
}
