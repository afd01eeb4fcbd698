import COpenBLAS
import TrellisCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HMMGuidedConstraint {
    /// The fast `addBias` path after `prepareTargets`: exact log q/p for tokens of small classes
    /// and for the `exactTokens` highest-scoring tokens of large classes, the class-level ratio for
    /// the other large-class tokens, −∞ for forbidden ones.
    /// O(classes·H + (small-class tokens + K)·H + V·log K), no allocation.
    func addBiasByClass(_ scratch: GuidanceScratch, to logProbs: UnsafeMutableBufferPointer<Float>, limit n: Int) {
        let h = table.hmm.hiddenStates, hh = Int32(h)
        let classes = table.dfa.classCount
        let weight = self.weight
        let forward = scratch.rows, weighted = scratch.weighted
        let classBias = scratch.classBias, rankOfClassBuffer = scratch.rankOfClass
        table.classEmission.withUnsafeBufferPointer { emission in
            for c in 0..<classes {
                let r = rankOfClassBuffer[c]
                guard r >= 0, !exactClass[c] else { classBias[c] = 0; continue }
                let mass = emission.baseAddress! + c * h
                let q = cblas_sdot(hh, weighted + r * h, 1, mass, 1)
                let p = cblas_sdot(hh, forward, 1, mass, 1)
                classBias[c] = q > 0 ? weight * (logf(q) - logf(max(p, .leastNormalMagnitude))) : -.infinity
            }
        }
        let capacity = min(exactTokens, n, scratch.heapCapacity)
        let heapValues = scratch.heapValues, heapTokens = scratch.heapTokens
        var heapCount = 0
        table.emissionByToken.withUnsafeBufferPointer { bt in
            table.dfa.tokenClass.withUnsafeBufferPointer { tokenClass in
                for x in 0..<n {
                    let c = Int(tokenClass[x])
                    let r = rankOfClassBuffer[c]
                    let value = logProbs[x]
                    if r >= 0 && !exactClass[c] {
                        if value > -.infinity && capacity > 0 {
                            if heapCount < capacity {
                                Self.heapPush(value, Int32(x), heapValues, heapTokens, &heapCount)
                            } else if value > heapValues[0] {
                                Self.heapReplaceMinimum(value, Int32(x), heapValues, heapTokens, heapCount)
                            }
                        }
                        logProbs[x] = value + classBias[c]
                    } else if r < 0 {
                        logProbs[x] = -.infinity
                    } else {
                        let b = bt.baseAddress! + x * h
                        let p = cblas_sdot(hh, forward, 1, b, 1)
                        let q = cblas_sdot(hh, weighted + r * h, 1, b, 1)
                        logProbs[x] = Self.biased(value, p: p, q: q, weight: weight)
                    }
                }
                // The top large-class tokens: replace the class ratio by the exact one.
                for i in 0..<heapCount {
                    let x = Int(heapTokens[i])
                    let r = rankOfClassBuffer[Int(tokenClass[x])]
                    let b = bt.baseAddress! + x * h
                    let p = cblas_sdot(hh, forward, 1, b, 1)
                    let q = cblas_sdot(hh, weighted + r * h, 1, b, 1)
                    logProbs[x] = Self.biased(heapValues[i], p: p, q: q, weight: weight)
                }
            }
        }
    }

    /// Min-heap on values (ties arbitrary) holding the K largest seen so far.
    @inline(__always)
    static func heapPush(_ value: Float, _ token: Int32, _ values: UnsafeMutablePointer<Float>,
                         _ tokens: UnsafeMutablePointer<Int32>, _ count: inout Int) {
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard values[parent] > value else { break }
            values[i] = values[parent]
            tokens[i] = tokens[parent]
            i = parent
        }
        values[i] = value
        tokens[i] = token
    }

    @inline(__always)
    static func heapReplaceMinimum(_ value: Float, _ token: Int32, _ values: UnsafeMutablePointer<Float>,
                                   _ tokens: UnsafeMutablePointer<Int32>, _ count: Int) {
        var i = 0
        while true {
            let left = 2 * i + 1
            guard left < count else { break }
            var child = left
            if left + 1 < count && values[left + 1] < values[left] { child = left + 1 }
            guard values[child] < value else { break }
            values[i] = values[child]
            tokens[i] = tokens[child]
            i = child
        }
        values[i] = value
        tokens[i] = token
    }
}
