import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { raptorClusters } from '../../src/engine/cluster';
import { fitGmm, useWasmEm } from '../../src/engine/cluster/gmm';
import { createRng } from '../../src/engine/cluster/random';
import { gramJs, gramWasm, nearestNeighbors, nearestNeighborsJs, PairwiseSimilarity } from '../../src/engine/cluster/reduce';

/** n unit rows of dimension d, seeded. */
function unitRows(n: number, d: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += (data[i * d + t] = rng.normal()) ** 2;
    for (let t = 0; t < d; t++) data[i * d + t] /= Math.sqrt(s);
  }
  return data;
}

describe('Gram matrix kernel (WebAssembly SIMD)', () => {
  it('matches the JavaScript loop for sizes that are not multiples of the tile, and is exactly symmetric', () => {
    for (const [n, d] of [[1, 3], [2, 5], [7, 9], [66, 13], [130, 384], [257, 30]] as const) {
      const data = unitRows(n, d, n * 31 + d);
      const wasm = gramWasm(data, n, d);
      assert.ok(wasm, 'this Node has WebAssembly SIMD, so the kernel must load');
      const js = gramJs(data, n, d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const w: number = wasm.values[i * wasm.stride + j];
          assert.ok(Math.abs(w - js.values[i * js.stride + j]) < 2e-6, `n=${n} d=${d}: (${i}, ${j}) ${w} vs ${js.values[i * js.stride + j]}`);
          assert.equal(w, wasm.values[j * wasm.stride + i], `n=${n} d=${d}: symmetric at (${i}, ${j})`);
        }
        assert.equal(wasm.values[i * wasm.stride + i], 1);
      }
    }
  });

  it('gives the same values when its memory is reused after a larger call (stale padding must not leak in)', () => {
    for (const [n, d] of [[130, 384], [9, 7], [66, 13], [5, 2]] as const) {
      const data = unitRows(n, d, 5 * n + d);
      const wasm = gramWasm(data, n, d)!;
      const js = gramJs(data, n, d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) assert.ok(Math.abs(wasm.values[i * wasm.stride + j] - js.values[i * js.stride + j]) < 2e-6, `n=${n} d=${d}: (${i}, ${j})`);
      }
      wasm.release?.();
    }
  });

  it('finds the same neighbours block by block (inputs too large to cache) as the JavaScript search', () => {
    for (const [n, d, k] of [[7, 5, 3], [300, 64, 17], [517, 30, 10]] as const) {
      const data = unitRows(n, d, 3 * n + k);
      const wasm = nearestNeighbors(data, n, d, k);
      const js = nearestNeighborsJs(data, n, d, k);
      for (let e = 0; e < n * k; e++) {
        assert.ok(Math.abs(wasm.distances[e] - js.distances[e]) < 1e-5, `n=${n}: distance at ${e}`);
        if (wasm.indices[e] !== js.indices[e]) {
          // only a near-tie (float32 against float64 sums) may swap two neighbours
          const other = js.indices.indexOf(wasm.indices[e], e - (e % k));
          assert.ok(other >= 0 && Math.abs(js.distances[other] - js.distances[e]) < 1e-5, `n=${n}: neighbour at ${e}`);
        }
      }
    }
  });

  it('is what PairwiseSimilarity uses', () => {
    const data = unitRows(50, 16, 3);
    const sim = new PairwiseSimilarity(data, 50, 16);
    assert.equal(sim.stride, 52, 'rows padded to a multiple of 4 by the kernel');
  });

  it('ships bytes compiled from the current .wat sources', function () {
    this.timeout(60_000);
    // Exits non-zero (and the test fails) when a generated *Kernel.ts is older than its .wat source.
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-wasm.mjs'), '--check'], { stdio: 'pipe' });
  });
});

describe('E-step kernel (WebAssembly)', () => {
  afterEach(() => useWasmEm(true));

  /** n points in d dims around `centres` seeded centres. */
  function points(n: number, d: number, centres: number, seed: number): Float64Array {
    const rng = createRng(seed);
    const mu = Array.from({ length: centres * d }, () => 4 * rng.normal());
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) x[i * d + t] = mu[(i % centres) * d + t] + rng.normal();
    return x;
  }

  it('gives the same fit as the JavaScript E-step, bit for bit', () => {
    for (const [n, d, k, centres] of [[40, 2, 3, 3], [300, 10, 12, 8], [500, 10, 49, 20], [25, 10, 8, 25]] as const) {
      const x = points(n, d, centres, n + k);
      assert.ok(useWasmEm(true), 'this Node has WebAssembly, so the kernel must load');
      const wasm = fitGmm(x, n, d, k, 7);
      useWasmEm(false);
      const js = fitGmm(x, n, d, k, 7);
      assert.equal(wasm.bic, js.bic, `n=${n} k=${k}: BIC`);
      assert.deepEqual(wasm.means, js.means, `n=${n} k=${k}: means`);
      assert.deepEqual(wasm.resp, js.resp, `n=${n} k=${k}: posteriors`);
    }
  });

  it('leaves whole clusterings unchanged', () => {
    const rng = createRng(11);
    const centres = Array.from({ length: 6 }, () => Float32Array.from({ length: 48 }, () => rng.normal()));
    const embeddings = Array.from({ length: 240 }, (_, i) => Float32Array.from(centres[i % 6], (v) => v + 0.4 * rng.normal()));
    useWasmEm(true);
    const wasm = raptorClusters(embeddings, { seed: 224 });
    useWasmEm(false);
    assert.deepEqual(wasm, raptorClusters(embeddings, { seed: 224 }));
  });
});
