import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { crc32, crc32Portable } from '../../src/engine/store/crc32';
import {
  encodeFrameHeader,
  encodeJournalHeader,
  fingerprintOf,
  FRAME_HEADER_BYTES,
  JOURNAL_HEADER_BYTES,
} from '../../src/engine/store/journal';
import {
  CorruptIndexError,
  FilePersistence,
  indexFilePaths,
  isCompleteSqliteFile,
  isSqliteFile,
  MemoryPersistence,
  StorageWriteError,
  type LoadedState,
} from '../../src/engine/store/persistence';

let SQL: SqlJsStatic;
const dirs: string[] = [];

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-persist-'));
  dirs.push(d);
  return d;
}

function rec(n: number, size = 24): Buffer {
  const b = Buffer.alloc(size, n & 0xff);
  b.write(`record-${n};`, 0);
  return b;
}

/** A real SQLite file holding records 1..upTo, standing in for the store's export(). */
function snapshotThrough(upTo: number): Uint8Array {
  const db = new SQL.Database();
  db.run('CREATE TABLE recs (seq INTEGER PRIMARY KEY)');
  for (let i = 1; i <= upTo; i++) db.run('INSERT INTO recs VALUES (?)', [i]);
  const bytes = db.export();
  db.close();
  return bytes;
}

/** What a store would end up with: the snapshot's records plus every entry after them. */
function replayedSeqs(state: LoadedState): number[] {
  const seqs: number[] = [];
  if (state.snapshot) {
    const db = new SQL.Database(state.snapshot);
    for (const row of db.exec('SELECT seq FROM recs ORDER BY seq')[0]?.values ?? []) seqs.push(Number(row[0]));
    db.close();
  }
  const last = seqs.at(-1) ?? 0;
  for (const e of state.entries) {
    if (e.seq <= last) continue;
    assert.ok(Buffer.from(e.payload).toString('latin1').startsWith(`record-${e.seq};`), `payload of seq ${e.seq}`);
    seqs.push(e.seq);
  }
  return seqs;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function open(dbPath: string): { p: FilePersistence; state: LoadedState } {
  const p = new FilePersistence(dbPath);
  return { p, state: p.load() };
}

/** Builds an index with records 1..n in the journal (no snapshot) and returns its db path. */
function journalOnlyIndex(n: number, sizeOf: (i: number) => number = () => 24): string {
  const dbPath = path.join(tmpDir(), 'index.db');
  const { p } = open(dbPath);
  for (let i = 1; i <= n; i++) assert.equal(p.append(rec(i, sizeOf(i))), i);
  p.close();
  return dbPath;
}

function copyIndex(fromDb: string): string {
  const to = path.join(tmpDir(), 'index.db');
  for (const f of fs.readdirSync(path.dirname(fromDb))) fs.copyFileSync(path.join(path.dirname(fromDb), f), path.join(path.dirname(to), f));
  return to;
}

before(async () => {
  SQL = await initSqlJs();
});

after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('crc32', () => {
  it('matches the standard check value and the portable table version', () => {
    const data = Buffer.from('123456789');
    assert.equal(crc32(data), 0xcbf43926);
    assert.equal(crc32Portable(data), 0xcbf43926);
    const big = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
    assert.equal(crc32(big.subarray(1234), crc32(big.subarray(0, 1234))), crc32Portable(big));
  });
});

describe('isSqliteFile', () => {
  it('accepts a sql.js export and rejects other bytes and truncated files', () => {
    const bytes = snapshotThrough(3);
    assert.ok(isSqliteFile(bytes));
    assert.ok(isCompleteSqliteFile(bytes));
    assert.ok(!isCompleteSqliteFile(bytes.subarray(0, bytes.length - 1)));
    assert.ok(!isSqliteFile(Buffer.from('SQLite format 2\0'.padEnd(200, 'x'))));
    assert.ok(!isSqliteFile(new Uint8Array(0)));
  });
});

describe('FilePersistence', () => {
  it('starts a new index with no snapshot and round-trips records of any size through a reopen', () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    const { p, state } = open(dbPath);
    assert.deepEqual(state, { snapshot: null, entries: [], warnings: [] });
    const payloads = [Buffer.alloc(0), rec(2), Buffer.alloc(300_000, 7), rec(4)];
    const seqs = payloads.map((pl) => p.append(pl));
    assert.deepEqual(seqs, [1, 2, 3, 4]);
    assert.equal(p.journalBytes(), JOURNAL_HEADER_BYTES + payloads.reduce((n, pl) => n + FRAME_HEADER_BYTES + pl.length, 0));
    p.close();
    assert.ok(!fs.existsSync(`${dbPath}-journal`), 'never a file SQLite would take for its hot journal');
    const again = open(dbPath);
    assert.deepEqual(again.state.warnings, []);
    assert.deepEqual(
      again.state.entries.map((e) => [e.seq, Buffer.from(e.payload)]),
      payloads.map((pl, i) => [i + 1, pl]),
    );
    assert.equal(again.p.append(rec(5)), 5, 'seq continues after a reopen');
    again.p.close();
  });

  it('drops a torn tail at every byte offset of the last frame, keeps every earlier record, and appends cleanly after', () => {
    const lastSize = 40;
    const source = journalOnlyIndex(3, (i) => (i === 3 ? lastSize : 24));
    const full = fs.statSync(indexFilePaths(source).journal).size;
    const lastFrameStart = full - FRAME_HEADER_BYTES - lastSize;
    for (let cut = lastFrameStart; cut <= full; cut++) {
      const dbPath = copyIndex(source);
      fs.truncateSync(indexFilePaths(dbPath).journal, cut);
      const { p, state } = open(dbPath);
      const kept = cut === full ? 3 : 2;
      assert.deepEqual(state.entries.map((e) => e.seq), range(1, kept), `cut at ${cut}`);
      assert.equal(state.warnings.length, cut > lastFrameStart && cut < full ? 1 : 0, `cut at ${cut}: ${state.warnings}`);
      if (state.warnings.length) assert.match(state.warnings[0]!, new RegExp(`torn journal tail of ${cut - lastFrameStart} bytes`));
      assert.equal(p.append(rec(kept + 1)), kept + 1);
      p.close();
      const reopened = open(dbPath);
      assert.deepEqual(reopened.state.warnings, [], `cut at ${cut}: the tail was cut off for good`);
      assert.deepEqual(replayedSeqs(reopened.state), range(1, kept + 1));
      reopened.p.close();
      fs.rmSync(path.dirname(dbPath), { recursive: true });
    }
  });

  it('keeps exactly the whole frames before a cut at random offsets across a many-frame journal', () => {
    const sizes = range(1, 30).map((i) => 10 + ((i * 37) % 200));
    const source = journalOnlyIndex(30, (i) => sizes[i - 1]!);
    const frameEnds: number[] = [];
    let end = JOURNAL_HEADER_BYTES;
    for (const s of sizes) frameEnds.push((end += FRAME_HEADER_BYTES + s));
    let seed = 224;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 40; i++) {
      const cut = JOURNAL_HEADER_BYTES + Math.floor(random() * (end - JOURNAL_HEADER_BYTES));
      const dbPath = copyIndex(source);
      fs.truncateSync(indexFilePaths(dbPath).journal, cut);
      const { p, state } = open(dbPath);
      const whole = frameEnds.filter((e) => e <= cut).length;
      assert.deepEqual(replayedSeqs(state), range(1, whole), `cut at ${cut}`);
      p.close();
    }
  });

  for (const [what, offsetInFrame] of [
    ['payload', FRAME_HEADER_BYTES + 3],
    ['length field', 1],
    ['seq field', 9],
  ] as const) {
    it(`stops at a middle frame whose ${what} is corrupt, sets the rest aside, and warns`, () => {
      const dbPath = journalOnlyIndex(6);
      const paths = indexFilePaths(dbPath);
      const frame4 = JOURNAL_HEADER_BYTES + 3 * (FRAME_HEADER_BYTES + 24);
      const bytes = fs.readFileSync(paths.journal);
      bytes[frame4 + offsetInFrame]! ^= 0x10;
      fs.writeFileSync(paths.journal, bytes);
      const { p, state } = open(dbPath);
      assert.deepEqual(replayedSeqs(state), [1, 2, 3]);
      assert.equal(state.warnings.length, 1);
      assert.match(state.warnings[0]!, /corrupt/);
      assert.deepEqual(fs.readFileSync(paths.damagedJournalTail), bytes.subarray(frame4), 'the dropped bytes are kept for inspection');
      assert.equal(p.append(rec(4)), 4, 'seq resumes after the last trusted record');
      p.close();
      const reopened = open(dbPath);
      assert.deepEqual(reopened.state.warnings, []);
      assert.deepEqual(replayedSeqs(reopened.state), [1, 2, 3, 4]);
      reopened.p.close();
    });
  }

  it('compacts into a snapshot that sqlite can open, keeps a backup, and carries records newer than the snapshot', () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    const paths = indexFilePaths(dbPath);
    const { p } = open(dbPath);
    for (let i = 1; i <= 5; i++) p.append(rec(i));
    p.writeSnapshot(snapshotThrough(3), 3); // 4 and 5 are newer than the snapshot: they must survive
    assert.deepEqual(fs.readFileSync(dbPath), Buffer.from(snapshotThrough(3)));
    assert.equal(p.journalBytes(), JOURNAL_HEADER_BYTES + 2 * (FRAME_HEADER_BYTES + 24));
    assert.equal(p.append(rec(6)), 6);
    p.writeSnapshot(snapshotThrough(6), 6);
    assert.ok(fs.existsSync(paths.backup));
    assert.deepEqual(fs.readFileSync(paths.backup), Buffer.from(snapshotThrough(3)));
    assert.equal(p.journalBytes(), JOURNAL_HEADER_BYTES);
    p.append(rec(7));
    p.close();
    assert.deepEqual(fs.readdirSync(path.dirname(dbPath)).sort(), ['index.db', 'index.db.bak', 'index.db.rjournal', 'index.db.rjournal.old']);
    const { p: q, state } = open(dbPath);
    assert.deepEqual(state.warnings, []);
    assert.deepEqual(state.entries.map((e) => e.seq), [7]);
    assert.deepEqual(replayedSeqs(state), range(1, 7));
    q.close();
  });

  it('rejects a snapshot seq it never handed out', () => {
    const dbPath = journalOnlyIndex(2);
    const { p } = open(dbPath);
    assert.throws(() => p.writeSnapshot(snapshotThrough(5), 5), /lastSeq 5/);
    p.close();
  });

  describe('a damaged snapshot', () => {
    /** Two compactions deep: .bak holds 1..3, .db holds 1..6, the journal holds 7..8. */
    function twoGenerations(): string {
      const dbPath = path.join(tmpDir(), 'index.db');
      const { p } = open(dbPath);
      for (let i = 1; i <= 3; i++) p.append(rec(i));
      p.writeSnapshot(snapshotThrough(3), 3);
      for (let i = 4; i <= 6; i++) p.append(rec(i));
      p.writeSnapshot(snapshotThrough(6), 6);
      for (let i = 7; i <= 8; i++) p.append(rec(i));
      p.close();
      return dbPath;
    }

    for (const [what, damage] of [
      ['a flipped bit in a middle page', (b: Buffer) => ((b[b.length >> 1]! ^= 1), b)],
      ['truncation', (b: Buffer) => b.subarray(0, b.length - 100)],
      ['a swapped file', () => Buffer.from(snapshotThrough(2))],
    ] as const) {
      it(`is detected (${what}) and the backup plus both journals restore every record`, () => {
        const dbPath = twoGenerations();
        const paths = indexFilePaths(dbPath);
        const original = fs.readFileSync(dbPath);
        fs.writeFileSync(dbPath, damage(Buffer.from(original)));
        const damaged = fs.readFileSync(dbPath);
        const { p, state } = open(dbPath);
        assert.equal(state.warnings.length, 1);
        assert.match(state.warnings[0]!, /restored the previous snapshot/);
        assert.deepEqual(Buffer.from(state.snapshot!), Buffer.from(snapshotThrough(3)));
        assert.deepEqual(replayedSeqs(state), range(1, 8));
        assert.deepEqual(fs.readFileSync(paths.corruptSnapshot), damaged, 'the damaged file is kept, not deleted');
        assert.equal(p.append(rec(9)), 9);
        p.close();
        const reopened = open(dbPath);
        assert.deepEqual(reopened.state.warnings, [], 'the restore was made permanent');
        assert.deepEqual(replayedSeqs(reopened.state), range(1, 9));
        reopened.p.close();
      });
    }

    it('after the first compaction falls back to replaying everything from the empty start', () => {
      const dbPath = path.join(tmpDir(), 'index.db');
      const { p } = open(dbPath);
      for (let i = 1; i <= 3; i++) p.append(rec(i));
      p.writeSnapshot(snapshotThrough(3), 3);
      p.append(rec(4));
      p.close();
      fs.writeFileSync(dbPath, Buffer.from('garbage'));
      const { p: q, state } = open(dbPath);
      assert.equal(state.snapshot, null);
      assert.deepEqual(replayedSeqs(state), range(1, 4));
      q.close();
    });

    it('without a usable backup throws CorruptIndexError with one clear sentence, and changes nothing', () => {
      const dbPath = twoGenerations();
      const paths = indexFilePaths(dbPath);
      fs.rmSync(paths.backup);
      const b = fs.readFileSync(dbPath);
      b[b.length >> 1]! ^= 1;
      fs.writeFileSync(dbPath, b);
      const before = fs.readdirSync(path.dirname(dbPath)).sort();
      const p = new FilePersistence(dbPath);
      assert.throws(
        () => p.load(),
        (e: unknown) => e instanceof CorruptIndexError && /^Cannot open the index .*damaged.*rebuild\.$/.test(e.message) && !e.message.includes('\n'),
      );
      assert.deepEqual(fs.readdirSync(path.dirname(dbPath)).sort(), before);
    });
  });

  describe('a crash during writeSnapshot', () => {
    // The state before: snapshot S1 (records 1..3) + journal with 4..6. The compaction writes S2 (1..6).
    // Each case below is the file system as a crash at that point of the protocol leaves it.
    function before(): { dbPath: string; s2: Uint8Array; newJournal: Buffer } {
      const dbPath = path.join(tmpDir(), 'index.db');
      const { p } = open(dbPath);
      for (let i = 1; i <= 3; i++) p.append(rec(i));
      p.writeSnapshot(snapshotThrough(3), 3);
      for (let i = 4; i <= 6; i++) p.append(rec(i));
      p.close();
      const s2 = snapshotThrough(6);
      return { dbPath, s2, newJournal: encodeJournalHeader({ baseSeq: 6, snapshot: fingerprintOf(s2) }) };
    }
    const steps: Array<[string, (f: ReturnType<typeof before>) => void, 'old' | 'new']> = [
      ['while writing the new snapshot', ({ dbPath, s2 }) => fs.writeFileSync(`${dbPath}.tmp`, s2.subarray(0, 5000)), 'old'],
      ['after writing the new snapshot', ({ dbPath, s2 }) => fs.writeFileSync(`${dbPath}.tmp`, s2), 'old'],
      [
        'while writing the new journal',
        ({ dbPath, s2, newJournal }) => {
          fs.writeFileSync(`${dbPath}.tmp`, s2);
          fs.writeFileSync(`${dbPath}.rjournal.tmp`, newJournal.subarray(0, 20));
        },
        'old',
      ],
      [
        'after writing both, before the commit rename',
        ({ dbPath, s2, newJournal }) => {
          fs.writeFileSync(`${dbPath}.tmp`, s2);
          fs.writeFileSync(`${dbPath}.rjournal.tmp`, newJournal);
        },
        'old',
      ],
      [
        'after rotating the journal (the commit point)',
        ({ dbPath, s2, newJournal }) => {
          fs.writeFileSync(`${dbPath}.tmp`, s2);
          fs.writeFileSync(`${dbPath}.rjournal.tmp`, newJournal);
          fs.renameSync(`${dbPath}.rjournal`, `${dbPath}.rjournal.old`);
        },
        'new',
      ],
      [
        'after moving the old snapshot to the backup',
        ({ dbPath, s2, newJournal }) => {
          fs.writeFileSync(`${dbPath}.tmp`, s2);
          fs.writeFileSync(`${dbPath}.rjournal.tmp`, newJournal);
          fs.renameSync(`${dbPath}.rjournal`, `${dbPath}.rjournal.old`);
          fs.renameSync(dbPath, `${dbPath}.bak`);
        },
        'new',
      ],
      [
        'after installing the new snapshot',
        ({ dbPath, s2, newJournal }) => {
          fs.writeFileSync(`${dbPath}.tmp`, s2);
          fs.writeFileSync(`${dbPath}.rjournal.tmp`, newJournal);
          fs.renameSync(`${dbPath}.rjournal`, `${dbPath}.rjournal.old`);
          fs.renameSync(dbPath, `${dbPath}.bak`);
          fs.renameSync(`${dbPath}.tmp`, dbPath);
        },
        'new',
      ],
    ];
    for (const [when, crash, expected] of steps) {
      it(`${when}: loads every record, finishes or undoes the compaction, and appends after`, () => {
        const f = before();
        crash(f);
        const { p, state } = open(f.dbPath);
        assert.deepEqual(replayedSeqs(state), range(1, 6));
        assert.deepEqual(Buffer.from(state.snapshot!), Buffer.from(expected === 'new' ? f.s2 : snapshotThrough(3)));
        assert.equal(p.append(rec(7)), 7);
        p.close();
        const names = fs.readdirSync(path.dirname(f.dbPath)).sort();
        assert.ok(!names.some((n) => n.endsWith('.tmp')), `no temporary files left: ${names}`);
        const reopened = open(f.dbPath);
        assert.deepEqual(reopened.state.warnings, []);
        assert.deepEqual(replayedSeqs(reopened.state), range(1, 7));
        reopened.p.close();
      });
    }
  });

  it('opens a snapshot copied without its journal, and skipSeqsThrough keeps new seqs above the snapshot', () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    fs.writeFileSync(dbPath, snapshotThrough(50));
    const { p, state } = open(dbPath);
    assert.deepEqual(state.entries, []);
    assert.deepEqual(state.warnings, []);
    p.skipSeqsThrough(50);
    assert.equal(p.append(rec(51)), 51);
    p.close();
    const reopened = open(dbPath);
    assert.deepEqual(replayedSeqs(reopened.state), range(1, 51));
    reopened.p.close();
  });

  it('read-only load reports but never repairs, so it cannot race the writer', () => {
    const dbPath = journalOnlyIndex(3);
    const journal = indexFilePaths(dbPath).journal;
    fs.appendFileSync(journal, Buffer.from([1, 2, 3, 4, 5]));
    const size = fs.statSync(journal).size;
    const reader = new FilePersistence(dbPath, { readOnly: true });
    const state = reader.load();
    assert.deepEqual(state.entries.map((e) => e.seq), [1, 2, 3]);
    assert.equal(fs.statSync(journal).size, size);
    assert.throws(() => reader.append(rec(4)), /read-only/);
    reader.close();
  });

  it('wants compaction only once the journal passes both the floor and the fraction of the snapshot', () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    const p = new FilePersistence(dbPath, { compaction: { minJournalBytes: 1000, journalToSnapshotRatio: 0.5 } });
    p.load();
    while (p.journalBytes() <= 1000) {
      assert.equal(p.shouldCompact(), false);
      p.append(rec(0, 100));
    }
    assert.equal(p.shouldCompact(), true);
    const snap = snapshotThrough(200); // bigger than 2 × the journal
    p.writeSnapshot(snap, p.append(rec(0, 100)));
    assert.equal(p.snapshotBytes(), snap.length);
    assert.equal(p.shouldCompact(), false);
    while (p.journalBytes() <= snap.length / 2) {
      assert.equal(p.shouldCompact(), false);
      p.append(rec(0, 100));
    }
    assert.equal(p.shouldCompact(), true);
    p.close();
  });

  it('uses the frame layout the format promises: [u32 length][u32 crc32][u64 seq][payload]', () => {
    const payload = Buffer.from('hello');
    const h = encodeFrameHeader(7, payload);
    assert.equal(h.readUInt32LE(0), 5);
    assert.equal(h.readUInt32LE(8), 7);
    assert.equal(h.readUInt32LE(12), 0);
    assert.equal(h.readUInt32LE(4), crc32(payload, crc32(h.subarray(8, 16))));
  });
});

describe('MemoryPersistence', () => {
  it('keeps the same contract in memory', () => {
    const m = new MemoryPersistence({ compaction: { minJournalBytes: 10 } });
    assert.deepEqual(m.load(), { snapshot: null, entries: [], warnings: [] });
    const buf = rec(1);
    assert.equal(m.append(buf), 1);
    buf.fill(0); // callers reuse buffers
    assert.equal(m.append(rec(2)), 2);
    assert.equal(m.shouldCompact(), true);
    const snap = snapshotThrough(1);
    m.writeSnapshot(snap, 1);
    const state = m.load();
    assert.equal(state.snapshot, snap);
    assert.deepEqual(replayedSeqs(state), [1, 2]);
    m.skipSeqsThrough(10);
    assert.equal(m.append(rec(11)), 11);
  });
});

describe('storage failures', () => {
  describe('a full disk (ENOSPC, on a real 64 KiB tmpfs)', () => {
    let mountDir = '';
    before(function () {
      mountDir = tmpDir();
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountDir]);
      if (r.status !== 0) {
        // Not root / no mount namespace: the ENOSPC path cannot be exercised for real here.
        this.skip();
      }
    });
    after(() => {
      if (mountDir) require('node:child_process').spawnSync('umount', [mountDir]);
    });

    it('throws StorageWriteError ENOSPC on append, leaves the journal valid, and resumes once space is freed', () => {
      const dbPath = path.join(mountDir, 'index.db');
      const { p } = open(dbPath);
      fs.writeFileSync(path.join(mountDir, 'filler'), Buffer.alloc(16 * 1024));
      let acknowledged = 0;
      let error: unknown;
      for (let i = 1; i < 100; i++) {
        try {
          p.append(rec(i, 3000));
          acknowledged = i;
        } catch (e) {
          error = e;
          break;
        }
      }
      assert.ok(error instanceof StorageWriteError, `got ${error}`);
      assert.equal(error.code, 'ENOSPC');
      assert.match(error.message, /^Could not write to the journal .*: the disk is full \(ENOSPC\)\. Free some space/);
      assert.ok(acknowledged > 3);
      const journal = indexFilePaths(dbPath).journal;
      assert.equal(fs.statSync(journal).size, JOURNAL_HEADER_BYTES + acknowledged * (FRAME_HEADER_BYTES + 3000), 'partial frame cut off');
      fs.rmSync(path.join(mountDir, 'filler'));
      assert.equal(p.append(rec(acknowledged + 1, 3000)), acknowledged + 1, 'appends resume after space is freed');
      p.close();
      const { p: q, state } = open(dbPath);
      assert.deepEqual(state.warnings, []);
      assert.deepEqual(state.entries.map((e) => e.seq), range(1, acknowledged + 1));
      q.close();
      for (const f of fs.readdirSync(mountDir)) fs.rmSync(path.join(mountDir, f));
    });

    it('throws StorageWriteError ENOSPC from writeSnapshot and leaves the index as it was', () => {
      const dbPath = path.join(mountDir, 'index.db');
      const { p } = open(dbPath);
      for (let i = 1; i <= 3; i++) p.append(rec(i));
      const big = new SQL.Database();
      big.run('CREATE TABLE recs (seq INTEGER PRIMARY KEY, pad BLOB)');
      for (let i = 1; i <= 3; i++) big.run('INSERT INTO recs VALUES (?, randomblob(30000))', [i]);
      const bytes = big.export();
      big.close();
      assert.throws(() => p.writeSnapshot(bytes, 3), (e: unknown) => e instanceof StorageWriteError && e.code === 'ENOSPC');
      assert.deepEqual(fs.readdirSync(mountDir).sort(), ['index.db.rjournal'], 'temporary files removed');
      assert.equal(p.append(rec(4)), 4, 'the journal is still usable');
      p.close();
      const { p: q, state } = open(dbPath);
      assert.deepEqual(replayedSeqs(state), range(1, 4));
      q.close();
    });
  });

  describe('permission denied (EACCES, as an unprivileged user)', () => {
    it('load() throws StorageWriteError EACCES with one sentence, and a read-only load still works', function () {
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      if (process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).status !== 0) this.skip(); // root ignores file modes
      const existing = tmpDir();
      const empty = tmpDir();
      const scripts = tmpDir();
      for (const d of [existing, empty, scripts]) fs.chmodSync(d, 0o755);
      const { p } = open(path.join(existing, 'index.db'));
      for (let i = 1; i <= 3; i++) p.append(rec(i));
      p.close();
      const child = path.join(scripts, 'child.ts');
      fs.writeFileSync(
        child,
        `import { FilePersistence } from ${JSON.stringify(path.resolve(__dirname, '../../src/engine/store/persistence'))};
const report = (f: () => unknown) => { try { return { ok: f() }; } catch (e: any) { return { name: e.name, code: e.code, message: e.message }; } };
console.log(JSON.stringify({
  existing: report(() => new FilePersistence(process.argv[2] + '/index.db').load().entries.length),
  empty: report(() => new FilePersistence(process.argv[3] + '/index.db').load().entries.length),
  readOnly: report(() => new FilePersistence(process.argv[2] + '/index.db', { readOnly: true }).load().entries.length),
}));`,
      );
      fs.chmodSync(child, 0o644);
      const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
      const r = spawnSync('runuser', ['-u', 'nobody', '--', tsx, child, existing, empty], { encoding: 'utf8', cwd: scripts });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      for (const key of ['existing', 'empty']) {
        assert.equal(out[key].name, 'StorageWriteError', JSON.stringify(out[key]));
        assert.equal(out[key].code, 'EACCES');
        assert.match(out[key].message, /^Could not open .*: permission denied \(EACCES\)\. Check that you may write to \/.*\.$/);
      }
      assert.deepEqual(out.readOnly, { ok: 3 });
      assert.deepEqual(fs.readdirSync(empty), [], 'nothing was created');
    });
  });
});
