// Is the dry-run estimate honest? Build the same documents' trees twice: once for real against the loopback
// server (its own embeddings and summaries shape the tree; usage as the server reports it), once with the
// estimating providers (no network; local vectors, assumed summary lengths). Compare totals.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { chunkDocument } from '../../src/engine/chunk/chunker';
import { LocalEmbedder } from '../../src/engine/embed/local';
import { CachingEmbedder, CachingSummarizer, MemoryCallCache } from '../../src/engine/providers/cache';
import { EstimateTally, EstimatingEmbedder, EstimatingSummarizer } from '../../src/engine/providers/estimate';
import { GuardedEmbedder, GuardedSummarizer } from '../../src/engine/providers/guarded';
import { RequestLimiter } from '../../src/engine/providers/limiter';
import { OpenAIChatSummarizer, OpenAIEmbedder } from '../../src/engine/providers/openai';
import { buildTree } from '../../src/engine/tree/treeBuilder';
import { startOpenAIServer } from '../support/openaiServer';

const SOTU = path.join(__dirname, '..', '..', 'node_modules', '@stdlib', 'datasets-sotu', 'data');
const DOCS = ['1803_thomas_jefferson_dr.txt', '1862_abraham_lincoln_r.txt', '1934_franklin_d_roosevelt_d.txt', '1990_george_bush_r.txt'];
const config = { summaryMaxTokens: 120, clusterMaxTokens: 3500, maxLayers: 5, seed: 224 };

describe('providers: dry-run estimate', function () {
  this.timeout(120_000);

  it('is within 10% of the tokens a real run reports, on real addresses', async () => {
    const server = await startOpenAIServer({ dimension: 256 });
    try {
      const signal = new AbortController().signal;
      const conn = { baseUrl: server.url, timeoutMs: 10_000 };
      const chat = new OpenAIChatSummarizer({ ...conn, model: 'gpt-4o-mini' });
      const emb = new OpenAIEmbedder({ ...conn, model: 'text-embedding-3-small' });
      const policy = { label: 'openai', retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10, attemptTimeoutMs: 10_000 }, limiter: new RequestLimiter({ maxInFlight: 8 }) };
      const real = { summarizer: new GuardedSummarizer(chat, policy), embedder: new GuardedEmbedder(emb, policy) };
      const tally = new EstimateTally();
      const estimating = {
        summarizer: new EstimatingSummarizer(chat, tally),
        embedder: new EstimatingEmbedder(emb, new LocalEmbedder(), tally),
      };
      let realLayers = 0;
      let estLayers = 0;
      for (const name of DOCS) {
        const text = fs.readFileSync(path.join(SOTU, name), 'utf8');
        const chunks = chunkDocument({ text }, { chunkTokens: 100 });
        realLayers += (await buildTree(name, chunks, { ...real, config, signal })).layers;
        estLayers += (await buildTree(name, chunks, { ...estimating, config, signal })).layers;
      }
      const actual = server.stats.usage;
      const actualTotal = actual.prompt + actual.completion + actual.embedding;
      const est = tally.snapshot();
      const error = (est.tokens.total - actualTotal) / actualTotal;
      console.log(
        `      real: ${server.stats.chatRequests} summaries, ${server.stats.embeddingRequests} embedding calls, ${realLayers} layers, ` +
          `tokens ${JSON.stringify(actual)} = ${actualTotal}\n` +
          `      estimate: ${est.calls.summary} summaries, ${est.calls.embedding} embedding calls, ${estLayers} layers, ` +
          `tokens ${JSON.stringify(est.tokens)}; error ${(error * 100).toFixed(1)}%`,
      );
      assert.ok(Math.abs(error) <= 0.1, `estimate ${est.tokens.total} vs actual ${actualTotal}`);
      assert.equal(server.stats.requests, server.stats.chatRequests + server.stats.embeddingRequests);
      // The estimate made no request: every request above is the real run's.
      assert.equal(est.calls.embedding > 0 && est.calls.summary > 0, true);
    } finally {
      await server.close();
    }
  });

  it('counts cached calls as free, as a resumed run would find them', async () => {
    const chat = new OpenAIChatSummarizer({ baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 1000, model: 'm' });
    const emb = new OpenAIEmbedder({ baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 1000, model: 'e' });
    const cache = new MemoryCallCache();
    // Fill the cache through the real caching wrappers with a fake single attempt (no network).
    const fakeChat = { id: chat.id, formatPrompt: chat.formatPrompt.bind(chat), summarize: async () => ({ text: 'cached summary', usage: { prompt: 5, completion: 2 } }) };
    await new CachingSummarizer(fakeChat, cache).summarize({ texts: ['a', 'b'], maxTokens: 50 }, { signal: new AbortController().signal });
    await new CachingEmbedder({ id: emb.id, batchSize: 64, embed: async () => ({ vectors: [new Float32Array([1, 0])], usage: { embedding: 1 } }) }, cache).embed(['a'], { signal: new AbortController().signal });
    const tally = new EstimateTally();
    const s = await new EstimatingSummarizer(chat, tally, cache).summarize({ texts: ['a', 'b'], maxTokens: 50 }, { signal: new AbortController().signal });
    const e = await new EstimatingEmbedder(emb, new LocalEmbedder(), tally, cache).embed(['a'], { signal: new AbortController().signal });
    assert.equal(s.text, 'cached summary');
    assert.deepEqual(Array.from(e.vectors[0]), [1, 0]);
    assert.deepEqual(tally.snapshot().calls, { summary: 0, embedding: 0 });
    await new EstimatingSummarizer(chat, tally, cache).summarize({ texts: ['a', 'c'], maxTokens: 50 }, { signal: new AbortController().signal });
    assert.equal(tally.snapshot().calls.summary, 1);
  });
});
