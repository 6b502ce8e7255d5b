import Logging
import PostgresNIO

/// The tables the journal keeps, created and migrated by the server itself.
///
/// `versioner_schema` lists the migrations applied. A database migrated by a newer server
/// (a version this one does not know) is refused: this server could misread what that one wrote.
enum PostgresSchema {
    /// Each migration, in order; version `n` is `migrations[n - 1]`. Only ever appended.
    static let migrations: [[PostgresQuery]] = [
        [
            // One row per journal record: the same payload the file journal frames (time and
            // change), its gap-free sequence, and the epoch of the owner that wrote it.
            """
            CREATE TABLE versioner_journal (
                seq bigint PRIMARY KEY,
                epoch bigint NOT NULL,
                recorded_at timestamptz NOT NULL,
                record bytea NOT NULL)
            """,
            // The one node that may append, and its fencing epoch (bumped on every takeover).
            """
            CREATE TABLE versioner_owner (
                id int PRIMARY KEY CHECK (id = 1),
                epoch bigint NOT NULL,
                node text,
                url text,
                pid int,
                acquired_at timestamptz,
                heartbeat_at timestamptz)
            """,
            "INSERT INTO versioner_owner (id, epoch) VALUES (1, 0)",
            // Every node's last word: its role and how far it has applied the journal.
            """
            CREATE TABLE versioner_nodes (
                name text PRIMARY KEY,
                url text,
                role text NOT NULL,
                epoch bigint NOT NULL,
                applied bigint NOT NULL,
                started_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL)
            """,
        ],
    ]

    static var currentVersion: Int { migrations.count }

    /// The key of the advisory locks the server takes: `'VRSN'` as a number, and a second key.
    static let lockClass: Int32 = 0x5652_534E
    /// Held (per transaction) while migrating, so that two starting nodes never both migrate.
    static let migrationLock: Int32 = 0
    /// Held (per session, on the append connection) by the node that owns the journal.
    static let ownerLock: Int32 = 1

    /// Brings the schema to ``currentVersion`` in one transaction.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("BEGIN", logger: logger)
        do {
            try await connection.run("SELECT pg_advisory_xact_lock(\(lockClass), \(migrationLock))", logger: logger)
            try await connection.run("""
                CREATE TABLE IF NOT EXISTS versioner_schema (
                    version int PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var found = 0
            for try await version in try await connection.run(
                "SELECT coalesce(max(version), 0)::int8 FROM versioner_schema", logger: logger).decode(Int64.self) {
                found = Int(version)
            }
            guard found <= currentVersion else { throw PostgresSchemaError.newer(found: found, known: currentVersion) }
            for version in (found + 1)...max(found + 1, currentVersion) where version <= currentVersion {
                for statement in migrations[version - 1] { try await connection.run(statement, logger: logger) }
                try await connection.run("INSERT INTO versioner_schema (version) VALUES (\(version))", logger: logger)
                logger.notice("migrated the journal's schema", metadata: ["postgres.schema_version": "\(version)"])
            }
            try await connection.run("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.run("ROLLBACK", logger: logger)
            throw error
        }
    }
}

/// The database holds a journal this server cannot use.
public enum PostgresSchemaError: Error, CustomStringConvertible {
    case newer(found: Int, known: Int)

    public var description: String {
        switch self {
        case .newer(let found, let known):
            "the database's journal schema is version \(found), newer than this server knows (\(known)): "
                + "a newer Versioner wrote it; run that version (or newer) instead"
        }
    }
}
