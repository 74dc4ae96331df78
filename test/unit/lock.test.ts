import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IndexLock, IndexLockedError, lockPaths, readLockOwner } from '../../src/engine/store/lock';

const dirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-lock-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const REPO = path.resolve(__dirname, '../..');
const LOCK_MODULE = path.resolve(__dirname, '../../src/engine/store/lock');

/** A real second process that takes the lock, says so, and holds it until told to release or is killed. */
function startHolder(dbPath: string): Promise<{ child: ChildProcessWithoutNullStreams; exited: Promise<number | null> }> {
  const script = path.join(tmpDir(), 'holder.ts');
  fs.writeFileSync(
    script,
    `import { IndexLock } from ${JSON.stringify(LOCK_MODULE)};
const lock = IndexLock.acquireSync(process.argv[2]!, { command: 'raptor index' });
console.log('locked');
process.stdin.on('data', () => { lock.releaseSync(); console.log('released'); process.exit(0); });`,
  );
  // node --import tsx (not the tsx wrapper) so the pid we hold is the process that holds the lock.
  const child = spawn(process.execPath, ['--import', 'tsx', script, dbPath], { stdio: 'pipe', cwd: REPO });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('locked')) resolve({ child, exited });
    });
    child.on('exit', (code) => reject(new Error(`holder exited early (${code}): ${err}`)));
  });
}

describe('IndexLock', () => {
  it('records its owner, refuses a second writer with a message naming the owner, and frees on release', async () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    assert.equal(readLockOwner(dbPath), null);
    const lock = await IndexLock.acquire(dbPath, { command: 'raptor index' });
    const owner = readLockOwner(dbPath);
    assert.equal(owner?.pid, process.pid);
    assert.equal(owner?.host, os.hostname());
    assert.equal(owner?.command, 'raptor index');
    assert.equal(owner?.live, true);
    await assert.rejects(IndexLock.acquire(dbPath), (e: unknown) => {
      assert.ok(e instanceof IndexLockedError);
      assert.match(e.message, new RegExp(`^The index is being written by another process \\(pid ${process.pid}, raptor index, since \\d\\d:\\d\\d\\)\\. Use \`raptor status\``));
      return true;
    });
    await lock.release();
    await lock.release(); // idempotent
    assert.equal(readLockOwner(dbPath), null);
    assert.ok(!fs.existsSync(lockPaths(dbPath).lockDir));
    const again = IndexLock.acquireSync(dbPath);
    again.releaseSync();
  });

  it('is exclusive between two real processes, and free again once the holder releases', async () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    const { child, exited } = await startHolder(dbPath);
    try {
      assert.throws(
        () => IndexLock.acquireSync(dbPath),
        (e: unknown) => e instanceof IndexLockedError && e.owner?.pid === child.pid && /raptor index/.test(e.message),
      );
      assert.equal(readLockOwner(dbPath)?.pid, child.pid);
      child.stdin.write('release\n');
      assert.equal(await exited, 0);
      const lock = IndexLock.acquireSync(dbPath);
      assert.equal(readLockOwner(dbPath)?.pid, process.pid);
      lock.releaseSync();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('recovers at once from a lock left by a SIGKILLed owner on this host', async () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    const { child, exited } = await startHolder(dbPath);
    child.kill('SIGKILL');
    await exited;
    assert.ok(fs.existsSync(lockPaths(dbPath).lockDir), 'SIGKILL leaves the lock behind');
    const left = readLockOwner(dbPath);
    assert.equal(left?.pid, child.pid);
    assert.equal(left?.live, false, 'status can tell the owner is gone');
    const lock = IndexLock.acquireSync(dbPath, { command: 'raptor index --resume' });
    assert.equal(readLockOwner(dbPath)?.pid, process.pid);
    assert.equal(readLockOwner(dbPath)?.command, 'raptor index --resume');
    lock.releaseSync();
  });

  it('reports a lock held on another host without touching it', () => {
    const dbPath = path.join(tmpDir(), 'index.db');
    const { lockDir, ownerFile } = lockPaths(dbPath);
    fs.mkdirSync(lockDir);
    fs.writeFileSync(ownerFile, JSON.stringify({ pid: 999999, host: 'elsewhere', startedAt: new Date().toISOString(), command: 'raptor index' }));
    assert.throws(() => IndexLock.acquireSync(dbPath), /pid 999999 on elsewhere, raptor index/);
    assert.ok(fs.existsSync(lockDir));
  });
});
