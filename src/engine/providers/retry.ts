// Retry of one provider call: exponential backoff with full jitter, Retry-After honoured, a per-attempt timeout,
// and a clear line between what is worth retrying (timeouts, 429, 5xx, resets, garbage bodies) and what is not
// (400/401/403/404: the same request will fail the same way, so fail fast with the provider's own words).
// Abort is never retried: it propagates at once as an AbortError.
import { AbortError, type Clock, isAbortError, systemClock } from '../ports';
import { isPausingError, ProviderError } from './errors';
import type { LimiterPermit } from './limiter';

export interface RetryPolicy {
  /** Attempts in all, first try included. */
  maxAttempts: number;
  /** Backoff cap before jitter for attempt n is min(maxDelayMs, baseDelayMs · 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Each attempt is abandoned (and retried) after this long. Covers a server that sends headers, then stalls. */
  attemptTimeoutMs: number;
  clock?: Clock;
  /** Uniform [0,1) source for the jitter; injectable so tests can pin it. */
  random?: () => number;
  /** Longest Retry-After we are willing to honour; beyond it we wait this long and try again. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY_BACKOFF = { baseDelayMs: 500, maxDelayMs: 30_000 } as const;

/** A 200 response we cannot use (invalid JSON, no choices, wrong number of embeddings). Worth another try. */
export class MalformedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}

/** Our own per-attempt timer fired. */
export class AttemptTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${formatSeconds(ms)}`);
    this.name = 'AttemptTimeoutError';
  }
}

export interface FailureClass {
  retryable: boolean;
  /** One-line reason, the provider's own message where there is one. */
  reason: string;
  status?: number;
  /** Server-requested wait (Retry-After / retry-after-ms), in ms. */
  retryAfterMs?: number;
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Parse Retry-After (delta-seconds or HTTP date) and the non-standard retry-after-ms, into ms from `now`. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Decide whether a failed attempt is worth retrying. Works on the openai SDK's errors by shape, not by class. */
export function classifyFailure(e: unknown, now: number): FailureClass {
  if (e instanceof AttemptTimeoutError) return { retryable: true, reason: e.message };
  if (e instanceof MalformedResponseError) return { retryable: true, reason: e.message };
  if (e instanceof SyntaxError) return { retryable: true, reason: `malformed response (${e.message})` };
  const err = e as { status?: unknown; headers?: { get(name: string): string | null }; message?: unknown; name?: unknown };
  const status = typeof err?.status === 'number' ? err.status : undefined;
  const message = typeof err?.message === 'string' ? err.message.split('\n')[0] : String(e);
  if (status !== undefined) {
    const retryAfterMs = parseRetryAfter(typeof err.headers?.get === 'function' ? err.headers : undefined, now);
    // 408 request timeout, 409 lock conflict (OpenAI documents it as transient), 429, 5xx.
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return { retryable, reason: message, status, retryAfterMs };
  }
  const name = typeof err?.name === 'string' ? err.name : '';
  if (name === 'APIConnectionTimeoutError') return { retryable: true, reason: 'request timed out' };
  if (name === 'APIConnectionError') return { retryable: true, reason: `connection failed (${errorCode(e) ?? message})` };
  const code = errorCode(e);
  if (code || /\b(terminated|socket hang up|other side closed|fetch failed)\b/i.test(message)) {
    return { retryable: true, reason: `connection failed (${code ?? message})` };
  }
  return { retryable: false, reason: message };
}

export interface RetryHooks {
  /**
   * Taken before each attempt and released after it, outside the attempt's timeout (waiting for the shared limiter
   * is not the provider being slow). Backoff waits happen without it, so a sleeping retry holds no slot.
   */
  acquire?(signal: AbortSignal): Promise<LimiterPermit>;
  /** Called before each backoff wait. */
  onRetry?(info: { attempt: number; delayMs: number; reason: string }): void;
  /** The provider asked everyone to wait until `atMs` (429 + Retry-After); the shared limiter should hold. */
  onRateLimited?(atMs: number): void;
}

/**
 * Run `attempt` until it succeeds, fails for good, or runs out of attempts. `attempt` gets a signal that fires on
 * the caller's abort or on the per-attempt timeout, and must pass it to the request.
 * Throws ProviderError (one sentence, with the provider's message) or AbortError.
 */
export async function withRetry<T>(
  label: string,
  attempt: (signal: AbortSignal, attemptNumber: number, permit: LimiterPermit | undefined) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  hooks: RetryHooks = {},
): Promise<T> {
  const clock = policy.clock ?? systemClock;
  const random = policy.random ?? Math.random;
  let last: FailureClass | undefined;
  for (let n = 1; n <= policy.maxAttempts; n++) {
    if (signal.aborted) throw new AbortError();
    const permit = hooks.acquire ? await hooks.acquire(signal) : undefined;
    const timeout = new AbortController();
    const attemptSignal = AbortSignal.any([signal, timeout.signal]);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort(new AttemptTimeoutError(policy.attemptTimeoutMs));
    }, policy.attemptTimeoutMs);
    try {
      return await attempt(attemptSignal, n, permit);
    } catch (e) {
      if (signal.aborted) throw new AbortError();
      if (isAbortError(e) && !timedOut) throw e instanceof AbortError ? e : new AbortError();
      if (isPausingError(e)) throw e; // budget/consent: the runner pauses the task, retrying cannot help
      if (e instanceof ProviderError) throw e; // already one clear sentence (e.g. a missing key): nothing to retry

      last = timedOut ? classifyFailure(new AttemptTimeoutError(policy.attemptTimeoutMs), clock.now()) : classifyFailure(e, clock.now());
      if (!last.retryable) throw new ProviderError(`${label} failed: ${last.reason}`, last.status, n);
    } finally {
      clearTimeout(timer);
      permit?.release();
    }
    if (n === policy.maxAttempts) break;
    const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
    let delayMs = Math.floor(random() * cap);
    if (last.retryAfterMs !== undefined) {
      const honoured = Math.min(last.retryAfterMs, policy.maxRetryAfterMs ?? 600_000);
      // Wait at least what the server asked; a little jitter on top keeps clients from retrying in lockstep.
      delayMs = Math.ceil(honoured) + Math.floor(random() * Math.min(cap, 250));
      hooks.onRateLimited?.(clock.now() + honoured);
    }
    hooks.onRetry?.({ attempt: n, delayMs, reason: last.reason });
    await clock.sleep(delayMs, signal);
  }
  const attempts = policy.maxAttempts;
  throw new ProviderError(
    `${label} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last?.reason ?? 'unknown error'}`,
    last?.status,
    attempts,
  );
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
