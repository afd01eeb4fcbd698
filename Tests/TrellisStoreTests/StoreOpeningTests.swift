import Foundation
import TrellisTestSupport
import XCTest
@testable import TrellisStore

final class StoreOpeningTests: XCTestCase {
    func testFreshStoreHasTheV1Schema() throws {
        let folder = try TemporaryFolder()
        let store = try TrellisStore(path: folder.path("kb.sqlite"))
        let objects = try store.fetchStrings("""
            SELECT type || ' ' || name FROM sqlite_master
            WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'passages_fts_%' ORDER BY type, name
            """)
        // Golden list: changing the schema means adding a migration and updating this list.
        XCTAssertEqual(objects, [
            "index mentions_by_entity", "index mentions_by_folded_surface",
            "table entities", "table grdb_migrations", "table hmm_checkpoints", "table hmm_chunks",
            "table hmm_models", "table hmm_tensors", "table mentions", "table metadata", "table names",
            "table passages", "table passages_fts",
        ])
        let triggers = try store.fetchStrings("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        XCTAssertEqual(triggers, ["passages_fts_after_delete", "passages_fts_after_insert", "passages_fts_after_update"])
        XCTAssertEqual(try store.appliedMigrations(), TrellisStore.migrationIdentifiers)
        XCTAssertEqual(try store.fetchStrings("PRAGMA journal_mode"), ["wal"])
        XCTAssertEqual(try store.fetchStrings("PRAGMA foreign_keys"), ["1"])
        XCTAssertEqual(try store.counts(), StoreCounts(entities: 0, names: 0, tokenizedNames: 0, mentions: 0,
                                                       passages: 0, tokenizedPassages: 0, hmmModels: 0))
    }

    func testReopeningKeepsDataAndDoesNotRemigrate() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("kb.sqlite")
        do {
            let store = try TrellisStore(path: path)
            _ = try store.addEntity(key: "Q90", name: "Paris")
        }
        let reopened = try TrellisStore(path: path)
        XCTAssertEqual(try reopened.entity(key: "Q90")?.name, "Paris")
        XCTAssertEqual(try reopened.counts().names, 1)
        XCTAssertEqual(try reopened.appliedMigrations(), TrellisStore.migrationIdentifiers)
    }

    func testNonSQLiteFileIsAClearError() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("notes.sqlite", text: String(repeating: "this is not a database\n", count: 200))
        XCTAssertThrowsError(try TrellisStore(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .notADatabase(path: path))
        }
        XCTAssertThrowsError(try TrellisStore(path: path, options: .init(readOnly: true))) { error in
            XCTAssertEqual(error as? StoreError, .notADatabase(path: path))
        }
        // The file is left as it was.
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8),
                       String(repeating: "this is not a database\n", count: 200))
    }

    func testMissingFolderIsCannotOpen() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("no/such/folder/kb.sqlite")
        XCTAssertThrowsError(try TrellisStore(path: path)) { error in
            guard case .cannotOpen(let reported, _)? = error as? StoreError else {
                return XCTFail("expected cannotOpen, got \(error)")
            }
            XCTAssertEqual(reported, path)
        }
    }

    func testNewerSchemaIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("kb.sqlite")
        do {
            let store = try TrellisStore(path: path)
            try store.executeSQL("INSERT INTO grdb_migrations(identifier) VALUES ('v9-from-the-future')")
        }
        XCTAssertThrowsError(try TrellisStore(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .schemaTooNew(path: path, unknownMigrations: ["v9-from-the-future"]))
            XCTAssertTrue("\(error)".contains("newer"))
        }
        XCTAssertThrowsError(try TrellisStore(path: path, options: .init(readOnly: true))) { error in
            XCTAssertEqual(error as? StoreError, .schemaTooNew(path: path, unknownMigrations: ["v9-from-the-future"]))
        }
    }

    func testReadOnlyOpenReadsAndRefusesWrites() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("kb.sqlite")
        do { _ = try TrellisStore(path: path).addEntity(key: "Q1", name: "One") }
        let store = try TrellisStore(path: path, options: .init(readOnly: true))
        XCTAssertTrue(store.isReadOnly)
        XCTAssertEqual(try store.entity(key: "Q1")?.name, "One")
        XCTAssertThrowsError(try store.addEntity(key: "Q2", name: "Two")) { error in
            guard case .database? = error as? StoreError else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try TrellisStore(path: folder.path("absent.sqlite"), options: .init(readOnly: true)))
    }

    func testReadOnlyOpenOfAnUnmigratedStoreSaysSo() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("kb.sqlite")
        do { try TrellisStore(path: path).executeSQL("DELETE FROM grdb_migrations") }
        XCTAssertThrowsError(try TrellisStore(path: path, options: .init(readOnly: true))) { error in
            XCTAssertEqual(error as? StoreError,
                           .schemaOutdated(path: path, missingMigrations: TrellisStore.migrationIdentifiers))
        }
    }

    func testMetadataValues() throws {
        let store = try TrellisStore.inMemory()
        XCTAssertNil(try store.metadataValue(forKey: "trie.built"))
        try store.setMetadataValue("2026-01-01", forKey: "trie.built")
        XCTAssertEqual(try store.metadataValue(forKey: "trie.built"), "2026-01-01")
        try store.setMetadataValue(nil, forKey: "trie.built")
        XCTAssertNil(try store.metadataValue(forKey: "trie.built"))
        XCTAssertThrowsError(try store.setMetadataValue("x", forKey: TrellisStore.tokenizerFingerprintKey))
    }
}
