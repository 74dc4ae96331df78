// Wraps a single-attempt provider in the policies every paid call goes through, in this order:
//   budget reservation (worst case, before anything is sent)
//   → retry loop { shared limiter slot → one attempt with a timeout → release } with backoff between attempts
//   → budget settles to what was billed.
// The call cache sits outside this (cache.ts), so a cache hit costs no budget, no slot and no request.
import type { CallContext, EmbedResult, Embedder, SummarizeRequest, SummaryResult, Summarizer } from '../ports';
import type { TokenBudget } from './budget';
import type { RequestLimiter } from './limiter';
import { type RetryPolicy, withRetry } from './retry';

export type ProviderLog = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface CallPolicy {
  /** Names the provider in messages, e.g. "openai:gpt-4o-mini". */
  label: string;
  retry: RetryPolicy;
  limiter?: RequestLimiter;
  budget?: TokenBudget;
  log?: ProviderLog;
}

/**
 * Our token counts use cl100k; a model with another tokenizer may bill a few percent more. Reservations carry this
 * margin on the prompt so the budget is never overshot because of a counting difference.
 */
const PROMPT_RESERVE_MARGIN = 1.05;

function billedTokens(usage: { prompt?: number; completion?: number; embedding?: number }): number {
  return (usage.prompt ?? 0) + (usage.completion ?? 0) + (usage.embedding ?? 0);
}

async function guardedCall<T extends { usage: { prompt?: number; completion?: number; embedding?: number } }>(
  policy: CallPolicy,
  worstCaseTokens: number,
  signal: AbortSignal,
  attempt: (ctx: CallContext) => Promise<T>,
): Promise<T> {
  const reservation = policy.budget?.reserve(worstCaseTokens);
  try {
    const result = await withRetry(
      policy.label,
      async (attemptSignal, _n, permit) => {
        const r = await attempt({ signal: attemptSignal });
        permit?.settle(billedTokens(r.usage));
        return r;
      },
      policy.retry,
      signal,
      {
        acquire: policy.limiter ? (s) => policy.limiter!.acquire(worstCaseTokens, s) : undefined,
        onRateLimited: (at) => policy.limiter?.holdUntil(at),
        onRetry: ({ attempt: n, delayMs, reason }) =>
          policy.log?.('warn', `${policy.label}: attempt ${n} failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s.`),
      },
    );
    reservation?.settle(billedTokens(result.usage));
    return result;
  } catch (e) {
    // Failed or aborted: nothing we know of was billed.
    reservation?.cancel();
    throw e;
  }
}

/** What GuardedSummarizer needs from the provider it wraps: one attempt, and the prompt tokens it will send. */
export interface SingleAttemptSummarizer extends Summarizer {
  promptTokens(req: SummarizeRequest): number;
  formatPrompt(req: SummarizeRequest): string;
}

export interface SingleAttemptEmbedder extends Embedder {
  inputTokens(texts: string[]): number;
}

export class GuardedSummarizer implements Summarizer {
  readonly id: string;
  constructor(
    private readonly inner: SingleAttemptSummarizer,
    private readonly policy: CallPolicy,
  ) {
    this.id = inner.id;
  }

  formatPrompt(req: SummarizeRequest): string {
    return this.inner.formatPrompt(req);
  }

  summarize(req: SummarizeRequest, ctx: CallContext): Promise<SummaryResult> {
    const worstCase = Math.ceil(this.inner.promptTokens(req) * PROMPT_RESERVE_MARGIN) + req.maxTokens;
    return guardedCall(this.policy, worstCase, ctx.signal, (c) => this.inner.summarize(req, c));
  }
}

export class GuardedEmbedder implements Embedder {
  readonly id: string;
  readonly batchSize: number;
  constructor(
    private readonly inner: SingleAttemptEmbedder,
    private readonly policy: CallPolicy,
  ) {
    this.id = inner.id;
    this.batchSize = inner.batchSize;
  }

  embed(texts: string[], ctx: CallContext): Promise<EmbedResult> {
    if (texts.length === 0) return this.inner.embed(texts, ctx);
    const worstCase = Math.ceil(this.inner.inputTokens(texts) * PROMPT_RESERVE_MARGIN);
    return guardedCall(this.policy, worstCase, ctx.signal, (c) => this.inner.embed(texts, c));
  }
}
