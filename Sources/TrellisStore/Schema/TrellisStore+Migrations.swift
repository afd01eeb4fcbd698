import GRDB

/// The versioned schema. Each migration runs once, in order, inside a transaction; GRDB
/// records applied identifiers in `grdb_migrations`. Never edit a shipped migration: append
/// a new one (and its identifier) instead, so existing stores upgrade in place.
extension TrellisStore {
    /// Identifiers of every migration this build knows, oldest first.
    static let migrationIdentifiers = ["v1-initial"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(migrationIdentifiers[0]) { db in
            for statement in schemaV1 { try db.execute(sql: statement) }
        }
        return migrator
    }

    /// Schema v1. Token blobs are little-endian Int32 token ids of the bound tokenizer;
    /// HMM chunks are little-endian Float32. Names, mentions and HMM rows are deleted with
    /// their entity or model (ON DELETE CASCADE; GRDB turns foreign keys on).
    static let schemaV1: [String] = [
        """
        CREATE TABLE metadata (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE entities (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT,
            popularity REAL
        )
        """,
        """
        CREATE TABLE names (
            id INTEGER PRIMARY KEY,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            name TEXT NOT NULL,
            is_canonical INTEGER NOT NULL DEFAULT 0,
            tokens BLOB,
            UNIQUE (entity_id, language, name)
        )
        """,
        """
        CREATE TABLE mentions (
            surface TEXT NOT NULL,
            surface_folded TEXT NOT NULL,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            prior REAL NOT NULL,
            PRIMARY KEY (surface, entity_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX mentions_by_folded_surface ON mentions(surface_folded)",
        "CREATE INDEX mentions_by_entity ON mentions(entity_id)",
        """
        CREATE TABLE passages (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            tokens BLOB
        )
        """,
        // External-content FTS5 index over passages(title, text), kept in sync by triggers.
        // porter: English stemming over unicode61 (case and diacritics folded).
        """
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            title, text,
            content='passages', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """,
        """
        CREATE TRIGGER passages_fts_after_insert AFTER INSERT ON passages BEGIN
            INSERT INTO passages_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END
        """,
        """
        CREATE TRIGGER passages_fts_after_delete AFTER DELETE ON passages BEGIN
            INSERT INTO passages_fts(passages_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
        END
        """,
        // Only when indexed text changes: setting token blobs must not touch the index.
        """
        CREATE TRIGGER passages_fts_after_update AFTER UPDATE OF title, text ON passages
        WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
            INSERT INTO passages_fts(passages_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO passages_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END
        """,
        """
        CREATE TABLE hmm_models (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            tokenizer_fingerprint TEXT NOT NULL,
            model_fingerprint TEXT NOT NULL,
            hidden_states INTEGER NOT NULL,
            vocabulary_size INTEGER NOT NULL,
            created_at REAL NOT NULL
        )
        """,
        // One row per stored matrix: its shape and how it is cut into chunks.
        """
        CREATE TABLE hmm_tensors (
            model_id INTEGER NOT NULL REFERENCES hmm_models(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            rows INTEGER NOT NULL,
            columns INTEGER NOT NULL,
            chunk_floats INTEGER NOT NULL,
            chunk_count INTEGER NOT NULL,
            PRIMARY KEY (model_id, kind)
        ) WITHOUT ROWID
        """,
        // Row-major Float32 values [chunk_index * chunk_floats, +chunk_floats) of one matrix.
        """
        CREATE TABLE hmm_chunks (
            model_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            chunk_index INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (model_id, kind, chunk_index),
            FOREIGN KEY (model_id, kind) REFERENCES hmm_tensors(model_id, kind) ON DELETE CASCADE
        )
        """,
        """
        CREATE TABLE hmm_checkpoints (
            model_id INTEGER NOT NULL REFERENCES hmm_models(id) ON DELETE CASCADE,
            iteration INTEGER NOT NULL,
            log_likelihood REAL NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (model_id, iteration)
        ) WITHOUT ROWID
        """,
    ]
}
