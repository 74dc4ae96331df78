import assert from 'node:assert/strict';
import { kmeans } from '../../src/engine/cluster/kmeans';
import { createRng, type Rng } from '../../src/engine/cluster/random';

// The oracle: the straightforward k-means++ seeding and Lloyd loop as they were before the bounds were added,
// copied verbatim except that it also reports whether a run hit the cases an accelerated version most easily gets
// wrong (a distance tie decided by index, a centre left with no points), so the test can check it exercised them.
function kmeansOracle(
  x: Float64Array,
  n: number,
  d: number,
  k: number,
  rng: Rng,
  maxIter = 100,
): { labels: Int32Array; ties: boolean; emptied: boolean } {
  let ties = false;
  let emptied = false;
  const centers = new Float64Array(k * d);
  const closest = new Float64Array(n);
  const distance = (i: number, from: Float64Array, p: number, bound: number): number => {
    let s = 0;
    const xi = i * d;
    const o = p * d;
    for (let j = 0; j < d; j++) {
      const t = x[xi + j] - from[o + j];
      s += t * t;
      if (s > bound) return s;
    }
    return s;
  };
  const first = rng.int(n);
  centers.set(x.subarray(first * d, first * d + d), 0);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = distance(i, centers, 0, Infinity);
    potential += closest[i];
  }
  const trials = 2 + Math.floor(Math.log(k));
  const candidateDist = new Float64Array(n);
  const bestDist = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let candidate: number;
      if (potential <= 0) {
        candidate = rng.int(n);
      } else {
        let target = rng.next() * potential;
        candidate = n - 1;
        for (let i = 0; i < n; i++) {
          target -= closest[i];
          if (target <= 0) {
            candidate = i;
            break;
          }
        }
      }
      let pot = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i], distance(i, x, candidate, closest[i]));
        candidateDist[i] = v;
        pot += v;
      }
      if (pot < bestPotential) {
        bestPotential = pot;
        bestCandidate = candidate;
        bestDist.set(candidateDist);
      }
    }
    centers.set(x.subarray(bestCandidate * d, bestCandidate * d + d), c * d);
    closest.set(bestDist);
    potential = bestPotential;
  }
  const labels = new Int32Array(n).fill(-1);
  const counts = new Float64Array(k);
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = labels[i] < 0 ? 0 : labels[i];
      let bestD = distance(i, centers, best, Infinity);
      for (let c = 0; c < k; c++) {
        if (c === best) continue;
        const v = distance(i, centers, c, bestD);
        if (v === bestD) ties = true;
        if (v < bestD || (v === bestD && c < best)) {
          bestD = v;
          best = c;
        }
      }
      if (labels[i] !== best) {
        labels[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
    centers.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < d; j++) centers[c * d + j] += x[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        emptied = true;
        continue;
      }
      for (let j = 0; j < d; j++) centers[c * d + j] /= counts[c];
    }
  }
  return { labels, ties, emptied };
}

type Shape = 'uniform' | 'blobs' | 'grid' | 'duplicates' | 'line';

/** Seeded n×d data of a given shape; `scale` multiplies every coordinate. */
function makeData(shape: Shape, n: number, d: number, seed: number, scale = 1): Float64Array {
  const rng = createRng(seed);
  const x = new Float64Array(n * d);
  if (shape === 'uniform') {
    for (let i = 0; i < n * d; i++) x[i] = rng.next() * 2 - 1;
  } else if (shape === 'blobs') {
    const blobs = 1 + rng.int(12);
    const centres = Array.from({ length: blobs * d }, () => rng.normal() * 4);
    const spread = 0.2 + rng.next();
    for (let i = 0; i < n; i++) {
      const b = rng.int(blobs);
      for (let j = 0; j < d; j++) x[i * d + j] = centres[b * d + j] + spread * rng.normal();
    }
  } else if (shape === 'grid') {
    // Small integers: squared distances are exact integers, so ties between centres are everywhere.
    for (let i = 0; i < n * d; i++) x[i] = rng.int(4);
  } else if (shape === 'duplicates') {
    // Few distinct rows, many copies: duplicate seeds, zero potential, emptied centres.
    const distinct = 1 + rng.int(6);
    const rows = Array.from({ length: distinct * d }, () => rng.normal());
    for (let i = 0; i < n; i++) {
      const r = rng.int(distinct);
      for (let j = 0; j < d; j++) x[i * d + j] = rows[r * d + j];
    }
  } else {
    // Evenly spaced points on a line: equal gaps, mirror-image ties.
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = j === 0 ? i : 0;
  }
  if (scale !== 1) for (let i = 0; i < n * d; i++) x[i] *= scale;
  return x;
}

interface Case {
  shape: Shape;
  n: number;
  d: number;
  k: number;
  maxIter: number;
  seed: number;
  scale: number;
}

/** Run both on the same data and seed; labels must match exactly, and so must the RNG's state afterwards. */
function compare(c: Case): { ties: boolean; emptied: boolean } {
  const x = makeData(c.shape, c.n, c.d, c.seed, c.scale);
  const rngFast = createRng(c.seed ^ 0x5bd1e995);
  const rngOracle = createRng(c.seed ^ 0x5bd1e995);
  const fast = kmeans(x, c.n, c.d, c.k, rngFast, c.maxIter);
  const oracle = kmeansOracle(x, c.n, c.d, c.k, rngOracle, c.maxIter);
  const where = JSON.stringify(c);
  assert.equal(fast.length, c.n, where);
  const firstDiff = fast.findIndex((v, i) => v !== oracle.labels[i]);
  assert.equal(firstDiff, -1, `label ${firstDiff} differs (${fast[firstDiff]} vs ${oracle.labels[firstDiff]}) for ${where}`);
  assert.equal(rngFast.next(), rngOracle.next(), `different number of RNG draws for ${where}`);
  return oracle;
}

function randomCases(count: number, seed: number, scale = 1): Case[] {
  const rng = createRng(seed);
  const shapes: Shape[] = ['uniform', 'blobs', 'grid', 'duplicates', 'line'];
  const maxIters = [1, 2, 3, 5, 30, 30, 30, 100];
  const cases: Case[] = [];
  for (let t = 0; t < count; t++) {
    const n = 1 + rng.int(rng.next() < 0.2 ? 12 : 320);
    const d = 1 + rng.int(rng.next() < 0.7 ? 12 : 40);
    // k anywhere from 1 to a little past n, often close to n.
    const k = rng.next() < 0.25 ? Math.max(1, n - rng.int(3)) + rng.int(2) : 1 + rng.int(Math.min(49, n + 1));
    cases.push({ shape: shapes[rng.int(shapes.length)], n, d, k, maxIter: maxIters[rng.int(maxIters.length)], seed: rng.int(2 ** 31), scale });
  }
  return cases;
}

describe('kmeans (bounded seeding and Elkan-style Lloyd) against the plain loops', function () {
  it('gives the same labels and RNG draws on 400 seeded inputs of every shape, n, d, k and iteration cap', function () {
    let ties = 0;
    let emptied = 0;
    for (const c of randomCases(400, 20240607)) {
      const seen = compare(c);
      if (seen.ties) ties++;
      if (seen.emptied) emptied++;
    }
    // The inputs must actually reach the tie rule and the emptied-centre rule, or the equality above proves little.
    assert.ok(ties >= 20, `only ${ties} runs had a distance tie`);
    assert.ok(emptied >= 5, `only ${emptied} runs emptied a centre`);
  });

  it('matches on the sizes the mixture fits use (10-dim blobs, n 50–1,000, k up to 49, 30 iterations)', function () {
    const cases: Case[] = [];
    for (const n of [50, 150, 300, 1000]) {
      for (const k of [2, 7, 20, 49]) {
        cases.push({ shape: 'blobs', n, d: 10, k: Math.min(k, n), maxIter: 30, seed: n * 100 + k, scale: 1 });
        cases.push({ shape: 'uniform', n, d: 10, k: Math.min(k, n), maxIter: 30, seed: n * 100 + k + 1, scale: 1 });
      }
    }
    for (const c of cases) compare(c);
  });

  it('matches at extreme scales: tiny (subnormal squares), huge, and with NaN (the plain path)', function () {
    for (const c of randomCases(40, 99, 1e-160)) compare(c);
    for (const c of randomCases(40, 98, 1e90)) compare(c);
    for (const c of randomCases(20, 97, 1e200)) compare(c);
    const x = makeData('blobs', 60, 3, 5);
    x[7] = NaN;
    const a = kmeans(x, 60, 3, 5, createRng(1), 30);
    const b = kmeansOracle(x, 60, 3, 5, createRng(1), 30).labels;
    assert.deepEqual(Array.from(a), Array.from(b));
  });

  it('returns all −1 labels when no iteration is allowed, after drawing the same seeds', function () {
    const x = makeData('blobs', 40, 4, 3);
    const r1 = createRng(8);
    const r2 = createRng(8);
    assert.deepEqual(Array.from(kmeans(x, 40, 4, 6, r1, 0)), new Array(40).fill(-1));
    kmeansOracle(x, 40, 4, 6, r2, 0);
    assert.equal(r1.next(), r2.next());
  });
});
