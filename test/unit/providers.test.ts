// The OpenAI-compatible providers against a real loopback HTTP server: faults, limits, abort, cache, budget.
import { strict as assert } from 'assert';
import { type Clock, isAbortError, systemClock } from '../../src/engine/ports';
import { TokenBudget } from '../../src/engine/providers/budget';
import { CachingEmbedder, CachingSummarizer, MemoryCallCache } from '../../src/engine/providers/cache';
import { BudgetExceededError, ProviderError } from '../../src/engine/providers/errors';
import { GuardedEmbedder, GuardedSummarizer } from '../../src/engine/providers/guarded';
import { RequestLimiter } from '../../src/engine/providers/limiter';
import { OpenAIChatSummarizer, OpenAIEmbedder } from '../../src/engine/providers/openai';
import { DEFAULT_SUMMARY_PROMPT, formatSummaryPrompt } from '../../src/engine/providers/prompt';
import { parseRetryAfter } from '../../src/engine/providers/retry';
import {
  deterministicEmbedding,
  deterministicSummary,
  type OpenAIServer,
  type OpenAIServerOptions,
  promptKey,
  startOpenAIServer,
} from '../support/openaiServer';

interface Rig {
  summarizer: GuardedSummarizer;
  embedder: GuardedEmbedder;
  limiter: RequestLimiter;
  budget?: TokenBudget;
  logs: string[];
}

interface RigOptions {
  model?: string;
  apiKey?: string;
  maxAttempts?: number;
  timeoutMs?: number;
  maxInFlight?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  budget?: TokenBudget;
  clock?: Clock;
  summaryPrompt?: string;
}

/** The same composition the factory builds for openai:MODEL (limiter + retry + budget), with short backoff. */
function rig(url: string, o: RigOptions = {}): Rig {
  const clock = o.clock ?? systemClock;
  const limiter = new RequestLimiter(
    { maxInFlight: o.maxInFlight ?? 8, requestsPerMinute: o.requestsPerMinute, tokensPerMinute: o.tokensPerMinute },
    clock,
  );
  const timeoutMs = o.timeoutMs ?? 5000;
  const logs: string[] = [];
  const model = o.model ?? 'test-model';
  const policy = {
    label: `openai:${model}`,
    retry: { maxAttempts: o.maxAttempts ?? 6, baseDelayMs: 10, maxDelayMs: 50, attemptTimeoutMs: timeoutMs, clock },
    limiter,
    budget: o.budget,
    log: (_l: string, m: string) => void logs.push(m),
  };
  const conn = { baseUrl: url, apiKey: o.apiKey, timeoutMs };
  return {
    summarizer: new GuardedSummarizer(new OpenAIChatSummarizer({ ...conn, model, summaryPrompt: o.summaryPrompt }), policy),
    embedder: new GuardedEmbedder(new OpenAIEmbedder({ ...conn, model: `${model}-embed` }), policy),
    limiter,
    budget: o.budget,
    logs,
  };
}

const never = new AbortController().signal;
const texts = (i: number) => [`Cluster ${i}: the first member text, about ships and harbours.`, `The second member of cluster ${i}, about trade.`];
const expectedSummary = (i: number, maxTokens = 100) =>
  deterministicSummary(formatSummaryPrompt(DEFAULT_SUMMARY_PROMPT, texts(i)), maxTokens, 80);

describe('providers: OpenAI-compatible summarizer and embedder over a loopback server', function () {
  let server: OpenAIServer;
  async function serve(opts: OpenAIServerOptions = {}): Promise<string> {
    server = await startOpenAIServer(opts);
    return server.url;
  }
  afterEach(async () => {
    await server?.close();
  });

  it('summarizes and embeds, with the usage the server reported', async () => {
    const r = rig(await serve());
    const s = await r.summarizer.summarize({ texts: texts(1), maxTokens: 100 }, { signal: never });
    assert.equal(s.text, expectedSummary(1));
    const e = await r.embedder.embed(['alpha', 'beta'], { signal: never });
    assert.equal(e.vectors.length, 2);
    assert.deepEqual(Array.from(e.vectors[1]), Array.from(Float32Array.from(deterministicEmbedding('beta', 64))));
    assert.deepEqual(
      { prompt: s.usage.prompt, completion: s.usage.completion, embedding: e.usage.embedding },
      server.stats.usage,
    );
    assert.ok(server.stats.usage.prompt > 0 && server.stats.usage.completion > 0 && server.stats.usage.embedding > 0);
  });

  it('completes despite 429, 500, malformed JSON, missing choices, a hang and a dropped connection', async () => {
    const url = await serve({
      retryAfterSeconds: 0,
      schedule: { 0: 'rate-limit', 1: 'server-error', 2: 'malformed', 3: 'hang', 4: 'drop', 5: 'missing-choices', 7: 'malformed', 9: 'drop' },
    });
    const r = rig(url, { timeoutMs: 400, maxInFlight: 4 });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => r.summarizer.summarize({ texts: texts(i), maxTokens: 100 }, { signal: never })),
    );
    results.forEach((res, i) => assert.equal(res.text, expectedSummary(i)));
    const f = server.stats.faults;
    assert.deepEqual(
      [f['rate-limit'], f['server-error'], f.malformed, f.hang, f.drop, f['missing-choices']],
      [1, 1, 2, 1, 2, 1],
    );
    assert.equal(server.stats.requests, 18);
    // Embeddings survive the same faults.
    server.setFaults({ schedule: { 18: 'malformed', 19: 'drop', 20: 'missing-choices', 21: 'server-error' } });
    const e = await r.embedder.embed(['one', 'two', 'three'], { signal: never });
    assert.equal(e.vectors.length, 3);
    assert.equal(server.stats.requests, 23);
    assert.ok(r.logs.some((l) => /attempt 1 failed .*retrying in/.test(l)), 'retries are logged');
  });

  it('a permanently failing endpoint ends in one clear ProviderError after maxAttempts', async () => {
    const r = rig(await serve({ always: 'server-error' }), { maxAttempts: 3 });
    await assert.rejects(r.summarizer.summarize({ texts: texts(1), maxTokens: 50 }, { signal: never }), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.message, 'openai:test-model failed after 3 attempts: 500 upstream exploded');
      assert.equal(e.status, 500);
      return true;
    });
    assert.equal(server.stats.requests, 3);
  });

  it('does not retry 401 or 400, and says what the provider said', async () => {
    const r = rig(await serve({ apiKey: 'right-key' }), { apiKey: 'wrong-key' });
    await assert.rejects(r.summarizer.summarize({ texts: texts(1), maxTokens: 50 }, { signal: never }), {
      name: 'ProviderError',
      message: 'openai:test-model failed: 401 Incorrect API key provided.',
    });
    assert.equal(server.stats.requests, 1);
    server.setFaults({ always: 'bad-request' });
    const ok = rig(server.url, { apiKey: 'right-key' });
    await assert.rejects(ok.embedder.embed(['x'], { signal: never }), /failed: 400 This model's maximum context length/);
    assert.equal(server.stats.requests, 2);
  });

  it('honours Retry-After (seconds) and retry-after-ms', async () => {
    const r = rig(await serve({ schedule: { 0: 'rate-limit' }, retryAfterSeconds: 1 }));
    await r.summarizer.summarize({ texts: texts(1), maxTokens: 50 }, { signal: never });
    const [t0, t1] = server.stats.timestamps;
    assert.ok(t1 - t0 >= 1000, `waited ${t1 - t0} ms after Retry-After: 1`);

    server.resetStats();
    server.setFaults({ schedule: { 0: 'rate-limit' }, retryAfterMs: 400 });
    await r.summarizer.summarize({ texts: texts(2), maxTokens: 50 }, { signal: never });
    const [u0, u1] = server.stats.timestamps;
    assert.ok(u1 - u0 >= 400, `waited ${u1 - u0} ms after retry-after-ms: 400`);
    assert.ok(u1 - u0 < 1000, 'retry-after-ms wins over the default backoff and is not read as seconds');
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const h = (m: Record<string, string>) => ({ get: (k: string) => m[k] ?? null });
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(h({ 'retry-after': '3' }), now), 3000);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), now), 7000);
    assert.equal(parseRetryAfter(h({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250);
    assert.equal(parseRetryAfter(h({}), now), undefined);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'soon' }), now), undefined);
  });

  it('never has more requests in flight than maxInFlight, across callers', async () => {
    const r = rig(await serve({ latencyMs: 80 }), { maxInFlight: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => r.summarizer.summarize({ texts: texts(i), maxTokens: 30 }, { signal: never })));
    assert.equal(server.stats.maxConcurrency, 3);
  });

  it('keeps every 60-s window at the server within requestsPerMinute (clock running 20× fast)', async () => {
    const speed = 20; // 3-s windows: scheduling jitter on a loaded 2-core machine stays far below the window
    const start = Date.now();
    const fast: Clock = {
      now: () => start + (Date.now() - start) * speed,
      sleep: (ms, signal) => systemClock.sleep(Math.ceil(ms / speed), signal),
    };
    const r = rig(await serve(), { requestsPerMinute: 4, clock: fast });
    await Promise.all(Array.from({ length: 10 }, (_, i) => r.summarizer.summarize({ texts: texts(i), maxTokens: 30 }, { signal: never })));
    const ts = server.stats.timestamps;
    assert.equal(ts.length, 10);
    const windowMs = (60_000 / speed) * 0.95; // 5% for the hop from limiter to server
    const worst = Math.max(...ts.map((t) => ts.filter((u) => u >= t && u < t + windowMs).length));
    assert.equal(worst, 4);
  });

  it('keeps tokens per minute within tokensPerMinute (reserve, then correct with actual usage)', async () => {
    const speed = 20; // 3-s windows: scheduling jitter on a loaded 2-core machine stays far below the window
    const start = Date.now();
    const fast: Clock = {
      now: () => start + (Date.now() - start) * speed,
      sleep: (ms, signal) => systemClock.sleep(Math.ceil(ms / speed), signal),
    };
    const r = rig(await serve(), { tokensPerMinute: 300, clock: fast });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => r.summarizer.summarize({ texts: texts(i), maxTokens: 60 }, { signal: never })),
    );
    const perCall = (results[0].usage.prompt ?? 0) + (results[0].usage.completion ?? 0);
    assert.ok(perCall > 60 && perCall * 3 <= 300, `a call is ${perCall} tokens`);
    // Reservation is prompt + max_tokens (≈110), so 2 fit in the first window, not the 3 actual usage would allow.
    const ts = server.stats.timestamps;
    const windowMs = (60_000 / speed) * 0.95;
    const worst = Math.max(...ts.map((t) => ts.filter((u) => u >= t && u < t + windowMs).length));
    assert.ok(worst * perCall <= 300, `${worst} calls of ${perCall} tokens in one window`);
  });

  it('token totals equal what the server reported, faults and all', async () => {
    const r = rig(await serve({ rate: 0.3, seed: 5, retryAfterSeconds: 0 }), { maxInFlight: 4, maxAttempts: 10 });
    let prompt = 0;
    let completion = 0;
    let embedding = 0;
    await Promise.all([
      ...Array.from({ length: 15 }, async (_, i) => {
        const s = await r.summarizer.summarize({ texts: texts(i), maxTokens: 40 }, { signal: never });
        prompt += s.usage.prompt ?? 0;
        completion += s.usage.completion ?? 0;
      }),
      ...Array.from({ length: 5 }, async (_, i) => {
        const e = await r.embedder.embed([`batch ${i} a`, `batch ${i} b`], { signal: never });
        embedding += e.usage.embedding ?? 0;
      }),
    ]);
    assert.ok(Object.keys(server.stats.faults).length > 0, 'faults were injected');
    assert.deepEqual({ prompt, completion, embedding }, server.stats.usage);
  });

  it('counts tokens itself when a local server reports no usage', async () => {
    const r = rig(await serve({ omitUsage: true }));
    const s = await r.summarizer.summarize({ texts: texts(3), maxTokens: 40 }, { signal: never });
    assert.ok((s.usage.prompt ?? 0) > 10 && (s.usage.completion ?? 0) > 0);
  });

  it('abort (pause) ends an in-flight request promptly, even with a 30-s server', async () => {
    const r = rig(await serve({ latencyMs: 30_000 }), { timeoutMs: 60_000 });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(r.summarizer.summarize({ texts: texts(1), maxTokens: 50 }, { signal: ac.signal }), (e: unknown) => isAbortError(e));
    const took = Date.now() - started;
    assert.ok(took < 1000, `took ${took} ms`);
    assert.equal(server.stats.requests, 1, 'an abort is not retried');
    assert.equal(r.limiter.inFlight, 0, 'the slot was freed');
  });

  it('abort also ends a wait for the limiter and a backoff sleep', async () => {
    const r = rig(await serve({ latencyMs: 30_000 }), { maxInFlight: 1, timeoutMs: 60_000 });
    const ac = new AbortController();
    const first = r.summarizer.summarize({ texts: texts(1), maxTokens: 50 }, { signal: ac.signal });
    const queued = r.summarizer.summarize({ texts: texts(2), maxTokens: 50 }, { signal: ac.signal });
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.limiter.waiting, 1);
    ac.abort();
    await assert.rejects(first, (e: unknown) => isAbortError(e));
    await assert.rejects(queued, (e: unknown) => isAbortError(e));
    assert.equal(r.limiter.waiting, 0);

    server.setLatency(0);
    server.setFaults({ always: 'rate-limit', retryAfterSeconds: 30 });
    const ac2 = new AbortController();
    const sleeping = r.summarizer.summarize({ texts: texts(3), maxTokens: 50 }, { signal: ac2.signal });
    await new Promise((res) => setTimeout(res, 200));
    const t = Date.now();
    ac2.abort();
    await assert.rejects(sleeping, (e: unknown) => isAbortError(e));
    assert.ok(Date.now() - t < 500);
  });

  it('cache: an identical call is not sent again; a changed prompt, input or model is', async () => {
    const url = await serve();
    const cache = new MemoryCallCache();
    const a = rig(url);
    const summarizer = new CachingSummarizer(a.summarizer, cache);
    const req = { texts: texts(1), maxTokens: 60 };
    const first = await summarizer.summarize(req, { signal: never });
    const again = await summarizer.summarize({ texts: [...req.texts], maxTokens: 60 }, { signal: never });
    assert.equal(server.stats.chatRequests, 1);
    assert.equal(again.text, first.text);
    assert.equal(again.cached, true);
    assert.deepEqual(again.usage, { prompt: 0, completion: 0, embedding: 0 });

    await summarizer.summarize({ texts: texts(2), maxTokens: 60 }, { signal: never });
    await summarizer.summarize({ texts: texts(1), maxTokens: 61 }, { signal: never });
    await new CachingSummarizer(rig(url, { model: 'other-model' }).summarizer, cache).summarize(req, { signal: never });
    await new CachingSummarizer(rig(url, { summaryPrompt: 'Summarise: {context}' }).summarizer, cache).summarize(req, { signal: never });
    assert.equal(server.stats.chatRequests, 5);
    const key = promptKey('test-model', formatSummaryPrompt(DEFAULT_SUMMARY_PROMPT, texts(1)));
    assert.equal(server.stats.byPrompt[key], 2, 'same prompt sent once per max_tokens value');

    const embedder = new CachingEmbedder(a.embedder, cache);
    const e1 = await embedder.embed(['x', 'y'], { signal: never });
    const e2 = await embedder.embed(['x', 'y'], { signal: never });
    assert.equal(server.stats.embeddingRequests, 1);
    assert.equal(e2.cached, true);
    assert.deepEqual(e2.vectors.map((v) => Array.from(v)), e1.vectors.map((v) => Array.from(v)));
    await embedder.embed(['x', 'z'], { signal: never });
    assert.equal(server.stats.embeddingRequests, 2);
  });

  it('cache: a failed call stores nothing, so the retry of the document pays once', async () => {
    const url = await serve({ always: 'server-error' });
    const cache = new MemoryCallCache();
    const summarizer = new CachingSummarizer(rig(url, { maxAttempts: 2 }).summarizer, cache);
    await assert.rejects(summarizer.summarize({ texts: texts(1), maxTokens: 40 }, { signal: never }), ProviderError);
    assert.equal(cache.entries.size, 0);
    server.setFaults({});
    await summarizer.summarize({ texts: texts(1), maxTokens: 40 }, { signal: never });
    assert.equal(cache.entries.size, 1);
  });

  it('budget: concurrent calls never overshoot; the next call throws BudgetExceededError; raising it resumes', async () => {
    const budget = new TokenBudget(1000, 120);
    const r = rig(await serve({ latencyMs: 30 }), { budget, maxInFlight: 16 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => r.summarizer.summarize({ texts: texts(i), maxTokens: 60 }, { signal: never })),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof BudgetExceededError);
    assert.ok(ok >= 3 && refused.length >= 5, `${ok} ok, ${refused.length} refused`);
    assert.equal(ok + refused.length, 20);
    const billed = server.stats.usage.prompt + server.stats.usage.completion;
    assert.equal(budget.used, 120 + billed);
    assert.ok(budget.used <= 1000, `used ${budget.used}`);
    assert.equal(budget.reserved, 0);
    assert.match(
      (refused[0] as PromiseRejectedResult).reason.message,
      /^Token budget of 1,000 reached \([\d,]+ used\); raise raptor\.provider\.tokenBudget \/ --token-budget to continue\.$/,
    );
    assert.equal(server.stats.chatRequests, ok, 'refused calls were never sent');
    budget.setLimit(10_000);
    await r.summarizer.summarize({ texts: texts(99), maxTokens: 60 }, { signal: never });
    assert.equal(server.stats.chatRequests, ok + 1);
  });

  it('budget: a cache hit costs nothing', async () => {
    const url = await serve();
    const budget = new TokenBudget(10_000);
    const cache = new MemoryCallCache();
    const s = new CachingSummarizer(rig(url, { budget }).summarizer, cache);
    await s.summarize({ texts: texts(1), maxTokens: 40 }, { signal: never });
    const used = budget.used;
    budget.setLimit(used); // not a token left
    const again = await s.summarize({ texts: texts(1), maxTokens: 40 }, { signal: never });
    assert.equal(again.cached, true);
    assert.equal(budget.used, used);
  });
});

describe('providers: limiter with a manual clock', () => {
  class ManualClock implements Clock {
    t = 1_000_000;
    private sleepers: Array<{ at: number; resolve: () => void }> = [];
    now = () => this.t;
    sleep = (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const s = { at: this.t + ms, resolve };
        this.sleepers.push(s);
        signal?.addEventListener('abort', () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          reject(new Error('aborted'));
        });
      });
    async advance(ms: number) {
      this.t += ms;
      const due = this.sleepers.filter((s) => s.at <= this.t);
      this.sleepers = this.sleepers.filter((s) => s.at > this.t);
      due.forEach((s) => s.resolve());
      await new Promise((r) => setImmediate(r));
    }
  }

  it('admits by requests per minute, first come first served', async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ requestsPerMinute: 2, maxInFlight: 10 }, clock);
    const order: number[] = [];
    const permits = [0, 1, 2, 3, 4].map((i) => limiter.acquire(1, never).then((p) => (order.push(i), p.release())));
    await clock.advance(0);
    assert.deepEqual(order, [0, 1]);
    await clock.advance(59_999);
    assert.deepEqual(order, [0, 1]);
    await clock.advance(1);
    assert.deepEqual(order, [0, 1, 2, 3]);
    await clock.advance(60_000);
    await Promise.all(permits);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  it('reserves tokens per minute and frees what actual usage did not take', async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ tokensPerMinute: 1000, maxInFlight: 10 }, clock);
    const a = await limiter.acquire(600, never);
    let bAdmitted = false;
    const b = limiter.acquire(600, never).then((p) => ((bAdmitted = true), p));
    await clock.advance(10);
    assert.equal(bAdmitted, false, '600 + 600 reserved > 1000');
    a.settle(300); // the call used less than reserved
    await clock.advance(0);
    assert.equal(bAdmitted, true);
    a.release();
    (await b).release();
  });

  it('lets a request bigger than the whole TPM limit through alone rather than deadlock', async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ tokensPerMinute: 100, maxInFlight: 10 }, clock);
    const p = await limiter.acquire(5000, never);
    p.release();
    let second = false;
    void limiter.acquire(10, never).then(() => (second = true));
    await clock.advance(30_000);
    assert.equal(second, false);
    await clock.advance(30_000);
    assert.equal(second, true);
  });

  it('holds every request after a 429 asked to wait', async () => {
    const clock = new ManualClock();
    const limiter = new RequestLimiter({ maxInFlight: 10 }, clock);
    limiter.holdUntil(clock.now() + 5000);
    let admitted = false;
    void limiter.acquire(1, never).then(() => (admitted = true));
    await clock.advance(4999);
    assert.equal(admitted, false);
    await clock.advance(1);
    assert.equal(admitted, true);
  });
});
