// Does the shared limiter keep the provider busy? A loopback server answers each request after 200 ms; many
// documents issue summaries at once through one limiter capped at 16 in flight. Ideal wall time is
// calls × 200 ms / 16; the target is within 1.25× of it (overhead of the client, limiter, retry and JSON).
//
//   npx tsx bench/llm.ts            (prints a table and the JSON)
import { GuardedSummarizer } from '../src/engine/providers/guarded';
import { RequestLimiter } from '../src/engine/providers/limiter';
import { OpenAIChatSummarizer } from '../src/engine/providers/openai';
import { startOpenAIServer } from '../test/support/openaiServer';

export interface LlmBenchResult {
  calls: number;
  documents: number;
  maxInFlight: number;
  latencyMs: number;
  wallMs: number;
  idealMs: number;
  /** wallMs / idealMs; target ≤ 1.25. */
  ratio: number;
  maxConcurrencySeen: number;
  callsPerSecond: number;
}

export async function runLlmBench(opts: { calls?: number; documents?: number; maxInFlight?: number; latencyMs?: number } = {}): Promise<LlmBenchResult> {
  const calls = opts.calls ?? 400;
  const documents = opts.documents ?? 40;
  const maxInFlight = opts.maxInFlight ?? 16;
  const latencyMs = opts.latencyMs ?? 200;
  const server = await startOpenAIServer({ latencyMs });
  try {
    const limiter = new RequestLimiter({ maxInFlight });
    const summarizer = new GuardedSummarizer(
      new OpenAIChatSummarizer({ model: 'bench-model', baseUrl: server.url, timeoutMs: 30_000 }),
      { label: 'openai:bench-model', retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, attemptTimeoutMs: 30_000 }, limiter },
    );
    const signal = new AbortController().signal;
    // Each document sends its clusters' summaries a few at a time (as the tree builder does), all sharing the limiter.
    const perDocument = Math.ceil(calls / documents);
    const text = (d: number, i: number) => [
      `Document ${d}, cluster ${i}. The committee met on Tuesday to weigh the harbour budget and the new ferry timetable.`,
      `It agreed to fund two inspectors and to publish the minutes within a week; dissenting members asked for an audit.`,
    ];
    // Warm the connection pool and the tokenizer so the figure measures steady state.
    await summarizer.summarize({ texts: text(-1, -1), maxTokens: 40 }, { signal });
    server.resetStats();
    const started = performance.now();
    let issued = 0;
    await Promise.all(
      Array.from({ length: documents }, async (_, d) => {
        const mine = Array.from({ length: perDocument }, (_, i) => i).filter(() => issued++ < calls);
        const lanes = 4;
        await Promise.all(
          Array.from({ length: lanes }, async (_, lane) => {
            for (let k = lane; k < mine.length; k += lanes) {
              await summarizer.summarize({ texts: text(d, mine[k]), maxTokens: 60 }, { signal });
            }
          }),
        );
      }),
    );
    const wallMs = performance.now() - started;
    const idealMs = (calls * latencyMs) / maxInFlight;
    return {
      calls: server.stats.chatRequests,
      documents,
      maxInFlight,
      latencyMs,
      wallMs: Math.round(wallMs),
      idealMs: Math.round(idealMs),
      ratio: Number((wallMs / idealMs).toFixed(3)),
      maxConcurrencySeen: server.stats.maxConcurrency,
      callsPerSecond: Number(((server.stats.chatRequests / wallMs) * 1000).toFixed(1)),
    };
  } finally {
    await server.close();
  }
}

if (require.main === module) {
  void runLlmBench().then((r) => {
    console.log('| calls | docs | in flight | latency | wall | ideal | ratio (target ≤ 1.25) | max concurrency at server |');
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${r.calls} | ${r.documents} | ${r.maxInFlight} | ${r.latencyMs} ms | ${r.wallMs} ms | ${r.idealMs} ms | ${r.ratio} | ${r.maxConcurrencySeen} |`,
    );
    console.log(JSON.stringify(r));
  });
}
