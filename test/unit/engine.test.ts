// Behaviour of the checkpointed engine: states, retries, pause/resume/cancel, accounting, change detection.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LocalEmbedder } from '../../src/engine/embed/local';
import { IndexOpenError, RaptorIndex, type OpenIndexOptions } from '../../src/engine/raptorIndex';
import type { DocumentState, EngineEvent } from '../../src/engine/types';
import { CountingEmbedder, FakeSummarizer, makeCorpus, rmrf, shortestAddresses } from '../support/fakes';

const FAST = { retryBaseMs: 5, concurrency: 2 };

function exportLines(index: RaptorIndex): string[] {
  return [...index.exportNodes()].map((n) => JSON.stringify(n));
}

describe('engine: the checkpointed runner', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const open: RaptorIndex[] = [];
  const corpus = (...args: Parameters<typeof makeCorpus>) => {
    const d = makeCorpus(...args);
    dirs.push(d);
    return d;
  };
  async function openIndex(opts: OpenIndexOptions): Promise<RaptorIndex> {
    const i = await RaptorIndex.open(opts);
    open.push(i);
    return i;
  }
  afterEach(async () => {
    for (const i of open.splice(0)) await i.close().catch(() => undefined);
    for (const d of dirs.splice(0)) rmrf(d);
  });

  const docs = shortestAddresses(4);

  it('indexes a folder: every document completed with a multi-layer tree, and the checkpoint reloads', async () => {
    const root = corpus(docs);
    const summarizer = new FakeSummarizer();
    const index = await openIndex({ root, config: FAST, summarizer });
    const transitions = new Map<string, DocumentState[]>();
    index.onEvent((e: EngineEvent) => {
      if (e.type === 'document/state') transitions.set(e.path, [...(transitions.get(e.path) ?? []), e.state]);
    });
    const outcome = await index.run();
    assert.equal(outcome.state, 'completed');
    const s = index.status();
    assert.equal(s.status, 'completed');
    assert.equal(s.total_documents, docs.length);
    assert.equal(s.completed_documents, docs.length);
    assert.equal(s.progress, 1);
    for (const d of s.documents) {
      assert.equal(d.state, 'completed');
      assert.ok(d.chunks > 5, `${d.path} has ${d.chunks} chunks`);
      assert.ok(d.layers >= 1, `${d.path} has ${d.layers} layers`);
      assert.ok(d.nodes > d.chunks);
      assert.deepEqual(transitions.get(d.path)?.slice(-2), ['running', 'completed']);
    }
    assert.ok(s.started_at && s.completed_at);
    const before = exportLines(index);
    await index.close();
    open.pop();
    assert.ok(fs.existsSync(path.join(root, '.raptor', 'index.db')));
    assert.equal(fs.readFileSync(path.join(root, '.raptor', '.gitignore'), 'utf8').trim(), '*');
    const reopened = await openIndex({ root, readOnly: true });
    assert.deepEqual(reopened.status().documents.map((d) => d.state), docs.map(() => 'completed'));
    assert.deepEqual(exportLines(reopened), before);
  });

  it('re-running on an unchanged folder does no work; a changed file redoes only that document', async () => {
    const root = corpus(docs);
    const summarizer = new FakeSummarizer();
    const embedder = new CountingEmbedder(new LocalEmbedder());
    let index = await openIndex({ root, config: FAST, summarizer, embedder });
    await index.run();
    const firstCalls = summarizer.calls;
    const firstEmbeds = embedder.calls;
    assert.ok(firstCalls > 0 && firstEmbeds > 0);
    await index.close();
    open.pop();
    index = await openIndex({ root, config: FAST, summarizer, embedder });
    const again = await index.run();
    assert.equal(again.state, 'completed');
    assert.equal(summarizer.calls, firstCalls, 'no summary call on an unchanged folder');
    assert.equal(embedder.calls, firstEmbeds, 'no embedding call on an unchanged folder');
    // Touch without change: still nothing to do.
    const touched = path.join(root, docs[0]);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(touched, later, later);
    await index.run();
    assert.equal(summarizer.calls, firstCalls);
    // Change one file: only it is rebuilt.
    fs.appendFileSync(path.join(root, docs[1]), '\n\nThe Congress adjourned after a long debate about the tariff on imported iron.\n');
    const events: string[] = [];
    index.onEvent((e) => {
      if (e.type === 'document/state' && e.state === 'running') events.push(e.path);
    });
    await index.run();
    assert.deepEqual(events, [docs[1]]);
    assert.ok(summarizer.calls > firstCalls);
  });

  it('a bad file among good ones fails with a clear error and does not stop the others', async () => {
    const root = corpus(docs.slice(0, 2), {
      'broken.pdf': '%PDF-1.4 this is not really a pdf',
      'empty.txt': '',
      'notes/report.docx': Buffer.from('PK\u0003\u0004 definitely not a zip'),
    });
    const index = await openIndex({ root, config: { ...FAST, maxRetries: 0 }, summarizer: new FakeSummarizer() });
    const outcome = await index.run();
    assert.equal(outcome.state, 'completed');
    assert.equal(outcome.failed, 3);
    const s = index.status();
    const byPath = Object.fromEntries(s.documents.map((d) => [d.path, d]));
    for (const good of docs.slice(0, 2)) assert.equal(byPath[good].state, 'completed');
    for (const bad of ['broken.pdf', 'empty.txt', 'notes/report.docx']) {
      assert.equal(byPath[bad].state, 'failed', bad);
      assert.ok(byPath[bad].error && byPath[bad].error!.length > 10, `${bad}: ${byPath[bad].error}`);
      assert.ok(!/\n\s+at /.test(byPath[bad].error!), 'no stack trace in the error');
    }
    assert.equal(s.failed_documents, 3);
    assert.equal(s.completed_documents, 2);
  });

  it('an empty folder completes with nothing to do', async () => {
    const root = corpus([]);
    const index = await openIndex({ root, config: FAST, summarizer: new FakeSummarizer() });
    const outcome = await index.run();
    assert.equal(outcome.state, 'completed');
    assert.equal(index.status().total_documents, 0);
    assert.deepEqual(await index.query('anything'), []);
  });

  it('retries a failing document with backoff up to the limit, then marks it failed; retry-failed resets it', async () => {
    const root = corpus(docs.slice(0, 2));
    const summarizer = new FakeSummarizer();
    const victim = fs.readFileSync(path.join(root, docs[1]), 'utf8').slice(0, 60);
    let broken = true;
    summarizer.failWhen = (texts) => (broken && texts.some((t) => victim.startsWith(t.slice(0, 30))) ? new Error('model exploded') : undefined);
    const index = await openIndex({ root, config: { ...FAST, maxRetries: 2 }, summarizer });
    const attempts: number[] = [];
    index.onEvent((e) => {
      if (e.type === 'document/state' && e.path === docs[1] && e.state === 'running') attempts.push(e.retryCount);
    });
    const outcome = await index.run();
    assert.equal(outcome.state, 'completed');
    assert.equal(outcome.failed, 1);
    const failed = index.status().documents.find((d) => d.path === docs[1])!;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.retry_count, 3, 'first attempt + 2 retries');
    assert.match(failed.error!, /model exploded/);
    assert.deepEqual(attempts, [0, 1, 2]);
    assert.equal(index.status().documents.find((d) => d.path === docs[0])!.state, 'completed');

    broken = false;
    assert.equal(index.retryFailed(), 1);
    const d = index.status().documents.find((x) => x.path === docs[1])!;
    assert.equal(d.state, 'pending');
    assert.equal(d.retry_count, 0);
    assert.equal(d.error, null);
    const again = await index.run();
    assert.equal(again.failed, 0);
    assert.equal(index.status().completed_documents, 2);
  });

  it('a transient failure is retried and the document completes', async () => {
    const root = corpus(docs.slice(0, 1));
    const summarizer = new FakeSummarizer();
    let failures = 1;
    summarizer.failWhen = () => (failures-- > 0 ? new Error('503 upstream busy') : undefined);
    const index = await openIndex({ root, config: { ...FAST, maxRetries: 3 }, summarizer });
    const outcome = await index.run();
    assert.equal(outcome.failed, 0);
    const d = index.status().documents[0];
    assert.equal(d.state, 'completed');
    assert.equal(d.retry_count, 1);
  });

  it('pauses mid-document, keeps finished work, and resumes to the same trees', async () => {
    const root = corpus(docs);
    // Reference: an uninterrupted run.
    const refRoot = corpus(docs);
    const ref = await openIndex({ root: refRoot, config: { ...FAST, concurrency: 1 }, summarizer: new FakeSummarizer() });
    await ref.run();
    const expected = exportLines(ref);

    const summarizer = new FakeSummarizer();
    let index: RaptorIndex | undefined;
    let pausedAtCall = 0;
    summarizer.beforeAnswer = async (ctx, callNo) => {
      // Pause while a summary call is in flight, once the first document is done.
      if (pausedAtCall === 0 && index!.status().completed_documents >= 1) {
        pausedAtCall = callNo;
        setTimeout(() => index!.pause('test pause'), 5);
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
    };
    index = await openIndex({ root, config: { ...FAST, concurrency: 1 }, summarizer });
    const t0 = Date.now();
    const outcome = await index.run();
    assert.equal(outcome.state, 'paused');
    assert.ok(Date.now() - t0 < 60_000);
    const s = index.status();
    assert.equal(s.status, 'paused');
    assert.equal(s.message, 'test pause');
    assert.ok(s.paused_at);
    assert.ok(s.completed_documents >= 1 && s.completed_documents < docs.length, `completed ${s.completed_documents}`);
    assert.equal(s.running_documents, 0, 'the document in flight went back to pending');
    assert.ok(s.documents.some((d) => d.state === 'pending'));
    const completedBefore = s.documents.filter((d) => d.state === 'completed').map((d) => d.path);

    // Resume, in a new process's worth of state: close and reopen.
    await index.close();
    open.pop();
    const resumedRunning: string[] = [];
    index = await openIndex({ root, config: { ...FAST, concurrency: 1 }, summarizer });
    index.onEvent((e) => {
      if (e.type === 'document/state' && e.state === 'running') resumedRunning.push(e.path);
    });
    const resumed = await index.run();
    assert.equal(resumed.state, 'completed');
    for (const p of completedBefore) assert.ok(!resumedRunning.includes(p), `${p} was redone after resume`);
    assert.ok(index.status().resumed_at);
    assert.deepEqual(exportLines(index), expected);
  });

  it('cancel stops the run; pending documents become cancelled and a new run picks them up', async () => {
    const root = corpus(docs);
    const summarizer = new FakeSummarizer();
    let index: RaptorIndex | undefined;
    summarizer.beforeAnswer = (_ctx, callNo) => {
      if (callNo === 2) index!.cancel();
    };
    index = await openIndex({ root, config: { ...FAST, concurrency: 1 }, summarizer });
    const outcome = await index.run();
    assert.equal(outcome.state, 'cancelled');
    const s = index.status();
    assert.equal(s.status, 'cancelled');
    assert.equal(s.pending_documents + s.running_documents, 0);
    assert.ok(s.cancelled_documents >= 1);
    const again = await index.run();
    assert.equal(again.state, 'completed');
    assert.equal(index.status().completed_documents, docs.length);
  });

  it('pause before a run, and pause/cancel of an idle index, are recorded', async () => {
    const root = corpus(docs.slice(0, 1));
    const index = await openIndex({ root, config: FAST, summarizer: new FakeSummarizer() });
    index.pause();
    assert.equal(index.status().status, 'paused');
    const outcome = await index.run();
    assert.equal(outcome.state, 'completed');
  });

  it('counts tokens per call, per document and per task, and they add up', async () => {
    const root = corpus(docs);
    const summarizer = new FakeSummarizer();
    const embedder = new CountingEmbedder(new LocalEmbedder());
    const index = await openIndex({ root, config: FAST, summarizer, embedder });
    let lastProgress: Extract<EngineEvent, { type: 'progress' }> | undefined;
    index.onEvent((e) => {
      if (e.type === 'progress') lastProgress = e;
    });
    await index.run();
    const s = index.status();
    const sum = (k: 'prompt' | 'completion' | 'embedding' | 'total') => s.documents.reduce((a, d) => a + d.token_count[k], 0);
    assert.equal(s.token_count.prompt, summarizer.usage.prompt);
    assert.equal(s.token_count.completion, summarizer.usage.completion);
    assert.equal(s.token_count.embedding, embedder.tokens);
    assert.equal(s.token_count.total, summarizer.usage.prompt + summarizer.usage.completion + embedder.tokens);
    assert.equal(sum('prompt'), s.token_count.prompt);
    assert.equal(sum('completion'), s.token_count.completion);
    assert.equal(sum('embedding'), s.token_count.embedding);
    assert.equal(sum('total'), s.token_count.total);
    assert.ok(lastProgress);
    assert.equal(lastProgress!.completed, docs.length);
    assert.equal(lastProgress!.tokens.total, s.token_count.total);
  });

  it('runs without checkpoints when asked, writing nothing to disk', async () => {
    const root = corpus(docs.slice(0, 1));
    const index = await openIndex({ root, config: { ...FAST, checkpoints: false }, summarizer: new FakeSummarizer() });
    const outcome = await index.run();
    assert.equal(outcome.state, 'completed');
    assert.equal(index.status().completed_documents, 1);
    assert.ok(!fs.existsSync(path.join(root, '.raptor', 'index.db')));
  });

  it('builds identical trees from identical input (deterministic ids, clusters and summaries)', async () => {
    const a = await openIndex({ root: corpus(docs.slice(0, 2)), config: FAST });
    const b = await openIndex({ root: corpus(docs.slice(0, 2)), config: { ...FAST, concurrency: 1 } });
    await a.run();
    await b.run();
    const ea = exportLines(a);
    assert.ok(ea.length > 10);
    assert.deepEqual(exportLines(b), ea);
  });

  it('refuses a corrupt database with one clear sentence and leaves it untouched', async () => {
    const root = corpus(docs.slice(0, 1));
    const db = path.join(root, '.raptor', 'index.db');
    fs.mkdirSync(path.dirname(db), { recursive: true });
    const garbage = Buffer.from('this is not a database at all, just some text that someone saved here by mistake'.repeat(100));
    fs.writeFileSync(db, garbage);
    await assert.rejects(RaptorIndex.open({ root }), (e: unknown) => {
      assert.ok(e instanceof IndexOpenError, String(e));
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    assert.deepEqual(fs.readFileSync(db), garbage);
  });

  it('rejects invalid settings with a message naming the setting', async () => {
    const root = corpus([]);
    await assert.rejects(RaptorIndex.open({ root, config: { chunkTokens: -5 } as never }), /chunkTokens/);
    await assert.rejects(RaptorIndex.open({ root, config: { summarizer: 'gpt' } as never }), /summarizer/);
    assert.ok(!fs.existsSync(path.join(root, '.raptor')), 'nothing was created for an invalid config');
  });

  it('stops a failed document’s other summary calls instead of paying for them', async () => {
    const root = corpus(docs.slice(-1));
    const summarizer = new FakeSummarizer();
    let inFlight = 0;
    let inFlightAtFailure = -1;
    summarizer.beforeAnswer = async (ctx, callNo) => {
      inFlight++;
      try {
        if (callNo === 1) {
          await new Promise((r) => setTimeout(r, 20));
          inFlightAtFailure = inFlight;
          throw new Error('400 bad request');
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 50);
          ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
      } finally {
        inFlight--;
      }
    };
    const index = await openIndex({ root, config: { ...FAST, maxRetries: 0 }, summarizer });
    await index.run();
    const callsAtEnd = summarizer.calls;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(summarizer.calls, callsAtEnd, 'no call started after the run ended');
    assert.ok(callsAtEnd <= inFlightAtFailure + 1, `calls ${callsAtEnd}, in flight at the failure ${inFlightAtFailure}`);
    assert.equal(index.status().documents[0].state, 'failed');
  });

  it('keeps the provider settings stored with the index when a run overrides only some of them', async () => {
    const root = corpus(docs.slice(0, 1));
    let index = await openIndex({ root, config: { ...FAST, provider: { tokenBudget: 5000, maxInFlight: 3 } }, summarizer: new FakeSummarizer() });
    await index.run();
    await index.close();
    open.pop();
    index = await openIndex({ root, config: { provider: { tokensPerMinute: 100 } } });
    assert.equal(index.config.provider.tokenBudget, 5000);
    assert.equal(index.config.provider.maxInFlight, 3);
    assert.equal(index.config.provider.tokensPerMinute, 100);
  });

  it('refuses to index another folder into an index that belongs to a folder that still exists', async () => {
    const first = corpus(docs.slice(0, 2));
    const second = corpus(docs.slice(2, 3));
    const db = path.join(first, 'shared.db');
    let index = await openIndex({ root: first, dbPath: db, config: FAST });
    await index.run();
    await index.close();
    open.pop();
    index = await openIndex({ root: second, dbPath: db, config: FAST });
    await assert.rejects(index.run(), (e: Error) => e instanceof IndexOpenError && /belongs to/.test(e.message));
    assert.equal(index.status().completed_documents, 2, 'the first folder’s trees are intact');
  });

  it('fails an unreadable document at once instead of retrying what cannot change', async () => {
    const root = corpus(docs.slice(0, 1), { 'broken.pdf': 'not a pdf' });
    const index = await openIndex({ root, config: { ...FAST, maxRetries: 3, retryBaseMs: 10_000 } });
    const t0 = Date.now();
    await index.run();
    assert.ok(Date.now() - t0 < 10_000, 'no backoff wait for a permanent error');
    const bad = index.status().documents.find((d) => d.path === 'broken.pdf')!;
    assert.equal(bad.state, 'failed');
    assert.equal(bad.retry_count, 1);
  });

  it('answers queries with collapsed-tree and tree-traversal retrieval', async () => {
    const root = corpus(docs);
    const index = await openIndex({ root, config: FAST });
    await index.run();
    const hits = await index.query('taxes and the revenue of the treasury', { topK: 5 });
    assert.equal(hits.length, 5);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
    assert.ok(hits.every((h) => docs.includes(h.doc)));
    const budgeted = await index.query('taxes and the revenue of the treasury', { topK: 50, maxTokens: 150 });
    assert.ok(budgeted.length >= 1 && budgeted.length < 50);
    const traversal = await index.query('taxes and the revenue of the treasury', { topK: 3, mode: 'traversal' });
    assert.ok(traversal.length >= 1);
    assert.ok(traversal.some((h) => h.layer === 0), 'traversal reaches the leaves');
  });
});
