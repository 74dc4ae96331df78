// Issue 4, through the whole engine: the real `raptor` CLI against a loopback OpenAI-compatible server that
// rate-limits, errors, garbles, drops, hangs or fails for good. What the server billed is the ground truth for the
// token accounting, the budget and the repeat counts.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { makeCorpus, rmrf, shortestAddresses } from '../support/fakes';
import { startOpenAIServer, type OpenAIServer, type OpenAIServerOptions } from '../support/openaiServer';
import {
  cliLauncher,
  exportLines,
  raptor,
  repeatedCalls,
  requestsInFlight,
  startRaptor,
  statusJson,
  until,
} from '../support/childRun';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noStackTrace = (s: string) => !/\bat .+:\d+:\d+/.test(s);

describe('remote provider: faults, budget, pause and kill through the whole engine', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  const servers: OpenAIServer[] = [];
  const corpus = (n: number) => {
    const d = makeCorpus(shortestAddresses(n));
    dirs.push(d);
    return d;
  };
  const serve = async (opts: OpenAIServerOptions) => {
    const s = await startOpenAIServer(opts);
    servers.push(s);
    return s;
  };
  const remote = (s: OpenAIServer, extra: string[] = []) => ['--summarizer', 'openai:m', '--base-url', s.url, '--concurrency', '2', ...extra];
  before(async () => {
    await cliLauncher();
  });
  after(async () => {
    dirs.splice(0).forEach(rmrf);
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('(a) 429 with Retry-After, 500, malformed JSON and dropped connections: every document completes, tokens equal what the server billed', async () => {
    const server = await serve({ latencyMs: 5, rate: 0.2, kinds: ['rate-limit', 'server-error', 'malformed', 'drop'], retryAfterSeconds: 1, seed: 11 });
    const root = corpus(4);
    const r = await raptor(['index', root, ...remote(server, ['--embedder', 'openai:m', '--max-in-flight', '4'])]);
    assert.equal(r.code, 0, r.stderr);
    const s = await statusJson(root);
    assert.equal(s.completed_documents, 4);
    const f = server.stats.faults;
    console.log(`      ${server.stats.requests} requests, faults ${JSON.stringify(f)}, billed ${JSON.stringify(server.stats.usage)}, took ${r.ms} ms`);
    for (const kind of ['rate-limit', 'server-error', 'malformed', 'drop'] as const) assert.ok((f[kind] ?? 0) > 0, `the server injected ${kind}`);
    const { prompt, completion, embedding } = s.token_count;
    assert.deepEqual({ prompt, completion, embedding }, server.stats.usage, 'status --json tokens are exactly what the server billed');
    assert.ok(embedding > 0 && completion > 0);
  });

  it('(b) an endpoint that always answers 500 fails the documents with its message, exit 3, no crash', async () => {
    const server = await serve({ always: 'server-error' });
    const root = corpus(2);
    const r = await raptor(['index', root, ...remote(server, ['--max-retries', '0'])]);
    assert.equal(r.code, 3, `exit ${r.code}:\n${r.stderr}`);
    assert.ok(noStackTrace(r.stderr), r.stderr);
    const s = await statusJson(root);
    assert.equal(s.failed_documents, 2);
    for (const d of s.documents) {
      assert.equal(d.state, 'failed');
      assert.match(d.error ?? '', /upstream exploded/, `${d.path}'s error carries the provider's message`);
    }
    console.log(`      ${server.stats.requests} attempts in ${r.ms} ms; error: ${s.documents[0].error}`);
  });

  it('(c) a small --token-budget pauses the task (exit 4) within it; a larger one resumes and completes', async () => {
    const server = await serve({ latencyMs: 5 });
    const root = corpus(4);
    const small = 7000;
    // One document at a time, so the budget runs out inside the second document whatever the timing.
    const first = await raptor(['index', root, ...remote(server, ['--token-budget', String(small), '--concurrency', '1'])]);
    assert.equal(first.code, 4, `exit ${first.code}:\n${first.stderr}`);
    assert.match(first.stderr, /budget/i);
    const s1 = await statusJson(root);
    assert.equal(s1.status, 'paused');
    assert.match(s1.message ?? '', /budget/i, 'the pause message names the budget');
    const billed1 = server.stats.usage.prompt + server.stats.usage.completion + server.stats.usage.embedding;
    assert.ok(s1.token_count.total <= small, `status shows ${s1.token_count.total} > ${small}`);
    assert.ok(billed1 <= small, `the server billed ${billed1} > ${small}`);
    assert.ok(s1.completed_documents >= 1 && s1.completed_documents < 4, `${s1.completed_documents} completed within the budget`);
    const doneFirst = s1.documents.filter((d) => d.state === 'completed').map((d) => d.path);

    const large = 100_000;
    const second = await raptor(['index', root, ...remote(server, ['--token-budget', String(large)])]);
    assert.equal(second.code, 0, second.stderr);
    const s2 = await statusJson(root);
    assert.equal(s2.completed_documents, 4);
    for (const p of doneFirst) assert.ok(!new RegExp(`^done ${p.replace(/\./g, '\\.')}$`, 'm').test(second.stderr), `${p} was not indexed again`);
    const billed2 = server.stats.usage.prompt + server.stats.usage.completion + server.stats.usage.embedding;
    assert.ok(s2.token_count.total <= large && billed2 <= large);
    console.log(`      budget ${small}: ${s1.completed_documents} docs, ${s1.token_count.total} tokens (billed ${billed1}); then ${s2.token_count.total} tokens in all (billed ${billed2})`);
  });

  it('(d) `raptor pause` while requests hang at the server: the CLI exits with 4 without waiting for them', async () => {
    const server = await serve({ latencyMs: 30_000 });
    const root = corpus(2);
    const run = await startRaptor(['index', root, ...remote(server)]);
    await until(() => server.stats.requests >= 1, 60_000);
    const asked = Date.now();
    const p = await raptor(['pause', root]);
    assert.equal(p.code, 0, p.stderr);
    const r = await run.exited;
    const tookMs = Date.now() - asked;
    assert.equal(r.code, 4, r.stderr);
    assert.equal(server.stats.succeeded, 0, 'the CLI did not wait for a hanging request to be answered');
    await until(() => requestsInFlight(server.stats) === 0, 5_000).catch(() => undefined);
    assert.equal(requestsInFlight(server.stats), 0, 'no request is left open at the server');
    assert.ok(server.stats.clientAborts > 0, 'the in-flight requests were aborted');
    assert.equal((await statusJson(root)).status, 'paused');
    console.log(`      exited ${tookMs} ms after \`raptor pause\`; ${server.stats.clientAborts} request(s) aborted`);
  });

  it('(e) SIGKILL mid-run, resume: the server sees again only prompts that were in flight at the kill', async () => {
    const maxInFlight = 3;
    const flags = (s: OpenAIServer) => remote(s, ['--embedder', 'openai:m', '--max-in-flight', String(maxInFlight)]);
    const refServer = await serve({ latencyMs: 20 });
    const reference = corpus(6);
    const ref = await raptor(['index', reference, ...flags(refServer)]);
    assert.equal(ref.code, 0, ref.stderr);

    const server = await serve({ latencyMs: 20 });
    const root = corpus(6);
    const run = await startRaptor(['index', root, ...flags(server)]);
    await until(() => server.stats.requests >= Math.floor(refServer.stats.requests / 2), 60_000);
    await sleep(7);
    const inFlight = requestsInFlight(server.stats);
    await run.killHard();
    const mid = await statusJson(root);
    const resumed = await raptor(['index', root, ...flags(server)]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const repeats = repeatedCalls(server.stats);
    console.log(
      `      killed after ${mid.completed_documents}/6 docs with ${inFlight} request(s) in flight at the server; ` +
        `repeated ${repeats}; calls ${server.stats.requests} vs ${refServer.stats.requests} uninterrupted`,
    );
    assert.ok(repeats <= maxInFlight, `${repeats} calls were sent again; at most ${maxInFlight} can have been in flight`);
    assert.equal(await exportLines(root), await exportLines(reference));
  });

  it('(f) --dry-run --json estimates the tokens of the real run within 10%, without a request or a file', async () => {
    const server = await serve({ latencyMs: 2 });
    const root = corpus(4);
    const flags = remote(server, ['--embedder', 'openai:m']);
    const dry = await raptor(['index', root, ...flags, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const estimate = JSON.parse(dry.stdout) as { calls: { summary: number; embedding: number }; tokens: { prompt: number; completion: number; embedding: number; total: number } };
    assert.equal(server.stats.requests, 0, 'a dry run sends nothing');
    assert.ok(!fs.existsSync(path.join(root, '.raptor')), 'a dry run writes nothing');

    const real = await raptor(['index', root, ...flags]);
    assert.equal(real.code, 0, real.stderr);
    const u = server.stats.usage;
    const actual = u.prompt + u.completion + u.embedding;
    const error = (estimate.tokens.total - actual) / actual;
    console.log(
      `      estimate ${JSON.stringify(estimate.tokens)} in ${JSON.stringify(estimate.calls)} calls; ` +
        `billed ${JSON.stringify({ ...u, total: actual })} in ${server.stats.chatRequests} chat + ${server.stats.embeddingRequests} embedding calls; error ${(error * 100).toFixed(1)}%`,
    );
    assert.ok(Math.abs(error) <= 0.1, `estimate ${estimate.tokens.total} vs actual ${actual} (${(error * 100).toFixed(1)}%)`);
  });
});
