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
    for (let j = 0; j < n; j++) {
      const base = (rows ? rows[j] : j) * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) s += vectors[base + k] * query[k];
      out[j] = s * inv;
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

function takeBest(m: NodeMatrix, rows: number[], scores: Float32Array, opts: RetrieveOptions): QueryHit[] {
  const order = rows.map((r, j) => j).sort((a, b) => scores[b] - scores[a] || (m.nodes[rows[a]].id < m.nodes[rows[b]].id ? -1 : 1));
  const out: QueryHit[] = [];
  let tokens = 0;
  for (const j of order) {
    if (out.length >= opts.topK) break;
    const n = m.nodes[rows[j]];
    if (tokens + n.tokens > opts.maxTokens && out.length > 0) break;
    tokens += n.tokens;
    out.push(hit(n, scores[j]));
  }
  return out;
}

export function collapsedTreeRetrieve(m: NodeMatrix, query: Float32Array, opts: RetrieveOptions): QueryHit[] {
  const rows = Array.from({ length: m.nodes.length }, (_, i) => i);
  return takeBest(m, rows, m.score(query), opts);
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
  selected.sort((a, b) => b.score - a.score);
  const rows = selected.map((s) => s.row);
  const scores = Float32Array.from(selected.map((s) => s.score));
  return takeBest(m, rows, scores, opts);
}
