// Crash-safe persistence for the sql.js index whose per-checkpoint cost does not grow with the index.
//
// sql.js can only serialise the whole database, so exporting after every document costs O(index size).
// Instead the store appends each committed domain record to a checksummed journal (one fsync per record) and
// only occasionally writes a whole snapshot (compaction). Files, for an index at `index.db`:
//
//   index.db               the snapshot: a plain SQLite file (`sqlite3 index.db` works)
//   index.db.rjournal      records since that snapshot (named so SQLite never mistakes it for its own `-journal`)
//   index.db.bak           the previous snapshot             } together they can rebuild the state if the
//   index.db.rjournal.old  the records between .bak and .db  } snapshot is ever found damaged
//   index.db.tmp, index.db.rjournal.tmp   only during a compaction
//
// Each journal's header carries the length and CRC-32 of the snapshot it follows. A snapshot and a journal belong
// together exactly when that fingerprint matches, which is how open() tells a finished compaction from a
// half-finished one, and a sound snapshot from a damaged or swapped one.
//
// Compaction (writeSnapshot) is synchronous: the caller's `export()` is synchronous anyway, and a write that
// outlived the call would need a third journal generation to stay crash-safe. Its commit point is one rename:
//   1. write + fsync index.db.tmp                 (crash: rolled back on open)
//   2. write + fsync index.db.rjournal.tmp        (header for the new snapshot + any records newer than it)
//   3. rename rjournal -> rjournal.old            <- commit point: from here open() rolls forward
//   4. rename db -> bak; 5. rename tmp -> db; 6. rename rjournal.tmp -> rjournal   (each followed by a dir fsync)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from './crc32';
import {
  encodeFrameHeader,
  encodeJournalHeader,
  fingerprintOf,
  FRAME_HEADER_BYTES,
  JOURNAL_HEADER_BYTES,
  JournalHeaderError,
  readJournalHeader,
  sameFingerprint,
  scanJournal,
  writeAllAt,
  type JournalEntry,
  type JournalHeader,
  type JournalScan,
  type SnapshotFingerprint,
} from './journal';

export type { JournalEntry } from './journal';

export interface LoadedState {
  /** Bytes of a valid SQLite database file, or null for a new index. */
  snapshot: Uint8Array | null;
  /** Every intact journal record, in seq order. May include records already inside the snapshot; skip seq <= yours. */
  entries: JournalEntry[];
  /** One sentence each, for the log: what was repaired or dropped on the way in. */
  warnings: string[];
}

export interface Persistence {
  /** Reads (and, unless read-only, repairs) the index. Throws CorruptIndexError when nothing trustworthy can be opened. */
  load(): LoadedState;
  /**
   * Appends one record; durable (fsynced) when it returns. Returns its seq (strictly increasing).
   * With `{ sync: false }` the record is written (it survives the process being killed: it is in the OS's cache) but
   * its fsync is left to the next synced append or flush() (a power cut may lose it).
   */
  append(payload: Uint8Array, opts?: { sync?: boolean }): number;
  /** fsync records appended with `{ sync: false }`. */
  flush(): void;
  /**
   * Makes the next seq greater than `lastAppliedSeq`. The store calls it once after replay with the last seq
   * recorded inside its database. It only matters when a snapshot was opened without its journal (copied alone),
   * where the journal cannot know how far the snapshot had got.
   */
  skipSeqsThrough(lastAppliedSeq: number): void;
  journalBytes(): number;
  snapshotBytes(): number;
  /** True when the journal has grown past the compaction policy (default: > 1 MiB and > 0.5 × snapshot). */
  shouldCompact(): boolean;
  /** Atomically replaces the snapshot with `bytes`, which contains every record up to `lastSeq`, and starts a new journal. */
  writeSnapshot(bytes: Uint8Array, lastSeq: number): void;
  close(): void;
}

/** The index cannot be opened without losing committed work; the message says what is wrong and what to do. */
export class CorruptIndexError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'CorruptIndexError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error occurred',
  EBUSY: 'the file is in use by another program',
  EMFILE: 'too many files are open',
};

/** A write to the index failed. `code` is the OS error code (ENOSPC, EACCES, EROFS, ...). Saved work is intact. */
export class StorageWriteError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'StorageWriteError';
  }

  static from(err: unknown, action: string, filePath: string): StorageWriteError {
    if (err instanceof StorageWriteError) return err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
    const reason = REASONS[code] ?? ((err as Error | undefined)?.message || 'unknown error');
    const hint =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? ' Free some space and resume; the work saved so far is safe.'
        : code === 'EACCES' || code === 'EPERM'
          ? ` Check that you may write to ${path.dirname(filePath)}.`
          : code === 'EROFS'
            ? ' Move the index to a writable folder.'
            : '';
    return new StorageWriteError(`Could not ${action} ${filePath}: ${reason} (${code}).${hint}`, code, filePath);
  }
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/** True when `bytes` starts with the SQLite file header. */
export function isSqliteFile(bytes: Uint8Array): boolean {
  if (bytes.length < 100) return false;
  for (let i = 0; i < SQLITE_MAGIC.length; i++) if (bytes[i] !== SQLITE_MAGIC.charCodeAt(i)) return false;
  return true;
}

/** Header check plus "the file is as long as its header says", which catches a truncated snapshot cheaply. */
export function isCompleteSqliteFile(bytes: Uint8Array): boolean {
  if (!isSqliteFile(bytes)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return false;
  // The in-header page count is only authoritative when "version-valid-for" equals the change counter.
  if (view.getUint32(92) !== view.getUint32(24)) return bytes.length % pageSize === 0;
  return view.getUint32(28) * pageSize === bytes.length;
}

export interface CompactionPolicy {
  /** Never compact a journal smaller than this. */
  minJournalBytes: number;
  /** Compact once the journal exceeds this fraction of the snapshot. */
  journalToSnapshotRatio: number;
}
export const DEFAULT_COMPACTION_POLICY: Readonly<CompactionPolicy> = Object.freeze({
  minJournalBytes: 1024 * 1024,
  journalToSnapshotRatio: 0.5,
});

function policyWantsCompaction(policy: CompactionPolicy, journal: number, snapshot: number): boolean {
  return journal > policy.minJournalBytes && journal > policy.journalToSnapshotRatio * snapshot;
}

export interface IndexFilePaths {
  db: string;
  dbTmp: string;
  backup: string;
  journal: string;
  journalTmp: string;
  journalOld: string;
  /** A snapshot found damaged is moved here rather than deleted. */
  corruptSnapshot: string;
  /** Journal bytes after a corrupt record are copied here before the journal is cut back. */
  damagedJournalTail: string;
}

export function indexFilePaths(dbPath: string): IndexFilePaths {
  const db = path.resolve(dbPath);
  return {
    db,
    dbTmp: `${db}.tmp`,
    backup: `${db}.bak`,
    journal: `${db}.rjournal`,
    journalTmp: `${db}.rjournal.tmp`,
    journalOld: `${db}.rjournal.old`,
    corruptSnapshot: `${db}.corrupt`,
    damagedJournalTail: `${db}.rjournal.damaged`,
  };
}

export interface FilePersistenceOptions {
  /** Never modify any file (for `raptor status` while another process writes): no repair, no append. */
  readOnly?: boolean;
  compaction?: Partial<CompactionPolicy>;
}

export class FilePersistence implements Persistence {
  readonly paths: IndexFilePaths;
  private readonly readOnly: boolean;
  private readonly policy: CompactionPolicy;
  private fd: number | null = null;
  private loaded = false;
  /** Set after an fsync failure: the kernel may have dropped the dirty pages, so nothing more can be promised. */
  private broken: StorageWriteError | null = null;
  private writePos = 0;
  /** Records written since the last fsync (appended with `{ sync: false }`). */
  private unsynced = false;
  private nextSeq = 1;
  private snapshotSize = 0;
  /** Seq and byte offset of each frame in the current journal, to carry newer records over on compaction. */
  private frameSeqs: number[] = [];
  private frameOffsets: number[] = [];

  constructor(dbPath: string, options: FilePersistenceOptions = {}) {
    this.paths = indexFilePaths(dbPath);
    this.readOnly = options.readOnly ?? false;
    this.policy = { ...DEFAULT_COMPACTION_POLICY, ...options.compaction };
  }

  load(): LoadedState {
    this.close();
    if (!this.readOnly) return this.wrapErrors('open', this.paths.db, () => this.loadOnce());
    // A reader can race a compaction's renames; every intermediate state is valid, but reading two files is not
    // atomic, so look again briefly before reporting damage.
    for (let attempt = 1; ; attempt++) {
      try {
        return this.wrapErrors('read', this.paths.db, () => this.loadOnce());
      } catch (err) {
        if (attempt >= 5 || !(err instanceof CorruptIndexError || (err as StorageWriteError).code === 'ENOENT')) throw err;
        sleepSync(20 * attempt);
      }
    }
  }

  append(payload: Uint8Array, opts: { sync?: boolean } = {}): number {
    const fd = this.writableFd();
    const seq = this.nextSeq;
    const start = this.writePos;
    try {
      writeAllAt(fd, [encodeFrameHeader(seq, payload), payload], start);
    } catch (err) {
      // Cut a partial frame off so the journal stays a clean sequence of frames and the next append can follow.
      try {
        fs.ftruncateSync(fd, start);
      } catch {
        // If even that fails the partial frame fails its checksum on open and is dropped there.
      }
      throw StorageWriteError.from(err, 'write to the journal', this.paths.journal);
    }
    if (opts.sync === false) this.unsynced = true;
    else this.syncJournal(fd);
    this.writePos = start + FRAME_HEADER_BYTES + payload.length;
    this.frameSeqs.push(seq);
    this.frameOffsets.push(start);
    this.nextSeq = seq + 1;
    return seq;
  }

  skipSeqsThrough(lastAppliedSeq: number): void {
    if (lastAppliedSeq >= this.nextSeq) this.nextSeq = lastAppliedSeq + 1;
  }

  flush(): void {
    if (this.unsynced && this.fd !== null) this.syncJournal(this.fd);
  }

  private syncJournal(fd: number): void {
    try {
      fs.fdatasyncSync(fd);
      this.unsynced = false;
    } catch (err) {
      this.broken = StorageWriteError.from(err, 'flush the journal', this.paths.journal);
      throw this.broken;
    }
  }

  journalBytes(): number {
    return this.writePos;
  }

  snapshotBytes(): number {
    return this.snapshotSize;
  }

  shouldCompact(): boolean {
    return !this.readOnly && policyWantsCompaction(this.policy, this.writePos, this.snapshotSize);
  }

  writeSnapshot(bytes: Uint8Array, lastSeq: number): void {
    const fd = this.writableFd();
    const p = this.paths;
    if (!Number.isSafeInteger(lastSeq) || lastSeq < 0 || lastSeq >= this.nextSeq) {
      throw new Error(`writeSnapshot: lastSeq ${lastSeq} is not a seq this journal has handed out (next is ${this.nextSeq}).`);
    }
    if (!isSqliteFile(bytes)) throw new Error('writeSnapshot: the bytes are not a SQLite database.');
    const header: JournalHeader = { baseSeq: lastSeq, snapshot: { bytes: bytes.length, crc: crc32(bytes) } };
    // Records newer than the snapshot move to the new journal (normally none: the store snapshots after applying).
    let carryFrom = this.frameSeqs.findIndex((s) => s > lastSeq);
    if (carryFrom < 0) carryFrom = this.frameSeqs.length;
    const carryStart = carryFrom < this.frameOffsets.length ? this.frameOffsets[carryFrom]! : this.writePos;
    const carriedSeqs = this.frameSeqs.slice(carryFrom);
    const carriedOffsets = this.frameOffsets.slice(carryFrom).map((o) => o - carryStart + JOURNAL_HEADER_BYTES);

    // Steps 1-2: the new generation, beside the live files. A failure here changes nothing.
    try {
      writeFileDurable(p.dbTmp, [bytes]);
      const out = fs.openSync(p.journalTmp, 'w');
      try {
        writeAllAt(out, [encodeJournalHeader(header)], 0);
        copyRange(fd, carryStart, this.writePos - carryStart, out, JOURNAL_HEADER_BYTES);
        fs.fsyncSync(out);
      } finally {
        fs.closeSync(out);
      }
    } catch (err) {
      unlinkQuietly(p.dbTmp);
      unlinkQuietly(p.journalTmp);
      throw StorageWriteError.from(err, 'write a new snapshot at', p.dbTmp);
    }

    // Step 3, the commit point. Windows cannot rename an open file, so close the journal first.
    fs.closeSync(fd);
    this.fd = null;
    try {
      renameDurable(p.journal, p.journalOld);
    } catch (err) {
      unlinkQuietly(p.dbTmp);
      unlinkQuietly(p.journalTmp);
      this.openJournal();
      throw StorageWriteError.from(err, 'rotate the journal', p.journal);
    }
    // Steps 4-6. A failure from here on is finished by the next load(), which rolls the compaction forward.
    try {
      if (fs.existsSync(p.db)) renameDurable(p.db, p.backup);
      renameDurable(p.dbTmp, p.db);
      renameDurable(p.journalTmp, p.journal);
    } catch (err) {
      this.broken = StorageWriteError.from(err, 'install the new snapshot at', p.db);
      throw this.broken;
    }
    this.snapshotSize = bytes.length;
    this.frameSeqs = carriedSeqs;
    this.frameOffsets = carriedOffsets;
    this.openJournal();
  }

  close(): void {
    if (this.fd !== null) {
      try {
        if (this.unsynced) fs.fdatasyncSync(this.fd);
      } catch {
        // The records are written; only their fsync failed, and a power cut is all that could lose them now.
      }
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already closed or the device vanished.
      }
    }
    this.fd = null;
    this.loaded = false;
  }

  // ---------------------------------------------------------------------------------------------------------------

  private writableFd(): number {
    if (this.readOnly) throw new Error('This index was opened read-only.');
    if (!this.loaded) throw new Error('load() must be called before writing.');
    if (this.broken) throw this.broken;
    if (this.fd === null) throw new Error('The journal is not open.');
    return this.fd;
  }

  private wrapErrors<T>(action: string, filePath: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof CorruptIndexError || err instanceof StorageWriteError) throw err;
      if ((err as NodeJS.ErrnoException).code) throw StorageWriteError.from(err, action, (err as NodeJS.ErrnoException).path ?? filePath);
      throw err;
    }
  }

  private loadOnce(): LoadedState {
    const p = this.paths;
    const mutate = !this.readOnly;
    const warnings: string[] = [];
    let snapshotPath = p.db;
    let journalPath = p.journal;

    // 1. An interrupted compaction (or journal creation). No journal but a complete .tmp one means step 3 happened.
    const hasJournal = fs.existsSync(p.journal);
    if (!hasJournal && fs.existsSync(p.journalTmp)) {
      if (readJournalHeader(p.journalTmp)) {
        if (fs.existsSync(p.dbTmp)) {
          if (mutate) {
            if (fs.existsSync(p.db)) renameDurable(p.db, p.backup);
            renameDurable(p.dbTmp, p.db);
          } else snapshotPath = p.dbTmp;
          warnings.push('Finished a snapshot write that a crash had interrupted.');
        }
        if (mutate) renameDurable(p.journalTmp, p.journal);
        else journalPath = p.journalTmp;
      } else if (mutate) unlinkQuietly(p.journalTmp);
    } else if (hasJournal && mutate) {
      unlinkQuietly(p.journalTmp);
      unlinkQuietly(p.dbTmp);
    }

    // 2. The snapshot and its journal.
    const snapshot = readIfExists(snapshotPath);
    let scan: JournalScan | null = null;
    let journalProblem: string | null = null;
    if (fs.existsSync(journalPath)) {
      try {
        scan = scanJournal(journalPath);
      } catch (err) {
        if (!(err instanceof JournalHeaderError)) throw err;
        journalProblem = `its journal ${journalPath} has an unreadable header`;
      }
    }

    if (!scan && !journalProblem) {
      // No journal at all: a new index, or a snapshot copied without its journal.
      if (snapshot && !isCompleteSqliteFile(snapshot)) {
        return this.restoreBackup(null, `${p.db} is not a complete SQLite database and has no journal`, warnings);
      }
      if (!snapshot && (fs.existsSync(p.backup) || fs.existsSync(p.journalOld))) {
        warnings.push(`Started a new index because ${p.db} and its journal are missing (an older backup remains at ${p.backup}).`);
      }
      const header: JournalHeader = { baseSeq: 0, snapshot: fingerprintOf(snapshot) };
      if (mutate) this.writeJournalFile(header, []);
      return this.adopt({ snapshot, entries: [], warnings }, header, [], JOURNAL_HEADER_BYTES);
    }

    if (scan && matchesSnapshot(snapshot, scan.header.snapshot)) {
      this.dropDamagedTail(scan, journalPath, warnings, mutate);
      return this.adopt({ snapshot, entries: scan.entries, warnings }, scan.header, scan.frameOffsets, scan.validBytes);
    }

    const why =
      journalProblem ?? (snapshot ? `${p.db} does not match its journal (it is damaged or was replaced)` : `${p.db} is missing`);
    return this.restoreBackup(scan, why, warnings);
  }

  /** The snapshot cannot be trusted: rebuild the state from the backup snapshot plus both journals. */
  private restoreBackup(current: JournalScan | null, why: string, warnings: string[]): LoadedState {
    const p = this.paths;
    const mutate = !this.readOnly;
    const unrecoverable = (detail: string) =>
      new CorruptIndexError(
        `Cannot open the index ${p.db}: ${why}, and ${detail}. Move ${p.journal} aside to open the snapshot alone, or delete ${p.db} and the files beside it to rebuild.`,
        p.db,
      );
    let previous: JournalScan | null = null;
    try {
      previous = fs.existsSync(p.journalOld) ? scanJournal(p.journalOld) : null;
    } catch (err) {
      if (!(err instanceof JournalHeaderError)) throw err;
    }
    const backup = readIfExists(p.backup);
    if (!previous || !matchesSnapshot(backup, previous.header.snapshot)) throw unrecoverable('no usable backup exists');
    const previousLast = previous.entries.at(-1)?.seq ?? previous.header.baseSeq;
    if (previous.damage) warnings.push(`The previous journal ${p.journalOld} ends in ${previous.damage.droppedBytes} damaged bytes.`);
    if (current) {
      if (current.header.baseSeq > previousLast) {
        throw unrecoverable(`the backup's journal stops at record ${previousLast} while the current one starts after ${current.header.baseSeq}`);
      }
      if (current.damage) warnings.push(`Dropped ${current.damage.droppedBytes} damaged bytes at the end of ${p.journal}.`);
    }
    const entries = previous.entries.concat((current?.entries ?? []).filter((e) => e.seq > previousLast));
    const snapshotExists = fs.existsSync(p.db);
    warnings.push(
      `The snapshot could not be used (${why}); restored the previous snapshot from ${p.backup} and replayed ${entries.length} journal records` +
        (mutate && snapshotExists ? `; the damaged file was kept as ${p.corruptSnapshot}.` : '.'),
    );
    const header = previous.header;
    if (!mutate) return this.adopt({ snapshot: backup, entries, warnings }, header, [], 0);

    // Same shape as a compaction: build the new pair as .tmp files, then commit by removing the old journal.
    // A crash before that commit repeats this restore; after it, load() rolls forward.
    if (snapshotExists) renameDurable(p.db, p.corruptSnapshot);
    const offsets = writeJournalTo(p.journalTmp, header, entries);
    if (backup) writeFileDurable(p.dbTmp, [backup]);
    unlinkQuietly(p.journal);
    fsyncDir(path.dirname(p.db));
    if (backup) renameDurable(p.dbTmp, p.db);
    renameDurable(p.journalTmp, p.journal);
    const validBytes = fs.statSync(p.journal).size;
    return this.adopt({ snapshot: backup, entries, warnings }, header, offsets, validBytes);
  }

  private dropDamagedTail(scan: JournalScan, journalPath: string, warnings: string[], mutate: boolean): void {
    const damage = scan.damage;
    if (!damage) return;
    if (damage.kind === 'torn') {
      warnings.push(`Dropped a torn journal tail of ${damage.droppedBytes} bytes (a write cut short by a crash; it was never committed).`);
    } else {
      warnings.push(
        `The journal record at byte ${damage.offset} of ${journalPath} is corrupt; dropped it and the ${damage.droppedBytes} bytes after it` +
          (mutate ? ` (kept in ${this.paths.damagedJournalTail})` : '') +
          ', so the documents they recorded will be indexed again.',
      );
    }
    if (!mutate) return;
    const fd = fs.openSync(journalPath, 'r+');
    try {
      if (damage.kind === 'corrupt') {
        const out = fs.openSync(this.paths.damagedJournalTail, 'w');
        try {
          copyRange(fd, damage.offset, damage.droppedBytes, out, 0);
          fs.fsyncSync(out);
        } finally {
          fs.closeSync(out);
        }
      }
      // Truncate now, not lazily: a new frame written over old bytes could otherwise line up with a stale frame.
      fs.ftruncateSync(fd, scan.validBytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private writeJournalFile(header: JournalHeader, entries: JournalEntry[]): void {
    writeJournalTo(this.paths.journalTmp, header, entries);
    renameDurable(this.paths.journalTmp, this.paths.journal);
  }

  private adopt(state: LoadedState, header: JournalHeader, frameOffsets: number[], validBytes: number): LoadedState {
    this.snapshotSize = state.snapshot?.length ?? 0;
    this.frameSeqs = state.entries.map((e) => e.seq);
    this.frameOffsets = frameOffsets;
    this.writePos = validBytes;
    this.nextSeq = Math.max(header.baseSeq, this.frameSeqs.at(-1) ?? 0) + 1;
    this.broken = null;
    if (!this.readOnly) this.openJournal();
    this.loaded = true;
    return state;
  }

  private openJournal(): void {
    this.fd = fs.openSync(this.paths.journal, 'r+');
    this.writePos = fs.fstatSync(this.fd).size;
  }
}

/** For `checkpoints: false` and tests: the same contract, kept in memory. Takes ownership of snapshot bytes. */
export class MemoryPersistence implements Persistence {
  private snapshot: Uint8Array | null = null;
  private entries: JournalEntry[] = [];
  private nextSeq = 1;
  private journalSize = 0;
  private readonly policy: CompactionPolicy;

  constructor(options: { compaction?: Partial<CompactionPolicy> } = {}) {
    this.policy = { ...DEFAULT_COMPACTION_POLICY, ...options.compaction };
  }

  load(): LoadedState {
    return { snapshot: this.snapshot, entries: this.entries.slice(), warnings: [] };
  }

  flush(): void {
    // Nothing to make durable.
  }

  append(payload: Uint8Array): number {
    const seq = this.nextSeq++;
    // Copy: callers reuse their encode buffers.
    this.entries.push({ seq, payload: payload.slice() });
    this.journalSize += FRAME_HEADER_BYTES + payload.length;
    return seq;
  }

  skipSeqsThrough(lastAppliedSeq: number): void {
    if (lastAppliedSeq >= this.nextSeq) this.nextSeq = lastAppliedSeq + 1;
  }

  journalBytes(): number {
    return this.journalSize;
  }

  snapshotBytes(): number {
    return this.snapshot?.length ?? 0;
  }

  shouldCompact(): boolean {
    return policyWantsCompaction(this.policy, this.journalSize, this.snapshotBytes());
  }

  writeSnapshot(bytes: Uint8Array, lastSeq: number): void {
    if (!isSqliteFile(bytes)) throw new Error('writeSnapshot: the bytes are not a SQLite database.');
    this.snapshot = bytes;
    this.entries = this.entries.filter((e) => e.seq > lastSeq);
    this.journalSize = this.entries.reduce((n, e) => n + FRAME_HEADER_BYTES + e.payload.length, 0);
  }

  close(): void {
    // Nothing to release.
  }
}

// ---------------------------------------------------------------------------------------------------------------
// File helpers

function matchesSnapshot(snapshot: Uint8Array | null, expected: SnapshotFingerprint): boolean {
  if (!snapshot) return expected.bytes === 0;
  return isSqliteFile(snapshot) && sameFingerprint(fingerprintOf(snapshot), expected);
}

function readIfExists(filePath: string): Buffer | null {
  try {
    return fs.readFileSync(filePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function unlinkQuietly(filePath: string): void {
  try {
    fs.unlinkSync(filePath);
  } catch {
    // Missing already, or it will be cleaned up on the next open.
  }
}

const WRITE_CHUNK_BYTES = 16 * 1024 * 1024;

/** Writes a whole file and fsyncs it (not the directory: callers rename it into place and fsync that). */
function writeFileDurable(filePath: string, parts: Uint8Array[]): void {
  const fd = fs.openSync(filePath, 'w');
  try {
    let pos = 0;
    for (const part of parts) {
      for (let off = 0; off < part.length; off += WRITE_CHUNK_BYTES) {
        pos += writeAllAt(fd, [part.subarray(off, Math.min(part.length, off + WRITE_CHUNK_BYTES))], pos);
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a complete journal file (header + frames), fsynced. Returns each frame's offset. */
function writeJournalTo(filePath: string, header: JournalHeader, entries: JournalEntry[]): number[] {
  const fd = fs.openSync(filePath, 'w');
  try {
    let pos = writeAllAt(fd, [encodeJournalHeader(header)], 0);
    const offsets: number[] = [];
    for (const e of entries) {
      offsets.push(pos);
      pos += writeAllAt(fd, [encodeFrameHeader(e.seq, e.payload), e.payload], pos);
    }
    fs.fsyncSync(fd);
    return offsets;
  } finally {
    fs.closeSync(fd);
  }
}

/** Copies `length` bytes between two open files in fixed-size pieces, so memory stays flat. */
function copyRange(fromFd: number, fromPos: number, length: number, toFd: number, toPos: number): void {
  const buf = Buffer.allocUnsafe(Math.min(Math.max(length, 1), 8 * 1024 * 1024));
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fromFd, buf, 0, Math.min(buf.length, length - done), fromPos + done);
    if (n === 0) throw Object.assign(new Error('unexpected end of file while copying'), { code: 'EIO' });
    writeAllAt(toFd, [buf.subarray(0, n)], toPos + done);
    done += n;
  }
}

/** fsync a directory so a rename in it survives power loss. Windows (and some file systems) refuse; that is fine. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'EACCES') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const RENAME_RETRY_CODES = new Set(['EPERM', 'EBUSY', 'EACCES']);

/**
 * rename + directory fsync. On Windows a rename fails with EPERM/EBUSY while another program (an antivirus, an
 * indexer, `sqlite3`) has the target open; retry briefly, then fall back to copy + delete, which is not atomic but
 * leaves both files complete, a state load() handles.
 */
export function renameDurable(from: string, to: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(from, to);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!RENAME_RETRY_CODES.has(code) || process.platform !== 'win32') throw err;
      if (attempt < 6) {
        sleepSync(25 * 2 ** attempt);
        continue;
      }
      fs.copyFileSync(from, to);
      const fd = fs.openSync(to, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.unlinkSync(from);
      break;
    }
  }
  fsyncDir(path.dirname(to));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
