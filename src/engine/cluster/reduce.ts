// Dimension reduction before the mixture fits.
//
// The reference uses UMAP (cosine). UMAP's own first step is a spectral embedding of its fuzzy k-nearest-
// neighbour graph; its long SGD layout phase afterwards is what makes it slow (umap-js: ~7 s at 1,000 points)
// and mostly sharpens clumps the spectral embedding already separates. So `spectral` builds the same graph
// (same n_neighbors, same smooth-kNN weights, same fuzzy union) and stops at the spectral embedding, in
// random-walk-normalised coordinates, which is what makes a Gaussian mixture on it behave like spectral clustering.
// `pca` (linear, cheapest) is kept for comparison and as the fallback for tiny inputs.
import { throwIfAborted } from '../ports';
import { GRAM_WASM_BASE64 } from './gramKernel';
import { topTridiagonalEigen } from './linalg';
import { KernelPool, type KernelLease } from './wasmPool';
import { optimizeLayout } from './layout';
import { pcaScores } from './pca';
import { createRng, type Rng } from './random';

export type ReductionMethod = 'umap' | 'spectral' | 'pca';

export interface ReduceOptions {
  method: ReductionMethod;
  /** Neighbourhood size of the kNN graph (UMAP's n_neighbors). */
  neighbors: number;
  seed: number;
  signal?: AbortSignal;
  /** Layout epochs for `umap`. */
  epochs?: number;
  /** Precomputed cosine similarities of these rows (see PairwiseSimilarity); saves the O(n²d) neighbour search. */
  similarity?: RowSimilarity;
}

/**
 * Dot products of all pairs of a set of unit rows, computed once per clustering call and shared by the global
 * pass, every local pass and every re-clustering below it (they all search neighbours among subsets of the same
 * rows). Float32 storage halves the memory; cosine distances need nowhere near double precision.
 */
export class PairwiseSimilarity {
  /** Pair (i, j) is at values[i * stride + j]. */
  readonly values: Float32Array;
  readonly stride: number;
  constructor(
    data: Float64Array,
    readonly n: number,
    d: number,
  ) {
    const gram = gramWasm(data, n, d) ?? gramJs(data, n, d);
    ({ values: this.values, stride: this.stride } = gram);
    this.releaseMemory = gram.release;
  }

  private readonly releaseMemory?: () => void;

  /** Done with these similarities: their memory may be reused (nothing may read them afterwards). */
  release(): void {
    this.releaseMemory?.();
  }

  /** The similarities restricted to `rows` (indices into this matrix), in that order. */
  of(rows: ArrayLike<number>): RowSimilarity {
    return { matrix: this, rows };
  }
}

/**
 * The Gram matrix with the SIMD kernel in gram.wat (~8× the loop below); undefined where WebAssembly SIMD is
 * unavailable. The values live in a pooled memory until the caller releases them.
 */
export function gramWasm(data: Float64Array, n: number, d: number): Gram | undefined {
  const n4 = Math.ceil(n / 4) * 4;
  const packed = leaseRows(data, n, d, n4 * n4 * 4);
  if (!packed) return undefined;
  const { lease, d4, rowsBytes } = packed;
  const gramBlock = lease.exports.gramBlock as (data: number, n: number, d: number, out: number, j0: number) => void;
  for (let j0 = 0; j0 < n4; j0 += 64) gramBlock(0, n4, d4, rowsBytes, j0);
  const values = new Float32Array(lease.memory.buffer, rowsBytes, n4 * n4);
  for (let i = 0; i < n; i++) values[i * n4 + i] = 1;
  return { values, stride: n4, release: lease.release };
}

const gramKernels = new KernelPool(GRAM_WASM_BASE64);

/**
 * A gram.wat instance whose memory holds the n×d rows as float32, zero-padded to multiples of 4 rows and columns
 * (a reused memory holds the last call's numbers, and the padding must be zero), with `extraBytes` after them.
 */
function leaseRows(data: Float64Array, n: number, d: number, extraBytes: number): { lease: KernelLease; d4: number; rowsBytes: number } | undefined {
  const n4 = Math.ceil(n / 4) * 4;
  const d4 = Math.ceil(d / 4) * 4;
  const rowsBytes = n4 * d4 * 4;
  const lease = gramKernels.lease(rowsBytes + extraBytes);
  if (!lease) return undefined;
  const rows = new Float32Array(lease.memory.buffer, 0, n4 * d4);
  rows.fill(0);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) rows[i * d4 + t] = data[i * d + t];
  return { lease, d4, rowsBytes };
}

/** The Gram matrix in plain JavaScript (float64 sums stored as float32). */
export function gramJs(data: Float64Array, n: number, d: number): Gram {
  const values = new Float32Array(n * n);
  // Register-tiled: 2 rows × 4 rows at a time (8 accumulators, 6 loads per 8 multiply-adds), over column
  // blocks that stay in cache. Each unordered pair is summed in the same order whichever tile computes it.
  const BLOCK = 64;
  for (let j0 = 0; j0 < n; j0 += BLOCK) {
    const j1 = Math.min(n, j0 + BLOCK);
    for (let i = 0; i < j1; i += 2) {
      const i2 = Math.min(i + 1, n - 1);
      const oa = i * d;
      const ob = i2 * d;
      let j = Math.max(j0, i - (i % 4));
      for (; j + 3 < j1; j += 4) {
        const o0 = j * d;
        const o1 = o0 + d;
        const o2 = o1 + d;
        const o3 = o2 + d;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0; // prettier-ignore
        for (let t = 0; t < d; t++) {
          const xa = data[oa + t];
          const xb = data[ob + t];
          const y0 = data[o0 + t];
          const y1 = data[o1 + t];
          const y2 = data[o2 + t];
          const y3 = data[o3 + t];
          a0 += xa * y0;
          a1 += xa * y1;
          a2 += xa * y2;
          a3 += xa * y3;
          b0 += xb * y0;
          b1 += xb * y1;
          b2 += xb * y2;
          b3 += xb * y3;
        }
        store(values, n, i, j, a0, a1, a2, a3);
        if (i2 !== i) store(values, n, i2, j, b0, b1, b2, b3);
      }
      for (; j < j1; j++) {
        const oj = j * d;
        let a = 0;
        let b = 0;
        for (let t = 0; t < d; t++) {
          a += data[oa + t] * data[oj + t];
          b += data[ob + t] * data[oj + t];
        }
        values[i * n + j] = a;
        values[j * n + i] = a;
        if (i2 !== i) {
          values[i2 * n + j] = b;
          values[j * n + i2] = b;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) values[i * n + i] = 1;
  return { values, stride: n };
}

/** A Gram matrix, row-major with `stride` floats per row (the WebAssembly one pads rows to a multiple of 4). */
export interface Gram {
  values: Float32Array;
  stride: number;
  /** Where the values live in a pooled WebAssembly memory: hands it back (the values must not be used after). */
  release?: () => void;
}

export interface RowSimilarity {
  matrix: PairwiseSimilarity;
  rows: ArrayLike<number>;
}

function store(values: Float32Array, n: number, i: number, j: number, v0: number, v1: number, v2: number, v3: number): void {
  values[i * n + j] = v0;
  values[j * n + i] = v0;
  values[i * n + j + 1] = v1;
  values[(j + 1) * n + i] = v1;
  values[i * n + j + 2] = v2;
  values[(j + 2) * n + i] = v2;
  values[i * n + j + 3] = v3;
  values[(j + 3) * n + i] = v3;
}

/** Largest input for which the pairwise matrix is cached (4,096² float32 = 64 MiB). */
export const MAX_CACHED_SIMILARITY_ROWS = 4096;

/** Reduce n×d unit rows (row-major) to n×k. */
export function reduceDimension(data: Float64Array, n: number, d: number, k: number, opts: ReduceOptions): Float64Array {
  const rng = createRng(opts.seed);
  if (opts.method === 'pca' || n <= k + 2) return pcaScores(data, n, d, k, rng);
  throwIfAborted(opts.signal);
  const neighbors = Math.min(opts.neighbors, n - 1);
  const knn = opts.similarity ? nearestNeighborsFromSimilarity(opts.similarity, neighbors) : nearestNeighbors(data, n, d, neighbors);
  const graph = fuzzySimplicialSet(knn.indices, knn.distances, n, neighbors);
  throwIfAborted(opts.signal);
  const embedding = spectralLayout(data, graph, n, d, k, rng);
  if (opts.method === 'spectral') return embedding;
  throwIfAborted(opts.signal);
  optimizeLayout(graph, embedding, n, k, opts.epochs ?? 200, rng);
  return embedding;
}

/** Symmetric sparse graph in CSR form. */
export interface SparseGraph {
  offsets: Int32Array;
  columns: Int32Array;
  weights: Float64Array;
}

/** Exact k nearest neighbours by cosine distance (rows are unit vectors), excluding the point itself. */
export function nearestNeighbors(data: Float64Array, n: number, d: number, k: number): NeighborLists {
  return nearestNeighborsWasm(data, n, d, k) ?? nearestNeighborsJs(data, n, d, k);
}

/** Rows of the Gram matrix computed at a time when it is too large to keep whole (256 × 6,000 floats = 6 MB). */
const KNN_BLOCK_ROWS = 256;

/**
 * nearestNeighbors with the similarities from gram.wat, a block of rows at a time (inputs above
 * MAX_CACHED_SIMILARITY_ROWS: 6,000 rows of 384 took 12 s in the loop below, 1 s here). Float32 sums, as the cached
 * matrix; each row's candidates arrive in index order, so ties resolve as in the loop below.
 */
function nearestNeighborsWasm(data: Float64Array, n: number, d: number, k: number): NeighborLists | undefined {
  const n4 = Math.ceil(n / 4) * 4;
  const block = Math.min(KNN_BLOCK_ROWS, n4);
  const packed = leaseRows(data, n, d, block * n4 * 4);
  if (!packed) return undefined;
  const { lease, d4, rowsBytes } = packed;
  try {
    const gramRows = lease.exports.gramRows as (data: number, n: number, d: number, out: number, i0: number, rows: number, j0: number, j1: number) => void;
    const out = new Float32Array(lease.memory.buffer, rowsBytes, block * n4);
    const lists = new NeighborLists(n, k);
    const columns = Int32Array.from({ length: n }, (_, j) => j);
    for (let i0 = 0; i0 < n; i0 += block) {
      const count = Math.min(block, n4 - i0);
      for (let j0 = 0; j0 < n4; j0 += 64) gramRows(0, n4, d4, rowsBytes, i0, count, j0, Math.min(j0 + 64, n4));
      for (let r = 0; r < count && i0 + r < n; r++) lists.offerRow(i0 + r, out, r * n4, columns);
    }
    return lists;
  } finally {
    lease.release();
  }
}

/** nearestNeighbors in plain JavaScript (float64 sums), where WebAssembly SIMD is unavailable. */
export function nearestNeighborsJs(data: Float64Array, n: number, d: number, k: number): NeighborLists {
  const lists = new NeighborLists(n, k);
  // Blocked over j so a block of rows stays in cache while every i streams past it.
  const BLOCK = 256;
  for (let j0 = 0; j0 < n; j0 += BLOCK) {
    const j1 = Math.min(n, j0 + BLOCK);
    for (let i = 0; i < j1; i++) {
      const oi = i * d;
      for (let j = Math.max(j0, i + 1); j < j1; j++) {
        const oj = j * d;
        let dot = 0;
        for (let t = 0; t < d; t++) dot += data[oi + t] * data[oj + t];
        const dist = Math.max(0, 1 - dot);
        lists.insert(i, j, dist);
        lists.insert(j, i, dist);
      }
    }
  }
  return lists;
}

/** nearestNeighbors over a subset of rows whose pairwise similarities are already known. */
export function nearestNeighborsFromSimilarity(similarity: RowSimilarity, k: number): NeighborLists {
  const { rows, matrix } = similarity;
  const n = rows.length;
  const lists = new NeighborLists(n, k);
  const { values, stride } = matrix;
  // Row by row over the whole (symmetric) matrix: each row's candidates arrive in index order, as they did when
  // each pair was offered to both rows.
  for (let i = 0; i < n; i++) lists.offerRow(i, values, rows[i] * stride, rows);
  return lists;
}

/** Per-row top-k neighbour lists, n×k row-major, each sorted by distance then index (so visit order doesn't matter). */
export class NeighborLists {
  readonly indices: Int32Array;
  readonly distances: Float64Array;
  constructor(
    n: number,
    private readonly k: number,
  ) {
    this.indices = new Int32Array(n * k).fill(-1);
    this.distances = new Float64Array(n * k).fill(Infinity);
  }

  /**
   * Offer row i every other row j, in index order, at cosine distance 1 − similarities[base + columns[j]]; most are
   * turned away by one comparison with the row's current worst.
   */
  offerRow(i: number, similarities: Float32Array, base: number, columns: ArrayLike<number>): void {
    const last = i * this.k + this.k - 1;
    const { distances } = this;
    for (let j = 0; j < columns.length; j++) {
      if (j === i) continue;
      const dist = Math.max(0, 1 - similarities[base + columns[j]]);
      if (dist < distances[last]) this.insert(i, j, dist);
    }
  }

  insert(i: number, j: number, dist: number): void {
    const { k, distances, indices } = this;
    const base = i * k;
    if (dist >= distances[base + k - 1]) return;
    let p = k - 1;
    while (p > 0 && (distances[base + p - 1] > dist || (distances[base + p - 1] === dist && indices[base + p - 1] > j))) {
      distances[base + p] = distances[base + p - 1];
      indices[base + p] = indices[base + p - 1];
      p--;
    }
    distances[base + p] = dist;
    indices[base + p] = j;
  }
}

/**
 * UMAP's fuzzy simplicial set: per point, distances shifted by the nearest one (rho) and scaled (sigma) so the
 * memberships sum to log2(k); then the fuzzy union A + Aᵀ − A∘Aᵀ.
 */
export function fuzzyKnnGraph(data: Float64Array, n: number, d: number, k: number): SparseGraph {
  const { indices, distances } = nearestNeighbors(data, n, d, k);
  return fuzzySimplicialSet(indices, distances, n, k);
}

/** fuzzyKnnGraph from neighbour lists already found. */
export function fuzzySimplicialSet(indices: Int32Array, distances: Float64Array, n: number, k: number): SparseGraph {
  const target = Math.log2(k + 1); // UMAP counts the point itself among its n_neighbors
  const membership = new Float64Array(n * k); // directed memberships, aligned with `indices`
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let rho = 0;
    for (let t = 0; t < k; t++) {
      if (distances[base + t] > 0) {
        rho = distances[base + t];
        break;
      }
    }
    let lo = 0;
    let hi = Infinity;
    let sigma = 1;
    for (let it = 0; it < 64; it++) {
      let sum = 0;
      for (let t = 0; t < k; t++) {
        const gap = distances[base + t] - rho;
        sum += gap > 0 ? Math.exp(-gap / sigma) : 1;
      }
      if (Math.abs(sum - target) < 1e-5) break;
      if (sum > target) {
        hi = sigma;
        sigma = (lo + hi) / 2;
      } else {
        lo = sigma;
        sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2;
      }
    }
    sigma = Math.max(sigma, 1e-3 * meanOf(distances, base, k));
    for (let t = 0; t < k; t++) {
      const j = indices[base + t];
      if (j < 0) continue;
      const gap = distances[base + t] - rho;
      membership[base + t] = gap > 0 ? Math.exp(-gap / Math.max(sigma, 1e-12)) : 1;
    }
  }
  // Fuzzy union A + Aᵀ − A∘Aᵀ row by row: each row's own memberships (A) and those pointing at it (Aᵀ, gathered by
  // a counting sort on the target), merged through two dense scratch rows. Typed arrays throughout: this runs on
  // tens of thousands of edges per global pass.
  const inOffsets = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) if (indices[e] >= 0) inOffsets[indices[e] + 1]++;
  for (let i = 0; i < n; i++) inOffsets[i + 1] += inOffsets[i];
  const inSources = new Int32Array(inOffsets[n]);
  const inWeights = new Float64Array(inOffsets[n]);
  const fill = inOffsets.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const j = indices[i * k + t];
      if (j < 0) continue;
      inSources[fill[j]] = i;
      inWeights[fill[j]++] = membership[i * k + t];
    }
  }
  const own = new Float64Array(n);
  const back = new Float64Array(n);
  const seen = new Uint8Array(n);
  const offsets = new Int32Array(n + 1);
  const rowColumns: Int32Array[] = new Array(n);
  const rowWeights: Float64Array[] = new Array(n);
  const scratch = new Int32Array(k + inOffsets[n]);
  for (let i = 0; i < n; i++) {
    let size = 0;
    for (let t = 0; t < k; t++) {
      const j = indices[i * k + t];
      if (j < 0) continue;
      own[j] = membership[i * k + t];
      if (!seen[j]) {
        seen[j] = 1;
        scratch[size++] = j;
      }
    }
    for (let p = inOffsets[i]; p < inOffsets[i + 1]; p++) {
      const j = inSources[p];
      back[j] = inWeights[p];
      if (!seen[j]) {
        seen[j] = 1;
        scratch[size++] = j;
      }
    }
    const cols = scratch.slice(0, size).sort();
    const ws = new Float64Array(size);
    for (let p = 0; p < size; p++) {
      const j = cols[p];
      const a = own[j];
      const b = back[j];
      ws[p] = a + b - a * b;
      own[j] = 0;
      back[j] = 0;
      seen[j] = 0;
    }
    rowColumns[i] = cols;
    rowWeights[i] = ws;
    offsets[i + 1] = offsets[i] + size;
  }
  const columns = new Int32Array(offsets[n]);
  const weights = new Float64Array(offsets[n]);
  for (let i = 0; i < n; i++) {
    columns.set(rowColumns[i], offsets[i]);
    weights.set(rowWeights[i], offsets[i]);
  }
  return { offsets, columns, weights };
}

function meanOf(a: Float64Array, start: number, len: number): number {
  let s = 0;
  for (let t = 0; t < len; t++) s += a[start + t];
  return s / len;
}

/** Connected components of the graph: a label per vertex, labels numbered in order of first vertex. */
export function connectedComponents(graph: SparseGraph, n: number): { labels: Int32Array; count: number } {
  const labels = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  let count = 0;
  for (let s = 0; s < n; s++) {
    if (labels[s] >= 0) continue;
    let top = 0;
    stack[top++] = s;
    labels[s] = count;
    while (top > 0) {
      const v = stack[--top];
      for (let p = graph.offsets[v]; p < graph.offsets[v + 1]; p++) {
        const u = graph.columns[p];
        if (labels[u] < 0) {
          labels[u] = count;
          stack[top++] = u;
        }
      }
    }
    count++;
  }
  return { labels, count };
}

/**
 * UMAP's spectral initialisation, including its multi-component layout. Lanczos from one start vector finds a
 * repeated eigenvalue once, so on a disconnected kNN graph (well-separated topics, small documents) a plain
 * spectral embedding leaves whole components at the origin, merged. UMAP instead places each component at its
 * own spot (corners ±e_i when there are few, else a map of their centroids) and embeds each one separately.
 * UMAP scales each component to half the distance to its nearest neighbour and relies on its layout phase to
 * pull clumps apart; we skip that phase, so components are kept tighter (COMPONENT_SPREAD) and a disconnected
 * component — the strongest evidence of a separate topic there is — stays separable by the mixture.
 */
export function spectralLayout(data: Float64Array, graph: SparseGraph, n: number, d: number, k: number, rng: Rng): Float64Array {
  const { labels, count } = connectedComponents(graph, n);
  if (count === 1) return spectralEmbedding(graph, n, k, rng);
  const members: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]].push(i);
  const meta = componentPositions(data, d, members, k, rng);
  const out = new Float64Array(n * k);
  for (let c = 0; c < count; c++) {
    let nearest = Infinity;
    for (let o = 0; o < count; o++) {
      if (o === c) continue;
      let s = 0;
      for (let t = 0; t < k; t++) s += (meta[c * k + t] - meta[o * k + t]) ** 2;
      if (s > 0) nearest = Math.min(nearest, Math.sqrt(s));
    }
    const range = (Number.isFinite(nearest) ? nearest : 1) * COMPONENT_SPREAD;
    const rows = members[c];
    const size = rows.length;
    let local: Float64Array;
    if (size < 2 * k || size <= k + 1) {
      local = new Float64Array(size * k);
      for (let t = 0; t < local.length; t++) local[t] = (2 * rng.next() - 1) * range;
    } else {
      local = spectralEmbedding(subgraph(graph, rows, labels, c), size, k, rng);
      let max = 0;
      for (let t = 0; t < local.length; t++) max = Math.max(max, Math.abs(local[t]));
      if (max > 0) for (let t = 0; t < local.length; t++) local[t] *= range / max;
    }
    for (let r = 0; r < size; r++) for (let t = 0; t < k; t++) out[rows[r] * k + t] = local[r * k + t] + meta[c * k + t];
  }
  let max = 0;
  for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs(out[i]));
  if (max > 0) for (let i = 0; i < out.length; i++) out[i] *= 10 / max;
  return out;
}

const COMPONENT_SPREAD = 0.1;

/** Where each component goes (UMAP's component_layout): ±unit corners for up to 2k components, else their centroids' principal map. */
function componentPositions(data: Float64Array, d: number, members: number[][], k: number, rng: Rng): Float64Array {
  const count = members.length;
  const meta = new Float64Array(count * k);
  if (count <= 2 * k) {
    const half = Math.ceil(count / 2);
    for (let c = 0; c < count; c++) meta[c * k + (c % half)] = c < half ? 1 : -1;
    return meta;
  }
  // UMAP embeds the centroids spectrally on exp(-distance²) affinities; their principal components give the same
  // kind of map at a fraction of the code, and only the relative placement of components matters here.
  const centroids = new Float64Array(count * d);
  members.forEach((rows, c) => {
    for (const i of rows) for (let t = 0; t < d; t++) centroids[c * d + t] += data[i * d + t] / rows.length;
  });
  const scores = pcaScores(centroids, count, d, k, rng);
  let max = 0;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, Math.abs(scores[i]));
  if (max > 0) for (let i = 0; i < scores.length; i++) scores[i] /= max;
  return scores;
}

/** The induced subgraph on `rows` (all in component `label`), renumbered 0..rows.length-1. */
function subgraph(graph: SparseGraph, rows: number[], labels: Int32Array, label: number): SparseGraph {
  const position = new Map<number, number>();
  rows.forEach((v, i) => position.set(v, i));
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((v, i) => {
    offsets[i + 1] = offsets[i] + (graph.offsets[v + 1] - graph.offsets[v]);
  });
  const columns = new Int32Array(offsets[rows.length]);
  const weights = new Float64Array(offsets[rows.length]);
  rows.forEach((v, i) => {
    let q = offsets[i];
    for (let p = graph.offsets[v]; p < graph.offsets[v + 1]; p++) {
      if (labels[graph.columns[p]] !== label) continue; // cannot happen within a component; kept for safety
      columns[q] = position.get(graph.columns[p])!;
      weights[q] = graph.weights[p];
      q++;
    }
  });
  return { offsets, columns, weights };
}

/**
 * The k non-trivial leading eigenvectors of D^-1/2 W D^-1/2 (i.e. the bottom of the normalised Laplacian),
 * by Lanczos with full reorthogonalisation, returned as D^-1/2 u (random-walk coordinates), n×k row-major.
 */
export function spectralEmbedding(graph: SparseGraph, n: number, k: number, rng: Rng): Float64Array {
  const { offsets, columns, weights } = graph;
  const invSqrtDeg = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = offsets[i]; p < offsets[i + 1]; p++) s += weights[p];
    invSqrtDeg[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  // w_ij / sqrt(deg_j), the product the matrix-vector step starts each term with, computed once.
  const scaled = new Float64Array(weights.length);
  for (let p = 0; p < weights.length; p++) scaled[p] = weights[p] * invSqrtDeg[columns[p]];
  const apply = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = offsets[i]; p < offsets[i + 1]; p++) s += scaled[p] * v[columns[p]];
      out[i] = invSqrtDeg[i] * s;
    }
  };
  const wanted = Math.min(k + 1, n);
  const m = Math.min(n, Math.max(4 * wanted, 80));
  const basis: Float64Array[] = [];
  const alpha = new Float64Array(m);
  const beta = new Float64Array(m);
  const randomUnit = () => {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    return v;
  };
  let q = randomUnit();
  reorthogonalize(q, basis);
  normalize(q);
  const w = new Float64Array(n);
  let steps = 0;
  for (let j = 0; j < m; j++) {
    basis.push(q);
    steps = j + 1;
    apply(q, w);
    let a = 0;
    for (let i = 0; i < n; i++) a += w[i] * q[i];
    alpha[j] = a;
    const next = Float64Array.from(w);
    reorthogonalize(next, basis);
    let b = normalize(next);
    if (j + 1 === m) break;
    if (b < 1e-10) {
      // Invariant subspace found (e.g. a disconnected graph): continue from a fresh direction; T becomes block-diagonal.
      const fresh = randomUnit();
      reorthogonalize(fresh, basis);
      if (normalize(fresh) < 1e-10) break;
      b = 0;
      next.set(fresh);
    }
    beta[j] = b;
    q = next;
  }
  const want = Math.min(wanted, steps);
  const vectors = topTridiagonalEigen(alpha, beta, steps, want).vectors;
  const out = new Float64Array(n * k);
  // Skip the leading (trivial, ∝ sqrt(degree)) eigenvector, as UMAP's spectral layout does.
  for (let c = 0; c < k && c + 1 < want; c++) {
    const col = c + 1;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < steps; j++) s += basis[j][i] * vectors[j * want + col];
      out[i * k + c] = s * invSqrtDeg[i];
    }
  }
  // Random-walk coordinates are ~1/sqrt(n·degree) small; rescale as UMAP's spectral layout does (max |x| = 10)
  // so the mixture's covariance regulariser stays negligible.
  let max = 0;
  for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs(out[i]));
  if (max > 0) for (let i = 0; i < out.length; i++) out[i] *= 10 / max;
  return out;
}

/**
 * Gram–Schmidt against the basis; a second pass only when the first removed most of the vector
 * (Kahan–Parlett "twice is enough"), which for Lanczos is rare and halves the dominant cost.
 */
function reorthogonalize(v: Float64Array, basis: Float64Array[]): void {
  const n = v.length;
  let before = 0;
  for (let i = 0; i < n; i++) before += v[i] * v[i];
  for (let pass = 0; pass < 2; pass++) {
    // Modified Gram–Schmidt with each vector's subtraction fused into the next vector's dot product: one sweep
    // over v per basis vector instead of two, the same operations in the same order.
    let dot = 0;
    let previous: Float64Array | undefined;
    for (const b of basis) {
      let next = 0;
      if (previous) {
        for (let i = 0; i < n; i++) {
          v[i] -= dot * previous[i];
          next += v[i] * b[i];
        }
      } else {
        for (let i = 0; i < n; i++) next += v[i] * b[i];
      }
      dot = next;
      previous = b;
    }
    if (previous) for (let i = 0; i < n; i++) v[i] -= dot * previous[i];
    let after = 0;
    for (let i = 0; i < n; i++) after += v[i] * v[i];
    if (after > 0.5 * before) return;
    before = after;
  }
}

function normalize(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}
