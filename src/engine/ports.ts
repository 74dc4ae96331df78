// The engine talks to the world through these small interfaces. The CLI supplies Node
// implementations, the extension supplies VS Code ones, tests supply fakes.
import type { TokenCount } from './types';

/** Passed to every slow call: cancellation, and a sink for tokens as they are reported. */
export interface CallContext {
  signal: AbortSignal;
}

export interface EmbedResult {
  vectors: Float32Array[];
  /** Tokens billed for this call (embedding tokens); estimated with the tokenizer when the provider reports none. */
  usage: Partial<TokenCount>;
  /** True when served from the persistent call cache (nothing was paid). */
  cached?: boolean;
}

export interface Embedder {
  /** Stable identity: kind, model and parameters. Part of the config signature: changing it invalidates trees. */
  readonly id: string;
  /** Texts per call this embedder prefers. */
  readonly batchSize: number;
  embed(texts: string[], ctx: CallContext): Promise<EmbedResult>;
}

export interface SummaryResult {
  text: string;
  usage: Partial<TokenCount>;
  cached?: boolean;
}

export interface SummarizeRequest {
  /** The texts of one cluster, in order. */
  texts: string[];
  /** Upper bound on the summary's tokens. */
  maxTokens: number;
}

export interface Summarizer {
  /** Stable identity: kind, model, prompt and parameters. Part of the config signature. */
  readonly id: string;
  summarize(req: SummarizeRequest, ctx: CallContext): Promise<SummaryResult>;
}

/** A completed, paid-for call, stored so that a resumed or re-run task never pays twice. */
export interface CachedCall {
  /** JSON of the result: {text} for chat, {vectors: number[][]} for embeddings (base64 allowed). */
  value: string;
  usage: TokenCount;
}

/** Persistent cache of completed provider calls, keyed by a hash of (provider, model, input, parameters). */
export interface CallCache {
  get(key: string): CachedCall | undefined;
  /** Durable when it returns (journaled), so a kill right after repeats no call. */
  put(key: string, call: CachedCall): void;
}

/** Time, injectable for tests. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class AbortError extends Error {
  constructor(message = 'The operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'APIUserAbortError');
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortError());
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
