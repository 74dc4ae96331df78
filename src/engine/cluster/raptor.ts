// RAPTOR clustering (Sarthi et al., ICLR 2024): reduce dimension, pick the number of Gaussian-mixture
// components by BIC, soft-assign each node to every component with probability > threshold; a global
// pass, then a local pass inside each global cluster. clusterNodes adds the token cap the tree builder needs.
import { throwIfAborted } from '../ports';
import { selectGmmByBic, type CovarianceType } from './gmm';
import { normalizedMatrix, pcaScores } from './pca';
import { createRng, deriveSeed } from './random';
import { MAX_CACHED_SIMILARITY_ROWS, PairwiseSimilarity, reduceDimension, type ReductionMethod } from './reduce';

export interface ClusterOptions {
  /** config.seed, default 224 */
  seed: number;
  /** Soft-assignment probability, default 0.1. */
  threshold?: number;
  /** Default 50. */
  maxClusters?: number;
  /** Default 10. */
  reductionDim?: number;
  /** config.clusterMaxTokens (default 3500). */
  maxTokensPerCluster: number;
  /** Default 3. */
  maxReclusterDepth?: number;
  /** Checked between expensive steps; AbortError from ../ports. */
  signal?: AbortSignal;
  /** Dimension reduction before the mixture fits; see reduce.ts for why the default is what it is. */
  reduction?: ReductionMethod;
}

export interface RaptorClusterOptions {
  seed: number;
  threshold?: number;
  maxClusters?: number;
  reductionDim?: number;
  signal?: AbortSignal;
  reduction?: ReductionMethod;
  covariance?: CovarianceType;
  epochs?: number;
}

/** Global local-neighbourhood size, as the reference's UMAP n_neighbors = sqrt(n - 1). */
const globalNeighbors = (n: number) => Math.max(2, Math.floor(Math.sqrt(n - 1)));
/**
 * The global pass stops its k sweep once BIC has risen for two grid points: global clusters are topics, and
 * the global fit on all n points is the expensive one. The local pass sweeps the whole grid, as the reference
 * does, because there BIC's minimum sits at large k (many small, summarisable clusters, where full covariances
 * of few points become sharp) beyond a first rise that an early stop would take; it ends only at m/3 + 1
 * (smaller components are folded away anyway) or where the BIC floor shows no larger k can win.
 */
const GLOBAL_PATIENCE = 2;
/** Above this many nodes the global k is chosen on a seeded sample of this size (see selectGmmByBic). */
const GLOBAL_SAMPLE = 1000;
/**
 * Local components with fewer members than this are folded into the nearest larger one. The reference's UMAP
 * layout spreads points so its mixtures rarely isolate one or two of them (≥ 99% of its memberships sit in
 * clusters of 3–15 on blobs); on spectral coordinates, full-covariance BIC often does, and such clusters make
 * poor summaries.
 */
const MIN_LOCAL_CLUSTER = 3;
/** Local-pass neighbourhood size, as the reference. */
const LOCAL_NEIGHBORS = 10;

/** The global+local GMM/BIC clustering alone (no token cap), comparable 1:1 with the Python reference. */
export function raptorClusters(embeddings: Float32Array[], opts: RaptorClusterOptions): number[][] {
  if (embeddings.length === 0) return [];
  return withPreparedRows(embeddings, opts.signal, (prepared) => clusterRows(prepared, range(embeddings.length), opts));
}

/** Unit rows and, when small enough to keep, their pairwise similarities: computed once, shared by every pass. */
interface PreparedRows {
  data: Float64Array;
  d: number;
  similarity?: PairwiseSimilarity;
}

/** Runs `use` with the prepared rows, then hands the similarities' memory back (they live in a pooled one). */
function withPreparedRows<T>(embeddings: Float32Array[], signal: AbortSignal | undefined, use: (prepared: PreparedRows) => T): T {
  throwIfAborted(signal);
  const { data, n, d } = normalizedMatrix(embeddings);
  const similarity = n <= MAX_CACHED_SIMILARITY_ROWS ? new PairwiseSimilarity(data, n, d) : undefined;
  try {
    return use({ data, d, similarity });
  } finally {
    similarity?.release();
  }
}

/** Rows `rows` of `prepared`, copied out as an m×d matrix. */
function subMatrix(prepared: PreparedRows, rows: number[]): Float64Array {
  const { data, d } = prepared;
  const sub = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) sub.set(data.subarray(rows[r] * d, rows[r] * d + d), r * d);
  return sub;
}

/** raptorClusters over a subset of prepared rows; clusters are returned as positions in `rows`. */
function clusterRows(prepared: PreparedRows, rows: number[], opts: RaptorClusterOptions): number[][] {
  const n = rows.length;
  const dim = opts.reductionDim ?? 10;
  const threshold = opts.threshold ?? 0.1;
  const maxClusters = opts.maxClusters ?? 50;
  const method = opts.reduction ?? 'spectral';
  if (n === 0) return [];
  // Too few points to reduce and fit meaningfully: one cluster of all, as the reference.
  if (n <= dim + 1) return [range(n)];
  throwIfAborted(opts.signal);
  const { d, similarity } = prepared;
  const data = subMatrix(prepared, rows);

  const globalDim = Math.min(dim, n - 2);
  const reduced = reduceDimension(data, n, d, globalDim, {
    method,
    neighbors: globalNeighbors(n),
    seed: deriveSeed(opts.seed, 0),
    signal: opts.signal,
    epochs: opts.epochs,
    similarity: similarity?.of(rows),
  });
  const globalFit = selectGmmByBic(reduced, n, globalDim, { maxClusters, seed: deriveSeed(opts.seed, 1), signal: opts.signal, patience: GLOBAL_PATIENCE, sampleAbove: GLOBAL_SAMPLE, gmm: { covariance: opts.covariance } });
  const globalMembers = softMembers(globalFit.resp, n, globalFit.k, threshold);

  const out: number[][] = [];
  for (let g = 0; g < globalMembers.length; g++) {
    const members = globalMembers[g];
    if (members.length === 0) continue;
    if (members.length <= dim + 1) {
      out.push(members);
      continue;
    }
    throwIfAborted(opts.signal);
    const m = members.length;
    const memberRows = members.map((j) => rows[j]);
    const localDim = Math.min(dim, m - 2);
    const localReduced = reduceDimension(subMatrix(prepared, memberRows), m, d, localDim, {
      method,
      neighbors: LOCAL_NEIGHBORS,
      seed: deriveSeed(opts.seed, 2, g),
      signal: opts.signal,
      epochs: opts.epochs,
      similarity: similarity?.of(memberRows),
    });
    const localFit = selectGmmByBic(localReduced, m, localDim, { maxClusters: Math.min(maxClusters, Math.ceil(m / MIN_LOCAL_CLUSTER) + 1), seed: deriveSeed(opts.seed, 3, g), signal: opts.signal, gmm: { covariance: opts.covariance } });
    const localMembers = softMembers(localFit.resp, m, localFit.k, threshold);
    absorbTinyClusters(localMembers, localReduced, localDim, localFit.means, MIN_LOCAL_CLUSTER);
    for (const local of localMembers) {
      if (local.length > 0) out.push(local.map((j) => members[j]));
    }
  }
  return canonical(out, n);
}

/** Clusters of node indices (soft: a node may be in several; every node is in at least one). Deterministic order. */
export function clusterNodes(embeddings: Float32Array[], tokenCounts: number[], opts: ClusterOptions): number[][] {
  const n = embeddings.length;
  if (tokenCounts.length !== n) throw new Error(`Got ${n} embeddings but ${tokenCounts.length} token counts.`);
  const cap = opts.maxTokensPerCluster;
  const maxDepth = opts.maxReclusterDepth ?? 3;
  const out: number[][] = [];
  const tokensOf = (c: number[]) => c.reduce((s, i) => s + tokenCounts[i], 0);

  if (n === 0) return [];
  const visit = (prepared: PreparedRows, cluster: number[], depth: number, path: number[]): void => {
    if (cluster.length <= 1 || tokensOf(cluster) <= cap) {
      out.push(cluster);
      return;
    }
    throwIfAborted(opts.signal);
    if (depth < maxDepth) {
      const sub = clusterRows(prepared, cluster, { ...opts, seed: deriveSeed(opts.seed, 100 + depth, ...path) }).map((c) => c.map((j) => cluster[j]));
      // Re-clustering only helps if it actually splits; otherwise fall through to packing by tokens.
      if (sub.some((c) => c.length < cluster.length)) {
        sub.forEach((c, i) => visit(prepared, c, depth + 1, [...path, i]));
        return;
      }
    }
    for (const part of packByTokens(cluster, embeddings, tokenCounts, cap, deriveSeed(opts.seed, 200, ...path))) out.push(part);
  };

  withPreparedRows(embeddings, opts.signal, (prepared) => clusterRows(prepared, range(n), opts).forEach((c, i) => visit(prepared, c, 0, [i])));
  return canonical(out, n);
}

/**
 * Split a cluster that re-clustering could not split into runs of at most `cap` tokens (a single node over
 * the cap stays alone). Nodes are ordered along the cluster's first principal component so that each run
 * holds neighbouring meanings, and runs are balanced so no tiny remainder is left over.
 */
function packByTokens(cluster: number[], embeddings: Float32Array[], tokenCounts: number[], cap: number, seed: number): number[][] {
  let order = cluster;
  if (cluster.length > 2) {
    const { data, n, d } = normalizedMatrix(embeddings, cluster);
    const axis = pcaScores(data, n, d, 1, createRng(seed), 2);
    order = cluster.map((node, r) => ({ node, key: axis[r] })).sort((a, b) => a.key - b.key || a.node - b.node).map((e) => e.node);
  }
  const total = order.reduce((s, i) => s + tokenCounts[i], 0);
  const target = total / Math.ceil(total / cap);
  const parts: number[][] = [];
  let current: number[] = [];
  let tokens = 0;
  for (const i of order) {
    const t = tokenCounts[i];
    if (current.length > 0 && (tokens + t > cap || tokens >= target)) {
      parts.push(current);
      current = [];
      tokens = 0;
    }
    current.push(i);
    tokens += t;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/**
 * Move the members of components with fewer than `minSize` members to the nearest (by mean) component that
 * is large enough, in place. Full-covariance BIC on a handful of points rewards one- and two-point components
 * (their degenerate covariances buy likelihood cheaply); such clusters summarise poorly.
 */
function absorbTinyClusters(members: number[][], x: Float64Array, d: number, means: Float64Array, minSize: number): void {
  const big = members.map((c, i) => (c.length >= minSize ? i : -1)).filter((i) => i >= 0);
  if (big.length === 0) return;
  for (let c = 0; c < members.length; c++) {
    if (members[c].length === 0 || members[c].length >= minSize) continue;
    for (const i of members[c]) {
      let best = big[0];
      let bestDist = Infinity;
      for (const b of big) {
        let s = 0;
        for (let t = 0; t < d; t++) s += (x[i * d + t] - means[b * d + t]) ** 2;
        if (s < bestDist) {
          bestDist = s;
          best = b;
        }
      }
      if (!members[best].includes(i)) members[best].push(i);
    }
    members[c] = [];
  }
}

/** Members of each component: nodes whose posterior exceeds the threshold, or, for a node with none, its most likely one. */
export function softMembers(resp: Float64Array, n: number, k: number, threshold: number): number[][] {
  const members: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let any = false;
    for (let c = 0; c < k; c++) {
      const p = resp[i * k + c];
      if (p > threshold) {
        members[c].push(i);
        any = true;
      }
      if (p > resp[i * k + best]) best = c;
    }
    if (!any) members[best].push(i);
  }
  return members;
}

/** Sorted members, no empty or duplicate clusters, clusters ordered by their members; every node present. */
function canonical(clusters: number[][], n: number): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  const covered = new Uint8Array(n);
  for (const c of clusters) {
    if (c.length === 0) continue;
    const sorted = [...new Set(c)].sort((a, b) => a - b);
    const key = sorted.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    for (const i of sorted) covered[i] = 1;
    out.push(sorted);
  }
  // Defensive: the passes above assign every node, but a lost node would silently vanish from the tree.
  for (let i = 0; i < n; i++) if (!covered[i]) out.push([i]);
  return out.sort(compareClusters);
}

function compareClusters(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
