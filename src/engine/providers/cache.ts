// A paid call is never paid twice: results go to the durable CallCache (the checkpoint DB) before they are returned,
// so a resumed, retried or killed-and-restarted task finds them. A hit reports `cached: true` and zero usage.
import { createHash } from 'node:crypto';
import type { CachedCall, CallCache, CallContext, EmbedResult, Embedder, SummarizeRequest, SummaryResult, Summarizer } from '../ports';
import { ZERO_TOKENS, type TokenCount } from '../types';

/** Key = sha256 over (kind, provider id — which carries model, server, prompt hash and parameters —, input, params). */
export function callCacheKey(kind: 'chat' | 'embed', providerId: string, input: unknown, params: Record<string, unknown> = {}): string {
  return createHash('sha256').update(JSON.stringify([kind, providerId, input, params])).digest('hex');
}

function fullUsage(u: Partial<TokenCount>): TokenCount {
  return { prompt: u.prompt ?? 0, completion: u.completion ?? 0, embedding: u.embedding ?? 0 };
}

/** Summarizers may expose the exact prompt they send; when they do it goes into the key verbatim. */
interface PromptFormatting {
  formatPrompt?(req: SummarizeRequest): string;
}

export class CachingSummarizer implements Summarizer {
  readonly id: string;
  constructor(
    private readonly inner: Summarizer & PromptFormatting,
    private readonly cache: CallCache,
  ) {
    this.id = inner.id;
  }

  keyFor(req: SummarizeRequest): string {
    const input = this.inner.formatPrompt ? this.inner.formatPrompt(req) : req.texts;
    return callCacheKey('chat', this.inner.id, input, { maxTokens: req.maxTokens });
  }

  async summarize(req: SummarizeRequest, ctx: CallContext): Promise<SummaryResult> {
    const key = this.keyFor(req);
    const hit = this.cache.get(key);
    if (hit) {
      const text = decodeSummary(hit);
      if (text !== undefined) return { text, usage: { ...ZERO_TOKENS }, cached: true };
    }
    const result = await this.inner.summarize(req, ctx);
    this.cache.put(key, { value: JSON.stringify({ text: result.text }), usage: fullUsage(result.usage) });
    return result;
  }
}

export class CachingEmbedder implements Embedder {
  readonly id: string;
  readonly batchSize: number;
  constructor(
    private readonly inner: Embedder,
    private readonly cache: CallCache,
  ) {
    this.id = inner.id;
    this.batchSize = inner.batchSize;
  }

  keyFor(texts: string[]): string {
    return callCacheKey('embed', this.inner.id, texts);
  }

  /** Cached per batch: the tree builder batches deterministically, so a re-run asks for the same batches. */
  async embed(texts: string[], ctx: CallContext): Promise<EmbedResult> {
    if (texts.length === 0) return this.inner.embed(texts, ctx);
    const key = this.keyFor(texts);
    const hit = this.cache.get(key);
    if (hit) {
      const vectors = decodeVectors(hit, texts.length);
      if (vectors) return { vectors, usage: { ...ZERO_TOKENS }, cached: true };
    }
    const result = await this.inner.embed(texts, ctx);
    this.cache.put(key, { value: encodeVectors(result.vectors), usage: fullUsage(result.usage) });
    return result;
  }
}

function decodeSummary(call: CachedCall): string | undefined {
  try {
    const v = JSON.parse(call.value) as { text?: unknown };
    return typeof v.text === 'string' ? v.text : undefined;
  } catch {
    return undefined; // unreadable entry: pay again rather than fail
  }
}

/** Vectors as one base64 Float32 block: ~4 bytes per value instead of ~20 as JSON numbers. */
export function encodeVectors(vectors: Float32Array[]): string {
  const dim = vectors[0]?.length ?? 0;
  const flat = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => flat.set(v, i * dim));
  return JSON.stringify({ dim, count: vectors.length, f32: Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength).toString('base64') });
}

export function decodeVectors(call: CachedCall, expectedCount: number): Float32Array[] | undefined {
  try {
    const v = JSON.parse(call.value) as { dim?: number; count?: number; f32?: string; vectors?: number[][] };
    if (Array.isArray(v.vectors)) {
      return v.vectors.length === expectedCount ? v.vectors.map((x) => Float32Array.from(x)) : undefined;
    }
    if (typeof v.f32 !== 'string' || typeof v.dim !== 'number' || v.count !== expectedCount) return undefined;
    const bytes = Buffer.from(v.f32, 'base64');
    if (bytes.byteLength !== v.dim * v.count * 4) return undefined;
    const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return Array.from({ length: v.count }, (_, i) => flat.slice(i * v.dim!, (i + 1) * v.dim!));
  } catch {
    return undefined;
  }
}

/** In-memory CallCache for tests, benchmarks and `checkpoints: false` runs (the store provides the durable one). */
export class MemoryCallCache implements CallCache {
  readonly entries = new Map<string, CachedCall>();
  get(key: string): CachedCall | undefined {
    return this.entries.get(key);
  }
  put(key: string, call: CachedCall): void {
    this.entries.set(key, call);
  }
}
