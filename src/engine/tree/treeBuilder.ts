// Builds one document's RAPTOR tree: leaves are chunks; each upper layer holds the summaries (and their
// embeddings) of the clusters of the layer below; it stops when a layer cannot be reduced further or the
// maximum depth is reached.
//
// Resumption inside a document: every paid call goes through the durable call cache (providers/cache.ts), and
// clustering is seeded and deterministic, so rebuilding a document after a kill replays the finished calls from the
// cache and yields the same tree, paying only for calls that had not finished.
import { createHash } from 'crypto';
import { clusterNodes, type ClusterOptions } from '../cluster';
import type { IndexConfig } from '../config';
import { throwIfAborted, type Embedder, type Summarizer } from '../ports';
import { countTokens } from '../tokenizer';
import { addTokens, type Chunk, type TokenCount, type TreeNode, ZERO_TOKENS } from '../types';

export interface TreeBuildDeps {
  embedder: Embedder;
  summarizer: Summarizer;
  config: Pick<IndexConfig, 'summaryMaxTokens' | 'clusterMaxTokens' | 'maxLayers' | 'seed'>;
  signal: AbortSignal;
  /** Summaries of one layer sent at once (the provider's limiter still caps requests in flight). */
  summaryConcurrency?: number;
  /** Called after each finished call, for live progress. */
  onUsage?: (usage: Partial<TokenCount>) => void;
  /** Where clustering runs (a worker thread, so the thread holding paid calls stays free); in-process by default. */
  cluster?: ClusterFn;
}

export type ClusterFn = (embeddings: Float32Array[], tokenCounts: number[], opts: ClusterOptions) => Promise<number[][]>;

export interface BuiltTree {
  nodes: TreeNode[];
  chunks: number;
  /** Layers above the leaves. */
  layers: number;
  /** Tokens reported by the calls made for this tree (cached calls report none). */
  usage: TokenCount;
}

export function nodeId(doc: string, layer: number, index: number, text: string): string {
  return createHash('sha256').update(`${doc}\u0000${layer}\u0000${index}\u0000${text}`).digest('hex').slice(0, 20);
}

async function embedAll(texts: string[], deps: TreeBuildDeps, meter: { usage: TokenCount }): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const size = Math.max(1, deps.embedder.batchSize);
  for (let i = 0; i < texts.length; i += size) {
    throwIfAborted(deps.signal);
    const r = await deps.embedder.embed(texts.slice(i, i + size), { signal: deps.signal });
    if (r.vectors.length !== Math.min(size, texts.length - i)) {
      throw new Error(`the embedder returned ${r.vectors.length} vectors for ${Math.min(size, texts.length - i)} texts`);
    }
    meter.usage = addTokens(meter.usage, r.usage);
    deps.onUsage?.(r.usage);
    out.push(...r.vectors);
  }
  return out;
}

const LET_IN_FLIGHT_FINISH = new Set(['BudgetExceededError', 'ConsentRequiredError']);

/**
 * Run `fn` over items with at most `limit` in flight; results in input order. On the first failure the others are
 * aborted (no more paid calls for a document that has already failed) and every call has settled before this
 * rejects, so nothing from a failed attempt outlives it.
 */
async function mapPool<T, R>(items: T[], limit: number, signal: AbortSignal, fn: (item: T, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  const local = new AbortController();
  const forward = () => local.abort();
  signal.addEventListener('abort', forward, { once: true });
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !local.signal.aborted && !failure) {
      const i = next++;
      try {
        out[i] = await fn(items[i], local.signal);
      } catch (e) {
        failure ??= { error: e };
        // Calls already admitted under a budget or consent stop are paid for: let them finish (and be cached)
        // rather than throw their answers away. Any other failure aborts them, so nothing more is spent.
        if (!(e instanceof Error && LET_IN_FLIGHT_FINISH.has(e.name))) local.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    signal.removeEventListener('abort', forward);
  }
  if (failure) throw failure.error;
  throwIfAborted(signal);
  return out;
}

export async function buildTree(doc: string, chunks: Chunk[], deps: TreeBuildDeps): Promise<BuiltTree> {
  const meter = { usage: { ...ZERO_TOKENS } };
  const leafVectors = await embedAll(
    chunks.map((c) => c.text),
    deps,
    meter,
  );
  const leaves: TreeNode[] = chunks.map((c, i) => ({
    id: nodeId(doc, 0, i, c.text),
    doc,
    layer: 0,
    index: i,
    text: c.text,
    tokens: c.tokens,
    embedding: leafVectors[i],
    children: [],
    location: { start: c.start, end: c.end, lineStart: c.lineStart, lineEnd: c.lineEnd, ...(c.page ? { page: c.page } : {}) },
  }));
  const all: TreeNode[] = [...leaves];
  let current = leaves;
  let layer = 0;
  while (layer < deps.config.maxLayers && current.length > 1) {
    throwIfAborted(deps.signal);
    const clusterOpts = { seed: deps.config.seed, maxTokensPerCluster: deps.config.clusterMaxTokens };
    const embeddings = current.map((n) => n.embedding);
    const tokenCounts = current.map((n) => n.tokens);
    const clusters = deps.cluster
      ? await deps.cluster(embeddings, tokenCounts, clusterOpts)
      : clusterNodes(embeddings, tokenCounts, { ...clusterOpts, signal: deps.signal });
    throwIfAborted(deps.signal);
    // No reduction (every node its own cluster): a further layer would only paraphrase the one below.
    if (clusters.length === 0 || clusters.length >= current.length) break;
    const layerNodes = current;
    const summaries = await mapPool(clusters, deps.summaryConcurrency ?? 16, deps.signal, async (members, signal) => {
      throwIfAborted(signal);
      const r = await deps.summarizer.summarize(
        { texts: members.map((m) => layerNodes[m].text), maxTokens: deps.config.summaryMaxTokens },
        { signal },
      );
      meter.usage = addTokens(meter.usage, r.usage);
      deps.onUsage?.(r.usage);
      return r.text.trim();
    });
    const vectors = await embedAll(summaries, deps, meter);
    layer++;
    current = summaries.map((text, i) => ({
      id: nodeId(doc, layer, i, text),
      doc,
      layer,
      index: i,
      text,
      tokens: countTokens(text),
      embedding: vectors[i],
      children: clusters[i].map((m) => layerNodes[m].id),
    }));
    all.push(...current);
  }
  return { nodes: all, chunks: chunks.length, layers: layer, usage: meter.usage };
}
