// A deterministic OpenAI-compatible server on 127.0.0.1 for tests and benchmarks: chat completions and embeddings,
// with injectable latency and faults (429 with Retry-After, 500, hang, malformed JSON, dropped connection, 401),
// and stats that let a test check what really reached the "provider" (repeats, usage, rate, concurrency).
//
// Standalone: `npx tsx test/support/openaiServer.ts --port 0 --latency 200 --fault-rate 0.1 [--seed 7]`
// prints its URL (http://127.0.0.1:PORT/v1) as the first stdout line, serves GET /stats, and prints the stats JSON
// on SIGTERM/SIGINT before exiting.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRng } from '../../src/engine/cluster/random';
import { countTokens, decodeTokens, encodeTokens } from '../../src/engine/tokenizer';

const seededUniform = (seed: number) => createRng(seed).next;

export type FaultKind =
  | 'rate-limit' // 429 with Retry-After (seconds) — or retry-after-ms when retryAfterMs is set
  | 'server-error' // 500 with an error body
  | 'hang' // never answers (until the client gives up)
  | 'malformed' // 200 with truncated JSON
  | 'missing-choices' // 200 with valid JSON that lacks choices/data
  | 'drop' // connection destroyed without a response
  | 'unauthorized' // 401
  | 'bad-request'; // 400

export interface FaultOptions {
  /** Faults by request number (0-based, counting every request the server receives). Wins over `rate`. */
  schedule?: Record<number, FaultKind>;
  /** Probability that a request not in the schedule gets a fault (seeded PRNG: same seed, same faults). */
  rate?: number;
  /** Kinds drawn when `rate` fires. */
  kinds?: FaultKind[];
  /** Every request gets this fault (a permanently failing endpoint). */
  always?: FaultKind;
  /** Retry-After header value, in seconds, for rate-limit faults. */
  retryAfterSeconds?: number;
  /** When set, rate-limit faults send `retry-after-ms` instead of `Retry-After`. */
  retryAfterMs?: number;
}

export interface OpenAIServerOptions extends FaultOptions {
  port?: number;
  /** Delay before each answer. */
  latencyMs?: number;
  /** Seed of the fault PRNG. */
  seed?: number;
  /** Embedding dimension. */
  dimension?: number;
  /** A summary is the first `summaryWords` words of the user content, cut at max_tokens tokens. */
  summaryWords?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Leave out `usage` from responses (some local servers do). */
  omitUsage?: boolean;
}

export interface ServerUsage {
  prompt: number;
  completion: number;
  embedding: number;
}

export interface OpenAIServerStats {
  /** Every request received, faulted or not. */
  requests: number;
  chatRequests: number;
  embeddingRequests: number;
  /** Requests answered 200 with a well-formed body. */
  succeeded: number;
  faults: Partial<Record<FaultKind, number>>;
  /** Requests whose client went away before the answer (aborts, timeouts). */
  clientAborts: number;
  /** sha256 (first 16 hex) of model + prompt/input → times received. Repeats of a completed call show up here. */
  byPrompt: Record<string, number>;
  /** Usage reported in successful responses. */
  usage: ServerUsage;
  /** Arrival times (ms since epoch) of every request. */
  timestamps: number[];
  /** Highest number of requests being handled at once. */
  maxConcurrency: number;
  models: Record<string, number>;
}

export interface OpenAIServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:40123/v1 */
  url: string;
  readonly stats: OpenAIServerStats;
  setFaults(faults: FaultOptions): void;
  setLatency(ms: number): void;
  resetStats(): void;
  close(): Promise<void>;
}

/** Key the server uses for byPrompt; exported so tests can look a prompt up. */
export function promptKey(model: string, content: string | string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([model, content]))
    .digest('hex')
    .slice(0, 16);
}

/** The summary the server gives for a user content (exported so tests can predict it). */
export function deterministicSummary(content: string, maxTokens: number, summaryWords: number): string {
  const words = content.split(/\s+/).filter(Boolean).slice(0, summaryWords).join(' ');
  const tokens = encodeTokens(words);
  return tokens.length <= maxTokens ? words : decodeTokens(tokens.slice(0, maxTokens));
}

/** Deterministic unit vector seeded by the text. */
export function deterministicEmbedding(text: string, dimension: number): number[] {
  const seed = createHash('sha256').update(text).digest().readUInt32LE(0);
  const rand = seededUniform(seed);
  const v = Array.from({ length: dimension }, () => rand() * 2 - 1);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}


function emptyStats(): OpenAIServerStats {
  return {
    requests: 0,
    chatRequests: 0,
    embeddingRequests: 0,
    succeeded: 0,
    faults: {},
    clientAborts: 0,
    byPrompt: {},
    usage: { prompt: 0, completion: 0, embedding: 0 },
    timestamps: [],
    maxConcurrency: 0,
    models: {},
  };
}

/** Chat framing OpenAI bills around message contents: 3 per message + 3 for the reply. */
function chatPromptTokens(messages: Array<{ content?: unknown }>): number {
  let n = 3;
  for (const m of messages) n += 3 + countTokens(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''));
  return n;
}

export async function startOpenAIServer(opts: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  let faults: FaultOptions = { ...opts };
  let latencyMs = opts.latencyMs ?? 0;
  const dimension = opts.dimension ?? 64;
  const summaryWords = opts.summaryWords ?? 80;
  let rand = seededUniform(opts.seed ?? 1);
  let stats = emptyStats();
  let inFlight = 0;
  const sockets = new Set<import('node:net').Socket>();

  function pickFault(n: number): FaultKind | undefined {
    if (faults.always) return faults.always;
    const scheduled = faults.schedule?.[n];
    if (scheduled) return scheduled;
    if (faults.rate && faults.rate > 0) {
      // Draw for every request so the sequence depends only on the seed and the request count.
      const fire = rand() < faults.rate;
      const kinds = faults.kinds?.length ? faults.kinds : (['rate-limit', 'server-error', 'malformed', 'drop'] as FaultKind[]);
      const kind = kinds[Math.floor(rand() * kinds.length)];
      if (fire) return kind;
    }
    return undefined;
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.endsWith('/stats')) return sendJson(res, 200, stats);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = stats.requests++;
      stats.timestamps.push(Date.now());
      inFlight++;
      stats.maxConcurrency = Math.max(stats.maxConcurrency, inFlight);
      let finished = false;
      const finish = () => {
        if (!finished) {
          finished = true;
          inFlight--;
        }
      };
      let timer: NodeJS.Timeout | undefined;
      res.on('close', () => {
        if (!res.writableFinished && !finished) stats.clientAborts++;
        if (timer) clearTimeout(timer);
        finish();
      });
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        finish();
        return sendJson(res, 400, { error: { message: 'request body is not JSON', type: 'invalid_request_error' } });
      }
      const path = (req.url ?? '').replace(/\?.*$/, '');
      const isChat = path.endsWith('/chat/completions');
      const isEmbed = path.endsWith('/embeddings');
      if (!isChat && !isEmbed) {
        finish();
        return sendJson(res, 404, { error: { message: `no route ${path}`, type: 'invalid_request_error' } });
      }
      if (isChat) stats.chatRequests++;
      else stats.embeddingRequests++;
      const model = String(body?.model ?? '');
      stats.models[model] = (stats.models[model] ?? 0) + 1;
      const content: string | string[] = isChat
        ? (body.messages ?? []).map((m: { content?: unknown }) => String(m.content ?? '')).join('\n')
        : Array.isArray(body.input)
          ? body.input.map(String)
          : [String(body.input ?? '')];
      const key = promptKey(model, content);
      stats.byPrompt[key] = (stats.byPrompt[key] ?? 0) + 1;

      const authorised = !opts.apiKey || req.headers.authorization === `Bearer ${opts.apiKey}`;
      const fault: FaultKind | undefined = authorised ? pickFault(n) : 'unauthorized';

      const respond = () => {
        timer = undefined;
        if (fault) stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
        switch (fault) {
          case 'hang':
            return; // the client's timeout (or abort) ends it
          case 'drop':
            finish();
            req.socket.destroy();
            return;
          case 'rate-limit': {
            const headers: Record<string, string> =
              faults.retryAfterMs !== undefined
                ? { 'retry-after-ms': String(faults.retryAfterMs) }
                : { 'retry-after': String(faults.retryAfterSeconds ?? 1) };
            finish();
            return sendJson(res, 429, { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }, headers);
          }
          case 'server-error':
            finish();
            return sendJson(res, 500, { error: { message: 'upstream exploded', type: 'server_error' } });
          case 'unauthorized':
            finish();
            return sendJson(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
          case 'bad-request':
            finish();
            return sendJson(res, 400, { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error' } });
          case 'malformed': {
            finish();
            const text = '{"id":"chatcmpl-x","choices":[{"message":{"content":"trunc';
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
            return res.end(text);
          }
          case 'missing-choices':
            finish();
            return sendJson(res, 200, { id: 'x', object: isChat ? 'chat.completion' : 'list' });
        }
        finish();
        stats.succeeded++;
        if (isChat) {
          const user = (body.messages ?? []).filter((m: { role?: string }) => m.role === 'user').map((m: { content?: unknown }) => String(m.content ?? '')).join('\n');
          const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 256);
          const text = deterministicSummary(user, maxTokens, summaryWords);
          const promptTokens = chatPromptTokens(body.messages ?? []);
          const completionTokens = countTokens(text);
          stats.usage.prompt += promptTokens;
          stats.usage.completion += completionTokens;
          return sendJson(res, 200, {
            id: `chatcmpl-${n}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null }],
            ...(opts.omitUsage ? {} : { usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } }),
          });
        }
        const inputs = content as string[];
        const tokens = inputs.reduce((s, t) => s + countTokens(t), 0);
        stats.usage.embedding += tokens;
        return sendJson(res, 200, {
          object: 'list',
          model,
          data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: deterministicEmbedding(t, dimension) })),
          ...(opts.omitUsage ? {} : { usage: { prompt_tokens: tokens, total_tokens: tokens } }),
        });
      };
      if (latencyMs > 0) timer = setTimeout(respond, latencyMs);
      else respond();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get stats() {
      return stats;
    },
    setFaults(f: FaultOptions) {
      faults = { ...f };
      rand = seededUniform(opts.seed ?? 1);
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    resetStats() {
      stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const num = (name: string) => (argValue(args, name) !== undefined ? Number(argValue(args, name)) : undefined);
  void startOpenAIServer({
    port: num('--port') ?? 0,
    latencyMs: num('--latency') ?? 0,
    rate: num('--fault-rate') ?? 0,
    seed: num('--seed') ?? 1,
    retryAfterSeconds: num('--retry-after') ?? 1,
    dimension: num('--dimension'),
    apiKey: argValue(args, '--api-key'),
  }).then((server) => {
    process.stdout.write(`${server.url}\n`);
    const stop = () => {
      process.stdout.write(`${JSON.stringify(server.stats)}\n`);
      void server.close().then(() => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
