import GRDB

/// Binding the store to one tokenizer, and the key/value metadata table behind it.
extension TrellisStore {
    static let tokenizerFingerprintKey = "tokenizer.fingerprint"

    /// The fingerprint the store is bound to, or nil before the first bind.
    public func tokenizerFingerprint() throws -> String? {
        try metadataValue(forKey: Self.tokenizerFingerprintKey)
    }

    /// Binds the store to the tokenizer identified by `fingerprint` (e.g. a hash of its
    /// vocabulary and merges) on first use; later calls with the same fingerprint do nothing,
    /// and a different one throws `StoreError.tokenizerMismatch`, because every stored token
    /// blob would be read with the wrong vocabulary.
    public func bindTokenizer(fingerprint: String) throws {
        guard !fingerprint.isEmpty else { throw StoreError.invalidArgument("tokenizer fingerprint is empty") }
        try write("binding the tokenizer") { db in
            try checkOrBind(fingerprint: fingerprint, db)
        }
    }

    /// Rebinds the store to another tokenizer: every name's and passage's token blob is
    /// cleared in the same transaction (they must be recomputed), then `fingerprint` recorded.
    public func rebindTokenizer(fingerprint: String) throws {
        guard !fingerprint.isEmpty else { throw StoreError.invalidArgument("tokenizer fingerprint is empty") }
        try write("rebinding the tokenizer") { db in
            try db.execute(sql: "UPDATE names SET tokens = NULL WHERE tokens IS NOT NULL")
            try db.execute(sql: "UPDATE passages SET tokens = NULL WHERE tokens IS NOT NULL")
            try setMetadata(fingerprint, forKey: Self.tokenizerFingerprintKey, db)
        }
    }

    /// A metadata value (free-form strings that other layers may record, e.g. index build info).
    public func metadataValue(forKey key: String) throws -> String? {
        try read("reading metadata") { db in
            try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = ?", arguments: [key])
        }
    }

    /// Sets (or with nil, removes) a metadata value. The tokenizer key is reserved for the
    /// bind methods.
    public func setMetadataValue(_ value: String?, forKey key: String) throws {
        guard key != Self.tokenizerFingerprintKey else {
            throw StoreError.invalidArgument("metadata key \(key) is set by bindTokenizer(fingerprint:)")
        }
        try write("writing metadata") { db in
            if let value {
                try setMetadata(value, forKey: key, db)
            } else {
                try db.execute(sql: "DELETE FROM metadata WHERE key = ?", arguments: [key])
            }
        }
    }

    // MARK: - Inside a transaction

    func checkOrBind(fingerprint: String, _ db: Database) throws {
        let bound = try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = ?",
                                        arguments: [Self.tokenizerFingerprintKey])
        if let bound {
            guard bound == fingerprint else {
                throw StoreError.tokenizerMismatch(path: path, bound: bound, given: fingerprint)
            }
        } else {
            try setMetadata(fingerprint, forKey: Self.tokenizerFingerprintKey, db)
        }
    }

    /// Throws unless a tokenizer is bound (token blobs without a fingerprint mean nothing).
    func requireBoundTokenizer(_ db: Database) throws -> String {
        guard let bound = try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = ?",
                                              arguments: [Self.tokenizerFingerprintKey]) else {
            throw StoreError.tokenizerNotBound(path: path)
        }
        return bound
    }

    func setMetadata(_ value: String, forKey key: String, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO metadata(key, value) VALUES (?, ?)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value
            """, arguments: [key, value])
    }
}
