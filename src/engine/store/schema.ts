// Versioned schema migrations, tracked with PRAGMA user_version.
import type { Database } from 'sql.js';

/** Each entry migrates from version (index) to version (index + 1). Append only; never edit a shipped migration. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE task (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    message TEXT,
    created_at TEXT, started_at TEXT, paused_at TEXT, resumed_at TEXT, completed_at TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    embedding_tokens INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE documents (
    path TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed','cancelled')),
    retry_count INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    content_hash TEXT,
    size INTEGER, mtime_ms REAL,
    config_signature TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    embedding_tokens INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0, nodes INTEGER NOT NULL DEFAULT 0, layers INTEGER NOT NULL DEFAULT 0,
    stale INTEGER NOT NULL DEFAULT 0,
    created_at TEXT, started_at TEXT, completed_at TEXT, failed_at TEXT,
    duration_ms INTEGER
  );
  CREATE INDEX documents_state ON documents(state);
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL REFERENCES documents(path) ON DELETE CASCADE,
    layer INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    embedding BLOB NOT NULL,
    children TEXT NOT NULL,
    loc_start INTEGER, loc_end INTEGER, line_start INTEGER, line_end INTEGER, page INTEGER
  );
  CREATE INDEX nodes_doc ON nodes(doc, layer, idx);
  CREATE TABLE call_cache (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, embedding_tokens INTEGER NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaVersionError extends Error {
  constructor(readonly found: number) {
    super(
      `The index was written by a newer version of RAPTOR Index (schema ${found}, this version reads up to ${SCHEMA_VERSION}); update RAPTOR Index or choose another --db.`,
    );
    this.name = 'SchemaVersionError';
  }
}

export function userVersion(db: Database): number {
  const r = db.exec('PRAGMA user_version');
  return Number(r[0]?.values[0]?.[0] ?? 0);
}

/** Bring the database to SCHEMA_VERSION. Returns true when it changed anything. */
export function migrate(db: Database): boolean {
  const from = userVersion(db);
  if (from > SCHEMA_VERSION) throw new SchemaVersionError(from);
  if (from === SCHEMA_VERSION) return false;
  db.run('BEGIN');
  try {
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.run('COMMIT');
  } catch (e) {
    db.run('ROLLBACK');
    throw e;
  }
  return true;
}
