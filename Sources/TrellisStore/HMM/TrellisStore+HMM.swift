import Foundation
import GRDB

/// HMM parameters in SQLite. A matrix is cut into chunks of `hmmChunkFloats` Float32 values
/// (1 MiB; SQLite caps a blob at 1 GB by default, and smaller rows keep writes and cache
/// pages reasonable), one `hmm_chunks` row each, with its shape in `hmm_tensors`.
/// Saving a set of tensors together with a checkpoint record is one transaction, so an
/// interrupted EM run resumes from the last complete iteration.
extension TrellisStore {
    /// Float32 values per chunk row (1 MiB).
    static let hmmChunkFloats = 262_144

    /// Registers a new HMM. Throws `.duplicateKey` if `name` exists, and
    /// `.tokenizerMismatch` when the store is bound to another tokenizer than the HMM's.
    public func createHMMModel(name: String, tokenizerFingerprint: String, modelFingerprint: String,
                               hiddenStates: Int, vocabularySize: Int) throws -> HMMModelRecord {
        guard !name.isEmpty else { throw StoreError.invalidArgument("HMM name is empty") }
        guard hiddenStates > 0, vocabularySize > 0 else {
            throw StoreError.invalidArgument("HMM \(name): hidden states (\(hiddenStates)) and vocabulary size (\(vocabularySize)) must be positive")
        }
        return try write("creating HMM \(name)") { db in
            if let bound = try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = ?",
                                               arguments: [Self.tokenizerFingerprintKey]),
               bound != tokenizerFingerprint {
                throw StoreError.tokenizerMismatch(path: path, bound: bound, given: tokenizerFingerprint)
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM hmm_models WHERE name = ?", arguments: [name]) != nil {
                throw StoreError.duplicateKey(kind: "hmm model", key: name)
            }
            let created = Date()
            try db.execute(sql: """
                INSERT INTO hmm_models(name, tokenizer_fingerprint, model_fingerprint, hidden_states,
                                       vocabulary_size, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [name, tokenizerFingerprint, modelFingerprint, hiddenStates, vocabularySize,
                                 created.timeIntervalSince1970])
            return HMMModelRecord(id: db.lastInsertedRowID, name: name, tokenizerFingerprint: tokenizerFingerprint,
                                  modelFingerprint: modelFingerprint, hiddenStates: hiddenStates,
                                  vocabularySize: vocabularySize,
                                  createdAt: Date(timeIntervalSince1970: created.timeIntervalSince1970))
        }
    }

    public func hmmModel(named name: String) throws -> HMMModelRecord? {
        try read("looking up HMM \(name)") { db in
            try Row.fetchOne(db, sql: "\(Self.hmmModelColumns) WHERE name = ?", arguments: [name]).map(Self.hmmModelRecord)
        }
    }

    public func hmmModel(id: HMMModelID) throws -> HMMModelRecord? {
        try read("looking up HMM \(id)") { db in
            try Row.fetchOne(db, sql: "\(Self.hmmModelColumns) WHERE id = ?", arguments: [id]).map(Self.hmmModelRecord)
        }
    }

    /// All HMMs, oldest first.
    public func hmmModels() throws -> [HMMModelRecord] {
        try read("listing HMMs") { db in
            try Row.fetchAll(db, sql: "\(Self.hmmModelColumns) ORDER BY id").map(Self.hmmModelRecord)
        }
    }

    /// Deletes an HMM with its tensors and checkpoints.
    public func deleteHMMModel(id: HMMModelID) throws {
        try write("deleting HMM \(id)") { db in
            try db.execute(sql: "DELETE FROM hmm_models WHERE id = ?", arguments: [id])
            if db.changesCount == 0 { throw StoreError.notFound(kind: "hmm model", key: String(id)) }
        }
    }

    /// Saves (replacing same-kind tensors) and, when `checkpoint` is given, records that EM
    /// iteration with its log-likelihood, all in one transaction. Shapes are checked: the
    /// values must fill rows × columns, and the standard kinds must have the model's shape.
    public func saveHMMTensors(_ tensors: [HMMTensor], model modelID: HMMModelID,
                               checkpoint: (iteration: Int, logLikelihood: Double)? = nil) throws {
        try write("saving HMM \(modelID) parameters") { db in
            guard let model = try Row.fetchOne(db, sql: "\(Self.hmmModelColumns) WHERE id = ?", arguments: [modelID])
                .map(Self.hmmModelRecord) else {
                throw StoreError.notFound(kind: "hmm model", key: String(modelID))
            }
            for tensor in tensors {
                try Self.validate(tensor, for: model)
                try writeTensor(tensor, modelID: modelID, db)
            }
            if let checkpoint {
                guard checkpoint.logLikelihood.isFinite || checkpoint.logLikelihood == -.infinity else {
                    throw StoreError.invalidArgument("log-likelihood \(checkpoint.logLikelihood) is not a number")
                }
                try db.execute(sql: """
                    INSERT INTO hmm_checkpoints(model_id, iteration, log_likelihood, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(model_id, iteration) DO UPDATE SET log_likelihood = excluded.log_likelihood,
                    created_at = excluded.created_at
                    """, arguments: [modelID, checkpoint.iteration, checkpoint.logLikelihood,
                                     Date().timeIntervalSince1970])
            }
        }
    }

    /// Loads one tensor; throws `.notFound` if the model has no tensor of this kind and
    /// `.corruptData` when the chunks do not add up to its shape.
    public func loadHMMTensor(kind: String, model modelID: HMMModelID) throws -> HMMTensor {
        try read("loading HMM \(modelID) \(kind)") { db in
            guard let shape = try Row.fetchOne(db, sql: """
                SELECT rows, columns, chunk_floats, chunk_count FROM hmm_tensors WHERE model_id = ? AND kind = ?
                """, arguments: [modelID, kind]) else {
                throw StoreError.notFound(kind: "hmm tensor", key: "\(modelID)/\(kind)")
            }
            let rows: Int = shape[0], columns: Int = shape[1], chunkFloats: Int = shape[2], chunkCount: Int = shape[3]
            let total = rows * columns
            let what = "HMM \(modelID) \(kind)"
            var values = [Float](repeating: 0, count: total)
            var filled = 0
            var seenChunks = 0
            let chunks = try Row.fetchCursor(db, sql: """
                SELECT chunk_index, data FROM hmm_chunks WHERE model_id = ? AND kind = ? ORDER BY chunk_index
                """, arguments: [modelID, kind])
            try values.withUnsafeMutableBufferPointer { destination in
                while let chunk = try chunks.next() {
                    let index: Int = chunk[0]
                    guard index == seenChunks else {
                        throw StoreError.corruptData(path: path, what: what, message: "chunk \(seenChunks) missing")
                    }
                    let expected = min(chunkFloats, total - filled)
                    try chunk.withUnsafeData(atIndex: 1) { data in
                        let bytes = data?.count ?? 0
                        guard bytes == expected * 4 else {
                            throw StoreError.corruptData(path: path, what: what,
                                                         message: "chunk \(index) has \(bytes) bytes, expected \(expected * 4)")
                        }
                        if let data, expected > 0 {
                            BlobCoding.copyFloats(data, into: UnsafeMutableBufferPointer(
                                rebasing: destination[filled..<(filled + expected)]))
                        }
                    }
                    filled += expected
                    seenChunks += 1
                }
            }
            guard seenChunks == chunkCount, filled == total else {
                throw StoreError.corruptData(path: path, what: what,
                                             message: "\(seenChunks) of \(chunkCount) chunks, \(filled) of \(total) values")
            }
            return HMMTensor(kind: kind, rows: rows, columns: columns, values: values)
        }
    }

    /// The kinds of tensor stored for a model, with their shapes.
    public func hmmTensorShapes(model modelID: HMMModelID) throws -> [(kind: String, rows: Int, columns: Int)] {
        try read("listing HMM \(modelID) tensors") { db in
            try Row.fetchAll(db, sql: "SELECT kind, rows, columns FROM hmm_tensors WHERE model_id = ? ORDER BY kind",
                             arguments: [modelID]).map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// Every recorded EM iteration, in order (for `trellis hmm info` and resume).
    public func hmmCheckpoints(model modelID: HMMModelID) throws -> [HMMCheckpoint] {
        try read("reading HMM \(modelID) checkpoints") { db in
            try Row.fetchAll(db, sql: """
                SELECT iteration, log_likelihood, created_at FROM hmm_checkpoints WHERE model_id = ? ORDER BY iteration
                """, arguments: [modelID]).map {
                HMMCheckpoint(iteration: $0[0], logLikelihood: $0[1], createdAt: Date(timeIntervalSince1970: $0[2]))
            }
        }
    }

    /// The last recorded iteration: resume EM after it with the stored tensors.
    public func latestHMMCheckpoint(model modelID: HMMModelID) throws -> HMMCheckpoint? {
        try hmmCheckpoints(model: modelID).last
    }

    // MARK: - Inside a transaction

    static let hmmModelColumns = """
        SELECT id, name, tokenizer_fingerprint, model_fingerprint, hidden_states, vocabulary_size, created_at
        FROM hmm_models
        """

    static func hmmModelRecord(_ row: Row) -> HMMModelRecord {
        HMMModelRecord(id: row[0], name: row[1], tokenizerFingerprint: row[2], modelFingerprint: row[3],
                       hiddenStates: row[4], vocabularySize: row[5], createdAt: Date(timeIntervalSince1970: row[6]))
    }

    static func validate(_ tensor: HMMTensor, for model: HMMModelRecord) throws {
        let name = "HMM \(model.name) \(tensor.kind)"
        guard !tensor.kind.isEmpty else { throw StoreError.invalidArgument("HMM \(model.name): tensor kind is empty") }
        guard tensor.rows >= 0, tensor.columns >= 0, tensor.rows.multipliedReportingOverflow(by: tensor.columns)
            == (tensor.values.count, false) else {
            throw StoreError.invalidArgument("\(name): \(tensor.values.count) values do not fill \(tensor.rows) × \(tensor.columns)")
        }
        let expected: (Int, Int)?
        switch tensor.kind {
        case HMMTensor.initial: expected = (1, model.hiddenStates)
        case HMMTensor.transition: expected = (model.hiddenStates, model.hiddenStates)
        case HMMTensor.emission: expected = (model.hiddenStates, model.vocabularySize)
        default: expected = nil
        }
        if let expected, expected != (tensor.rows, tensor.columns) {
            throw StoreError.invalidArgument(
                "\(name): shape \(tensor.rows) × \(tensor.columns), expected \(expected.0) × \(expected.1)")
        }
    }

    func writeTensor(_ tensor: HMMTensor, modelID: HMMModelID, _ db: Database) throws {
        let chunkFloats = Self.hmmChunkFloats
        let chunkCount = (tensor.values.count + chunkFloats - 1) / chunkFloats
        // Deleting the shape row cascades to the old chunks.
        try db.execute(sql: "DELETE FROM hmm_tensors WHERE model_id = ? AND kind = ?", arguments: [modelID, tensor.kind])
        try db.execute(sql: """
            INSERT INTO hmm_tensors(model_id, kind, rows, columns, chunk_floats, chunk_count) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [modelID, tensor.kind, tensor.rows, tensor.columns, chunkFloats, chunkCount])
        let insert = try db.cachedStatement(
            sql: "INSERT INTO hmm_chunks(model_id, kind, chunk_index, data) VALUES (?, ?, ?, ?)")
        for index in 0..<chunkCount {
            let start = index * chunkFloats
            let slice = tensor.values[start..<min(start + chunkFloats, tensor.values.count)]
            try insert.execute(arguments: [modelID, tensor.kind, index, BlobCoding.data(floats: slice)])
        }
    }
}
