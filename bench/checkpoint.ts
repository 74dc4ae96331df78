// What one document's checkpoint costs as the index grows: a fsynced journal append (FilePersistence) against the
// naive whole-database export() + atomic write. Prints a markdown table and writes bench/results/checkpoint.json.
//
//   npx tsx bench/checkpoint.ts            # 1k, 10k, 100k chunks, each size in its own process (clean peak RSS)
//   npx tsx bench/checkpoint.ts --size 1000 # one size, prints its JSON
//
// The database is a stand-in (chunks(id, doc, text, embedding BLOB), 384-dim float32, ~100-token texts); the real
// schema can replace it. A "document" is ~100 chunks + ~20 summaries with embeddings, applied to sql.js in one
// transaction and journaled as one record, as the store does.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { FilePersistence, fsyncDir } from '../src/engine/store/persistence';

const DIM = 384;
const CHUNKS_PER_DOC = 100;
const SUMMARIES_PER_DOC = 20;
const SIZES = [1_000, 10_000, 100_000];

export interface CheckpointBenchResult {
  chunks: number;
  dbBytes: number;
  documents: number;
  recordBytes: number;
  /** One journal append of a document's records, fsynced. */
  appendMedianMs: number;
  appendP95Ms: number;
  /** Applying the same records to sql.js (not persistence, shown for scale). */
  applyMedianMs: number;
  compactions: number;
  /** export() + writeSnapshot, per compaction. */
  compactionMeanMs: number;
  /** (all appends + all compactions) / documents: what a checkpoint costs on average, compactions included. */
  amortizedMs: number;
  /** load() (read + verify snapshot, parse journal) + open sql.js + replay the journal. */
  openAndRecoverMs: number;
  journalReplayMs: number;
  replayedRecords: number;
  /** Naive: export() + tmp write + fsync + rename + dir fsync, per checkpoint. */
  naiveMedianMs: number;
  naiveOverAppend: number;
  peakRssMiB: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);
const p95 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.95);
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

function makeRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const WORDS = 'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more can said'.split(' ');

function text(random: () => number, tokens = 100): string {
  const out: string[] = [];
  for (let i = 0; i < tokens; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]!);
  return out.join(' ');
}

function embedding(random: () => number): Uint8Array {
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = random() * 2 - 1;
  return new Uint8Array(v.buffer);
}

interface Row {
  id: number;
  doc: string;
  text: string;
  embedding: Uint8Array;
}

/** One document's records as one journal payload: [u32 json length][json of ids/texts][embeddings]. */
function encodeDocument(rows: Row[]): Uint8Array {
  const json = Buffer.from(JSON.stringify(rows.map((r) => [r.id, r.doc, r.text])));
  const out = Buffer.allocUnsafe(4 + json.length + rows.length * DIM * 4);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let pos = 4 + json.length;
  for (const r of rows) {
    out.set(r.embedding, pos);
    pos += r.embedding.length;
  }
  return out;
}

function applyDocument(db: Database, payload: Uint8Array): void {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const jsonLength = buf.readUInt32LE(0);
  const meta = JSON.parse(buf.toString('utf8', 4, 4 + jsonLength)) as Array<[number, string, string]>;
  let pos = 4 + jsonLength;
  const stmt = db.prepare('INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?)');
  db.run('BEGIN');
  for (const [id, doc, t] of meta) {
    stmt.run([id, doc, t, buf.subarray(pos, pos + DIM * 4)]);
    pos += DIM * 4;
  }
  db.run('COMMIT');
  stmt.free();
}

function documentRows(random: () => number, docIndex: number, firstId: number): Row[] {
  const doc = `docs/new-${docIndex}.md`;
  const rows: Row[] = [];
  for (let i = 0; i < CHUNKS_PER_DOC + SUMMARIES_PER_DOC; i++) {
    rows.push({ id: firstId + i, doc, text: text(random, i < CHUNKS_PER_DOC ? 100 : 120), embedding: embedding(random) });
  }
  return rows;
}

function buildDatabase(SQL: SqlJsStatic, chunks: number, random: () => number): Database {
  const db = new SQL.Database();
  db.run('CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc TEXT NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL)');
  const stmt = db.prepare('INSERT INTO chunks VALUES (?, ?, ?, ?)');
  db.run('BEGIN');
  for (let i = 0; i < chunks; i++) stmt.run([i, `docs/doc-${Math.floor(i / CHUNKS_PER_DOC)}.md`, text(random), embedding(random)]);
  db.run('COMMIT');
  stmt.free();
  return db;
}

function naiveCheckpoint(db: Database, dbPath: string): void {
  const bytes = db.export();
  const tmp = `${dbPath}.naive-tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, `${dbPath}.naive`);
  fsyncDir(path.dirname(dbPath));
}

/** Runs one size in this process. */
export async function benchOneSize(chunks: number): Promise<CheckpointBenchResult> {
  const SQL = await initSqlJs();
  const random = makeRandom(chunks);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-bench-'));
  const dbPath = path.join(dir, 'index.db');
  try {
    const db = buildDatabase(SQL, chunks, random);
    const persistence = new FilePersistence(dbPath);
    persistence.load();
    let lastSeq = 0;
    persistence.writeSnapshot(db.export(), lastSeq);
    const dbBytes = persistence.snapshotBytes();

    // Long enough that the journal passes the compaction threshold (0.5 × snapshot) at least once.
    const sampleRecord = encodeDocument(documentRows(makeRandom(1), 0, 0)).length;
    const documents = Math.max(40, Math.ceil((0.5 * dbBytes) / sampleRecord) + 20);
    const appendMs: number[] = [];
    const applyMs: number[] = [];
    const compactionMs: number[] = [];
    let nextId = chunks;
    for (let d = 0; d < documents; d++) {
      const payload = encodeDocument(documentRows(random, d, nextId));
      nextId += CHUNKS_PER_DOC + SUMMARIES_PER_DOC;
      let t = performance.now();
      applyDocument(db, payload);
      applyMs.push(performance.now() - t);
      t = performance.now();
      lastSeq = persistence.append(payload);
      appendMs.push(performance.now() - t);
      if (persistence.shouldCompact()) {
        t = performance.now();
        persistence.writeSnapshot(db.export(), lastSeq);
        compactionMs.push(performance.now() - t);
      }
    }
    // Leave some journal behind so the reopen has something to replay.
    for (let d = documents; d < documents + 10; d++) {
      const payload = encodeDocument(documentRows(random, d, nextId));
      nextId += CHUNKS_PER_DOC + SUMMARIES_PER_DOC;
      applyDocument(db, payload);
      persistence.append(payload);
    }
    persistence.close();

    const naiveRuns = chunks >= 100_000 ? 3 : 5;
    const naiveMs: number[] = [];
    for (let i = 0; i < naiveRuns; i++) {
      const t = performance.now();
      naiveCheckpoint(db, dbPath);
      naiveMs.push(performance.now() - t);
    }
    const expectedRows = (db.exec('SELECT count(*) FROM chunks')[0]!.values[0]![0] as number) ?? 0;
    db.close();

    // Open and recover, as a restarted process would.
    const t0 = performance.now();
    const reopened = new FilePersistence(dbPath);
    const state = reopened.load();
    const recovered = new SQL.Database(state.snapshot!);
    const t1 = performance.now();
    for (const e of state.entries) applyDocument(recovered, e.payload);
    const t2 = performance.now();
    const rows = recovered.exec('SELECT count(*) FROM chunks')[0]!.values[0]![0] as number;
    if (rows !== expectedRows) throw new Error(`recovered ${rows} rows, expected ${expectedRows}`);
    recovered.close();
    reopened.close();

    const amortizedMs = (appendMs.reduce((a, b) => a + b, 0) + compactionMs.reduce((a, b) => a + b, 0)) / documents;
    const appendMedian = median(appendMs);
    return {
      chunks,
      dbBytes,
      documents,
      recordBytes: sampleRecord,
      appendMedianMs: round(appendMedian),
      appendP95Ms: round(p95(appendMs)),
      applyMedianMs: round(median(applyMs)),
      compactions: compactionMs.length,
      compactionMeanMs: round(compactionMs.length ? compactionMs.reduce((a, b) => a + b, 0) / compactionMs.length : 0),
      amortizedMs: round(amortizedMs),
      openAndRecoverMs: round(t2 - t0),
      journalReplayMs: round(t2 - t1),
      replayedRecords: state.entries.length,
      naiveMedianMs: round(median(naiveMs)),
      naiveOverAppend: round(median(naiveMs) / appendMedian, 1),
      peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 0),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every size, each in a fresh process so peak RSS is per size; prints a table and writes the JSON. */
export async function runCheckpointBench(sizes: number[] = SIZES): Promise<CheckpointBenchResult[]> {
  const results: CheckpointBenchResult[] = [];
  for (const size of sizes) {
    const args = __filename.endsWith('.ts') ? ['--import', 'tsx', __filename, '--size', String(size)] : [__filename, '--size', String(size)];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: path.resolve(__dirname, '..'), maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`benchmark for ${size} chunks failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as CheckpointBenchResult);
  }
  const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
  const lines = [
    '| chunks | DB MiB | record KiB | docs | append median ms | append p95 ms | compactions (mean ms) | amortized ms/doc | naive export+write ms | naive ÷ append | open+recover ms (replay ms, records) | peak RSS MiB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.chunks} | ${mib(r.dbBytes)} | ${(r.recordBytes / 1024).toFixed(0)} | ${r.documents} | ${r.appendMedianMs} | ${r.appendP95Ms} | ${r.compactions} (${r.compactionMeanMs}) | ${r.amortizedMs} | ${r.naiveMedianMs} | ${r.naiveOverAppend}× | ${r.openAndRecoverMs} (${r.journalReplayMs}, ${r.replayedRecords}) | ${r.peakRssMiB} |`,
    ),
  ];
  const first = results[0];
  const last = results.at(-1);
  if (first && last && last !== first) {
    lines.push(
      '',
      `append median at ${last.chunks} chunks = ${(last.appendMedianMs / first.appendMedianMs).toFixed(2)}× its cost at ${first.chunks} (target ≤ 2×); ` +
        `naive export is ${last.naiveOverAppend}× the append at ${last.chunks} (target ≥ 50×).`,
    );
  }
  console.log(lines.join('\n'));
  const outDir = path.resolve(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, 'checkpoint.json'),
    JSON.stringify({ node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, date: new Date().toISOString(), results }, null, 2) + '\n',
  );
  return results;
}

if (require.main === module) {
  const sizeArg = process.argv.indexOf('--size');
  if (sizeArg > 0) {
    benchOneSize(Number(process.argv[sizeArg + 1])).then((r) => console.log(JSON.stringify(r)));
  } else {
    runCheckpointBench().catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    });
  }
}
