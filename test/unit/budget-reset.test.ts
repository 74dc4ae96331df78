import assert from 'node:assert/strict';
import { RaptorIndex } from '../../src/engine/raptorIndex';
import { makeCorpus, rmrf, shortestAddresses } from '../support/fakes';
import { startOpenAIServer, type OpenAIServer } from '../support/openaiServer';

// The extension keeps one RaptorIndex open for hours: a reset (or a cancelled task followed by a new one) starts a
// new task whose token count is 0, and its budget must start from that, not from what the old task spent.
describe('token budget across tasks of one open index', function () {
  this.timeout(120_000);
  let server: OpenAIServer;
  let root: string;
  let index: RaptorIndex | undefined;
  before(async () => {
    server = await startOpenAIServer({ latencyMs: 2 });
  });
  after(async () => {
    await server.close();
  });
  afterEach(async () => {
    await index?.close().catch(() => undefined);
    rmrf(root);
  });

  it('a reset starts the next task with the whole budget', async () => {
    root = makeCorpus(shortestAddresses(3));
    const budget = 7000;
    index = await RaptorIndex.open({
      root,
      config: { summarizer: 'openai:m', concurrency: 1, provider: { baseUrl: server.url, tokenBudget: budget } },
      env: {},
    });
    const first = await index.run();
    assert.equal(first.state, 'paused', 'the first task runs out of its budget');
    const spent = index.status().token_count.total;
    assert.ok(spent > 0 && spent <= budget, `spent ${spent}`);

    await index.reset();
    assert.equal(index.status().token_count.total, 0, 'the new task has spent nothing');
    const second = await index.run();
    const s = index.status();
    assert.ok(s.completed_documents >= 1, `after a reset the budget allows work again (${second.state}, ${s.completed_documents} completed, ${s.token_count.total} tokens)`);
    assert.ok(s.token_count.total <= budget, `the new task stays within its own budget: ${s.token_count.total}`);
  });
});
