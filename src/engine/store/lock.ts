// One writer per index. proper-lockfile gives an atomic, cross-platform lock (a `<db>.lock` directory whose mtime
// the holder refreshes); beside it an owner file says who holds it, so a second `raptor index` can say who is
// writing, and a lock left by a killed process on this machine is recovered at once instead of after the mtime
// goes stale.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { fsyncDir } from './persistence';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** What holds it, for people: e.g. "raptor index", "VS Code". */
  command: string;
}

export interface LockStatus extends LockOwner {
  /** False when the owner is known to be gone (same host, no such pid): the next writer will take the lock over. */
  live: boolean;
}

export class IndexLockedError extends Error {
  constructor(readonly owner: LockOwner | null) {
    super(
      owner
        ? `The index is being written by another process (pid ${owner.pid}${owner.host !== os.hostname() ? ` on ${owner.host}` : ''}, ${owner.command}, since ${formatSince(owner.startedAt)}). Use \`raptor status\` to watch it or \`raptor pause\` to pause it.`
        : 'The index is being written by another process. Use `raptor status` to watch it or `raptor pause` to pause it.',
    );
    this.name = 'IndexLockedError';
  }
}

export interface AcquireOptions {
  /** Shown to whoever finds the index locked. Defaults to this process's command line (e.g. "raptor index docs"). */
  command?: string;
  /**
   * Called if the lock is lost while held (its mtime could not be refreshed for `staleMs`, or another process
   * removed it). The holder should stop writing. Without a handler proper-lockfile would throw from a timer.
   */
  onCompromised?: (err: Error) => void;
  /** A lock not refreshed for this long is taken over even when its owner cannot be checked (another host). */
  staleMs?: number;
}

// Generous, because a synchronous sql.js export() of a big index blocks the timer that refreshes the mtime.
const DEFAULT_STALE_MS = 30_000;
const UPDATE_MS = 5_000;

export function lockPaths(dbPath: string): { lockDir: string; ownerFile: string } {
  const db = path.resolve(dbPath);
  return { lockDir: `${db}.lock`, ownerFile: `${db}.lock-owner.json` };
}

export class IndexLock {
  private released = false;
  private lost: Error | null = null;

  private constructor(
    readonly dbPath: string,
    readonly owner: LockOwner,
    private readonly unlock: () => void,
  ) {}

  /** Takes the lock or throws IndexLockedError. Synchronous underneath; async so callers can await either form. */
  static async acquire(dbPath: string, options: AcquireOptions = {}): Promise<IndexLock> {
    return IndexLock.acquireSync(dbPath, options);
  }

  static acquireSync(dbPath: string, options: AcquireOptions = {}): IndexLock {
    const db = path.resolve(dbPath);
    const { lockDir, ownerFile } = lockPaths(db);
    const owner: LockOwner = {
      pid: process.pid,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
      command: options.command ?? defaultCommand(),
    };
    let holder: IndexLock | undefined;
    for (let attempt = 0; ; attempt++) {
      if (fs.existsSync(lockDir)) {
        const current = readOwnerFile(ownerFile);
        // A live owner on this host keeps the lock even if its mtime went stale (a long synchronous step).
        if (current && isLive(current)) throw new IndexLockedError(current);
        if (current && !isLive(current)) removeStaleLock(lockDir, ownerFile);
      }
      try {
        const release = lockfile.lockSync(db, {
          lockfilePath: lockDir,
          realpath: false,
          stale: options.staleMs ?? DEFAULT_STALE_MS,
          update: UPDATE_MS,
          onCompromised: (err: Error) => {
            if (holder) holder.lost = err;
            options.onCompromised?.(err);
          },
        });
        holder = new IndexLock(db, owner, release);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
          const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
          throw Object.assign(new Error(`Cannot lock the index ${db} (${code}); check that you may write to ${path.dirname(db)}.`), { code });
        }
        // Another process took the lock between our check and our mkdir, or is between mkdir and writing its
        // owner file: look once more, then report it.
        if (attempt >= 2) throw new IndexLockedError(readOwnerFile(ownerFile));
        sleepSync(50);
      }
    }
    try {
      writeOwnerFile(ownerFile, owner);
    } catch (err) {
      holder.releaseSync();
      throw err;
    }
    return holder;
  }

  /** True once the lock was lost while held (see AcquireOptions.onCompromised). */
  get compromised(): boolean {
    return this.lost !== null;
  }

  async release(): Promise<void> {
    this.releaseSync();
  }

  /** Idempotent. The owner file goes first, so a crash in between leaves a lock with no owner, which goes stale. */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    const { ownerFile } = lockPaths(this.dbPath);
    const current = readOwnerFile(ownerFile);
    if (current && current.pid === this.owner.pid && current.startedAt === this.owner.startedAt) {
      try {
        fs.unlinkSync(ownerFile);
      } catch {
        // Gone already.
      }
    }
    if (this.lost) return; // Someone else may hold the lock now; removing it would break theirs.
    try {
      this.unlock();
    } catch {
      // ERELEASED / ENOTACQUIRED: it is not ours any more.
    }
  }
}

/** Who holds the index's lock, for `raptor status`; null when nobody does. */
export function readLockOwner(dbPath: string): LockStatus | null {
  const { lockDir, ownerFile } = lockPaths(dbPath);
  if (!fs.existsSync(lockDir)) return null;
  const owner = readOwnerFile(ownerFile);
  if (!owner) return null;
  return { ...owner, live: isLive(owner) };
}

function isLive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true; // cannot check; the mtime staleness rule covers it
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function removeStaleLock(lockDir: string, ownerFile: string): void {
  // Owner file first: if another process recovers the same stale lock at the same moment, at worst both remove
  // the dead lock and then only one wins proper-lockfile's mkdir.
  fs.rmSync(ownerFile, { force: true });
  fs.rmSync(lockDir, { recursive: true, force: true });
}

function readOwnerFile(ownerFile: string): LockOwner | null {
  let text: string;
  try {
    text = fs.readFileSync(ownerFile, 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string') return null;
    return {
      pid: v.pid,
      host: v.host,
      startedAt: typeof v.startedAt === 'string' ? v.startedAt : '',
      command: typeof v.command === 'string' ? v.command : 'unknown command',
    };
  } catch {
    return null;
  }
}

function writeOwnerFile(ownerFile: string, owner: LockOwner): void {
  // tmp + rename so a reader never sees half a file.
  const tmp = `${ownerFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(owner));
  fs.renameSync(tmp, ownerFile);
  fsyncDir(path.dirname(ownerFile));
}

function defaultCommand(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]).replace(/\.(c|m)?js$/, '') : 'node';
  const cmd = [script, ...process.argv.slice(2)].join(' ');
  return cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd;
}

function formatSince(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return 'an unknown time';
  const hhmm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return d.toDateString() === new Date().toDateString() ? hhmm : `${d.toISOString().slice(0, 10)} ${hhmm}`;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
