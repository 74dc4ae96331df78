import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createRng } from '../../src/engine/cluster/random';
import { gramJs, gramWasm, PairwiseSimilarity } from '../../src/engine/cluster/reduce';

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

  it('is what PairwiseSimilarity uses', () => {
    const data = unitRows(50, 16, 3);
    const sim = new PairwiseSimilarity(data, 50, 16);
    assert.equal(sim.stride, 52, 'rows padded to a multiple of 4 by the kernel');
  });

  it('ships bytes compiled from the current gram.wat', function () {
    this.timeout(60_000);
    // Exits non-zero (and the test fails) when src/engine/cluster/gramKernel.ts is older than the .wat source.
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-wasm.mjs'), '--check'], { stdio: 'pipe' });
  });
});
