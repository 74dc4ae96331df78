// createProviders: what each setting builds, where keys and URLs come from, and that the composition
// (cache → budget → retry → limiter) is really in place for openai:MODEL and vscode-lm.
import { strict as assert } from 'assert';
import { parseConfig } from '../../src/engine/config';
import { LocalEmbedder } from '../../src/engine/embed/local';
import { MemoryCallCache } from '../../src/engine/providers/cache';
import { BudgetExceededError, ProviderError } from '../../src/engine/providers/errors';
import { createDryRunProviders, createProviders, providerConfigProblem } from '../../src/engine/providers/factory';
import { ExtractiveSummarizer } from '../../src/engine/summarize/extractive';
import { type OpenAIServer, startOpenAIServer } from '../support/openaiServer';

const signal = new AbortController().signal;
const req = { texts: ['The harbour budget was approved.', 'Two inspectors will be hired.'], maxTokens: 40 };

describe('providers: factory', () => {
  let server: OpenAIServer;
  before(async () => {
    server = await startOpenAIServer({ apiKey: 'sk-test' });
  });
  after(() => server.close());
  beforeEach(() => server.resetStats());

  it('builds the offline providers for local/extractive', () => {
    const p = createProviders(parseConfig({}), { env: {} });
    assert.ok(p.embedder instanceof LocalEmbedder);
    assert.ok(p.summarizer instanceof ExtractiveSummarizer);
    assert.equal(p.budget, undefined);
    assert.equal(p.limiter, undefined);
  });

  it('openai:MODEL talks to the configured server with the key from apiKeyEnv, through the call cache', async () => {
    const config = parseConfig({
      summarizer: 'openai:gpt-4o-mini',
      embedder: 'openai:text-embedding-3-small',
      provider: { baseUrl: server.url, apiKeyEnv: 'MY_KEY' },
    });
    const cache = new MemoryCallCache();
    const p = createProviders(config, { env: { MY_KEY: 'sk-test' }, cache });
    const s1 = await p.summarizer.summarize(req, { signal });
    const s2 = await p.summarizer.summarize(req, { signal });
    const e = await p.embedder.embed(['a', 'b'], { signal });
    await p.embedder.embed(['a', 'b'], { signal });
    assert.equal(s2.text, s1.text);
    assert.equal(s2.cached, true);
    assert.equal(e.vectors.length, 2);
    assert.deepEqual([server.stats.chatRequests, server.stats.embeddingRequests], [1, 1]);
    assert.deepEqual(server.stats.models, { 'gpt-4o-mini': 1, 'text-embedding-3-small': 1 });
  });

  it('falls back to OPENAI_BASE_URL, and ids change with model, server and prompt', () => {
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test' };
    const id = (input: object, e: Record<string, string> = env) => createProviders(parseConfig(input), { env: e }).summarizer.id;
    const base = id({ summarizer: 'openai:gpt-4o-mini' });
    assert.match(base, /^openai-chat:gpt-4o-mini@127\.0\.0\.1:\d+:prompt-[0-9a-f]{12}:t0$/);
    assert.notEqual(id({ summarizer: 'openai:gpt-4o' }), base);
    assert.notEqual(id({ summarizer: 'openai:gpt-4o-mini', provider: { summaryPrompt: 'Summarise: {context}' } }), base);
    assert.notEqual(id({ summarizer: 'openai:gpt-4o-mini' }, { OPENAI_API_KEY: 'k' }), base);
  });

  it('OpenAI without a key: opening works, each call fails with one clear sentence and sends nothing', async () => {
    const config = parseConfig({ summarizer: 'openai:gpt-4o-mini' });
    assert.equal(providerConfigProblem(config, {}), 'OPENAI_API_KEY is not set: set it to your API key, or point raptor.provider.baseUrl at a local OpenAI-compatible server.');
    const p = createProviders(config, { env: {} });
    await assert.rejects(p.summarizer.summarize(req, { signal }), (e: unknown) => e instanceof ProviderError && /OPENAI_API_KEY is not set/.test(e.message));
    assert.equal(providerConfigProblem(config, { OPENAI_API_KEY: 'k' }), null);
  });

  it('a local server without a key gets a placeholder, and a log line says so', async () => {
    const open = await startOpenAIServer();
    try {
      const logs: string[] = [];
      const p = createProviders(parseConfig({ summarizer: 'openai:llama3', provider: { baseUrl: open.url } }), {
        env: {},
        log: (_l, m) => void logs.push(m),
      });
      await p.summarizer.summarize(req, { signal });
      assert.match(logs.join('\n'), /No API key in OPENAI_API_KEY; sending a placeholder key to 127\.0\.0\.1/);
      assert.equal(providerConfigProblem(parseConfig({ summarizer: 'openai:llama3', provider: { baseUrl: open.url } }), {}), null);
    } finally {
      await open.close();
    }
  });

  it('the budget starts from the tokens already used and stops the call that would exceed it', async () => {
    const config = parseConfig({ summarizer: 'openai:gpt-4o-mini', provider: { baseUrl: server.url, tokenBudget: 1000 } });
    const p = createProviders(config, { env: { OPENAI_API_KEY: 'sk-test' }, tokensUsed: 950 });
    assert.equal(p.budget?.used, 950);
    await assert.rejects(p.summarizer.summarize(req, { signal }), BudgetExceededError);
    assert.equal(server.stats.requests, 0);
    p.budget!.setLimit(5000);
    await p.summarizer.summarize(req, { signal });
    assert.ok(p.budget!.used > 950);
  });

  it('vscode-lm: the host summarizer gets the same cache and budget; without a host it fails clearly', async () => {
    const config = parseConfig({ summarizer: 'vscode-lm:copilot/gpt-4o', provider: { tokenBudget: 10_000 } });
    let calls = 0;
    const host = { id: 'vscode-lm:copilot/gpt-4o', summarize: async () => (calls++, { text: 'host summary', usage: { prompt: 30, completion: 5 } }) };
    const p = createProviders(config, { env: {}, cache: new MemoryCallCache(), hostSummarizer: host });
    await p.summarizer.summarize(req, { signal });
    const again = await p.summarizer.summarize(req, { signal });
    assert.equal(calls, 1);
    assert.equal(again.cached, true);
    assert.equal(p.budget?.used, 35);
    const alone = createProviders(config, { env: {} });
    await assert.rejects(alone.summarizer.summarize(req, { signal }), /runs only inside VS Code/);
  });

  it('dry run needs no key and no network', async () => {
    const config = parseConfig({ summarizer: 'openai:gpt-4o-mini', embedder: 'openai:text-embedding-3-small', provider: { baseUrl: 'http://127.0.0.1:9/v1' } });
    const d = createDryRunProviders(config, { env: {} });
    await d.summarizer.summarize(req, { signal });
    await d.embedder.embed(['a', 'b'], { signal });
    const e = d.tally.snapshot();
    assert.deepEqual(e.calls, { summary: 1, embedding: 1 });
    assert.ok(e.tokens.prompt > 20 && e.tokens.completion > 0 && e.tokens.embedding === 2);
  });
});
