// LLM-bound run through the whole engine: `raptor index` (in-process, the same RaptorIndex the CLI drives) with the
// openai summarizer against a loopback OpenAI-compatible server that answers after 200 ms, 16 requests in flight
// across documents. Target: wall time within 1.25× of (calls × 200 ms / 16).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RaptorIndex } from '../src/engine/raptorIndex';
import { spawn } from 'child_process';
import type { OpenAIServerStats } from '../test/support/openaiServer';

/**
 * The loopback server runs in its own process, as a real provider would: its CPU (tokenising prompts to report
 * usage) must not be billed to the engine's thread.
 */
async function startServerProcess(latencyMs: number): Promise<{ url: string; stats(): Promise<OpenAIServerStats>; close(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'test', 'support', 'openaiServer.ts'), '--port', '0', '--latency', String(latencyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`the test server exited (${code})`)));
  });
  return {
    url,
    stats: async () => (await (await fetch(`${url.replace(/\/v1$/, '')}/stats`)).json()) as OpenAIServerStats,
    close: () => child.kill('SIGTERM'),
  };
}

const SOTU = path.join(__dirname, '..', 'node_modules', '@stdlib', 'datasets-sotu', 'data');

export interface LlmPipelineResult {
  documents: number;
  calls: number;
  latency_ms: number;
  max_in_flight: number;
  concurrency: number;
  wall_s: number;
  ideal_s: number;
  ratio: number;
  max_concurrency_seen: number;
  tokens_reported_by_server: number;
  tokens_counted: number;
}

export async function runLlmPipelineBench(opts: { documents?: number; latencyMs?: number; maxInFlight?: number; concurrency?: number } = {}): Promise<LlmPipelineResult> {
  const latencyMs = opts.latencyMs ?? 200;
  const maxInFlight = opts.maxInFlight ?? 16;
  const files = fs.readdirSync(SOTU).filter((f) => f.endsWith('.txt')).sort();
  const n = opts.documents ?? 48;
  const picked = Array.from({ length: n }, (_, i) => files[Math.floor((i * files.length) / n)]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-llm-bench-'));
  for (const f of picked) fs.copyFileSync(path.join(SOTU, f), path.join(root, f));
  const server = await startServerProcess(latencyMs);
  try {
    // Twice as many documents in flight as request slots: a document waits on its own layers (summaries, then
    // clustering, then the next layer), so the limiter only stays full when other documents have calls ready.
    const concurrency = opts.concurrency ?? 2 * maxInFlight;
    const index = await RaptorIndex.open({
      root,
      config: { summarizer: 'openai:bench-model', concurrency, provider: { baseUrl: server.url, maxInFlight } },
      env: {},
    });
    const t0 = performance.now();
    const outcome = await index.run();
    const wall = (performance.now() - t0) / 1000;
    const s = index.status();
    await index.close();
    if (outcome.state !== 'completed' || s.failed_documents) throw new Error(`the LLM-bound run ended ${outcome.state} with ${s.failed_documents} failed`);
    const stats = await server.stats();
    const calls = stats.chatRequests;
    const ideal = (calls * latencyMs) / 1000 / maxInFlight;
    const u = stats.usage;
    return {
      documents: n,
      calls,
      latency_ms: latencyMs,
      max_in_flight: maxInFlight,
      concurrency,
      wall_s: Math.round(wall * 100) / 100,
      ideal_s: Math.round(ideal * 100) / 100,
      ratio: Math.round((wall / ideal) * 100) / 100,
      max_concurrency_seen: stats.maxConcurrency,
      tokens_reported_by_server: u.prompt + u.completion + u.embedding,
      tokens_counted: s.token_count.total,
    };
  } finally {
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runLlmPipelineBench().then((r) => console.log(JSON.stringify(r, null, 2)), (e) => {
    console.error(e);
    process.exit(1);
  });
}
