// The whole State of the Union corpus (233 addresses, 10.7 MB) with the embedded defaults, through the CLI:
// every document completes with a multi-layer tree, and retrieval finds the address that answers a question.
// Reports hit@5 over the committed question set (test/fixtures/sotu-questions.json).
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RaptorIndex } from '../../src/engine/raptorIndex';
import { SOTU_DIR, sotuFiles, rmrf } from '../support/fakes';

const repo = path.join(__dirname, '..', '..');
const questions = (JSON.parse(fs.readFileSync(path.join(repo, 'test', 'fixtures', 'sotu-questions.json'), 'utf8')) as {
  questions: { q: string; years: number[] }[];
}).questions;

describe('sotu: the whole State of the Union corpus', function () {
  this.timeout(600_000);
  let root = '';
  let index: RaptorIndex;
  before(function () {
    if (!fs.existsSync(path.join(repo, 'dist', 'cli.js'))) assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: repo }).status, 0);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-sotu-'));
    for (const f of sotuFiles()) fs.copyFileSync(path.join(SOTU_DIR, f), path.join(root, f));
  });
  after(async () => {
    await index?.close();
    rmrf(root);
  });

  it('indexes all 233 addresses with multi-layer trees (raptor index, embedded defaults)', async () => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'raptor.js'), 'index', root], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    console.log(`      indexed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const s = JSON.parse(spawnSync(process.execPath, [path.join(repo, 'bin', 'raptor.js'), 'status', root, '--json'], { encoding: 'utf8' }).stdout);
    assert.equal(s.status, 'completed');
    assert.equal(s.total_documents, 233);
    assert.equal(s.completed_documents, 233);
    assert.equal(s.failed_documents, 0);
    for (const d of s.documents) assert.ok(d.layers >= 2, `${d.path}: ${d.layers} layers`);
  });

  it('finds the right address for questions about well-known events (reports hit@5)', async () => {
    index = await RaptorIndex.open({ root, readOnly: true });
    let hits = 0;
    const misses: string[] = [];
    for (const q of questions) {
      const res = await index.query(q.q, { topK: 5 });
      if (res.some((h) => q.years.includes(Number(h.doc.slice(0, 4))))) hits++;
      else misses.push(`${q.q} → ${res.map((h) => h.doc.slice(0, 4)).join(',')}`);
    }
    const hitAt5 = hits / questions.length;
    console.log(`      hit@5 = ${hitAt5.toFixed(3)} (${hits}/${questions.length})`);
    for (const m of misses) console.log(`        miss: ${m}`);
    // The embedded embedder is a hashing model, not a neural one: well above chance (5/233 ≈ 0.02), not perfect.
    assert.ok(hitAt5 >= 0.5, `hit@5 ${hitAt5}`);
    // Questions about well-known events find the answering address among the first five.
    for (const [q, doc] of [
      ['The Japanese attack on Pearl Harbor', '1942_franklin_d_roosevelt_d.txt'],
      ['an axis of evil arming to threaten the peace of the world', '2002_george_w_bush_r.txt'],
    ]) {
      const top = await index.query(q, { topK: 5 });
      assert.ok(top.some((h) => h.doc === doc), `${q} → ${top.map((h) => h.doc).join(', ')}`);
    }
  });
});
