// The checkpoint store: sql.js in memory, made durable by a journal of domain records.
//
// Every mutation is one *record* (a plain object). A record is applied to the in-memory database inside a
// transaction and appended (fsynced) to the journal before that transaction commits, so memory and disk never
// disagree: when the append fails (disk full, read-only media) the transaction is rolled back and the caller gets
// a StorageWriteError. On open, the snapshot is loaded and every journal record newer than the snapshot is
// replayed through the same `apply` function that applied it the first time, so replay cannot drift from live
// behaviour. When the journal grows past a fraction of the snapshot, a new snapshot is written (compaction), so
// the cost of one checkpoint is one small append, whatever the size of the index.
import type { Database, SqlValue } from 'sql.js';
import type { CachedCall, CallCache } from '../ports';
import {
  type DocumentState,
  type DocumentStatus,
  type TaskState,
  type TaskStatus,
  type TokenCount,
  type TreeNode,
  withTotal,
  ZERO_TOKENS,
} from '../types';
import { type Persistence } from './persistence';
import { migrate } from './schema';
import { loadSqlJs } from './sqlite';

/** A node as stored: the embedding travels as base64 in the journal. */
interface NodeRecord {
  id: string;
  layer: number;
  index: number;
  text: string;
  tokens: number;
  embedding: string;
  children: string[];
  loc?: [number, number, number, number, number | null];
}

export type StoreRecord =
  | { op: 'task/create'; id: string; at: string }
  | { op: 'task/state'; status: TaskState; message: string | null; at: string }
  | { op: 'doc/upsert'; path: string; hash: string; size: number; mtimeMs: number; signature: string; at: string }
  | { op: 'doc/remove'; path: string }
  | { op: 'doc/touch'; path: string; size: number; mtimeMs: number }
  | {
      op: 'docs/sync';
      at: string;
      signature: string;
      upsert: { path: string; hash: string; size: number; mtimeMs: number }[];
      touch: { path: string; size: number; mtimeMs: number }[];
      requeue: string[];
      remove: string[];
    }
  | { op: 'doc/start'; path: string; at: string }
  | {
      op: 'doc/complete';
      path: string;
      at: string;
      durationMs: number;
      usage: TokenCount;
      chunks: number;
      layers: number;
      nodes: NodeRecord[];
    }
  | { op: 'doc/fail'; path: string; error: string; final: boolean; usage: TokenCount; at: string }
  | { op: 'doc/usage'; path: string; usage: TokenCount }
  | { op: 'doc/set'; paths: string[]; state: DocumentState; resetRetries: boolean; dropTree: boolean; error?: null }
  | { op: 'doc/stale'; paths: string[] }
  | { op: 'cache/put'; key: string; value: string; usage: TokenCount; doc: string | null }
  | { op: 'reset'; taskId: string; at: string }
  | { op: 'meta/set'; key: string; value: string };

export interface DocumentRow {
  path: string;
  state: DocumentState;
  retryCount: number;
  error: string | null;
  contentHash: string | null;
  size: number;
  mtimeMs: number;
  signature: string | null;
  stale: boolean;
}

export interface StoreOptions {
  persistence: Persistence;
  /** Called with messages worth telling the user (a torn journal tail dropped, a backup restored). */
  onWarning?: (message: string) => void;
}

const nowIso = () => new Date().toISOString();

/** At most this long between a finished provider call being written and being fsynced. */
const FLUSH_DELAY_MS = 50;

function encodeVector(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}
function vectorBytes(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
export function blobToVector(b: Uint8Array): Float32Array {
  // Copy: the blob's offset may not be 4-byte aligned.
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CheckpointStore {
  private lastSeq = 0;
  private constructor(
    readonly db: Database,
    private readonly persistence: Persistence,
  ) {}

  static async open(opts: StoreOptions): Promise<CheckpointStore> {
    const SQL = await loadSqlJs();
    const loaded = opts.persistence.load();
    for (const w of loaded.warnings) opts.onWarning?.(w);
    const db = loaded.snapshot ? new SQL.Database(loaded.snapshot) : new SQL.Database();
    try {
      db.exec('PRAGMA foreign_keys = ON');
      migrate(db);
      const store = new CheckpointStore(db, opts.persistence);
      store.lastSeq = Number(store.meta('last_seq') ?? 0);
      for (const entry of loaded.entries) {
        if (entry.seq <= store.lastSeq) continue; // already in the snapshot
        const record = JSON.parse(decoder.decode(entry.payload)) as StoreRecord;
        store.transaction(() => {
          store.apply(record);
          store.setMeta('last_seq', String(entry.seq));
        });
        store.lastSeq = entry.seq;
      }
      opts.persistence.skipSeqsThrough(store.lastSeq);
      // `running` is never made durable (see markDocumentRunning), but a snapshot taken mid-run holds it: on
      // open nothing of this process is running yet, so such documents are pending.
      store.transaction(() => db.run(`UPDATE documents SET state = 'pending' WHERE state = 'running'`));
      return store;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- writing

  /**
   * Apply a record and make it durable, atomically: both happen or neither does. `sync: false` (finished provider
   * calls) writes the record at once — a killed process loses nothing — but batches its fsync with the next synced
   * record or a flush within FLUSH_DELAY_MS: one fsync per paid call would serialise a fast provider behind the disk.
   */
  commit(record: StoreRecord, opts: { sync?: boolean } = {}): void {
    this.db.run('BEGIN');
    try {
      this.apply(record);
      const seq = this.persistence.append(encoder.encode(JSON.stringify(record)), opts);
      if (opts.sync === false) this.scheduleFlush();
      this.setMeta('last_seq', String(seq));
      this.db.run('COMMIT');
      this.lastSeq = seq;
    } catch (e) {
      this.db.run('ROLLBACK');
      throw e;
    }
  }

  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      try {
        this.persistence.flush();
      } catch {
        // The persistence remembers the failure; the next commit throws it as a StorageWriteError (the task pauses).
      }
    }, FLUSH_DELAY_MS);
    this.flushTimer.unref?.();
  }

  /** Write a new snapshot when the journal has grown enough. Call between documents (export() cannot run in a transaction). */
  maybeCompact(): boolean {
    if (!this.persistence.shouldCompact()) return false;
    this.compact();
    return true;
  }

  /** True when records wait in the journal (a snapshot at close makes the next open faster). */
  hasJournaledRecords(): boolean {
    return this.persistence.journalBytes() > 64;
  }

  compact(): void {
    this.persistence.writeSnapshot(this.db.export(), this.lastSeq);
  }

  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.persistence.close();
    this.db.close();
  }

  private transaction(fn: () => void): void {
    this.db.run('BEGIN');
    try {
      fn();
      this.db.run('COMMIT');
    } catch (e) {
      this.db.run('ROLLBACK');
      throw e;
    }
  }

  private apply(r: StoreRecord): void {
    const db = this.db;
    switch (r.op) {
      case 'task/create':
        db.run('DELETE FROM task');
        db.run(`INSERT INTO task (id, status, created_at) VALUES (?, 'pending', ?)`, [r.id, r.at]);
        return;
      case 'task/state': {
        const t = this.taskRow();
        const sets: string[] = ['status = ?', 'message = ?'];
        const args: SqlValue[] = [r.status, r.message];
        if (r.status === 'running') {
          if (!t?.started_at) sets.push('started_at = ?'), args.push(r.at);
          else if (t.status === 'paused' || t.status === 'cancelled' || t.status === 'failed')
            sets.push('resumed_at = ?'), args.push(r.at);
          sets.push('completed_at = NULL');
        }
        if (r.status === 'paused') sets.push('paused_at = ?'), args.push(r.at);
        if (r.status === 'completed') sets.push('completed_at = ?'), args.push(r.at);
        db.run(`UPDATE task SET ${sets.join(', ')}`, args);
        return;
      }
      case 'doc/upsert':
        db.run('DELETE FROM nodes WHERE doc = ?', [r.path]);
        db.run(
          `INSERT INTO documents (path, state, content_hash, size, mtime_ms, config_signature, created_at)
           VALUES (?, 'pending', ?, ?, ?, ?, ?)
           ON CONFLICT(path) DO UPDATE SET state = 'pending', retry_count = 0, error = NULL, content_hash = excluded.content_hash,
             size = excluded.size, mtime_ms = excluded.mtime_ms, config_signature = excluded.config_signature,
             prompt_tokens = 0, completion_tokens = 0, embedding_tokens = 0, chunks = 0, nodes = 0, layers = 0, stale = 0,
             started_at = NULL, completed_at = NULL, failed_at = NULL, duration_ms = NULL`,
          [r.path, r.hash, r.size, r.mtimeMs, r.signature, r.at],
        );
        return;
      case 'doc/remove':
        db.run('DELETE FROM nodes WHERE doc = ?', [r.path]);
        db.run('DELETE FROM documents WHERE path = ?', [r.path]);
        return;
      case 'doc/touch':
        db.run('UPDATE documents SET size = ?, mtime_ms = ?, stale = 0 WHERE path = ?', [r.size, r.mtimeMs, r.path]);
        return;
      case 'docs/sync':
        // One record (one fsync) for a whole folder scan, however many files it found.
        for (const u of r.upsert) this.apply({ op: 'doc/upsert', ...u, signature: r.signature, at: r.at });
        for (const t of r.touch) this.apply({ op: 'doc/touch', ...t });
        if (r.requeue.length) this.apply({ op: 'doc/set', paths: r.requeue, state: 'pending', resetRetries: false, dropTree: false });
        for (const p of r.remove) this.apply({ op: 'doc/remove', path: p });
        return;
      case 'doc/start':
        db.run(`UPDATE documents SET state = 'running', started_at = ?, error = NULL WHERE path = ?`, [r.at, r.path]);
        return;
      case 'doc/complete': {
        // Output first, then the marker — in one transaction, so a crash leaves the document pending, never falsely complete.
        db.run('DELETE FROM nodes WHERE doc = ?', [r.path]);
        const stmt = db.prepare(
          `INSERT INTO nodes (id, doc, layer, idx, text, tokens, embedding, children, loc_start, loc_end, line_start, line_end, page)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        try {
          for (const n of r.nodes) {
            const loc = n.loc ?? [null, null, null, null, null];
            stmt.run([n.id, r.path, n.layer, n.index, n.text, n.tokens, vectorBytes(n.embedding), JSON.stringify(n.children), ...loc]);
          }
        } finally {
          stmt.free();
        }
        db.run(
          `UPDATE documents SET state = 'completed', error = NULL, completed_at = ?, duration_ms = ?, chunks = ?, layers = ?, nodes = ?,
             prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, embedding_tokens = embedding_tokens + ?, stale = 0
           WHERE path = ?`,
          [r.at, r.durationMs, r.chunks, r.layers, r.nodes.length, r.usage.prompt, r.usage.completion, r.usage.embedding, r.path],
        );
        this.addTaskTokens(r.usage);
        return;
      }
      case 'doc/fail':
        db.run(
          `UPDATE documents SET state = ?, error = ?, retry_count = retry_count + 1, failed_at = ?,
             prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, embedding_tokens = embedding_tokens + ?
           WHERE path = ?`,
          [r.final ? 'failed' : 'pending', r.error, r.at, r.usage.prompt, r.usage.completion, r.usage.embedding, r.path],
        );
        this.addTaskTokens(r.usage);
        return;
      case 'doc/usage':
        db.run(
          `UPDATE documents SET prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, embedding_tokens = embedding_tokens + ? WHERE path = ?`,
          [r.usage.prompt, r.usage.completion, r.usage.embedding, r.path],
        );
        this.addTaskTokens(r.usage);
        return;
      case 'doc/set':
        for (const p of r.paths) {
          if (r.dropTree) {
            db.run('DELETE FROM nodes WHERE doc = ?', [p]);
            db.run(`UPDATE documents SET chunks = 0, nodes = 0, layers = 0, completed_at = NULL, duration_ms = NULL WHERE path = ?`, [p]);
          }
          db.run(
            `UPDATE documents SET state = ?, retry_count = CASE WHEN ? THEN 0 ELSE retry_count END,
               error = CASE WHEN ? THEN NULL ELSE error END WHERE path = ?`,
            [r.state, r.resetRetries ? 1 : 0, r.resetRetries ? 1 : 0, p],
          );
        }
        return;
      case 'doc/stale':
        for (const p of r.paths) db.run('UPDATE documents SET stale = 1 WHERE path = ?', [p]);
        return;
      case 'cache/put':
        db.run(
          `INSERT OR REPLACE INTO call_cache (key, value, prompt_tokens, completion_tokens, embedding_tokens) VALUES (?, ?, ?, ?, ?)`,
          [r.key, r.value, r.usage.prompt, r.usage.completion, r.usage.embedding],
        );
        // A paid call is accounted the moment it is durable, so a kill never loses what was spent.
        if (r.doc) this.apply({ op: 'doc/usage', path: r.doc, usage: r.usage });
        else this.addTaskTokens(r.usage);
        return;
      case 'meta/set':
        this.setMeta(r.key, r.value);
        return;
      case 'reset':
        db.run('DELETE FROM nodes');
        db.run('DELETE FROM documents');
        db.run('DELETE FROM call_cache');
        db.run('DELETE FROM task');
        db.run(`INSERT INTO task (id, status, created_at) VALUES (?, 'pending', ?)`, [r.taskId, r.at]);
        return;
    }
  }

  private addTaskTokens(u: TokenCount): void {
    if (!u.prompt && !u.completion && !u.embedding) return;
    this.db.run(
      'UPDATE task SET prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, embedding_tokens = embedding_tokens + ?',
      [u.prompt, u.completion, u.embedding],
    );
  }

  // ---------------------------------------------------------------- the CheckpointService operations

  /** Create the task's checkpoint if there is none; returns the task id. */
  ensureTask(newId: () => string): string {
    const t = this.taskRow();
    if (t) return String(t.id);
    const id = newId();
    this.commit({ op: 'task/create', id, at: nowIso() });
    return id;
  }

  setTaskState(status: TaskState, message: string | null = null): void {
    this.commit({ op: 'task/state', status, message, at: nowIso() });
  }

  taskState(): TaskState | undefined {
    return this.taskRow()?.status as TaskState | undefined;
  }
  isPaused(): boolean {
    return this.taskState() === 'paused';
  }
  isCancelled(): boolean {
    return this.taskState() === 'cancelled';
  }

  upsertDocument(path: string, info: { hash: string; size: number; mtimeMs: number; signature: string }): void {
    this.commit({ op: 'doc/upsert', path, ...info, at: nowIso() });
  }
  removeDocument(path: string): void {
    this.commit({ op: 'doc/remove', path });
  }
  /** The file was touched but its content is unchanged: remember its new size/mtime so the next scan skips hashing it. */
  touchDocument(path: string, size: number, mtimeMs: number): void {
    this.commit({ op: 'doc/touch', path, size, mtimeMs });
  }
  /** Apply the result of a folder scan in one durable record. */
  syncDocuments(plan: Omit<Extract<StoreRecord, { op: 'docs/sync' }>, 'op' | 'at'>): void {
    if (!plan.upsert.length && !plan.touch.length && !plan.requeue.length && !plan.remove.length) return;
    this.commit({ op: 'docs/sync', at: nowIso(), ...plan });
  }

  /**
   * `running` is not journaled: after a crash a running document must go back to pending anyway, so making the
   * mark durable would only cost an fsync per document. It lives in memory (and in a snapshot taken meanwhile,
   * which open() repairs the same way).
   */
  markDocumentRunning(path: string): void {
    this.transaction(() => this.apply({ op: 'doc/start', path, at: nowIso() }));
  }

  /** The document's tree and its `completed` marker, in one record and one transaction. */
  saveDocumentCompletion(path: string, tree: { nodes: TreeNode[]; chunks: number; layers: number; usage: TokenCount; durationMs: number }): void {
    this.commit({
      op: 'doc/complete',
      path,
      at: nowIso(),
      durationMs: tree.durationMs,
      usage: tree.usage,
      chunks: tree.chunks,
      layers: tree.layers,
      nodes: tree.nodes.map((n) => ({
        id: n.id,
        layer: n.layer,
        index: n.index,
        text: n.text,
        tokens: n.tokens,
        embedding: encodeVector(n.embedding),
        children: n.children,
        loc: n.location ? [n.location.start, n.location.end, n.location.lineStart, n.location.lineEnd, n.location.page ?? null] : undefined,
      })),
    });
  }

  /** Record a failed attempt; `final` marks the document failed, otherwise it goes back to pending for a retry. */
  saveDocumentFailure(path: string, error: string, final: boolean, usage: TokenCount = ZERO_TOKENS): void {
    this.commit({ op: 'doc/fail', path, error, final, usage, at: nowIso() });
  }

  addDocumentUsage(path: string, usage: TokenCount): void {
    if (!usage.prompt && !usage.completion && !usage.embedding) return;
    this.commit({ op: 'doc/usage', path, usage });
  }

  setDocuments(paths: string[], state: DocumentState, opts: { resetRetries?: boolean; dropTree?: boolean } = {}): void {
    if (paths.length === 0) return;
    this.commit({ op: 'doc/set', paths, state, resetRetries: !!opts.resetRetries, dropTree: !!opts.dropTree });
  }

  markStale(paths: string[]): void {
    if (paths.length) this.commit({ op: 'doc/stale', paths });
  }

  reset(taskId: string): void {
    this.commit({ op: 'reset', taskId, at: nowIso() });
  }

  /** should-retry: attempts so far are below the limit. */
  shouldRetry(path: string, maxRetries: number): boolean {
    const d = this.document(path);
    return !!d && d.retryCount <= maxRetries;
  }

  /** A durable cache of completed provider calls, attributing what was paid to `doc`. */
  callCache(doc: string | null): CallCache {
    return {
      get: (key) => {
        const r = this.db.exec('SELECT value, prompt_tokens, completion_tokens, embedding_tokens FROM call_cache WHERE key = ?', [key])[0];
        if (!r) return undefined;
        const [value, p, c, e] = r.values[0];
        return { value: String(value), usage: { prompt: Number(p), completion: Number(c), embedding: Number(e) } };
      },
      put: (key: string, call: CachedCall) => {
        this.commit({ op: 'cache/put', key, value: call.value, usage: call.usage, doc }, { sync: false });
      },
    };
  }

  // ---------------------------------------------------------------- reading

  /** Durable key/value settings of the index (its root folder, the config it was built with). */
  setMetaValue(key: string, value: string): void {
    if (this.meta(key) !== value) this.commit({ op: 'meta/set', key, value });
  }

  meta(key: string): string | undefined {
    const r = this.db.exec('SELECT value FROM meta WHERE key = ?', [key])[0];
    return r ? String(r.values[0][0]) : undefined;
  }
  private setMeta(key: string, value: string): void {
    this.db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [key, value]);
  }

  private taskRow(): Record<string, SqlValue> | undefined {
    const stmt = this.db.prepare('SELECT * FROM task LIMIT 1');
    try {
      return stmt.step() ? stmt.getAsObject() : undefined;
    } finally {
      stmt.free();
    }
  }

  document(path: string): DocumentRow | undefined {
    return this.documents('WHERE path = ?', [path])[0];
  }

  documents(where = '', args: SqlValue[] = []): DocumentRow[] {
    const out: DocumentRow[] = [];
    const stmt = this.db.prepare(
      `SELECT path, state, retry_count, error, content_hash, size, mtime_ms, config_signature, stale FROM documents ${where} ORDER BY path`,
    );
    try {
      stmt.bind(args);
      while (stmt.step()) {
        const [path, state, retry, error, hash, size, mtime, sig, stale] = stmt.get();
        out.push({
          path: String(path),
          state: state as DocumentState,
          retryCount: Number(retry),
          error: error == null ? null : String(error),
          contentHash: hash == null ? null : String(hash),
          size: Number(size ?? 0),
          mtimeMs: Number(mtime ?? 0),
          signature: sig == null ? null : String(sig),
          stale: Number(stale) === 1,
        });
      }
    } finally {
      stmt.free();
    }
    return out;
  }

  pendingDocuments(): DocumentRow[] {
    return this.documents(`WHERE state = 'pending'`);
  }
  failedDocuments(): DocumentRow[] {
    return this.documents(`WHERE state = 'failed'`);
  }

  status(): TaskStatus {
    const t = this.taskRow();
    const docs: DocumentStatus[] = [];
    const stmt = this.db.prepare(
      `SELECT path, state, retry_count, error, prompt_tokens, completion_tokens, embedding_tokens, chunks, nodes, layers,
              started_at, completed_at, stale FROM documents ORDER BY path`,
    );
    try {
      while (stmt.step()) {
        const [path, state, retry, error, p, c, e, chunks, nodes, layers, started, completed, stale] = stmt.get();
        docs.push({
          path: String(path),
          state: state as DocumentState,
          retry_count: Number(retry),
          error: error == null ? null : String(error),
          token_count: withTotal({ prompt: Number(p), completion: Number(c), embedding: Number(e) }),
          chunks: Number(chunks),
          nodes: Number(nodes),
          layers: Number(layers),
          started_at: started == null ? null : String(started),
          completed_at: completed == null ? null : String(completed),
          stale: Number(stale) === 1,
        });
      }
    } finally {
      stmt.free();
    }
    const count = (s: DocumentState) => docs.filter((d) => d.state === s).length;
    const completed = count('completed');
    const failed = count('failed');
    const str = (v: SqlValue | undefined) => (v == null ? null : String(v));
    return {
      task_id: t ? String(t.id) : '',
      status: (t?.status as TaskState) ?? 'pending',
      total_documents: docs.length,
      completed_documents: completed,
      failed_documents: failed,
      pending_documents: count('pending'),
      running_documents: count('running'),
      cancelled_documents: count('cancelled'),
      progress: docs.length ? (completed + failed) / docs.length : 0,
      token_count: withTotal({
        prompt: Number(t?.prompt_tokens ?? 0),
        completion: Number(t?.completion_tokens ?? 0),
        embedding: Number(t?.embedding_tokens ?? 0),
      }),
      created_at: str(t?.created_at),
      started_at: str(t?.started_at),
      paused_at: str(t?.paused_at),
      resumed_at: str(t?.resumed_at),
      completed_at: str(t?.completed_at),
      message: str(t?.message),
      documents: docs,
    };
  }

  taskTokens(): TokenCount {
    const t = this.taskRow();
    return { prompt: Number(t?.prompt_tokens ?? 0), completion: Number(t?.completion_tokens ?? 0), embedding: Number(t?.embedding_tokens ?? 0) };
  }

  /** Every node of every document (or one), ordered by document, layer, index. */
  *nodes(doc?: string, withEmbeddings = true): Generator<TreeNode> {
    const stmt = this.db.prepare(
      `SELECT id, doc, layer, idx, text, tokens, ${withEmbeddings ? 'embedding' : 'NULL'}, children, loc_start, loc_end, line_start, line_end, page
       FROM nodes ${doc ? 'WHERE doc = ?' : ''} ORDER BY doc, layer, idx`,
    );
    try {
      if (doc) stmt.bind([doc]);
      while (stmt.step()) {
        const [id, d, layer, idx, text, tokens, emb, children, ls, le, ln1, ln2, page] = stmt.get();
        yield {
          id: String(id),
          doc: String(d),
          layer: Number(layer),
          index: Number(idx),
          text: String(text),
          tokens: Number(tokens),
          embedding: emb instanceof Uint8Array ? blobToVector(emb) : new Float32Array(0),
          children: JSON.parse(String(children)) as string[],
          location:
            ls == null
              ? undefined
              : { start: Number(ls), end: Number(le), lineStart: Number(ln1), lineEnd: Number(ln2), ...(page == null ? {} : { page: Number(page) }) },
        };
      }
    } finally {
      stmt.free();
    }
  }

  nodeCount(): number {
    return Number(this.db.exec('SELECT COUNT(*) FROM nodes')[0].values[0][0]);
  }
}
