import Foundation

/// A log-linear candidate ranker: P(candidate | mention) = softmax over the mention's candidates
/// of w · standardize(features) (a conditional logit model, McFadden 1973). Fitted by Newton's
/// method on the L2-regularized negative log-likelihood, which is convex, so the fit is exact
/// and deterministic. Cost: O(candidates · features) to score a mention; a Newton step is
/// O(candidates · features²) over the training set plus an O(features³) solve.
public struct CandidateRanker: Sendable, Codable, Equatable {
    public var featureNames: [String]
    /// Per-feature mean and scale used to standardize features before the dot product.
    public var mean: [Double]
    public var scale: [Double]
    public var weights: [Double]
    /// L2 strength the weights were fitted with, and a note on the training data.
    public var l2: Double
    public var note: String

    public init(featureNames: [String], mean: [Double], scale: [Double], weights: [Double], l2: Double, note: String) {
        self.featureNames = featureNames
        self.mean = mean
        self.scale = scale
        self.weights = weights
        self.l2 = l2
        self.note = note
    }

    /// One training example: a mention's candidates' features and the index of the gold one.
    public struct Example: Sendable {
        public var features: [[Double]]
        public var gold: Int
        /// A group id (the document) so cross-validation splits whole documents.
        public var group: Int
        public init(features: [[Double]], gold: Int, group: Int) {
            self.features = features
            self.gold = gold
            self.group = group
        }
    }

    /// Whether any feature computed from the model's scores has a weight (else linking with
    /// candidate lists skips the model).
    public var usesModel: Bool {
        zip(featureNames, weights).contains { $0.0.hasPrefix("model_") && $0.1 != 0 }
    }

    /// Whether the model's features with a weight all fire only for surfaces the mention table
    /// does not know (then linking runs the model only for those mentions).
    public var usesModelOnlyOnUnseenSurfaces: Bool {
        usesModel && zip(featureNames, weights).allSatisfy { !$0.0.hasPrefix("model_") || $0.1 == 0 || $0.0.hasSuffix("_unseen_surface") }
    }

    /// Scores (log-odds up to a per-mention constant) of each candidate row.
    public func scores(_ rows: [[Double]]) -> [Double] {
        rows.map { row in
            var s = 0.0
            for j in 0..<min(row.count, weights.count) { s += weights[j] * (row[j] - mean[j]) / scale[j] }
            return s
        }
    }

    /// Index of the best candidate (first on ties), nil for no candidates.
    public func best(_ rows: [[Double]]) -> Int? {
        let s = scores(rows)
        guard var best = s.indices.first else { return nil }
        for i in s.indices where s[i] > s[best] { best = i }
        return best
    }

    /// Reads weights written by `write(to:)`.
    public static func read(from path: String) throws -> CandidateRanker {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RankerError.unreadable(path: path, reason: error.localizedDescription)
        }
        let ranker: CandidateRanker
        do { ranker = try JSONDecoder().decode(CandidateRanker.self, from: data) } catch {
            throw RankerError.unreadable(path: path, reason: "not a ranker file: \(error)")
        }
        guard let current = ranker.extended(to: CandidateFeatures.names) else {
            throw RankerError.featureMismatch(path: path, expected: CandidateFeatures.names, found: ranker.featureNames)
        }
        return current
    }

    /// These weights over `names` when this ranker's features are a prefix of them (features
    /// added later get weight 0); nil when they do not match or the arrays disagree in length.
    public func extended(to names: [String]) -> CandidateRanker? {
        guard names.starts(with: featureNames), mean.count == featureNames.count, scale.count == featureNames.count,
              weights.count == featureNames.count else { return nil }
        let extra = names.count - featureNames.count
        return CandidateRanker(featureNames: names, mean: mean + Array(repeating: 0, count: extra),
                               scale: scale + Array(repeating: 1, count: extra),
                               weights: weights + Array(repeating: 0, count: extra), l2: l2, note: note)
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Fits weights by Newton's method on examples with at least two candidates.
    /// With `center`, the penalty is l2/2 · |w − w_center|² instead of l2/2 · |w|², so a fit on
    /// few examples stays close to weights fitted on many (e.g. a ranker fitted without the
    /// model's features on a larger set); features missing from `center` are centered on 0.
    /// With `fitOnly`, the other features keep their starting weights (the center's, or 0) and
    /// only the named ones are fitted: a residual fit that adds, say, the model's features to a
    /// ranker fitted without them on far more data.
    public static func fit(_ examples: [Example], featureNames: [String] = CandidateFeatures.names,
                           l2: Double, center: CandidateRanker? = nil, fitOnly: Set<String>? = nil,
                           iterations: Int = 30, note: String = "") -> CandidateRanker {
        let d = featureNames.count
        // Only examples that can teach something: two or more candidates, a gold index among
        // them, and rows of the expected width (others are ignored rather than trusted).
        let useful = examples.filter { e in
            e.features.count > 1 && e.gold >= 0 && e.gold < e.features.count && e.features.allSatisfy { $0.count == d }
        }
        // Standardize over all candidate rows.
        var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
        var rows = 0
        for e in useful { for r in e.features { rows += 1; for j in 0..<d { mean[j] += r[j]; square[j] += r[j] * r[j] } } }
        let n = Double(max(rows, 1))
        var scale = [Double](repeating: 1, count: d)
        for j in 0..<d {
            mean[j] /= n
            let variance = square[j] / n - mean[j] * mean[j]
            scale[j] = variance > 1e-12 ? variance.squareRoot() : 1
        }
        // The center's weights expressed on this fit's feature scales (means cancel in a softmax).
        var origin = [Double](repeating: 0, count: d)
        let frozen = featureNames.map { name in fitOnly.map { !$0.contains(name) } ?? false }
        if let center {
            for (j, name) in featureNames.enumerated() {
                if let k = center.featureNames.firstIndex(of: name), k < center.weights.count {
                    origin[j] = center.weights[k] / center.scale[k] * scale[j]
                }
            }
        }
        var ranker = CandidateRanker(featureNames: featureNames, mean: mean, scale: scale,
                                     weights: origin, l2: l2, note: note)
        let standardized = useful.map { e in e.features.map { r in (0..<d).map { (r[$0] - mean[$0]) / scale[$0] } } }
        for _ in 0..<iterations {
            var gradient = (0..<d).map { l2 * (ranker.weights[$0] - origin[$0]) }
            var hessian = (0..<d).map { i in (0..<d).map { j in i == j ? l2 : 0.0 } }
            for (e, x) in zip(useful, standardized) {
                let s = x.map { r in zip(r, ranker.weights).reduce(0) { $0 + $1.0 * $1.1 } }
                let top = s.max()!
                let exps = s.map { Foundation.exp($0 - top) }
                let z = exps.reduce(0, +)
                let p = exps.map { $0 / z }
                var expected = [Double](repeating: 0, count: d)
                for (pi, r) in zip(p, x) { for j in 0..<d { expected[j] += pi * r[j] } }
                for j in 0..<d { gradient[j] += expected[j] - x[e.gold][j] }
                for (pi, r) in zip(p, x) {
                    for i in 0..<d {
                        let a = pi * (r[i] - expected[i])
                        for j in i..<d { hessian[i][j] += a * (r[j] - expected[j]) }
                    }
                }
            }
            for i in 0..<d { for j in 0..<i { hessian[i][j] = hessian[j][i] } }
            // Frozen weights take no step: their rows and columns become the identity.
            for i in 0..<d where frozen[i] {
                gradient[i] = 0
                for j in 0..<d { hessian[i][j] = i == j ? 1 : 0; hessian[j][i] = i == j ? 1 : 0 }
            }
            guard let step = solve(hessian, gradient) else { break }
            // Damped Newton: halve the step until the objective decreases (a full step can
            // overshoot far from the optimum on nearly separable data).
            let current = objective(ranker.weights, standardized, useful, l2: l2, origin: origin)
            var t = 1.0, accepted = false
            while t > 1e-6 {
                let trial = (0..<d).map { ranker.weights[$0] - t * step[$0] }
                if objective(trial, standardized, useful, l2: l2, origin: origin) <= current {
                    ranker.weights = trial
                    accepted = true
                    break
                }
                t /= 2
            }
            let change = step.reduce(0) { max($0, abs($1)) } * t
            if !accepted || change < 1e-7 { break }
        }
        return ranker
    }

    /// Regularized negative log-likelihood of the gold candidates (features standardized).
    static func objective(_ w: [Double], _ standardized: [[[Double]]], _ examples: [Example], l2: Double, origin: [Double]) -> Double {
        var total = 0.5 * l2 * zip(w, origin).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        for (e, x) in zip(examples, standardized) {
            let s = x.map { r in zip(r, w).reduce(0) { $0 + $1.0 * $1.1 } }
            let top = s.max()!
            total += top + Foundation.log(s.reduce(0) { $0 + Foundation.exp($1 - top) }) - s[e.gold]
        }
        return total
    }

    /// Accuracy of k-fold cross-validation (folds by example group) for each L2 strength;
    /// returns (l2, accuracy over all examples incl. single-candidate ones).
    public static func crossValidate(_ examples: [Example], featureNames: [String] = CandidateFeatures.names,
                                     l2Values: [Double], center: CandidateRanker? = nil, fitOnly: Set<String>? = nil,
                                     folds: Int = 5) -> [(l2: Double, accuracy: Double)] {
        let folds = max(folds, 1)
        return l2Values.map { l2 in
            var correct = 0
            for fold in 0..<folds {
                let train = examples.filter { $0.group % folds != fold }
                let test = examples.filter { $0.group % folds == fold }
                let ranker = fit(train, featureNames: featureNames, l2: l2, center: center, fitOnly: fitOnly)
                for e in test where ranker.best(e.features) == e.gold { correct += 1 }
            }
            return (l2, Double(correct) / Double(max(examples.count, 1)))
        }
    }

    /// Solves A x = b for symmetric positive definite A by Gaussian elimination with partial pivoting.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = b.count
        var m = a, v = b
        for col in 0..<n {
            var pivot = col
            for r in col..<n where abs(m[r][col]) > abs(m[pivot][col]) { pivot = r }
            guard abs(m[pivot][col]) > 1e-12 else { return nil }
            m.swapAt(col, pivot)
            v.swapAt(col, pivot)
            for r in (col + 1)..<n {
                let f = m[r][col] / m[col][col]
                guard f != 0 else { continue }
                for c in col..<n { m[r][c] -= f * m[col][c] }
                v[r] -= f * v[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = v[r]
            for c in (r + 1)..<n { s -= m[r][c] * x[c] }
            x[r] = s / m[r][r]
        }
        return x
    }
}

/// Problems reading ranker weights.
public enum RankerError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case featureMismatch(path: String, expected: [String], found: [String])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read ranker weights \(path): \(reason)"
        case .featureMismatch(let path, let expected, let found):
            return "ranker weights \(path) use features \(found), this build computes \(expected); refit with `trellis eval link --split train --fit-ranker FILE`"
        }
    }
}
