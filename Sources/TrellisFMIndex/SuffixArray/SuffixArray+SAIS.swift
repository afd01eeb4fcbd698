/// Linear-time suffix array construction over an integer alphabet by induced sorting (SA-IS:
/// G. Nong, S. Zhang, W. H. Chan, "Linear Suffix Array Construction by Almost Pure
/// Induced-Sorting", DCC 2009).
///
/// The text must end with a unique smallest symbol (0) and every symbol must lie in
/// `0..<alphabetSize`. Time O(n + alphabetSize) per recursion level and O(n) overall (each level
/// at most halves the problem); extra memory n bytes of S/L types plus one bucket array of
/// `alphabetSize` Int32 per level. The reduced problem is solved inside the output buffer, as in
/// the paper.
public enum SuffixArray {
    /// Fills `suffixArray` (same length as `text`) with the starting positions of the suffixes of
    /// `text` in lexicographic order. Precondition (programmer error): the last symbol is 0 and
    /// occurs nowhere else; all symbols are in `0..<alphabetSize`; `text.count < Int32.max`.
    public static func build(text: UnsafeBufferPointer<Int32>, alphabetSize: Int,
                             into suffixArray: UnsafeMutableBufferPointer<Int32>) {
        precondition(suffixArray.count == text.count, "suffix array length must equal text length")
        precondition(text.count < Int(Int32.max), "text too long for Int32 positions")
        let n = text.count
        if n == 0 { return }
        precondition(text[n - 1] == 0, "text must end with the sentinel 0")
        if n == 1 { suffixArray[0] = 0; return }
        inducedSort(text: text.baseAddress!, sa: suffixArray.baseAddress!, n: n, k: alphabetSize)
    }

    /// The same order by sorting suffixes with comparisons: O(n² log n), for tests only.
    public static func naive(text: [Int32]) -> [Int32] {
        let n = text.count
        return (0..<n).sorted { a, b in
            var i = a, j = b
            while i < n && j < n {
                if text[i] != text[j] { return text[i] < text[j] }
                i += 1; j += 1
            }
            return i == n // the shorter suffix (a proper prefix) sorts first
        }.map { Int32($0) }
    }

    // MARK: - SA-IS core

    /// One level of SA-IS on `t[0..<n]` (symbols < k, t[n-1] unique smallest), result in `sa`.
    private static func inducedSort(text t: UnsafePointer<Int32>, sa: UnsafeMutablePointer<Int32>,
                                    n: Int, k: Int) {
        // S-type = 1, L-type = 0. The sentinel is S; a suffix is S when smaller than its successor.
        let isS = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { isS.deallocate() }
        isS[n - 1] = 1
        var i = n - 2
        while i >= 0 {
            let a = t[i], b = t[i + 1]
            isS[i] = (a < b || (a == b && isS[i + 1] == 1)) ? 1 : 0
            i -= 1
        }
        @inline(__always) func isLMS(_ p: Int) -> Bool { p > 0 && isS[p] == 1 && isS[p - 1] == 0 }

        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: k)
        let bucket = UnsafeMutablePointer<Int32>.allocate(capacity: k)
        defer { counts.deallocate(); bucket.deallocate() }
        counts.initialize(repeating: 0, count: k)
        for p in 0..<n { counts[Int(t[p])] += 1 }
        func bucketEnds() { var s: Int32 = 0; for c in 0..<k { s += counts[c]; bucket[c] = s } }
        func bucketStarts() { var s: Int32 = 0; for c in 0..<k { bucket[c] = s; s += counts[c] } }

        func induce() {
            // L-types left to right from bucket starts, then S-types right to left from bucket ends.
            bucketStarts()
            for p in 0..<n {
                let j = Int(sa[p]) - 1
                if j >= 0 && isS[j] == 0 {
                    let c = Int(t[j]); sa[Int(bucket[c])] = Int32(j); bucket[c] += 1
                }
            }
            bucketEnds()
            var p = n - 1
            while p >= 0 {
                let j = Int(sa[p]) - 1
                if j >= 0 && isS[j] == 1 {
                    let c = Int(t[j]); bucket[c] -= 1; sa[Int(bucket[c])] = Int32(j)
                }
                p -= 1
            }
        }

        // Stage 1: sort the LMS substrings by placing LMS positions at bucket ends and inducing.
        bucketEnds()
        sa.update(repeating: -1, count: n)
        for p in 1..<n where isLMS(p) {
            let c = Int(t[p]); bucket[c] -= 1; sa[Int(bucket[c])] = Int32(p)
        }
        induce()

        // Compact the sorted LMS positions to the front.
        var lmsCount = 0
        for p in 0..<n where isLMS(Int(sa[p])) { sa[lmsCount] = sa[p]; lmsCount += 1 }

        // Name the LMS substrings; equal substrings get equal names. Names go to sa[lmsCount + pos/2]
        // (distinct slots since LMS positions are at least 2 apart).
        (sa + lmsCount).update(repeating: -1, count: n - lmsCount)
        var name: Int32 = 0
        var previous = -1
        for r in 0..<lmsCount {
            let pos = Int(sa[r])
            var differs = previous < 0
            if !differs {
                var d = 0
                while true {
                    if t[pos + d] != t[previous + d] || isS[pos + d] != isS[previous + d] { differs = true; break }
                    if d > 0 && (isLMS(pos + d) || isLMS(previous + d)) { break }
                    d += 1
                }
            }
            if differs { name += 1; previous = pos }
            sa[lmsCount + pos / 2] = name - 1
        }
        // Move the names (in text order) to the end: that is the reduced string.
        var j = n - 1
        var p = n - 1
        while p >= lmsCount {
            if sa[p] >= 0 { sa[j] = sa[p]; j -= 1 }
            p -= 1
        }
        let reduced = sa + (n - lmsCount)
        let reducedSA = sa

        // Stage 2: order the LMS suffixes, recursing only when names are not yet unique.
        if Int(name) < lmsCount {
            inducedSort(text: UnsafePointer(reduced), sa: reducedSA, n: lmsCount, k: Int(name))
        } else {
            for r in 0..<lmsCount { reducedSA[Int(reduced[r])] = Int32(r) }
        }

        // Stage 3: map reduced ranks back to LMS positions, place them at bucket ends, induce.
        var r = 0
        for q in 1..<n where isLMS(q) { reduced[r] = Int32(q); r += 1 }
        for q in 0..<lmsCount { reducedSA[q] = reduced[Int(reducedSA[q])] }
        (sa + lmsCount).update(repeating: -1, count: n - lmsCount)
        bucketEnds()
        var q = lmsCount - 1
        while q >= 0 {
            let pos = Int(sa[q]); sa[q] = -1
            let c = Int(t[pos]); bucket[c] -= 1; sa[Int(bucket[c])] = Int32(pos)
            q -= 1
        }
        induce()
    }
}
