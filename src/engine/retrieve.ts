// Retrieval over RAPTOR trees.
// Collapsed tree (the paper's best performer): score every node of every layer by cosine similarity to the query,
// take the best first until top-k or the token budget is reached. Tree traversal (optional): start at the top layer
// of each tree, keep the best `topK` nodes, descend into their children, repeat to the leaves.
import type { QueryHit, TreeNode } from './types';

/** Nodes packed for fast scoring: one contiguous Float32Array, rows L2-normalised. */
export class NodeMatrix {
  readonly dim: number;
  readonly vectors: Float32Array;
  readonly byId = new Map<string, number>();
  constructor(readonly nodes: TreeNode[]) {
    this.dim = nodes.find((n) => n.embedding.length)?.embedding.length ?? 0;
    this.vectors = new Float32Array(nodes.length * this.dim);
    nodes.forEach((n, i) => {
      this.byId.set(n.id, i);
      if (n.embedding.length !== this.dim) return; // mixed embedders: such a node scores 0
      let norm = 0;
      for (let k = 0; k < this.dim; k++) norm += n.embedding[k] * n.embedding[k];
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let k = 0; k < this.dim; k++) this.vectors[i * this.dim + k] = n.embedding[k] * inv;
    });
    // The matrix holds the vectors; keep the node list light.
    for (const n of nodes) n.embedding = new Float32Array(0);
  }

  score(query: Float32Array, rows?: number[]): Float32Array {
    const { dim, vectors } = this;
    if (query.length !== dim) throw new Error(`the query embedding has ${query.length} dimensions but the index has ${dim}; was it built with another embedder?`);
    let qn = 0;
    for (let k = 0; k < dim; k++) qn += query[k] * query[k];
    const inv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
    const n = rows ? rows.length : this.nodes.length;
    const out = new Float32Array(n);
    const q = Float32Array.from(query);
    const tail = dim - (dim % 4);
    for (let j = 0; j < n; j++) {
      const base = (rows ? rows[j] : j) * dim;
      // Four independent sums: the hot loop of every query, over every node of every layer.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k < tail; k += 4) {
        s0 += vectors[base + k] * q[k];
        s1 += vectors[base + k + 1] * q[k + 1];
        s2 += vectors[base + k + 2] * q[k + 2];
        s3 += vectors[base + k + 3] * q[k + 3];
      }
      for (; k < dim; k++) s0 += vectors[base + k] * q[k];
      out[j] = (s0 + s1 + s2 + s3) * inv;
    }
    return out;
  }
}

export interface RetrieveOptions {
  topK: number;
  /** Stop adding nodes once their tokens would exceed this. */
  maxTokens: number;
}

function hit(n: TreeNode, score: number): QueryHit {
  return { id: n.id, doc: n.doc, layer: n.layer, score: Math.round(score * 1e6) / 1e6, text: n.text, ...(n.location ? { location: n.location } : {}) };
}

/**
 * The best rows, best first: a bounded insertion into the top `limit` (k is small), instead of sorting every score
 * of a corpus-wide scan. Ties break on node id, so results are deterministic.
 */
function topRows(m: NodeMatrix, rows: number[] | undefined, scores: Float32Array, limit: number): number[] {
  if (limit <= 0) return [];
  const best: number[] = []; // indices into `scores`
  const better = (a: number, b: number) => scores[a] > scores[b] || (scores[a] === scores[b] && m.nodes[rows ? rows[a] : a].id < m.nodes[rows ? rows[b] : b].id);
  for (let j = 0; j < scores.length; j++) {
    if (best.length === limit && !better(j, best[limit - 1])) continue;
    let i = best.length < limit ? best.push(j) - 1 : limit - 1;
    best[i] = j;
    for (; i > 0 && better(best[i], best[i - 1]); i--) [best[i], best[i - 1]] = [best[i - 1], best[i]];
  }
  return best;
}

function takeBest(m: NodeMatrix, rows: number[] | undefined, scores: Float32Array, opts: RetrieveOptions): QueryHit[] {
  const out: QueryHit[] = [];
  let tokens = 0;
  for (const j of topRows(m, rows, scores, opts.topK)) {
    const n = m.nodes[rows ? rows[j] : j];
    if (tokens + n.tokens > opts.maxTokens && out.length > 0) break;
    tokens += n.tokens;
    out.push(hit(n, scores[j]));
  }
  return out;
}

export function collapsedTreeRetrieve(m: NodeMatrix, query: Float32Array, opts: RetrieveOptions): QueryHit[] {
  return takeBest(m, undefined, m.score(query), opts);
}

export function treeTraversalRetrieve(m: NodeMatrix, query: Float32Array, opts: RetrieveOptions): QueryHit[] {
  // Roots: the top layer of each document's tree.
  const topLayer = new Map<string, number>();
  for (const n of m.nodes) topLayer.set(n.doc, Math.max(topLayer.get(n.doc) ?? 0, n.layer));
  let frontier = m.nodes.flatMap((n, i) => (n.layer === topLayer.get(n.doc) ? [i] : []));
  const selected: { row: number; score: number }[] = [];
  while (frontier.length) {
    const scores = m.score(query, frontier);
    const best = frontier
      .map((row, j) => ({ row, score: scores[j] }))
      .sort((a, b) => b.score - a.score)
      .slice(0, opts.topK);
    selected.push(...best);
    frontier = [...new Set(best.flatMap((b) => m.nodes[b.row].children.map((c) => m.byId.get(c)).filter((r): r is number => r !== undefined)))];
  }
  const rows = selected.map((s) => s.row);
  const scores = Float32Array.from(selected.map((s) => s.score));
  return takeBest(m, rows, scores, opts);
}
