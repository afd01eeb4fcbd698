import TrellisCore

/// A hidden Markov model over a token vocabulary, the tractable stand-in for a language model
/// in GeLaTo (Zhang et al. 2023, "Tractable Control for Autoregressive Language Generation")
/// and Ctrl-G (Zhang et al. 2024, "Adaptable Logical Control for Large Language Models").
///
/// Shapes, all row-major Float32 and each row a probability distribution:
/// - `initial`    π[H]:      Pr(z_1 = h)
/// - `transition` A[H × H]:  A[i*H + j] = Pr(z_{t+1} = j | z_t = i)
/// - `emission`   B[H × V]:  B[h*V + x] = Pr(x_t = x | z_t = h)
/// Storage is H + H² + H·V floats (about 50 MB at H=256, V=49152). `flatParameters` and
/// `init(hiddenStates:vocabularySize:parameters:)` round-trip them for checkpoints.
public struct HiddenMarkovModel: Sendable, Equatable {
    public let hiddenStates: Int
    public let vocabularySize: Int
    public internal(set) var initial: [Float]
    public internal(set) var transition: [Float]
    public internal(set) var emission: [Float]

    /// Validates shapes and that every row sums to 1 within `tolerance` with no negative entry.
    public init(initial: [Float], transition: [Float], emission: [Float], vocabularySize: Int,
                tolerance: Float = 1e-3) throws {
        let h = initial.count
        guard transition.count == h * h else { throw HMMError.shapeMismatch(what: "transition", expected: h * h, got: transition.count) }
        guard emission.count == h * vocabularySize else {
            throw HMMError.shapeMismatch(what: "emission", expected: h * vocabularySize, got: emission.count)
        }
        func check(_ values: ArraySlice<Float>, _ what: String, _ row: Int) throws {
            var sum: Double = 0
            for v in values {
                guard v >= 0, v.isFinite else { throw HMMError.invalidProbabilities(what: what, row: row) }
                sum += Double(v)
            }
            guard abs(sum - 1) <= Double(tolerance) else { throw HMMError.invalidProbabilities(what: what, row: row) }
        }
        try check(initial[...], "initial", 0)
        for i in 0..<h {
            try check(transition[(i * h)..<((i + 1) * h)], "transition", i)
            try check(emission[(i * vocabularySize)..<((i + 1) * vocabularySize)], "emission", i)
        }
        self.hiddenStates = h
        self.vocabularySize = vocabularySize
        self.initial = initial
        self.transition = transition
        self.emission = emission
    }

    /// A random model (rows drawn uniformly and normalized), for EM initialization and tests.
    public init(randomWithHiddenStates h: Int, vocabularySize v: Int, using rng: inout some RandomNumberGenerator) {
        func row(_ n: Int) -> [Float] {
            var r = (0..<n).map { _ in Float.random(in: 0.05...1, using: &rng) }
            let s = r.reduce(0, +)
            for i in r.indices { r[i] /= s }
            return r
        }
        hiddenStates = h
        vocabularySize = v
        initial = row(h)
        transition = (0..<h).flatMap { _ in row(h) }
        emission = (0..<h).flatMap { _ in row(v) }
    }

    /// Parameters as one flat array `[π | A | B]` with its shapes (for the SQLite store).
    public var flatParameters: (shapes: [[Int]], values: [Float]) {
        ([[hiddenStates], [hiddenStates, hiddenStates], [hiddenStates, vocabularySize]],
         initial + transition + emission)
    }

    /// Rebuilds a model from `flatParameters.values`.
    public init(hiddenStates h: Int, vocabularySize v: Int, parameters: [Float]) throws {
        let expected = h + h * h + h * v
        guard parameters.count == expected else { throw HMMError.shapeMismatch(what: "parameters", expected: expected, got: parameters.count) }
        try self.init(initial: Array(parameters[0..<h]), transition: Array(parameters[h..<(h + h * h)]),
                      emission: Array(parameters[(h + h * h)...]), vocabularySize: v)
    }

    /// log Pr(tokens) by the plain scaled forward algorithm (reference twin of the EM E-step).
    public func logLikelihood(_ tokens: [TokenID]) -> Double {
        let h = hiddenStates
        var alpha = initial
        var total: Double = 0
        for (t, x) in tokens.enumerated() {
            if t > 0 {
                var next = [Float](repeating: 0, count: h)
                for i in 0..<h { for j in 0..<h { next[j] += alpha[i] * transition[i * h + j] } }
                alpha = next
            }
            var c: Float = 0
            for i in 0..<h {
                alpha[i] *= emission[i * vocabularySize + Int(x)]
                c += alpha[i]
            }
            guard c > 0 else { return -.infinity }
            for i in 0..<h { alpha[i] /= c }
            total += log(Double(c))
        }
        return total
    }

    /// Samples `length` tokens.
    public func sample(length: Int, using rng: inout some RandomNumberGenerator) -> [TokenID] {
        func draw(_ p: ArraySlice<Float>) -> Int {
            var u = Float.random(in: 0..<1, using: &rng)
            for (k, v) in p.enumerated() {
                u -= v
                if u < 0 { return k }
            }
            return p.count - 1
        }
        var out: [TokenID] = []
        var z = draw(initial[...])
        for _ in 0..<length {
            out.append(TokenID(draw(emission[(z * vocabularySize)..<((z + 1) * vocabularySize)])))
            z = draw(transition[(z * hiddenStates)..<((z + 1) * hiddenStates)])
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
