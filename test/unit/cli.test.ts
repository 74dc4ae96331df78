// The `raptor` CLI as a user runs it: a real child process on the bundled CLI (dist/cli.js).
import { strict as assert } from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeCorpus, rmrf, shortestAddresses } from '../support/fakes';

const repo = path.join(__dirname, '..', '..');
const bin = path.join(repo, 'bin', 'raptor.js');

function raptor(args: string[], opts: { cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: opts.cwd ?? repo, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start `raptor index` and resolve when `predicate` matches its output so far. */
function startIndex(args: string[]): { child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms?: number) => Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'index', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (re: RegExp, ms = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (re.test(out)) {
          listeners.delete(check);
          clearTimeout(t);
          resolve();
        }
      };
      const t = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${re} in:\n${out}`));
      }, ms);
      listeners.add(check);
      check();
    });
  return { child, output: () => out, waitFor, exited };
}

function assertOneCleanSentence(stderr: string) {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], /^raptor: /);
  assert.ok(!/\bat .+:\d+:\d+/.test(stderr), 'no stack trace');
}

describe('cli: raptor', function () {
  this.timeout(240_000);
  const dirs: string[] = [];
  const corpus = (...a: Parameters<typeof makeCorpus>) => {
    const d = makeCorpus(...a);
    dirs.push(d);
    return d;
  };
  before(() => {
    if (!fs.existsSync(path.join(repo, 'dist', 'cli.js'))) {
      const r = spawnSync(process.execPath, [path.join(repo, 'esbuild.js')], { cwd: repo, stdio: 'inherit' });
      assert.equal(r.status, 0, 'build failed');
    }
  });
  after(() => dirs.splice(0).forEach(rmrf));

  it('prints help and exits 0', () => {
    const r = raptor(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /index/);
    assert.match(r.stdout, /retry-failed/);
  });

  it('bad input: one clear sentence, exit 2, never a stack trace, never a damaged database', () => {
    let r = raptor(['index', '/definitely/not/here']);
    assert.equal(r.code, 2);
    assertOneCleanSentence(r.stderr);
    assert.match(r.stderr, /does not exist/);

    const root = corpus(['1790_george_washington_n.txt']);
    r = raptor(['index', root, '--concurrency', 'lots']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--concurrency/);

    r = raptor(['index', root, '--summarizer', 'gpt5']);
    assert.equal(r.code, 2);
    assertOneCleanSentence(r.stderr);
    assert.match(r.stderr, /summarizer/);

    r = raptor(['status', root]);
    assert.equal(r.code, 2);
    assertOneCleanSentence(r.stderr);
    assert.match(r.stderr, /no index/i);

    const bad = path.join(root, 'garbage.db');
    const bytes = Buffer.from('SQLite format 3\u0000'.padEnd(4096, 'x'));
    fs.writeFileSync(bad, bytes);
    for (const args of [['status', '--db', bad], ['index', root, '--db', bad]]) {
      r = raptor(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneCleanSentence(r.stderr);
      assert.deepEqual(fs.readFileSync(bad), bytes, 'the database was not modified');
    }
  });

  it('index, status --json, query --json and export speak the documented formats', () => {
    const docs = shortestAddresses(3);
    const root = corpus(docs, { 'bad.pdf': 'not a pdf' });
    let r = raptor(['index', root, '--max-retries', '0']);
    assert.equal(r.code, 3, `exit code for "done with failed documents"; stderr:\n${r.stderr}`);
    r = raptor(['status', root, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    for (const k of ['task_id', 'status', 'total_documents', 'completed_documents', 'failed_documents', 'pending_documents', 'progress', 'token_count', 'started_at', 'paused_at', 'resumed_at', 'completed_at', 'documents']) {
      assert.ok(k in s, `status --json has ${k}`);
    }
    assert.equal(s.status, 'completed');
    assert.equal(s.total_documents, 4);
    assert.equal(s.completed_documents, 3);
    assert.equal(s.failed_documents, 1);
    assert.deepEqual(Object.keys(s.token_count).sort(), ['completion', 'embedding', 'prompt', 'total']);
    const doc = s.documents.find((d: { path: string }) => d.path === 'bad.pdf');
    assert.equal(doc.state, 'failed');
    assert.match(doc.error, /bad\.pdf/);
    for (const k of ['path', 'state', 'retry_count', 'error', 'token_count', 'chunks', 'nodes', 'layers', 'started_at', 'completed_at']) assert.ok(k in doc, k);

    r = raptor(['query', 'the militia and the defence of the frontiers', root, '--json', '--top-k', '4']);
    assert.equal(r.code, 0, r.stderr);
    const hits = JSON.parse(r.stdout);
    assert.equal(hits.length, 4);
    for (const h of hits) assert.deepEqual(Object.keys(h).sort(), ['doc', 'id', 'layer', 'score', 'text']);

    r = raptor(['export', root]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length > 20);
    for (const n of lines) assert.deepEqual(Object.keys(n).sort(), ['children', 'doc', 'id', 'layer', 'text', 'token_count']);
    assert.ok(lines.some((n) => n.layer >= 1 && n.children.length > 0));

    // A reader that goes away early (`| head`) is not an error.
    const piped = spawnSync('bash', ['-c', `node ${JSON.stringify(bin)} export ${JSON.stringify(root)} | head -1`], { encoding: 'utf8' });
    assert.equal(piped.status, 0);
    assert.equal(piped.stderr, '');
    assert.equal(piped.stdout.trim().split('\n').length, 1);

    // Human status: a table with every document.
    r = raptor(['status', root]);
    for (const d of docs) assert.ok(r.stdout.includes(d.slice(0, 20)));
  });

  it('resumes after SIGKILL mid-run and ends with exactly the trees of an uninterrupted run', async () => {
    const docs = shortestAddresses(14);
    const reference = corpus(docs);
    let r = raptor(['index', reference, '--concurrency', '1']);
    assert.equal(r.code, 0, r.stderr);
    const expected = raptor(['export', reference]).stdout;

    const root = corpus(docs);
    const run = startIndex([root, '--concurrency', '1']);
    await run.waitFor(/^done .*\n(.|\n)*^done /m); // two documents finished
    run.child.kill('SIGKILL');
    await run.exited;
    const doneBeforeKill = [...run.output().matchAll(/^done (.+)$/gm)].map((m) => m[1]);
    const mid = JSON.parse(raptor(['status', root, '--json']).stdout);
    assert.equal(mid.status, 'paused', 'a killed run reads as interrupted (paused), not running forever');
    assert.match(mid.message, /Interrupted/);
    assert.ok(mid.completed_documents >= 2 && mid.completed_documents < docs.length, `completed at kill: ${mid.completed_documents}`);
    for (const p of doneBeforeKill) assert.equal(mid.documents.find((d: { path: string }) => d.path === p).state, 'completed', `${p} survived the kill`);

    r = raptor(['index', root, '--concurrency', '1']);
    assert.equal(r.code, 0, r.stderr);
    const redone = [...r.stderr.matchAll(/^done (.+)$/gm)].map((m) => m[1]);
    for (const p of doneBeforeKill) assert.ok(!redone.includes(p), `${p} was indexed again after resume`);
    assert.equal(redone.length + mid.completed_documents, docs.length);
    assert.equal(raptor(['export', root]).stdout, expected);
  });

  it('`raptor pause` from another terminal reaches a running index, which exits with the paused code', async () => {
    const docs = shortestAddresses(30);
    const root = corpus(docs);
    const run = startIndex([root, '--concurrency', '1']);
    await run.waitFor(/^done /m);
    const asked = Date.now();
    const p = raptor(['pause', root]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Asked the running indexer to pause/);
    const code = await run.exited;
    const tookMs = Date.now() - asked;
    assert.equal(code, 4, run.output());
    assert.ok(tookMs < 10_000, `paused after ${tookMs} ms`);
    assert.match(run.output(), /Paused: .*raptor index/);
    const s = JSON.parse(raptor(['status', root, '--json']).stdout);
    assert.equal(s.status, 'paused');
    assert.ok(s.completed_documents < docs.length);
    // Running it again resumes to the end.
    const r = raptor(['resume', root]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(raptor(['status', root, '--json']).stdout).completed_documents, docs.length);
  });

  it('SIGINT pauses cleanly and says how to resume; a second writer is refused while the first runs', async () => {
    const root = corpus(shortestAddresses(30));
    const run = startIndex([root, '--concurrency', '1']);
    await run.waitFor(/^done /m);
    const second = raptor(['index', root]);
    assert.equal(second.code, 2);
    assertOneCleanSentence(second.stderr);
    assert.match(second.stderr, /another process/i);
    run.child.kill('SIGINT');
    const code = await run.exited;
    assert.equal(code, 4);
    assert.match(run.output(), /Paused/);
    assert.match(run.output(), /raptor index/);
    assert.equal(JSON.parse(raptor(['status', root, '--json']).stdout).status, 'paused');
  });
});
