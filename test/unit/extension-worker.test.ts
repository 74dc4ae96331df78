// The host↔worker channel, served over a MessageChannel with a fake index (the real thread is covered by e2e).
import { strict as assert } from 'assert';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { EngineClient } from '../../src/engine/worker/engineClient';
import { serveEngine, statusPushInterval, type ServedIndex } from '../../src/engine/worker/engineServer';
import type { Summarizer } from '../../src/engine/ports';
import type { EngineEvent, TaskStatus } from '../../src/engine/types';

function status(over: Partial<TaskStatus> = {}): TaskStatus {
  const tokens = { prompt: 0, completion: 0, embedding: 0, total: 0 };
  return {
    task_id: 't', status: 'pending', total_documents: 0, completed_documents: 0, failed_documents: 0,
    pending_documents: 0, running_documents: 0, cancelled_documents: 0, progress: 0, token_count: tokens,
    created_at: null, started_at: null, paused_at: null, resumed_at: null, completed_at: null, message: null,
    documents: [], ...over,
  };
}

class FakeIndex implements ServedIndex {
  listeners: Array<(e: EngineEvent) => void> = [];
  state: TaskStatus = status();
  summarizer?: Summarizer;
  runGate?: { release(): void };
  paused = false;
  onEvent(l: (e: EngineEvent) => void) { this.listeners.push(l); return () => (this.listeners = this.listeners.filter((x) => x !== l)); }
  emit(e: EngineEvent) { for (const l of this.listeners) l(e); }
  status() { return this.state; }
  async run() {
    this.emit({ type: 'task/state', state: 'running', message: null });
    if (this.summarizer) {
      const ac = new AbortController();
      const r = await this.summarizer.summarize({ texts: ['a', 'b'], maxTokens: 50 }, { signal: ac.signal });
      this.state = status({ message: r.text });
    }
    await new Promise<void>((release) => (this.runGate = { release }));
    return { state: this.paused ? ('paused' as const) : ('completed' as const), completed: 1, failed: 0, message: null };
  }
  pause() { this.paused = true; this.runGate?.release(); }
  cancel() {}
  retryFailed() { return 3; }
  retryDocument(p: string) { return p === 'a.md'; }
  reindexDocument() { return true; }
  markChanged() {}
  async reset() {}
  async query(text: string) { return [{ id: 'n1', doc: 'a.md', layer: 0, score: 0.9, text }]; }
  documentTree() { return []; }
  estimateSignal?: AbortSignal;
  async estimate(signal?: AbortSignal) {
    this.estimateSignal = signal;
    return { documents: 2, calls: { summary: 3, embedding: 4 }, tokens: { prompt: 10, completion: 5, embedding: 7, total: 22 } };
  }
  async close() {}
}

describe('engine worker channel', () => {
  let ports: MessagePort[] = [];
  afterEach(() => { for (const p of ports) p.close(); ports = []; });

  function connect(fake: FakeIndex, opts: ConstructorParameters<typeof EngineClient>[1] = {}) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    serveEngine(port2, async ({ summarizer }) => ((fake.summarizer = summarizer), fake));
    return new EngineClient(port1, opts);
  }

  it('matches replies to requests by id and validates them', async () => {
    const client = connect(new FakeIndex());
    await client.call('index/open', { root: '/r', dbPath: '/r/.raptor/index.db', config: {}, hostSummarizerId: null });
    const [n, ok, bad, hits] = await Promise.all([
      client.call('index/retryFailed', {}),
      client.call('index/retryDocument', { path: 'a.md' }),
      client.call('index/retryDocument', { path: 'b.md' }),
      client.call('index/query', { text: 'hello' }),
    ]);
    assert.deepEqual([n, ok, bad, hits[0]!.text], [3, true, false, 'hello']);
    assert.equal(client.pendingCount, 0);
  });

  it('asks the index for its cost estimate, with an abort signal', async () => {
    const fake = new FakeIndex();
    const client = connect(fake);
    await client.call('index/open', { root: '/r', dbPath: '/r/.raptor/index.db', config: {}, hostSummarizerId: null });
    const e = await client.call('index/estimate', {});
    assert.deepEqual(e, { documents: 2, calls: { summary: 3, embedding: 4 }, tokens: { prompt: 10, completion: 5, embedding: 7, total: 22 } });
    assert.ok(fake.estimateSignal instanceof AbortSignal);
  });

  it('rejects invalid params with a clear message and clears the pending reply', async () => {
    const client = connect(new FakeIndex());
    await assert.rejects(client.call('index/query', { text: '' }), /Invalid index\/query request/);
    await assert.rejects(client.call('index/status', {}), /not open/);
    assert.equal(client.pendingCount, 0);
  });

  it('forwards engine events and a status snapshot; pause resolves the run as paused', async () => {
    const fake = new FakeIndex();
    const events: EngineEvent[] = [];
    let snapshot: TaskStatus | undefined;
    const gotStatus = new Promise<void>((resolve) => {
      const client = connect(fake, { onEvent: (e) => events.push(e), onStatus: (s) => ((snapshot = s), resolve()) });
      void (async () => {
        await client.call('index/open', { root: '/r', dbPath: '/db', config: {}, hostSummarizerId: null });
        const run = client.call('index/run', {});
        await new Promise((r) => setTimeout(r, 20));
        await client.call('index/pause', {});
        assert.equal((await run).state, 'paused');
      })();
    });
    await gotStatus;
    assert.deepEqual(events[0], { type: 'task/state', state: 'running', message: null });
    assert.equal(snapshot?.task_id, 't');
  });

  it('serves summaries from the host, and carries an abort across as a message', async () => {
    const fake = new FakeIndex();
    let abortedOnHost = false;
    const client = connect(fake, {
      summarize: async (p) => ({ text: `${p.providerId}:${p.texts.join('+')}`, usage: { prompt: 2, completion: 1 } }),
    });
    await client.call('index/open', { root: '/r', dbPath: '/db', config: {}, hostSummarizerId: 'vscode-lm:test' });
    const run = client.call('index/run', {});
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fake.state.message, 'vscode-lm:test:a+b');
    fake.pause();
    await run;

    // Abort: the engine aborts its summarize call; the host's handler sees its signal fire, the engine sees AbortError.
    const fake2 = new FakeIndex();
    let hostSignalled!: () => void;
    const hostSawAbort = new Promise<void>((r) => (hostSignalled = r));
    const client2 = connect(fake2, {
      summarize: (_p, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => (hostSignalled(), reject(new Error('aborted'))))),
    });
    await client2.call('index/open', { root: '/r', dbPath: '/db', config: {}, hostSummarizerId: 'vscode-lm:x' });
    const ac = new AbortController();
    const call = fake2.summarizer!.summarize({ texts: ['x'], maxTokens: 10 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await assert.rejects(call, (e: Error) => e.name === 'AbortError');
    await hostSawAbort;
  });

  it('rejects everything in flight when the channel closes', async () => {
    const fake = new FakeIndex();
    const client = connect(fake);
    await client.call('index/open', { root: '/r', dbPath: '/db', config: {}, hostSummarizerId: null });
    const run = client.call('index/run', {});
    client.close('The engine worker exited (code 1).');
    await assert.rejects(run, /exited/);
    assert.equal(client.pendingCount, 0);
    await assert.rejects(client.call('index/status', {}), /exited/);
  });

  it('pushes status snapshots less often for big indexes', () => {
    assert.deepEqual([0, 4000, 10_000, 100_000].map(statusPushInterval), [200, 200, 500, 2000]);
  });
});
