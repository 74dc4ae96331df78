// The worker-thread pool that builds documents with the embedded providers (the bundled dist/buildWorker.js).
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BuildPool } from '../../src/engine/tree/buildPool';
import { SOTU_DIR, shortestAddresses } from '../support/fakes';

const dist = path.join(__dirname, '..', '..', 'dist');
const config = { chunkTokens: 100, summaryMaxTokens: 120, clusterMaxTokens: 3500, maxLayers: 5, seed: 224 };

describe('build pool (worker threads)', function () {
  this.timeout(120_000);
  before(() => {
    if (!fs.existsSync(path.join(dist, 'buildWorker.js'))) {
      assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: path.join(dist, '..') }).status, 0);
    }
  });

  it('spreads concurrent documents over its workers and builds each one', async () => {
    const pool = BuildPool.create(2, dist)!;
    assert.ok(pool);
    try {
      const docs = shortestAddresses(6);
      const signal = new AbortController().signal;
      const trees = await Promise.all(docs.map((d) => pool.build({ absPath: path.join(SOTU_DIR, d), docPath: d, config }, signal)));
      assert.equal((pool as unknown as { slots: unknown[] }).slots.length, 2, 'both workers were used');
      for (const t of trees) {
        assert.ok(t.chunks > 0 && t.nodes.length > t.chunks);
        assert.ok(t.nodes[0].embedding instanceof Float32Array && t.nodes[0].embedding.length > 0);
      }
    } finally {
      await pool.close();
    }
  });

  it('settles every job promptly when aborted, including those waiting for a worker', async () => {
    const pool = BuildPool.create(2, dist)!;
    try {
      const docs = shortestAddresses(40).slice(-6);
      const controller = new AbortController();
      const jobs = docs.map((d) => pool.build({ absPath: path.join(SOTU_DIR, d), docPath: d, config }, controller.signal).then(() => 'done', (e: Error) => e.name));
      setTimeout(() => controller.abort(), 20);
      const t0 = Date.now();
      const outcomes = await Promise.race([Promise.all(jobs), new Promise<string[]>((r) => setTimeout(() => r(['HANG']), 20_000))]);
      assert.notDeepEqual(outcomes, ['HANG'], 'some jobs never settled');
      assert.ok(outcomes.includes('AbortError'), outcomes.join(','));
      assert.ok(Date.now() - t0 < 20_000);
    } finally {
      await pool.close();
    }
  });

  it('fails a job whose document cannot be read, with the reader’s error, and keeps working', async () => {
    const pool = BuildPool.create(1, dist)!;
    try {
      const signal = new AbortController().signal;
      await assert.rejects(pool.build({ absPath: path.join(dist, 'nope.pdf'), docPath: 'nope.pdf', config }, signal), (e: Error) => {
        assert.equal(e.name, 'DocumentReadError');
        return true;
      });
      const d = shortestAddresses(1)[0];
      const t = await pool.build({ absPath: path.join(SOTU_DIR, d), docPath: d, config }, signal);
      assert.ok(t.nodes.length > 0);
    } finally {
      await pool.close();
    }
  });
});
