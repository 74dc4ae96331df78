// `raptor index --dry-run`: build the trees with stand-ins for the paid providers and count what a real run would
// send, without any network. The stand-ins format prompts with the real provider's own code, so prompt and
// embedding tokens are exact (same tokenizer); only the completion length is an assumption:
//
//   completion tokens = min(maxTokens, ceil(COMPLETION_RATIO × tokens of the cluster's text))
//
// COMPLETION_RATIO = 0.28 is RAPTOR's measured compression (Sarthi et al. 2024, §4/App. C: summaries average 131
// tokens for 6.7 children of 86 tokens, "72% compression"). The stand-in summary is the first that-many tokens of
// the cluster's text, so the next layer is embedded, clustered and summarised at realistic sizes and the tree keeps
// its shape. Calls already in the call cache are counted as free, as they would be.
import type { CallCache, CallContext, EmbedResult, Embedder, SummarizeRequest, SummaryResult, Summarizer } from '../ports';
import { throwIfAborted } from '../ports';
import { decodeTokens, encodeTokens, countTokens } from '../tokenizer';
import { type TokenCountWithTotal, withTotal } from '../types';
import { callCacheKey, decodeVectors } from './cache';
import { CHAT_FRAMING_TOKENS } from './prompt';

export const COMPLETION_RATIO = 0.28;

export interface DryRunEstimate {
  /** Calls a real run would send (cache hits excluded). */
  calls: { summary: number; embedding: number };
  tokens: TokenCountWithTotal;
}

/** Running totals shared by the estimating embedder and summarizer of one dry run. */
export class EstimateTally {
  summaryCalls = 0;
  embeddingCalls = 0;
  prompt = 0;
  completion = 0;
  embedding = 0;

  snapshot(): DryRunEstimate {
    return {
      calls: { summary: this.summaryCalls, embedding: this.embeddingCalls },
      tokens: withTotal({ prompt: this.prompt, completion: this.completion, embedding: this.embedding }),
    };
  }
}

/** What the estimator borrows from the real summarizer: its identity and its exact prompt. */
export interface PromptSource {
  readonly id: string;
  formatPrompt(req: SummarizeRequest): string;
}

export class EstimatingSummarizer implements Summarizer {
  readonly id: string;
  constructor(
    private readonly real: PromptSource,
    private readonly tally: EstimateTally,
    private readonly cache?: CallCache,
    private readonly completionRatio = COMPLETION_RATIO,
  ) {
    this.id = real.id;
  }

  async summarize(req: SummarizeRequest, ctx: CallContext): Promise<SummaryResult> {
    throwIfAborted(ctx.signal);
    const prompt = this.real.formatPrompt(req);
    const hit = this.cache?.get(callCacheKey('chat', this.real.id, prompt, { maxTokens: req.maxTokens }));
    if (hit) {
      try {
        const text = (JSON.parse(hit.value) as { text?: unknown }).text;
        if (typeof text === 'string') return { text, usage: {}, cached: true };
      } catch {
        // unreadable entry: a real run would pay again, so count it
      }
    }
    const content = encodeTokens(req.texts.join('\n\n'));
    const completion = Math.max(1, Math.min(req.maxTokens, Math.ceil(content.length * this.completionRatio)));
    const promptTokens = countTokens(prompt) + CHAT_FRAMING_TOKENS;
    this.tally.summaryCalls++;
    this.tally.prompt += promptTokens;
    this.tally.completion += completion;
    return { text: decodeTokens(content.slice(0, completion)).trim() || '…', usage: { prompt: promptTokens, completion } };
  }
}

export class EstimatingEmbedder implements Embedder {
  readonly id: string;
  readonly batchSize: number;
  /**
   * @param real the embedder a real run would call (its id and batch size are kept, so batches match)
   * @param vectorSource free, deterministic vectors that give the tree a realistic shape (the local embedder)
   */
  constructor(
    real: Pick<Embedder, 'id' | 'batchSize'>,
    private readonly vectorSource: Embedder,
    private readonly tally: EstimateTally,
    private readonly cache?: CallCache,
  ) {
    this.id = real.id;
    this.batchSize = real.batchSize;
  }

  async embed(texts: string[], ctx: CallContext): Promise<EmbedResult> {
    throwIfAborted(ctx.signal);
    if (texts.length === 0) return { vectors: [], usage: {} };
    const hit = this.cache?.get(callCacheKey('embed', this.id, texts));
    const cachedVectors = hit ? decodeVectors(hit, texts.length) : undefined;
    if (cachedVectors) return { vectors: cachedVectors, usage: {}, cached: true };
    const tokens = texts.reduce((s, t) => s + countTokens(t), 0);
    this.tally.embeddingCalls++;
    this.tally.embedding += tokens;
    const { vectors } = await this.vectorSource.embed(texts, ctx);
    return { vectors, usage: { embedding: tokens } };
  }
}
