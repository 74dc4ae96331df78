// Does the shared limiter keep the provider busy? A loopback server answers each request after 200 ms; many
// documents issue summaries at once through one limiter capped at 16 in flight. Ideal wall time is
// calls × 200 ms / 16; the target is within 1.25× of it (overhead of the client, limiter, retry and JSON).
//
//   npx tsx bench/llm.ts            (prints a table and the JSON)
import { GuardedSummarizer } from '../src/engine/providers/guarded';
import { RequestLimiter } from '../src/engine/providers/limiter';
import { OpenAIChatSummarizer } from '../src/engine/providers/openai';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { OpenAIServerStats } from '../test/support/openaiServer';

/**
 * The server runs in its own process, so the CPU it spends (JSON, its tokenizer) neither slows our client nor
 * counts as our overhead; the client's own CPU per call is reported separately.
 */
async function startServerProcess(latencyMs: number): Promise<{ url: string; stop(): Promise<OpenAIServerStats> }> {
  const script = path.join(__dirname, '..', 'test', 'support', 'openaiServer.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0', '--latency', String(latencyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the loopback server exited with code ${code}`)));
    child.stdout.on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
  });
  return {
    url,
    stop: () =>
      new Promise<OpenAIServerStats>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve(JSON.parse(out.split('\n').filter(Boolean).pop()!) as OpenAIServerStats));
        child.kill('SIGTERM');
      }),
  };
}

export interface LlmBenchResult {
  calls: number;
  documents: number;
  maxInFlight: number;
  latencyMs: number;
  wallMs: number;
  idealMs: number;
  /** wallMs / idealMs; target ≤ 1.25. */
  ratio: number;
  /** CPU our side (client, limiter, retry, tokenizer) spent per call. */
  clientCpuMsPerCall: number;
  maxConcurrencySeen: number;
  callsPerSecond: number;
}

export async function runLlmBench(opts: { calls?: number; documents?: number; maxInFlight?: number; latencyMs?: number } = {}): Promise<LlmBenchResult> {
  const calls = opts.calls ?? 400;
  const documents = opts.documents ?? 40;
  const maxInFlight = opts.maxInFlight ?? 16;
  const latencyMs = opts.latencyMs ?? 200;
  const server = await startServerProcess(latencyMs);
  let stats: OpenAIServerStats | undefined;
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
    const cpuBefore = process.cpuUsage();
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
    const cpu = process.cpuUsage(cpuBefore);
    stats = await server.stop();
    const idealMs = (calls * latencyMs) / maxInFlight;
    return {
      calls: stats.chatRequests - 1, // minus the warm-up call
      documents,
      maxInFlight,
      latencyMs,
      wallMs: Math.round(wallMs),
      idealMs: Math.round(idealMs),
      ratio: Number((wallMs / idealMs).toFixed(3)),
      clientCpuMsPerCall: Number(((cpu.user + cpu.system) / 1000 / calls).toFixed(2)),
      maxConcurrencySeen: stats.maxConcurrency,
      callsPerSecond: Number((((stats.chatRequests - 1) / wallMs) * 1000).toFixed(1)),
    };
  } finally {
    if (!stats) await server.stop().catch(() => undefined);
  }
}

if (require.main === module) {
  void runLlmBench().then((r) => {
    console.log('| calls | docs | in flight | latency | wall | ideal | ratio (target ≤ 1.25) | client CPU/call | max concurrency at server |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${r.calls} | ${r.documents} | ${r.maxInFlight} | ${r.latencyMs} ms | ${r.wallMs} ms | ${r.idealMs} ms | ${r.ratio} | ${r.clientCpuMsPerCall} ms | ${r.maxConcurrencySeen} |`,
    );
    console.log(JSON.stringify(r));
  });
}
