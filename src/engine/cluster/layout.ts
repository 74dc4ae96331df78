// UMAP's layout optimisation (McInnes et al. 2018, optimize_layout_euclidean), on typed arrays.
// Starting from the spectral embedding, it pulls graph neighbours together and pushes random pairs apart;
// that is what turns a smooth spectral map into the tight clumps the reference's mixtures then count.
import type { Rng } from './random';
import type { SparseGraph } from './reduce';

// a, b fitted by UMAP for its defaults min_dist = 0.1, spread = 1.
const A = 1.5769434603113077;
const B = 0.8950608781227859;
const NEGATIVE_SAMPLE_RATE = 5;

const clip = (v: number) => (v > 4 ? 4 : v < -4 ? -4 : v);

/** Optimise `embedding` (n×k row-major, modified in place) against the fuzzy graph for `epochs` epochs. */
export function optimizeLayout(graph: SparseGraph, embedding: Float64Array, n: number, k: number, epochs: number, rng: Rng): void {
  // Rescale each coordinate to [0, 10], as UMAP does before optimising.
  for (let c = 0; c < k; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, embedding[i * k + c]);
      hi = Math.max(hi, embedding[i * k + c]);
    }
    const span = hi - lo || 1;
    for (let i = 0; i < n; i++) embedding[i * k + c] = (10 * (embedding[i * k + c] - lo)) / span;
  }
  const { offsets, columns, weights } = graph;
  let maxWeight = 0;
  for (let p = 0; p < weights.length; p++) maxWeight = Math.max(maxWeight, weights[p]);
  // Edges too weak to be sampled even once in `epochs` are dropped, as UMAP does.
  const heads: number[] = [];
  const tails: number[] = [];
  const period: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      if (weights[p] < maxWeight / epochs) continue;
      heads.push(i);
      tails.push(columns[p]);
      period.push(maxWeight / weights[p]);
    }
  }
  const m = heads.length;
  const head = Int32Array.from(heads);
  const tail = Int32Array.from(tails);
  const epochsPerSample = Float64Array.from(period);
  const epochsPerNegative = epochsPerSample.map((e) => e / NEGATIVE_SAMPLE_RATE);
  const nextSample = Float64Array.from(epochsPerSample);
  const nextNegative = Float64Array.from(epochsPerNegative);
  const e = embedding;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const alpha = 1 - epoch / epochs;
    for (let s = 0; s < m; s++) {
      if (nextSample[s] > epoch) continue;
      const j = head[s] * k;
      const t = tail[s] * k;
      let d2 = 0;
      for (let c = 0; c < k; c++) {
        const diff = e[j + c] - e[t + c];
        d2 += diff * diff;
      }
      if (d2 > 0) {
        const pb = Math.pow(d2, B);
        const coeff = (-2 * A * B * (pb / d2)) / (A * pb + 1);
        for (let c = 0; c < k; c++) {
          const g = clip(coeff * (e[j + c] - e[t + c])) * alpha;
          e[j + c] += g;
          e[t + c] -= g;
        }
      }
      nextSample[s] += epochsPerSample[s];
      const negatives = Math.floor((epoch - nextNegative[s]) / epochsPerNegative[s]);
      for (let q = 0; q < negatives; q++) {
        const o = rng.int(n) * k;
        if (o === j) continue;
        let dn = 0;
        for (let c = 0; c < k; c++) {
          const diff = e[j + c] - e[o + c];
          dn += diff * diff;
        }
        if (dn > 0) {
          const coeff = (2 * B) / ((0.001 + dn) * (A * Math.pow(dn, B) + 1));
          for (let c = 0; c < k; c++) e[j + c] += clip(coeff * (e[j + c] - e[o + c])) * alpha;
        } else {
          for (let c = 0; c < k; c++) e[j + c] += 4 * alpha;
        }
      }
      nextNegative[s] += negatives * epochsPerNegative[s];
    }
  }
}
